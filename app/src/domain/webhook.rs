//! Webhooks as their owner sets them: where to send, and which kinds of event.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::EventKinds;

/// A webhook's id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WebhookId(uuid::Uuid);

impl WebhookId {
    /// A new random id (webhooks are created on the server).
    #[cfg(feature = "ssr")]
    pub fn random() -> Self {
        WebhookId(uuid::Uuid::new_v4())
    }

    /// Parses the id in a path.
    pub fn parse(raw: &str) -> Result<Self, String> {
        uuid::Uuid::parse_str(raw.trim())
            .map(WebhookId)
            .map_err(|_| "That is not a webhook id.".to_owned())
    }

    /// The UUID.
    pub fn as_uuid(&self) -> uuid::Uuid {
        self.0
    }
}

impl From<uuid::Uuid> for WebhookId {
    fn from(id: uuid::Uuid) -> Self {
        WebhookId(id)
    }
}

impl fmt::Display for WebhookId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a webhook is sent: an absolute `http://` or `https://` URL with a host, no credentials
/// in it, at most 2048 characters. Whether the host may be reached is decided when sending (its
/// addresses are only known then).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct WebhookUrl(String);

impl WebhookUrl {
    /// The longest URL taken.
    pub const MAX_LEN: usize = 2048;

    /// Parses a target URL.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let url = raw.trim();
        let bad = |why: &str| Err(format!("The webhook URL {why}."));
        if url.len() > Self::MAX_LEN {
            return bad("is longer than 2048 characters");
        }
        if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return bad("has spaces or control characters");
        }
        let lower = url.to_ascii_lowercase();
        let rest = match (
            lower.strip_prefix("https://"),
            lower.strip_prefix("http://"),
        ) {
            (Some(r), _) | (None, Some(r)) => r,
            _ => return bad("must start with https:// or http://"),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        if authority.contains('@') {
            return bad("must not carry a user name or password");
        }
        let host = match authority.strip_prefix('[') {
            Some(v6) => v6.split(']').next().unwrap_or(""),
            None => authority.split(':').next().unwrap_or(""),
        };
        if host.is_empty() {
            return bad("has no host");
        }
        Ok(WebhookUrl(url.to_owned()))
    }

    /// The URL.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for WebhookUrl {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Self::parse(&s)
    }
}

impl From<WebhookUrl> for String {
    fn from(u: WebhookUrl) -> String {
        u.0
    }
}

/// The event kinds a webhook gets: a list of names on the wire (absent: alerts only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WebhookKinds(pub EventKinds);

impl WebhookKinds {
    /// Parses the listed names; none listed means alerts only (what most people want pushed).
    pub fn parse(names: Option<&[String]>) -> Result<Self, String> {
        match names {
            None => Ok(WebhookKinds(EventKinds::parse(Some("alert"))?)),
            Some([]) => Err("List at least one event kind.".to_owned()),
            Some(list) => EventKinds::parse(Some(&list.join(","))).map(WebhookKinds),
        }
    }

    /// The names, in the documentation's order.
    pub fn names(self) -> Vec<String> {
        super::EventKind::ALL
            .into_iter()
            .filter(|k| self.0.contains(*k))
            .map(|k| k.as_str().to_owned())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EventKind;

    #[test]
    fn urls_need_a_scheme_and_a_host_and_no_credentials() {
        for good in [
            "https://example.com/hook",
            "http://127.0.0.1:9000/in?x=1",
            "https://[::1]:8443/",
        ] {
            assert!(WebhookUrl::parse(good).is_ok(), "{good}");
        }
        for bad in [
            "ftp://example.com",
            "example.com/hook",
            "https://user:pw@example.com/",
            "https:///path",
            "https://exa mple.com",
            "javascript:alert(1)",
        ] {
            assert!(WebhookUrl::parse(bad).is_err(), "{bad}");
        }
        assert!(WebhookUrl::parse(&format!("https://e.com/{}", "a".repeat(2100))).is_err());
    }

    #[test]
    fn kinds_default_to_alerts_and_refuse_unknown_names() {
        let alerts = WebhookKinds::parse(None).unwrap();
        assert_eq!(alerts.names(), vec!["alert"]);
        let two = WebhookKinds::parse(Some(&["predictions".into(), "bars".into()])).unwrap();
        assert_eq!(two.names(), vec!["bars", "predictions"]);
        assert!(two.0.contains(EventKind::Bars));
        assert!(WebhookKinds::parse(Some(&[])).is_err());
        assert!(WebhookKinds::parse(Some(&["weather".into()])).is_err());
    }
}
