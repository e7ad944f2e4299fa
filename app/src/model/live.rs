//! Wire types of the live loop: alert rules, the notifications they fire, and the events a
//! stream carries.

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::JobStatus;
use crate::domain::{AlertId, AlertRule, CooldownHours, EventKind, Symbol, UserId};

/// An alert rule as its owner sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Alert {
    /// Its id.
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = Uuid))]
    pub id: AlertId,
    /// The ticker it watches.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub symbol: Symbol,
    /// The rule: `price_above`/`price_below` with a `level`, `outside_range`/`signal_change` with
    /// a `model`.
    #[serde(flatten)]
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub rule: AlertRule,
    /// Hours of quiet after firing for a repeating alert; `null`: it fires once.
    #[cfg_attr(feature = "ssr", schema(value_type = Option<u32>))]
    pub repeat_hours: Option<CooldownHours>,
    /// Whether it still watches (a one-shot alert stops once it fired).
    pub active: bool,
    /// The rule in words.
    pub description: String,
    /// When it was set.
    pub created_at: DateTime<Utc>,
    /// When it last fired.
    pub last_fired_at: Option<DateTime<Utc>>,
}

/// A new alert rule.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct NewAlert {
    /// The ticker to watch.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub symbol: Symbol,
    /// `{"rule": "price_above", "level": 200}` (or `price_below`), or `{"rule": "outside_range",
    /// "model": "arima111"}` (or `signal_change`).
    #[serde(flatten)]
    #[cfg_attr(feature = "ssr", schema(value_type = Object))]
    pub rule: AlertRule,
    /// Fire again after this many hours (1–720); absent: once.
    #[serde(default)]
    #[cfg_attr(feature = "ssr", schema(value_type = Option<u32>))]
    pub repeat_hours: Option<CooldownHours>,
}

/// An alert that fired, with the values that made it fire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Notification {
    /// Its number (increasing).
    pub id: i64,
    /// The rule that fired.
    #[cfg_attr(feature = "ssr", schema(value_type = String, format = Uuid))]
    pub alert: AlertId,
    /// The ticker.
    #[cfg_attr(feature = "ssr", schema(value_type = String))]
    pub symbol: Symbol,
    /// What happened, in words.
    pub message: String,
    /// The session whose close fired it.
    pub date: NaiveDate,
    /// That close.
    pub close: f64,
    /// The close before it.
    pub previous_close: f64,
    /// A price rule's level.
    pub level: Option<f64>,
    /// When it fired.
    pub fired_at: DateTime<Utc>,
    /// Whether its owner has seen it.
    pub read: bool,
}

/// The newest notifications and how many are unread.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Notifications {
    /// Unread, of all of them.
    pub unread: i64,
    /// Newest first.
    pub items: Vec<Notification>,
}

/// Something that happened, as the event bus carries it between processes and a stream sends it
/// (the `data:` of each Server-Sent Event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LiveEvent {
    /// Daily bars were added or corrected: the quote changed.
    BarsChanged {
        /// The ticker.
        symbol: Symbol,
    },
    /// Predictions were recorded, or a model version was promoted or rolled back.
    PredictionsChanged {
        /// The ticker.
        symbol: Symbol,
    },
    /// A background job moved on, finished or failed.
    Job {
        /// The ticker it works on.
        symbol: Symbol,
        /// `train`, `predict`, `refresh` or `backtest`.
        activity: String,
        /// Its state as a poll would answer.
        job: JobStatus,
    },
    /// One of a user's alerts fired (sent to that user only).
    AlertFired {
        /// The owner.
        user: UserId,
        /// What fired.
        notification: Notification,
    },
    /// A market-data provider's circuit opened (it is skipped) or closed again.
    Circuit {
        /// The provider.
        provider: String,
        /// Open: calls to it are refused for a while.
        open: bool,
    },
    /// Events may have been missed: refetch whatever was derived from earlier ones.
    Resync,
}

impl LiveEvent {
    /// The symbol the event is about, if any.
    pub fn symbol(&self) -> Option<&Symbol> {
        match self {
            LiveEvent::BarsChanged { symbol }
            | LiveEvent::PredictionsChanged { symbol }
            | LiveEvent::Job { symbol, .. } => Some(symbol),
            LiveEvent::AlertFired { notification, .. } => Some(&notification.symbol),
            LiveEvent::Circuit { .. } | LiveEvent::Resync => None,
        }
    }

    /// Its kind, as a stream filters it; `None` for [`LiveEvent::Resync`], which every stream gets.
    pub fn kind(&self) -> Option<EventKind> {
        match self {
            LiveEvent::BarsChanged { .. } => Some(EventKind::Bars),
            LiveEvent::PredictionsChanged { .. } => Some(EventKind::Predictions),
            LiveEvent::Job { .. } => Some(EventKind::Job),
            LiveEvent::AlertFired { .. } => Some(EventKind::Alert),
            LiveEvent::Circuit { .. } => Some(EventKind::Circuit),
            LiveEvent::Resync => None,
        }
    }

    /// Whether `user` may see it: a fired alert only its owner; everything else anyone.
    pub fn visible_to(&self, user: Option<UserId>) -> bool {
        match self {
            LiveEvent::AlertFired { user: owner, .. } => user == Some(*owner),
            _ => true,
        }
    }

    /// The symbol whose derived answers (quotes, series, predictions) it makes stale; `Some(None)`
    /// for everything, `None` when it changes nothing cached.
    pub fn stales(&self) -> Option<Option<&Symbol>> {
        match self {
            LiveEvent::BarsChanged { symbol } | LiveEvent::PredictionsChanged { symbol } => {
                Some(Some(symbol))
            }
            LiveEvent::Resync => Some(None),
            LiveEvent::Job { .. } | LiveEvent::AlertFired { .. } | LiveEvent::Circuit { .. } => {
                None
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{JobId, JobState, PriceLevel};

    fn notification(symbol: &str) -> Notification {
        Notification {
            id: 1,
            alert: AlertId::from(uuid::Uuid::nil()),
            symbol: Symbol::parse(symbol).unwrap(),
            message: "AAPL closed at 201.00, at or above 200.00".into(),
            date: NaiveDate::from_ymd_opt(2026, 11, 27).unwrap(),
            close: 201.0,
            previous_close: 199.0,
            level: Some(200.0),
            fired_at: DateTime::<Utc>::UNIX_EPOCH,
            read: false,
        }
    }

    #[test]
    fn a_fired_alert_is_seen_by_its_owner_alone() {
        let owner = UserId::from(uuid::Uuid::from_u128(1));
        let event = LiveEvent::AlertFired {
            user: owner,
            notification: notification("AAPL"),
        };
        assert!(event.visible_to(Some(owner)));
        assert!(!event.visible_to(Some(UserId::from(uuid::Uuid::from_u128(2)))));
        assert!(!event.visible_to(None));
        assert!(LiveEvent::Resync.visible_to(None));
    }

    #[test]
    fn only_data_changes_make_answers_stale() {
        let s = Symbol::parse("AAPL").unwrap();
        let job = LiveEvent::Job {
            symbol: s.clone(),
            activity: "train".into(),
            job: JobStatus {
                id: JobId::from(uuid::Uuid::nil()),
                status: JobState::Running,
                progress: 40,
                step: None,
                error: None,
            },
        };
        assert_eq!(job.stales(), None);
        assert_eq!(job.kind(), Some(EventKind::Job));
        assert_eq!(
            LiveEvent::BarsChanged { symbol: s.clone() }.stales(),
            Some(Some(&s))
        );
        assert_eq!(LiveEvent::Resync.stales(), Some(None));
    }

    #[test]
    fn events_travel_tagged_by_kind() {
        let event = LiveEvent::BarsChanged {
            symbol: Symbol::parse("MSFT").unwrap(),
        };
        let json = serde_json::to_value(&event).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"kind": "bars_changed", "symbol": "MSFT"})
        );
        let rule: NewAlert = serde_json::from_value(serde_json::json!({
            "symbol": "AAPL", "rule": "price_above", "level": 200.0
        }))
        .unwrap();
        assert_eq!(
            rule.rule,
            AlertRule::PriceAbove {
                level: PriceLevel::new(200.0).unwrap()
            }
        );
        assert_eq!(rule.repeat_hours, None);
    }
}
