//! Alert rules as a person sets them: which price level, which way, once or again after a pause.

use std::fmt;

use serde::{Deserialize, Serialize};

use forecast::ModelId;

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

/// What an alert watches for. It is read from JSON through [`AlertRule::parse`], so the API
/// takes exactly what a form takes.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", try_from = "RawRule")]
pub enum AlertRule {
    /// A daily close at or above the level after one below it.
    PriceAbove {
        /// The price.
        level: PriceLevel,
    },
    /// A daily close at or below the level after one above it.
    PriceBelow {
        /// The price.
        level: PriceLevel,
    },
    /// A daily close outside the 95% range the model forecast for it the session before.
    OutsideRange {
        /// A trained model.
        model: ModelId,
    },
    /// The model's one-day signal changes (BUY or SELL are shown only where its skill is
    /// significant, so a change means it found or lost an edge).
    SignalChange {
        /// A trained model.
        model: ModelId,
    },
    /// The model's live error (MAE over the random walk's on its last 20 filled one-day
    /// forecasts) drifts past its walk-forward error.
    Drift {
        /// A trained model.
        model: ModelId,
    },
}

/// A rule as JSON carries it, before it is checked.
#[derive(Deserialize)]
struct RawRule {
    rule: String,
    level: Option<f64>,
    model: Option<String>,
}

impl TryFrom<RawRule> for AlertRule {
    type Error = String;
    fn try_from(raw: RawRule) -> Result<Self, String> {
        AlertRule::from_parts(&raw.rule, raw.level, raw.model.as_deref())
    }
}

impl AlertRule {
    /// A rule from its name, numeric level and model, as JSON and the database hold them,
    /// through the same checks as [`AlertRule::parse`].
    pub fn from_parts(rule: &str, level: Option<f64>, model: Option<&str>) -> Result<Self, String> {
        let level = level.map(|l| l.to_string());
        AlertRule::parse(rule, level.as_deref(), model)
    }

    /// Parses a rule's name with its level (price rules) or model (model rules), as a form, the
    /// API or the command line sends them.
    pub fn parse(rule: &str, level: Option<&str>, model: Option<&str>) -> Result<Self, String> {
        let given = |v: Option<&str>| v.is_some_and(|v| !v.trim().is_empty());
        let price = matches!(rule.trim(), "price_above" | "price_below");
        if price && given(model) {
            return Err("A price rule takes a level, not a model.".to_owned());
        }
        if !price && given(level) {
            return Err("A model rule takes a model, not a level.".to_owned());
        }
        let level = || {
            level
                .filter(|l| !l.trim().is_empty())
                .ok_or_else(|| "A price rule needs a level.".to_owned())
                .and_then(PriceLevel::parse)
        };
        let model = || {
            let raw = model
                .filter(|m| !m.trim().is_empty())
                .ok_or_else(|| "A model rule needs a model.".to_owned())?;
            let id: ModelId = raw.trim().parse().map_err(|_| {
                format!(
                    "`{}` is not a model.",
                    raw.chars().take(24).collect::<String>()
                )
            })?;
            if id.is_baseline() || !ModelId::served().contains(&id) {
                return Err(format!(
                    "{id} is not a trained model served here: choose one of {}.",
                    ModelId::served()
                        .iter()
                        .filter(|m| !m.is_baseline())
                        .map(|m| m.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            }
            Ok(id)
        };
        match rule.trim() {
            "price_above" => Ok(AlertRule::PriceAbove { level: level()? }),
            "price_below" => Ok(AlertRule::PriceBelow { level: level()? }),
            "outside_range" => Ok(AlertRule::OutsideRange { model: model()? }),
            "signal_change" => Ok(AlertRule::SignalChange { model: model()? }),
            "drift" => Ok(AlertRule::Drift { model: model()? }),
            other => Err(format!(
                "`{}` is not an alert rule: choose price_above, price_below, outside_range, \
                 signal_change or drift.",
                other.chars().take(24).collect::<String>()
            )),
        }
    }

    /// The rule's name as stored and sent.
    pub fn name(self) -> &'static str {
        match self {
            AlertRule::PriceAbove { .. } => "price_above",
            AlertRule::PriceBelow { .. } => "price_below",
            AlertRule::OutsideRange { .. } => "outside_range",
            AlertRule::SignalChange { .. } => "signal_change",
            AlertRule::Drift { .. } => "drift",
        }
    }

    /// The level a price rule watches.
    pub fn level(self) -> Option<PriceLevel> {
        match self {
            AlertRule::PriceAbove { level } | AlertRule::PriceBelow { level } => Some(level),
            _ => None,
        }
    }

    /// The model a model rule watches.
    pub fn model(self) -> Option<ModelId> {
        match self {
            AlertRule::OutsideRange { model }
            | AlertRule::SignalChange { model }
            | AlertRule::Drift { model } => Some(model),
            _ => None,
        }
    }

    /// Whether the move from the close `before` to the close `now` crosses a price rule's level
    /// its way (never, for a model rule).
    pub fn crossed(self, before: f64, now: f64) -> bool {
        match self {
            AlertRule::PriceAbove { level } => before < level.get() && now >= level.get(),
            AlertRule::PriceBelow { level } => before > level.get() && now <= level.get(),
            _ => false,
        }
    }

    /// The rule in words: "closes at or above 200.00".
    pub fn describe(self) -> String {
        match self {
            AlertRule::PriceAbove { level } => format!("closes at or above {:.2}", level.get()),
            AlertRule::PriceBelow { level } => format!("closes at or below {:.2}", level.get()),
            AlertRule::OutsideRange { model } => {
                format!("closes outside {model}'s 95% range")
            }
            AlertRule::SignalChange { model } => format!("{model}'s 1-day signal changes"),
            AlertRule::Drift { model } => {
                format!("{model}'s live error drifts past its walk-forward error")
            }
        }
    }
}

/// How long a repeating alert stays quiet after it fires: 1 hour to 30 days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "f64", into = "u32")]
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

/// JSON numbers: `24` and `24.0` are the same whole number of hours; `1.5` is not one.
impl TryFrom<f64> for CooldownHours {
    type Error = String;
    fn try_from(hours: f64) -> Result<Self, String> {
        if hours.fract() != 0.0 || !(0.0..=u32::MAX as f64).contains(&hours) {
            return Err("The cool-down must be a whole number of hours.".to_owned());
        }
        Self::new(hours as u32)
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
        let above = AlertRule::PriceAbove {
            level: level(200.0),
        };
        assert!(above.crossed(199.0, 200.0));
        assert!(above.crossed(150.0, 250.0));
        assert!(!above.crossed(201.0, 205.0), "already above: no crossing");
        assert!(!above.crossed(205.0, 190.0));
        let below = AlertRule::PriceBelow {
            level: level(100.0),
        };
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
        assert_eq!(
            serde_json::from_str::<CooldownHours>("24.0").unwrap().get(),
            24
        );
        assert!(serde_json::from_str::<CooldownHours>("1.5").is_err());
    }

    #[test]
    fn rules_parse_by_name_and_travel_as_name_and_level_or_model() {
        let rule = AlertRule::parse("price_below", Some("90.5"), None).unwrap();
        assert_eq!(rule.name(), "price_below");
        let json = serde_json::to_value(rule).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"rule": "price_below", "level": 90.5})
        );
        assert_eq!(serde_json::from_value::<AlertRule>(json).unwrap(), rule);
        assert_eq!(rule.describe(), "closes at or below 90.50");
        assert!(AlertRule::parse("price_sideways", Some("1"), None).is_err());
        assert!(AlertRule::parse("price_above", None, None).is_err());

        let range = AlertRule::parse("outside_range", None, Some("autoarima")).unwrap();
        assert_eq!(
            serde_json::to_value(range).unwrap(),
            serde_json::json!({"rule": "outside_range", "model": "autoarima"})
        );
        assert_eq!(range.model(), Some(ModelId::Autoarima));
        assert!(
            !range.crossed(1.0, 100.0),
            "a model rule never crosses a level"
        );
        let err = AlertRule::parse("signal_change", None, Some("naive")).unwrap_err();
        assert!(err.contains("not a trained model"), "{err}");
        assert!(AlertRule::parse("signal_change", None, Some("oracle")).is_err());
        assert!(AlertRule::parse("signal_change", None, None).is_err());
        assert!(AlertRule::parse("signal_change", Some("5"), Some("autoarima")).is_err());
        assert!(AlertRule::parse("price_above", Some("5"), Some("autoarima")).is_err());
        // JSON goes through the same checks.
        let baseline = serde_json::json!({"rule": "outside_range", "model": "naive"});
        assert!(serde_json::from_value::<AlertRule>(baseline).is_err());
        assert!(serde_json::from_value::<AlertRule>(
            serde_json::json!({"rule": "price_above", "level": -1})
        )
        .is_err());
    }
}
