use serde::{Deserialize, Serialize};

/// A ticker symbol: 1–10 characters from `A-Z 0-9 . - ^`, stored upper-case (`^GSPC`, `BRK.B`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "ssr",
    // The rules of `parse`, for API clients (lower case is accepted and upper-cased).
    schema(value_type = String, example = "GOOG", pattern = r"^[A-Za-z0-9.^-]{1,10}$")
)]
#[serde(try_from = "String", into = "String")]
pub struct Symbol(String);

impl Symbol {
    /// Parses user input: trims, upper-cases, decodes `%XX` escapes from URLs, then checks the rules.
    pub fn parse(input: &str) -> Result<Symbol, String> {
        let decoded = percent_decode(input.trim());
        let s = decoded.to_ascii_uppercase();
        if s.is_empty() {
            return Err("Enter a ticker symbol.".into());
        }
        if s.len() > 10 {
            return Err(format!(
                "`{}` is too long for a ticker symbol (at most 10 characters).",
                clip(&s)
            ));
        }
        if let Some(bad) = s
            .chars()
            .find(|c| !(c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '^')))
        {
            return Err(format!(
                "`{}` is not a ticker symbol: `{bad}` is not allowed (letters, digits, `.`, `-`, `^`).",
                clip(&s)
            ));
        }
        Ok(Symbol(s))
    }

    /// The symbol as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The symbol escaped for a URL path segment (`^GSPC` → `%5EGSPC`).
    pub fn url_segment(&self) -> String {
        self.0.replace('^', "%5E")
    }
}

fn clip(s: &str) -> String {
    s.chars().take(24).collect()
}

/// Decodes `%XX` escapes; anything malformed is kept as it is (and then fails the symbol rules).
fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            if let Some(v) = std::str::from_utf8(&bytes[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl std::str::FromStr for Symbol {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Symbol::parse(s)
    }
}

impl TryFrom<String> for Symbol {
    type Error = String;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Symbol::parse(&value)
    }
}

impl From<Symbol> for String {
    fn from(s: Symbol) -> String {
        s.0
    }
}

impl PartialEq<str> for Symbol {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Symbol {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl AsRef<str> for Symbol {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Symbol {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_symbols_are_upper_cased() {
        assert_eq!(Symbol::parse(" goog ").unwrap().as_str(), "GOOG");
        assert_eq!(Symbol::parse("brk.b").unwrap().as_str(), "BRK.B");
        assert_eq!(Symbol::parse("^gspc").unwrap().as_str(), "^GSPC");
        assert_eq!(Symbol::parse("BF-B").unwrap().as_str(), "BF-B");
    }

    #[test]
    fn url_escapes_are_decoded_and_reencoded() {
        let s = Symbol::parse("%5EGSPC").unwrap();
        assert_eq!(s.as_str(), "^GSPC");
        assert_eq!(s.url_segment(), "%5EGSPC");
    }

    #[test]
    fn empty_long_and_odd_characters_are_rejected() {
        assert!(Symbol::parse("").is_err());
        assert!(Symbol::parse("   ").is_err());
        assert!(Symbol::parse("ABCDEFGHIJK").is_err());
        assert!(Symbol::parse("GO OG").is_err());
        assert!(Symbol::parse("$$$").unwrap_err().contains('$'));
        assert!(Symbol::parse("<script>").is_err());
    }

    #[test]
    fn ten_characters_is_the_limit() {
        assert!(Symbol::parse("ABCDEFGHIJ").is_ok());
    }
}
