use serde::{Deserialize, Serialize};

/// An instrument's name as a person gives it (for an imported ticker): trimmed, 1–120 characters,
/// no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TickerName(String);

/// The longest name accepted.
pub const MAX_TICKER_NAME_LEN: usize = 120;

impl TickerName {
    /// Parses a name; blank input is `Ok(None)`, since a name is optional wherever it is asked.
    pub fn parse_optional(input: Option<&str>) -> Result<Option<TickerName>, String> {
        match input.map(str::trim) {
            None | Some("") => Ok(None),
            Some(name) => TickerName::parse(name).map(Some),
        }
    }

    /// Parses a name that must be there.
    pub fn parse(input: &str) -> Result<TickerName, String> {
        let name = input.trim();
        if name.is_empty() {
            return Err("Enter the instrument's name.".into());
        }
        if name.chars().count() > MAX_TICKER_NAME_LEN {
            return Err(format!(
                "A name is at most {MAX_TICKER_NAME_LEN} characters; this one has {}.",
                name.chars().count()
            ));
        }
        if name.chars().any(char::is_control) {
            return Err("A name cannot hold control characters (line breaks, tabs).".into());
        }
        Ok(TickerName(name.to_owned()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for TickerName {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        TickerName::parse(&s)
    }
}

impl From<TickerName> for String {
    fn from(n: TickerName) -> String {
        n.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_bounded_and_optional_when_blank() {
        assert_eq!(
            TickerName::parse_optional(Some("  Alphabet (imported) "))
                .unwrap()
                .unwrap()
                .as_str(),
            "Alphabet (imported)"
        );
        assert_eq!(TickerName::parse_optional(Some("   ")).unwrap(), None);
        assert_eq!(TickerName::parse_optional(None).unwrap(), None);
        assert!(TickerName::parse(&"x".repeat(120)).is_ok());
        assert!(TickerName::parse(&"x".repeat(121))
            .unwrap_err()
            .contains("121"));
        assert!(TickerName::parse("two\nlines").is_err());
    }
}
