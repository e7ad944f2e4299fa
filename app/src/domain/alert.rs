//! Alert rules as a person sets them: which price level, which way, once or again after a pause.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An alert rule's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct AlertId(uuid::Uuid);

impl AlertId {
    /// A new random id (rules are created on the server).
    #[cfg(feature = "ssr")]
    pub fn random() -> Self {
        AlertId(uuid::Uuid::new_v4())
    }

    /// Parses the id in a path.
    pub fn parse(raw: &str) -> Result<Self, String> {
        uuid::Uuid::parse_str(raw.trim())
            .map(AlertId)
            .map_err(|_| "That is not an alert id.".to_owned())
    }

    /// The UUID.
    pub fn as_uuid(&self) -> uuid::Uuid {
        self.0
    }
}

impl From<uuid::Uuid> for AlertId {
    fn from(id: uuid::Uuid) -> Self {
        AlertId(id)
    }
}

impl fmt::Display for AlertId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A price an alert watches: positive, finite and below ten million.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "f64")]
pub struct PriceLevel(f64);

impl PriceLevel {
    /// The highest level a rule may name.
    pub const MAX: f64 = 10_000_000.0;

    /// Parses a level.
    pub fn new(level: f64) -> Result<Self, String> {
        if level.is_finite() && level > 0.0 && level < Self::MAX {
            Ok(PriceLevel(level))
        } else {
            Err("The price level must be a positive number below 10,000,000.".to_owned())
        }
    }

    /// Parses a level as typed in a form.
    pub fn parse(raw: &str) -> Result<Self, String> {
        raw.trim()
            .trim_start_matches('$')
            .replace(',', "")
            .parse::<f64>()
            .map_err(|_| {
                format!(
                    "`{}` is not a price.",
                    raw.chars().take(24).collect::<String>()
                )
            })
            .and_then(Self::new)
    }

    /// The level.
    pub fn get(self) -> f64 {
        self.0
    }
}

impl TryFrom<f64> for PriceLevel {
    type Error = String;
    fn try_from(level: f64) -> Result<Self, String> {
        Self::new(level)
    }
}

impl From<PriceLevel> for f64 {
    fn from(level: PriceLevel) -> f64 {
        level.0
    }
}

/// What an alert watches for.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", content = "level", rename_all = "snake_case")]
pub enum AlertRule {
    /// A daily close at or above the level after one below it.
    PriceAbove(PriceLevel),
    /// A daily close at or below the level after one above it.
    PriceBelow(PriceLevel),
}

impl AlertRule {
    /// Parses a rule's name and level, as a form or the API sends them.
    pub fn parse(rule: &str, level: PriceLevel) -> Result<Self, String> {
        match rule.trim() {
            "price_above" => Ok(AlertRule::PriceAbove(level)),
            "price_below" => Ok(AlertRule::PriceBelow(level)),
            other => Err(format!(
                "`{}` is not an alert rule: choose price_above or price_below.",
                other.chars().take(24).collect::<String>()
            )),
        }
    }

    /// The rule's name as stored and sent.
    pub fn name(self) -> &'static str {
        match self {
            AlertRule::PriceAbove(_) => "price_above",
            AlertRule::PriceBelow(_) => "price_below",
        }
    }

    /// The level it watches.
    pub fn level(self) -> PriceLevel {
        match self {
            AlertRule::PriceAbove(l) | AlertRule::PriceBelow(l) => l,
        }
    }

    /// Whether the move from the close `before` to the close `now` crosses the level this way.
    pub fn crossed(self, before: f64, now: f64) -> bool {
        match self {
            AlertRule::PriceAbove(l) => before < l.get() && now >= l.get(),
            AlertRule::PriceBelow(l) => before > l.get() && now <= l.get(),
        }
    }

    /// The rule in words: "closes above 200.00".
    pub fn describe(self) -> String {
        match self {
            AlertRule::PriceAbove(l) => format!("closes at or above {:.2}", l.get()),
            AlertRule::PriceBelow(l) => format!("closes at or below {:.2}", l.get()),
        }
    }
}

/// How long a repeating alert stays quiet after it fires: 1 hour to 30 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct CooldownHours(u32);

impl CooldownHours {
    /// Parses a number of hours.
    pub fn new(hours: u32) -> Result<Self, String> {
        if (1..=720).contains(&hours) {
            Ok(CooldownHours(hours))
        } else {
            Err("The cool-down must be between 1 and 720 hours.".to_owned())
        }
    }

    /// The hours.
    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for CooldownHours {
    type Error = String;
    fn try_from(hours: u32) -> Result<Self, String> {
        Self::new(hours)
    }
}

impl From<CooldownHours> for u32 {
    fn from(h: CooldownHours) -> u32 {
        h.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn level(x: f64) -> PriceLevel {
        PriceLevel::new(x).unwrap()
    }

    #[test]
    fn a_rule_fires_on_the_crossing_not_while_beyond() {
        let above = AlertRule::PriceAbove(level(200.0));
        assert!(above.crossed(199.0, 200.0));
        assert!(above.crossed(150.0, 250.0));
        assert!(!above.crossed(201.0, 205.0), "already above: no crossing");
        assert!(!above.crossed(205.0, 190.0));
        let below = AlertRule::PriceBelow(level(100.0));
        assert!(below.crossed(101.0, 100.0));
        assert!(!below.crossed(99.0, 98.0));
        assert!(!below.crossed(99.0, 120.0));
    }

    #[test]
    fn levels_and_cool_downs_refuse_nonsense() {
        for bad in [0.0, -1.0, f64::NAN, f64::INFINITY, 1e8] {
            assert!(PriceLevel::new(bad).is_err(), "{bad}");
        }
        assert_eq!(PriceLevel::parse(" $1,234.5 ").unwrap().get(), 1234.5);
        assert!(PriceLevel::parse("abc").is_err());
        assert!(CooldownHours::new(0).is_err() && CooldownHours::new(721).is_err());
        assert!(serde_json::from_str::<PriceLevel>("-3").is_err());
    }

    #[test]
    fn rules_parse_by_name_and_travel_as_name_and_level() {
        let rule = AlertRule::parse("price_below", level(90.5)).unwrap();
        assert_eq!(rule.name(), "price_below");
        let json = serde_json::to_value(rule).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"rule": "price_below", "level": 90.5})
        );
        assert_eq!(serde_json::from_value::<AlertRule>(json).unwrap(), rule);
        assert!(AlertRule::parse("price_sideways", level(1.0)).is_err());
        assert_eq!(rule.describe(), "closes at or below 90.50");
    }
}
