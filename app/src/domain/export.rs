use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// What a download holds: the price history (raw and adjusted), the recorded predictions with
/// their actuals, or the models' walk-forward records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportKind {
    /// Daily bars, raw and split- and dividend-adjusted.
    Prices,
    /// Every recorded prediction beside what happened.
    Predictions,
    /// Each model version's walk-forward record per horizon.
    Evaluation,
}

impl ExportKind {
    /// Parses the path segment (`prices`, `predictions`, `evaluation`).
    pub fn parse(raw: &str) -> Result<Self, String> {
        match raw {
            "prices" => Ok(ExportKind::Prices),
            "predictions" => Ok(ExportKind::Predictions),
            "evaluation" => Ok(ExportKind::Evaluation),
            other => Err(format!(
                "`{}` cannot be exported: choose prices, predictions or evaluation.",
                other.chars().take(24).collect::<String>()
            )),
        }
    }

    /// The segment, as in the URL and the file name.
    pub fn as_str(self) -> &'static str {
        match self {
            ExportKind::Prices => "prices",
            ExportKind::Predictions => "predictions",
            ExportKind::Evaluation => "evaluation",
        }
    }
}

/// The file format of a download.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExportFormat {
    /// Comma-separated values with a header row (the default).
    #[default]
    Csv,
    /// A JSON array of objects with the same fields.
    Json,
}

impl ExportFormat {
    /// Parses `?format=`; absent means CSV, present but empty is no format.
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        match raw.map(str::trim) {
            None | Some("csv") => Ok(ExportFormat::Csv),
            Some("json") => Ok(ExportFormat::Json),
            Some(other) => Err(format!(
                "`{}` is not a download format: choose csv or json.",
                other.chars().take(24).collect::<String>()
            )),
        }
    }

    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Csv => "csv",
            ExportFormat::Json => "json",
        }
    }
}

/// The days a download covers (`?from=&to=`, both inclusive and optional), checked once.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct DateWindow {
    /// First day, if bounded.
    pub from: Option<NaiveDate>,
    /// Last day, if bounded.
    pub to: Option<NaiveDate>,
}

impl DateWindow {
    /// Parses `YYYY-MM-DD` bounds (absent: unbounded; present but empty is not a date);
    /// `from` after `to` is refused.
    pub fn parse(from: Option<&str>, to: Option<&str>) -> Result<Self, String> {
        let day = |name: &str, raw: Option<&str>| -> Result<Option<NaiveDate>, String> {
            match raw.map(str::trim) {
                None => Ok(None),
                Some(s) => NaiveDate::parse_from_str(s, "%Y-%m-%d")
                    .map(Some)
                    .map_err(|_| {
                        format!(
                            "`{name}` must be a date as YYYY-MM-DD, not `{}`.",
                            s.chars().take(24).collect::<String>()
                        )
                    }),
            }
        };
        let window = DateWindow {
            from: day("from", from)?,
            to: day("to", to)?,
        };
        if let (Some(f), Some(t)) = (window.from, window.to) {
            if f > t {
                return Err(format!("`from` ({f}) is after `to` ({t})."));
            }
        }
        Ok(window)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_formats_and_windows_parse_once_with_reasons() {
        assert_eq!(ExportKind::parse("prices").unwrap(), ExportKind::Prices);
        assert!(ExportKind::parse("secrets").unwrap_err().contains("prices"));
        assert_eq!(ExportFormat::parse(None).unwrap(), ExportFormat::Csv);
        assert_eq!(
            ExportFormat::parse(Some("json")).unwrap(),
            ExportFormat::Json
        );
        assert!(ExportFormat::parse(Some("xlsx")).is_err());
        assert!(ExportFormat::parse(Some("")).is_err());
        let w = DateWindow::parse(Some("2012-01-03"), Some("2012-12-31")).unwrap();
        assert_eq!(w.from.unwrap().to_string(), "2012-01-03");
        assert!(DateWindow::parse(Some("2013-01-01"), Some("2012-01-01")).is_err());
        assert!(DateWindow::parse(Some("yesterday"), None)
            .unwrap_err()
            .contains("from"));
        assert_eq!(
            DateWindow::parse(None, None).unwrap(),
            DateWindow::default()
        );
        assert!(DateWindow::parse(Some(""), None).is_err());
    }
}
