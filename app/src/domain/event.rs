//! What a live-event stream is asked for: which kinds of event, and where to resume.

use std::fmt;

/// The kinds of event a stream carries, as named in `?kind=` and in each event's `event:` line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// New daily bars for a symbol (its quote changed).
    Bars,
    /// New predictions for a symbol, or a model version promoted or rolled back.
    Predictions,
    /// A background job's progress and completion.
    Job,
    /// One of the caller's alerts fired.
    Alert,
    /// A market-data provider's circuit opened or closed.
    Circuit,
}

impl EventKind {
    /// Every kind, in the order the documentation lists them.
    pub const ALL: [EventKind; 5] = [
        EventKind::Bars,
        EventKind::Predictions,
        EventKind::Job,
        EventKind::Alert,
        EventKind::Circuit,
    ];

    /// The name used in `?kind=` and on the wire.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Bars => "bars",
            EventKind::Predictions => "predictions",
            EventKind::Job => "job",
            EventKind::Alert => "alert",
            EventKind::Circuit => "circuit",
        }
    }

    fn parse(raw: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == raw)
            .ok_or_else(|| {
                format!(
                    "`{}` is not an event kind: choose from bars, predictions, job, alert, circuit.",
                    raw.chars().take(24).collect::<String>()
                )
            })
    }
}

/// A set of event kinds (`?kind=bars,job`); absent or empty means every kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventKinds(u8);

impl EventKinds {
    /// Every kind.
    pub const EVERY: EventKinds = EventKinds(0b1_1111);

    /// Parses a comma-separated list of kinds.
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
            return Ok(Self::EVERY);
        };
        let mut bits = 0u8;
        for part in raw.split(',') {
            bits |= 1 << EventKind::parse(part.trim())? as u8;
        }
        Ok(EventKinds(bits))
    }

    /// Whether `kind` is in the set.
    pub fn contains(self, kind: EventKind) -> bool {
        self.0 & (1 << kind as u8) != 0
    }
}

/// Where an event sits in the shared, ordered event log: milliseconds and a sequence within them,
/// written `1764300000000-0` (the `id:` of each streamed event, and the `Last-Event-ID` a client
/// resumes from). Ids order events the same way on every instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct EventId {
    ms: u64,
    seq: u64,
}

impl EventId {
    /// The id of the `seq`th event in millisecond `ms`.
    pub fn new(ms: u64, seq: u64) -> Self {
        EventId { ms, seq }
    }

    /// Parses `ms-seq`, as the log writes it.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let bad = || {
            format!(
                "`{}` is not an event id (like 1764300000000-0).",
                raw.chars().take(40).collect::<String>()
            )
        };
        let (ms, seq) = raw.trim().split_once('-').ok_or_else(bad)?;
        let number = |s: &str| {
            (!s.is_empty() && s.len() <= 20 && s.bytes().all(|b| b.is_ascii_digit()))
                .then(|| s.parse::<u64>().ok())
                .flatten()
        };
        match (number(ms), number(seq)) {
            (Some(ms), Some(seq)) => Ok(EventId { ms, seq }),
            _ => Err(bad()),
        }
    }
}

impl fmt::Display for EventId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.ms, self.seq)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_parse_from_a_list_and_default_to_all() {
        let some = EventKinds::parse(Some("bars, job")).unwrap();
        assert!(some.contains(EventKind::Bars) && some.contains(EventKind::Job));
        assert!(!some.contains(EventKind::Alert));
        assert_eq!(EventKinds::parse(None).unwrap(), EventKinds::EVERY);
        assert_eq!(EventKinds::parse(Some(" ")).unwrap(), EventKinds::EVERY);
        for k in EventKind::ALL {
            assert!(EventKinds::EVERY.contains(k));
        }
        assert!(EventKinds::parse(Some("bars,weather"))
            .unwrap_err()
            .contains("weather"));
    }

    #[test]
    fn ids_round_trip_and_order_by_time_then_sequence() {
        let id = EventId::parse("1764300000000-7").unwrap();
        assert_eq!(id.to_string(), "1764300000000-7");
        assert!(EventId::new(5, 9) < EventId::new(6, 0));
        assert!(EventId::new(6, 0) < EventId::new(6, 1));
        for bad in [
            "",
            "12",
            "-1",
            "1-",
            "a-1",
            "1-2-3",
            "+1-2",
            "99999999999999999999999-0",
        ] {
            assert!(EventId::parse(bad).is_err(), "{bad}");
        }
    }
}
