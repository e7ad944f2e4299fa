use serde::{Deserialize, Serialize};

/// Which page of a paginated list, from `?page=N`: 1 to [`PageNumber::MAX`]. Parsed once at the
/// edge; a bad one is a 400.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[cfg_attr(
    feature = "ssr",
    schema(value_type = u32, minimum = 1, maximum = 1000, example = 1)
)]
#[serde(try_from = "u32", into = "u32")]
pub struct PageNumber(u32);

impl PageNumber {
    /// The first page.
    pub const FIRST: PageNumber = PageNumber(1);
    /// The last page anyone may ask for.
    pub const MAX: u32 = 1000;

    /// Checks the bounds.
    pub fn new(page: u32) -> Result<Self, String> {
        if page == 0 || page > Self::MAX {
            return Err(format!(
                "page must be a whole number from 1 to {}, not {page}.",
                Self::MAX
            ));
        }
        Ok(PageNumber(page))
    }

    /// Parses `?page=` as given: absent or blank is the first page; anything but a whole number
    /// from 1 to [`PageNumber::MAX`] is refused, saying so.
    pub fn parse(raw: Option<&str>) -> Result<Self, String> {
        let text = raw.map(str::trim).unwrap_or_default();
        if text.is_empty() {
            return Ok(Self::FIRST);
        }
        let shown: String = text.chars().take(24).collect();
        // Digits only: `+3`, ` 3`, `3.0` and `0x3` are not page numbers.
        if !text.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "page must be a whole number from 1 to {}, not `{shown}`.",
                Self::MAX
            ));
        }
        match text.parse::<u32>() {
            Ok(n) => Self::new(n),
            Err(_) => Err(format!(
                "page must be a whole number from 1 to {}, not `{shown}`.",
                Self::MAX
            )),
        }
    }

    /// The number.
    pub fn get(self) -> u32 {
        self.0
    }

    /// The page before this one, if any.
    pub fn previous(self) -> Option<Self> {
        Self::new(self.0 - 1).ok()
    }

    /// The page after this one, unless this is the last that may be asked for.
    pub fn next(self) -> Option<Self> {
        Self::new(self.0 + 1).ok()
    }

    /// How many items come before this page when each page holds `per_page`.
    pub fn offset(self, per_page: u32) -> u64 {
        u64::from(self.0 - 1) * u64::from(per_page)
    }
}

impl Default for PageNumber {
    fn default() -> Self {
        Self::FIRST
    }
}

impl std::fmt::Display for PageNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl TryFrom<u32> for PageNumber {
    type Error = String;
    fn try_from(page: u32) -> Result<Self, Self::Error> {
        PageNumber::new(page)
    }
}

impl From<PageNumber> for u32 {
    fn from(p: PageNumber) -> u32 {
        p.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_number_is_a_whole_number_from_one_to_a_thousand() {
        assert_eq!(PageNumber::parse(None).unwrap(), PageNumber::FIRST);
        assert_eq!(PageNumber::parse(Some("  ")).unwrap(), PageNumber::FIRST);
        assert_eq!(PageNumber::parse(Some("7")).unwrap().get(), 7);
        assert_eq!(PageNumber::parse(Some(" 1000 ")).unwrap().get(), 1000);
        for bad in [
            "0",
            "1001",
            "-1",
            "+2",
            "1.5",
            "two",
            "0x10",
            "99999999999999999999",
        ] {
            let message = PageNumber::parse(Some(bad)).unwrap_err();
            assert!(message.contains("1 to 1000"), "{bad}: {message}");
        }
        assert!(PageNumber::new(0).is_err());
        assert!(PageNumber::new(1001).is_err());
    }

    #[test]
    fn pages_step_and_count_their_offset_within_the_bounds() {
        let p = |n| PageNumber::new(n).unwrap();
        assert_eq!(PageNumber::FIRST.previous(), None);
        assert_eq!(p(2).previous(), Some(p(1)));
        assert_eq!(p(1000).next(), None);
        assert_eq!(p(1).offset(20), 0);
        assert_eq!(p(3).offset(20), 40);
        assert_eq!(serde_json::to_string(&p(4)).unwrap(), "4");
        assert!(serde_json::from_str::<PageNumber>("0").is_err());
    }
}
