//! Daily OHLCV history, validated once on construction.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// A daily price history in column form, oldest row first.
///
/// Construction checks what every model relies on: equal column lengths, strictly ascending dates,
/// finite positive prices and non-negative volume. Models never re-check.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Ohlcv {
    dates: Vec<NaiveDate>,
    open: Vec<f64>,
    high: Vec<f64>,
    low: Vec<f64>,
    close: Vec<f64>,
    volume: Vec<f64>,
}

/// One row of an [`Ohlcv`] history.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bar {
    /// Trading day.
    pub date: NaiveDate,
    /// Open.
    pub open: f64,
    /// High.
    pub high: f64,
    /// Low.
    pub low: f64,
    /// Close.
    pub close: f64,
    /// Volume (shares or index units).
    pub volume: f64,
}

impl Ohlcv {
    /// Builds a history from rows, oldest first.
    pub fn from_bars(bars: &[Bar]) -> Result<Self> {
        let mut s = Ohlcv {
            dates: Vec::with_capacity(bars.len()),
            open: Vec::with_capacity(bars.len()),
            high: Vec::with_capacity(bars.len()),
            low: Vec::with_capacity(bars.len()),
            close: Vec::with_capacity(bars.len()),
            volume: Vec::with_capacity(bars.len()),
        };
        for (i, b) in bars.iter().enumerate() {
            for (name, v) in [
                ("open", b.open),
                ("high", b.high),
                ("low", b.low),
                ("close", b.close),
            ] {
                if !(v.is_finite() && v > 0.0) {
                    return Err(Error::InvalidInput(format!(
                        "row {i} ({}): {name} = {v} is not a positive finite price",
                        b.date
                    )));
                }
            }
            if !(b.volume.is_finite() && b.volume >= 0.0) {
                return Err(Error::InvalidInput(format!(
                    "row {i} ({}): volume = {} is negative or not finite",
                    b.date, b.volume
                )));
            }
            if let Some(prev) = s.dates.last() {
                if b.date <= *prev {
                    return Err(Error::InvalidInput(format!(
                        "row {i}: date {} does not follow {prev} (dates must be strictly ascending)",
                        b.date
                    )));
                }
            }
            s.dates.push(b.date);
            s.open.push(b.open);
            s.high.push(b.high);
            s.low.push(b.low);
            s.close.push(b.close);
            s.volume.push(b.volume);
        }
        Ok(s)
    }

    /// A close-only history (open = high = low = close, zero volume, consecutive calendar dates from
    /// 2000-01-03). For tests and for models that only read closes.
    pub fn from_closes(closes: &[f64]) -> Result<Self> {
        let start = NaiveDate::from_ymd_opt(2000, 1, 3).expect("valid date");
        let bars: Vec<Bar> = closes
            .iter()
            .enumerate()
            .map(|(i, &c)| Bar {
                date: start + chrono::Days::new(i as u64),
                open: c,
                high: c,
                low: c,
                close: c,
                volume: 0.0,
            })
            .collect();
        Self::from_bars(&bars)
    }

    /// Parses CSV text with the header `date,open,high,low,close,volume` (ISO dates).
    pub fn from_csv(text: &str) -> Result<Self> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header = lines
            .next()
            .ok_or_else(|| Error::InvalidInput("empty CSV".into()))?;
        let cols: Vec<String> = header
            .split(',')
            .map(|c| c.trim().to_ascii_lowercase())
            .collect();
        let idx = |name: &str| {
            cols.iter().position(|c| c == name).ok_or_else(|| {
                Error::InvalidInput(format!("CSV header lacks column `{name}`: {header}"))
            })
        };
        let (di, oi, hi, li, ci, vi) = (
            idx("date")?,
            idx("open")?,
            idx("high")?,
            idx("low")?,
            idx("close")?,
            idx("volume")?,
        );
        let mut bars = Vec::new();
        for (n, line) in lines.enumerate() {
            let f: Vec<&str> = line.split(',').map(str::trim).collect();
            let field = |i: usize| {
                f.get(i).copied().ok_or_else(|| {
                    Error::InvalidInput(format!("CSV line {}: too few fields", n + 2))
                })
            };
            let num = |i: usize| -> Result<f64> {
                let s = field(i)?;
                s.parse::<f64>().map_err(|_| {
                    Error::InvalidInput(format!("CSV line {}: `{s}` is not a number", n + 2))
                })
            };
            let d = field(di)?;
            let date = NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                Error::InvalidInput(format!(
                    "CSV line {}: `{d}` is not a YYYY-MM-DD date",
                    n + 2
                ))
            })?;
            bars.push(Bar {
                date,
                open: num(oi)?,
                high: num(hi)?,
                low: num(li)?,
                close: num(ci)?,
                volume: num(vi)?,
            });
        }
        Self::from_bars(&bars)
    }

    /// Number of rows.
    pub fn len(&self) -> usize {
        self.close.len()
    }

    /// True when there are no rows.
    pub fn is_empty(&self) -> bool {
        self.close.is_empty()
    }

    /// The first `n` rows (rows `0..n`): what a model may see at origin `n - 1`.
    pub fn prefix(&self, n: usize) -> Ohlcv {
        let n = n.min(self.len());
        Ohlcv {
            dates: self.dates[..n].to_vec(),
            open: self.open[..n].to_vec(),
            high: self.high[..n].to_vec(),
            low: self.low[..n].to_vec(),
            close: self.close[..n].to_vec(),
            volume: self.volume[..n].to_vec(),
        }
    }

    /// Row `i`.
    pub fn bar(&self, i: usize) -> Bar {
        Bar {
            date: self.dates[i],
            open: self.open[i],
            high: self.high[i],
            low: self.low[i],
            close: self.close[i],
            volume: self.volume[i],
        }
    }

    /// Trading dates.
    pub fn dates(&self) -> &[NaiveDate] {
        &self.dates
    }
    /// Opens.
    pub fn open(&self) -> &[f64] {
        &self.open
    }
    /// Highs.
    pub fn high(&self) -> &[f64] {
        &self.high
    }
    /// Lows.
    pub fn low(&self) -> &[f64] {
        &self.low
    }
    /// Closes.
    pub fn close(&self) -> &[f64] {
        &self.close
    }
    /// Volumes.
    pub fn volume(&self) -> &[f64] {
        &self.volume
    }
    /// The last close, if any.
    pub fn last_close(&self) -> Option<f64> {
        self.close.last().copied()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_round_trip_reads_every_column() {
        let s = Ohlcv::from_csv(
            "date,open,high,low,close,volume\n2004-08-19,100,104.06,95.96,100.34,22351900\n2004-08-20,101.01,109.08,100.5,108.31,11428600\n",
        )
        .unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s.close(), &[100.34, 108.31]);
        assert_eq!(s.volume()[0], 22351900.0);
        assert_eq!(s.dates()[1].to_string(), "2004-08-20");
    }

    #[test]
    fn unsorted_dates_are_rejected() {
        let err = Ohlcv::from_csv(
            "date,open,high,low,close,volume\n2004-08-20,1,1,1,1,1\n2004-08-19,1,1,1,1,1\n",
        )
        .unwrap_err();
        assert!(err.to_string().contains("strictly ascending"), "{err}");
    }

    #[test]
    fn non_positive_price_is_rejected() {
        assert!(Ohlcv::from_closes(&[1.0, 0.0]).is_err());
        assert!(Ohlcv::from_closes(&[1.0, f64::NAN]).is_err());
    }

    #[test]
    fn prefix_keeps_only_the_first_rows() {
        let s = Ohlcv::from_closes(&[1.0, 2.0, 3.0]).unwrap();
        assert_eq!(s.prefix(2).close(), &[1.0, 2.0]);
        assert_eq!(s.prefix(9).len(), 3);
    }
}
