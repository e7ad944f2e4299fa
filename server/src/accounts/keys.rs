//! API key text: `tc_<id>_<secret>`, where the id (12 characters, shown in lists) finds the row and
//! the secret (256 random bits, hex) proves possession. Only the secret's SHA-256 is stored; with a
//! secret this long a fast hash is right (argon2 protects guessable passwords, not random keys).

use app::domain::ApiKeyId;
use rand::Rng;
use sha2::{Digest, Sha256};

const ID_LEN: usize = ApiKeyId::LEN;
const ID_ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
const PREFIX: &str = "tc_";

/// A freshly made key: its id, and the full text shown to its owner once.
#[derive(Debug, Clone)]
pub struct GeneratedKey {
    /// The public id.
    pub id: ApiKeyId,
    /// `tc_<id>_<secret>`.
    pub text: String,
    /// SHA-256 of the secret, hex.
    pub secret_sha256: String,
}

/// Makes a key from the operating system's random source.
pub fn generate() -> GeneratedKey {
    let mut rng = rand::rngs::OsRng;
    let id: String = (0..ID_LEN)
        .map(|_| ID_ALPHABET[rng.gen_range(0..ID_ALPHABET.len())] as char)
        .collect();
    let secret: [u8; 32] = rng.gen();
    let secret = hex(&secret);
    GeneratedKey {
        text: format!("{PREFIX}{id}_{secret}"),
        secret_sha256: sha256_hex(&secret),
        id: ApiKeyId::parse(&id).expect("generated from the id alphabet"),
    }
}

/// The id and secret of a key's text; `None` when it is not shaped like one of ours.
pub fn parse(text: &str) -> Option<(ApiKeyId, &str)> {
    let rest = text.trim().strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let secret_ok = secret.len() == 64 && secret.bytes().all(|b| b.is_ascii_hexdigit());
    secret_ok.then_some((ApiKeyId::parse(id).ok()?, secret))
}

/// Whether `secret` hashes to `stored` (compared in constant time).
pub fn matches(secret: &str, stored: &str) -> bool {
    let given = sha256_hex(secret);
    given.len() == stored.len()
        && given
            .bytes()
            .zip(stored.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// How a key is shown after creation: its id, never its secret.
pub fn display(id: &ApiKeyId) -> String {
    format!("{PREFIX}{id}_…")
}

fn sha256_hex(text: &str) -> String {
    hex(&Sha256::digest(text.as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_parses_back_and_its_secret_matches_only_itself() {
        let k = generate();
        assert!(k.text.starts_with("tc_"));
        let (id, secret) = parse(&k.text).unwrap();
        assert_eq!(id, k.id);
        assert!(matches(secret, &k.secret_sha256));
        let other = generate();
        let (_, other_secret) = parse(&other.text).unwrap();
        assert!(!matches(other_secret, &k.secret_sha256));
        assert_ne!(k.id, other.id);
    }

    #[test]
    fn text_that_is_not_a_key_is_refused() {
        for bad in [
            "",
            "tc_",
            "tc_short_abc",
            "sk_abcdefghijkl_0000000000000000000000000000000000000000000000000000000000000000",
            "tc_ABCDEFGHIJKL_0000000000000000000000000000000000000000000000000000000000000000",
            "tc_abcdefghijkl_zz00000000000000000000000000000000000000000000000000000000000000",
        ] {
            assert!(parse(bad).is_none(), "{bad}");
        }
    }
}
