use serde::{Deserialize, Serialize};

/// The chart ranges the stock page and `GET /api/v1/timeseries` offer, counted back from the last bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum ChartRange {
    /// One trading day of intraday bars.
    #[serde(rename = "1D")]
    D1,
    /// One week of intraday bars.
    #[serde(rename = "1W")]
    W1,
    /// One month.
    #[serde(rename = "1M")]
    M1,
    /// Three months.
    #[serde(rename = "3M")]
    M3,
    /// Six months.
    #[serde(rename = "6M")]
    M6,
    /// From the first trading day of the last bar's year.
    #[serde(rename = "YTD")]
    Ytd,
    /// One year.
    #[default]
    #[serde(rename = "1Y")]
    Y1,
    /// Two years.
    #[serde(rename = "2Y")]
    Y2,
    /// Five years.
    #[serde(rename = "5Y")]
    Y5,
    /// Ten years.
    #[serde(rename = "10Y")]
    Y10,
    /// The whole history.
    #[serde(rename = "MAX")]
    Max,
}

impl ChartRange {
    /// Every range, in button order.
    pub const ALL: [ChartRange; 11] = [
        ChartRange::D1,
        ChartRange::W1,
        ChartRange::M1,
        ChartRange::M3,
        ChartRange::M6,
        ChartRange::Ytd,
        ChartRange::Y1,
        ChartRange::Y2,
        ChartRange::Y5,
        ChartRange::Y10,
        ChartRange::Max,
    ];

    /// The label and wire name (`1D`, `1W`, `1M`, `3M`, `6M`, `YTD`, `1Y`, `2Y`, `5Y`, `10Y`, `MAX`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChartRange::D1 => "1D",
            ChartRange::W1 => "1W",
            ChartRange::M1 => "1M",
            ChartRange::M3 => "3M",
            ChartRange::M6 => "6M",
            ChartRange::Ytd => "YTD",
            ChartRange::Y1 => "1Y",
            ChartRange::Y2 => "2Y",
            ChartRange::Y5 => "5Y",
            ChartRange::Y10 => "10Y",
            ChartRange::Max => "MAX",
        }
    }

    /// Parses a label, case-insensitively.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                format!("Unknown range `{s}`: use 1D, 1W, 1M, 3M, 6M, YTD, 1Y, 2Y, 5Y, 10Y or MAX.")
            })
    }

    /// True for the ranges drawn from intraday bars (1D, 1W).
    pub fn is_intraday(self) -> bool {
        matches!(self, ChartRange::D1 | ChartRange::W1)
    }

    /// The first date shown when the last bar is on `last`; `None` = from the start.
    pub fn start(self, last: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
        use chrono::{Datelike, Days, Months, NaiveDate};
        match self {
            ChartRange::D1 => Some(last),
            ChartRange::W1 => last.checked_sub_days(Days::new(7)),
            ChartRange::M1 => last.checked_sub_months(Months::new(1)),
            ChartRange::M3 => last.checked_sub_months(Months::new(3)),
            ChartRange::M6 => last.checked_sub_months(Months::new(6)),
            ChartRange::Ytd => NaiveDate::from_ymd_opt(last.year(), 1, 1),
            ChartRange::Y1 => last.checked_sub_months(Months::new(12)),
            ChartRange::Y2 => last.checked_sub_months(Months::new(24)),
            ChartRange::Y5 => last.checked_sub_months(Months::new(60)),
            ChartRange::Y10 => last.checked_sub_months(Months::new(120)),
            ChartRange::Max => None,
        }
    }
}

/// How far back a prediction history looks, in calendar days: 1 to [`HistoryDays::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct HistoryDays(u32);

impl HistoryDays {
    /// The longest window: ten years.
    pub const MAX: u32 = 3660;

    /// Checks the bounds.
    pub fn new(days: u32) -> Result<Self, String> {
        if days == 0 || days > Self::MAX {
            return Err(format!(
                "days must be between 1 and {}, not {days}.",
                Self::MAX
            ));
        }
        Ok(HistoryDays(days))
    }

    /// The number of days.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for HistoryDays {
    type Error = String;
    fn try_from(days: u32) -> Result<Self, Self::Error> {
        HistoryDays::new(days)
    }
}

impl From<HistoryDays> for u32 {
    fn from(d: HistoryDays) -> u32 {
        d.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    #[test]
    fn labels_round_trip() {
        for r in ChartRange::ALL {
            assert_eq!(ChartRange::parse(r.as_str()).unwrap(), r);
            let json = serde_json::to_string(&r).unwrap();
            assert_eq!(json, format!("\"{}\"", r.as_str()));
        }
        assert_eq!(ChartRange::parse("max").unwrap(), ChartRange::Max);
        assert_eq!(ChartRange::parse("ytd").unwrap(), ChartRange::Ytd);
        assert!(ChartRange::parse("2W").is_err());
    }

    #[test]
    fn ranges_count_back_from_the_last_bar() {
        let last = NaiveDate::from_ymd_opt(2013, 3, 1).unwrap();
        let d = |y, m, d| NaiveDate::from_ymd_opt(y, m, d);
        assert_eq!(ChartRange::W1.start(last), d(2013, 2, 22));
        assert_eq!(ChartRange::M1.start(last), d(2013, 2, 1));
        assert_eq!(ChartRange::M3.start(last), d(2012, 12, 1));
        assert_eq!(ChartRange::Ytd.start(last), d(2013, 1, 1));
        assert_eq!(ChartRange::Y2.start(last), d(2011, 3, 1));
        assert_eq!(ChartRange::Y5.start(last), d(2008, 3, 1));
        assert_eq!(ChartRange::Y10.start(last), d(2003, 3, 1));
        assert_eq!(ChartRange::Max.start(last), None);
        assert!(ChartRange::D1.is_intraday() && !ChartRange::M1.is_intraday());
    }

    #[test]
    fn history_windows_are_one_day_to_ten_years() {
        assert!(HistoryDays::new(0).is_err());
        assert_eq!(HistoryDays::new(30).unwrap().get(), 30);
        assert!(HistoryDays::new(HistoryDays::MAX).is_ok());
        assert!(HistoryDays::new(HistoryDays::MAX + 1)
            .unwrap_err()
            .contains("3660"));
    }
}
