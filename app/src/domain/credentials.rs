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
}
