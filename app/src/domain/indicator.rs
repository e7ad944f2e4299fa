//! The technical indicators a price chart can show, and the set a reader has switched on.

use serde::{Deserialize, Serialize};

/// One toggle of the chart's indicator menu (Yahoo Finance / TradingView conventions).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Indicator {
    Sma20,
    Sma50,
    Sma200,
    Ema12,
    Ema26,
    /// Bollinger bands 20/2.
    Bollinger,
    /// RSI 14, in a pane of its own.
    Rsi,
    /// MACD 12/26/9, in a pane of its own.
    Macd,
    /// Volume bars, in a pane of their own.
    Volume,
}

impl Indicator {
    /// Every indicator, in menu order: overlays first, then panes.
    pub const ALL: [Indicator; 9] = [
        Indicator::Sma20,
        Indicator::Sma50,
        Indicator::Sma200,
        Indicator::Ema12,
        Indicator::Ema26,
        Indicator::Bollinger,
        Indicator::Rsi,
        Indicator::Macd,
        Indicator::Volume,
    ];

    /// The name in storage and query strings.
    pub fn as_str(self) -> &'static str {
        match self {
            Indicator::Sma20 => "sma20",
            Indicator::Sma50 => "sma50",
            Indicator::Sma200 => "sma200",
            Indicator::Ema12 => "ema12",
            Indicator::Ema26 => "ema26",
            Indicator::Bollinger => "bollinger",
            Indicator::Rsi => "rsi",
            Indicator::Macd => "macd",
            Indicator::Volume => "volume",
        }
    }

    /// The menu label.
    pub fn label(self) -> &'static str {
        match self {
            Indicator::Sma20 => "SMA 20",
            Indicator::Sma50 => "SMA 50",
            Indicator::Sma200 => "SMA 200",
            Indicator::Ema12 => "EMA 12",
            Indicator::Ema26 => "EMA 26",
            Indicator::Bollinger => "Bollinger 20/2",
            Indicator::Rsi => "RSI 14",
            Indicator::Macd => "MACD 12/26/9",
            Indicator::Volume => "Volume",
        }
    }

    /// Drawn in a pane beneath the prices rather than over them.
    pub fn is_pane(self) -> bool {
        matches!(self, Indicator::Rsi | Indicator::Macd | Indicator::Volume)
    }

    /// Parses a storage name.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|i| i.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("Unknown indicator `{s}`."))
    }

    fn bit(self) -> u16 {
        1 << Self::ALL.iter().position(|i| *i == self).unwrap_or(0)
    }
}

/// The indicators switched on. Stored as a comma-separated list (`sma50,rsi`); unknown names in a
/// stored list are skipped, so an old list survives a renamed indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct IndicatorSet(u16);

impl Default for IndicatorSet {
    /// Volume only: the chart a first visit sees.
    fn default() -> Self {
        IndicatorSet(Indicator::Volume.bit())
    }
}

impl IndicatorSet {
    /// Nothing switched on.
    pub fn empty() -> Self {
        IndicatorSet(0)
    }

    /// Whether `i` is on.
    pub fn contains(self, i: Indicator) -> bool {
        self.0 & i.bit() != 0
    }

    /// This set with `i` switched on or off.
    pub fn with(self, i: Indicator, on: bool) -> Self {
        if on {
            IndicatorSet(self.0 | i.bit())
        } else {
            IndicatorSet(self.0 & !i.bit())
        }
    }

    /// The indicators on, in menu order.
    pub fn iter(self) -> impl Iterator<Item = Indicator> {
        Indicator::ALL
            .into_iter()
            .filter(move |i| self.contains(*i))
    }

    /// The panes on, in menu order.
    pub fn panes(self) -> Vec<Indicator> {
        self.iter().filter(|i| i.is_pane()).collect()
    }

    /// Reads a stored list, skipping names it does not know.
    pub fn from_list(list: &str) -> Self {
        list.split(',')
            .filter_map(|name| Indicator::parse(name).ok())
            .fold(Self::empty(), |set, i| set.with(i, true))
    }

    /// Parses a list from a request: every name must be known (an empty list is no indicator).
    pub fn parse_list(list: &str) -> Result<Self, String> {
        if list.len() > 200 {
            return Err("Too many indicators.".into());
        }
        list.split(',')
            .filter(|name| !name.trim().is_empty())
            .try_fold(Self::empty(), |set, name| {
                Ok(set.with(Indicator::parse(name)?, true))
            })
    }

    /// The list to store.
    pub fn to_list(self) -> String {
        self.iter()
            .map(Indicator::as_str)
            .collect::<Vec<_>>()
            .join(",")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_set_round_trips_through_its_stored_list_and_skips_unknown_names() {
        let set = IndicatorSet::empty()
            .with(Indicator::Rsi, true)
            .with(Indicator::Sma50, true);
        assert_eq!(set.to_list(), "sma50,rsi");
        assert_eq!(IndicatorSet::from_list("sma50,rsi"), set);
        assert_eq!(IndicatorSet::from_list("rsi, wma9 ,SMA50"), set);
        assert_eq!(set.with(Indicator::Rsi, false).to_list(), "sma50");
        assert_eq!(set.panes(), [Indicator::Rsi]);
        assert_eq!(IndicatorSet::default().to_list(), "volume");
        assert_eq!(IndicatorSet::from_list(""), IndicatorSet::empty());
        assert_eq!(IndicatorSet::parse_list("sma50,rsi"), Ok(set));
        assert_eq!(IndicatorSet::parse_list(""), Ok(IndicatorSet::empty()));
        assert!(IndicatorSet::parse_list("rsi,wma9").is_err());
    }
}
