use serde::{Deserialize, Serialize};

/// The chart ranges the stock page offers, counted back from the last bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum ChartRange {
    /// One month.
    #[serde(rename = "1M")]
    M1,
    /// Six months.
    #[serde(rename = "6M")]
    M6,
    /// One year.
    #[default]
    #[serde(rename = "1Y")]
    Y1,
    /// Five years.
    #[serde(rename = "5Y")]
    Y5,
    /// The whole history.
    #[serde(rename = "MAX")]
    Max,
}

impl ChartRange {
    /// Every range, in button order.
    pub const ALL: [ChartRange; 5] = [
        ChartRange::M1,
        ChartRange::M6,
        ChartRange::Y1,
        ChartRange::Y5,
        ChartRange::Max,
    ];

    /// The label and wire name (`1M`, `6M`, `1Y`, `5Y`, `MAX`).
    pub fn as_str(self) -> &'static str {
        match self {
            ChartRange::M1 => "1M",
            ChartRange::M6 => "6M",
            ChartRange::Y1 => "1Y",
            ChartRange::Y5 => "5Y",
            ChartRange::Max => "MAX",
        }
    }

    /// Parses a label, case-insensitively.
    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .into_iter()
            .find(|r| r.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| format!("Unknown range `{s}`: use 1M, 6M, 1Y, 5Y or MAX."))
    }

    /// The first date shown when the last bar is on `last`; `None` = from the start.
    pub fn start(self, last: chrono::NaiveDate) -> Option<chrono::NaiveDate> {
        use chrono::Months;
        match self {
            ChartRange::M1 => last.checked_sub_months(Months::new(1)),
            ChartRange::M6 => last.checked_sub_months(Months::new(6)),
            ChartRange::Y1 => last.checked_sub_months(Months::new(12)),
            ChartRange::Y5 => last.checked_sub_months(Months::new(60)),
            ChartRange::Max => None,
        }
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
        }
        assert_eq!(ChartRange::parse("max").unwrap(), ChartRange::Max);
        assert!(ChartRange::parse("2W").is_err());
    }

    #[test]
    fn ranges_count_back_from_the_last_bar() {
        let last = NaiveDate::from_ymd_opt(2013, 3, 1).unwrap();
        assert_eq!(
            ChartRange::M1.start(last),
            NaiveDate::from_ymd_opt(2013, 2, 1)
        );
        assert_eq!(
            ChartRange::Y5.start(last),
            NaiveDate::from_ymd_opt(2008, 3, 1)
        );
        assert_eq!(ChartRange::Max.start(last), None);
    }
}
