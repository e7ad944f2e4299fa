/// A username: 3–32 characters from letters, digits, `_`, `.`, `-`; compared case-insensitively.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    /// Parses a username from a form field.
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        let n = s.chars().count();
        if n < 3 {
            return Err("Usernames need at least 3 characters.".into());
        }
        if n > 32 {
            return Err("Usernames can have at most 32 characters.".into());
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'))
        {
            return Err("Usernames may contain letters, digits, `_`, `.` and `-` only.".into());
        }
        Ok(Username(s.to_string()))
    }

    /// The username as typed (case kept for display).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that meets the length rules (NIST SP 800-63B: at least 10 here, at most 128).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<hidden>)")
    }
}

impl Password {
    /// Minimum length in characters.
    pub const MIN: usize = 10;

    /// Parses a new password (registration).
    pub fn parse(input: &str) -> Result<Self, String> {
        let n = input.chars().count();
        if n < Self::MIN {
            return Err(format!("Passwords need at least {} characters.", Self::MIN));
        }
        if n > 128 {
            return Err("Passwords can have at most 128 characters.".into());
        }
        Ok(Password(input.to_string()))
    }

    /// The secret itself, for hashing.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// An API key's name, as its owner calls it: 1–64 printable characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyName(String);

impl KeyName {
    /// Parses a name from a form field.
    pub fn parse(input: &str) -> Result<Self, String> {
        let s = input.trim();
        let n = s.chars().count();
        if n == 0 {
            return Err("Give the key a name, e.g. where it is used.".into());
        }
        if n > 64 {
            return Err("Key names can have at most 64 characters.".into());
        }
        if s.chars().any(char::is_control) {
            return Err("Key names cannot hold control characters.".into());
        }
        Ok(KeyName(s.to_string()))
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The public id of an API key: the 12 lower-case letters and digits after `tc_` in the key's text
/// (the part lists show; the secret after it never is).
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ApiKeyId(String);

impl ApiKeyId {
    /// Length of an id.
    pub const LEN: usize = 12;

    /// Parses an id (from a path, a form or a key's text).
    pub fn parse(input: &str) -> Result<Self, String> {
        let ok = input.len() == Self::LEN
            && input
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
        if ok {
            Ok(ApiKeyId(input.to_string()))
        } else {
            Err("An API key id is 12 lower-case letters and digits, as the key list shows.".into())
        }
    }

    /// The id.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::str::FromStr for ApiKeyId {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for ApiKeyId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ApiKeyId> for String {
    fn from(id: ApiKeyId) -> String {
        id.0
    }
}

impl std::fmt::Display for ApiKeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_or_odd_usernames_are_rejected() {
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("a b c").is_err());
        assert!(Username::parse(&"x".repeat(33)).is_err());
        assert_eq!(Username::parse(" alice_1 ").unwrap().as_str(), "alice_1");
    }

    #[test]
    fn short_passwords_are_rejected_and_never_printed() {
        assert!(Password::parse("short").unwrap_err().contains("10"));
        let p = Password::parse("correct horse battery").unwrap();
        assert!(!format!("{p:?}").contains("horse"));
    }

    #[test]
    fn key_ids_are_twelve_lower_case_letters_and_digits() {
        assert_eq!(
            ApiKeyId::parse("abc123def456").unwrap().as_str(),
            "abc123def456"
        );
        assert!(ApiKeyId::parse("ABC123DEF456").is_err());
        assert!(ApiKeyId::parse("abc123def45").is_err());
        assert!(ApiKeyId::parse("abc123def45_").is_err());
        assert!(serde_json::from_str::<ApiKeyId>("\"x\"").is_err());
    }

    #[test]
    fn key_names_are_trimmed_and_bounded() {
        assert_eq!(KeyName::parse("  laptop ").unwrap().as_str(), "laptop");
        assert!(KeyName::parse("  ").is_err());
        assert!(KeyName::parse(&"k".repeat(65)).is_err());
        assert!(KeyName::parse("a\u{7}b").is_err());
    }
}
