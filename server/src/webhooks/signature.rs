//! `Tickercast-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "t.body">`: what a receiver
//! checks to know a delivery came from here, untouched, and recently (it rejects a `t` older than
//! [`TOLERANCE`], so a captured delivery cannot be replayed later).

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How old a signature a receiver should accept.
pub const TOLERANCE: std::time::Duration = std::time::Duration::from_secs(300);

/// The header's value for `body` sent at `t` (Unix seconds).
pub fn sign(secret: &str, t: i64, body: &str) -> String {
    format!("t={t},v1={}", hex::encode(mac(secret, t, body)))
}

fn mac(secret: &str, t: i64, body: &str) -> Vec<u8> {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    mac.finalize().into_bytes().to_vec()
}

/// What a receiver does: `Ok` when `header` signs `body` with `secret` and is no older than
/// [`TOLERANCE`] at `now` (Unix seconds). The comparison takes the same time however many bytes
/// match.
pub fn verify(secret: &str, header: &str, body: &str, now: i64) -> Result<(), &'static str> {
    let mut t = None;
    let mut v1 = None;
    for part in header.split(',') {
        match part.trim().split_once('=') {
            Some(("t", v)) => t = v.parse::<i64>().ok(),
            Some(("v1", v)) => v1 = hex::decode(v).ok(),
            _ => {}
        }
    }
    let (Some(t), Some(v1)) = (t, v1) else {
        return Err("malformed signature header");
    };
    if (now - t).unsigned_abs() > TOLERANCE.as_secs() {
        return Err("signature too old (or from the future)");
    }
    let mut check =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    check.update(t.to_string().as_bytes());
    check.update(b".");
    check.update(body.as_bytes());
    check
        .verify_slice(&v1)
        .map_err(|_| "signature does not match")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_verifies_and_any_change_or_age_breaks_it() {
        let header = sign("whsec_abc", 1_764_300_000, r#"{"kind":"test"}"#);
        assert!(header.starts_with("t=1764300000,v1="));
        assert_eq!(header.len(), "t=1764300000,v1=".len() + 64);
        let at = 1_764_300_010;
        assert_eq!(
            verify("whsec_abc", &header, r#"{"kind":"test"}"#, at),
            Ok(())
        );
        assert!(verify("whsec_abd", &header, r#"{"kind":"test"}"#, at).is_err());
        assert!(verify("whsec_abc", &header, r#"{"kind":"tost"}"#, at).is_err());
        assert!(verify("whsec_abc", &header, r#"{"kind":"test"}"#, at + 301).is_err());
        assert!(verify("whsec_abc", "t=1,v2=00", "", 1).is_err());
    }

    #[test]
    fn the_mac_is_the_published_hmac_sha256() {
        // RFC 4231 test case 2: key "Jefe", data "what do ya want for nothing?".
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        assert_eq!(
            hex::encode(mac.finalize().into_bytes()),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        // And the header signs "t.body" with the same construction.
        let header = sign("Jefe", 1, "x");
        let mut mac = Hmac::<Sha256>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"1.x");
        assert!(header.ends_with(&hex::encode(mac.finalize().into_bytes())));
    }
}
