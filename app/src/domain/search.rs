use serde::{Deserialize, Serialize};

/// What a person typed into the ticker search: a name or a symbol, trimmed, 1–40 characters of
/// letters, digits, spaces and `. - ^ & '`. Anything else (markup, wildcards) is refused before it
/// reaches a provider or a `LIKE` pattern.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SearchText(String);

/// The longest search text accepted.
pub const MAX_SEARCH_LEN: usize = 40;

impl SearchText {
    /// Parses user input; inner runs of spaces become one.
    pub fn parse(input: &str) -> Result<SearchText, String> {
        let s = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if s.is_empty() {
            return Err("Type a company name or a ticker symbol to search for.".into());
        }
        if s.chars().count() > MAX_SEARCH_LEN {
            return Err(format!(
                "A search is at most {MAX_SEARCH_LEN} characters; this one has {}.",
                s.chars().count()
            ));
        }
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_alphanumeric() || matches!(c, ' ' | '.' | '-' | '^' | '&' | '\'')))
        {
            return Err(format!(
                "`{bad}` cannot be searched for: use letters, digits, spaces and . - ^ & '."
            ));
        }
        Ok(SearchText(s))
    }

    /// The text as parsed.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The text as a ticker symbol, when it could be one (`aapl` → `AAPL`).
    pub fn as_symbol(&self) -> Option<super::Symbol> {
        super::Symbol::parse(&self.0).ok()
    }
}

impl TryFrom<String> for SearchText {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        SearchText::parse(&s)
    }
}

impl From<SearchText> for String {
    fn from(s: SearchText) -> String {
        s.0
    }
}

impl std::fmt::Display for SearchText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_symbols_are_accepted_and_spaces_collapsed() {
        assert_eq!(
            SearchText::parse("  apple   inc ").unwrap().as_str(),
            "apple inc"
        );
        assert_eq!(SearchText::parse("BRK.B").unwrap().as_str(), "BRK.B");
        assert_eq!(SearchText::parse("AT&T").unwrap().as_str(), "AT&T");
        assert_eq!(
            SearchText::parse("aapl")
                .unwrap()
                .as_symbol()
                .unwrap()
                .as_str(),
            "AAPL"
        );
        assert!(SearchText::parse("apple inc")
            .unwrap()
            .as_symbol()
            .is_none());
    }

    #[test]
    fn company_names_in_any_script_and_their_punctuation_are_accepted() {
        for ok in ["a", "BRK-B", "^GSPC", "brk.b", "Nestlé", "3M", "McDonald's"] {
            assert_eq!(SearchText::parse(ok).unwrap().as_str(), ok);
        }
        // Counted in characters, not bytes.
        assert!(SearchText::parse(&"é".repeat(40)).is_ok());
        assert_eq!(
            serde_json::from_str::<SearchText>("\" apple \"")
                .unwrap()
                .as_str(),
            "apple"
        );
        assert!(serde_json::from_str::<SearchText>("\"a=b\"").is_err());
    }

    #[test]
    fn empty_long_and_unsafe_text_is_refused_with_a_reason() {
        for (bad, c) in [
            ("EURUSD=X", '='),
            ("apple; drop", ';'),
            ("a/b", '/'),
            ("q%20", '%'),
        ] {
            assert!(SearchText::parse(bad).unwrap_err().contains(c), "{bad}");
        }
        assert!(SearchText::parse("   ").is_err());
        assert!(SearchText::parse(&"a".repeat(41))
            .unwrap_err()
            .contains("41"));
        assert!(SearchText::parse("app%").unwrap_err().contains('%'));
        assert!(SearchText::parse("<script>").is_err());
        assert!(SearchText::parse("a_b").is_err());
        assert_eq!(
            SearchText::parse(&"a".repeat(40)).unwrap().as_str().len(),
            40
        );
    }
}
