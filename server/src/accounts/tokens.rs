//! Short-lived access tokens: `POST /api/v1/auth/token` exchanges an API key or a username and
//! password for a JWT signed HS256, carrying the account, its tier and the key it came from. The
//! API accepts it as a bearer token until it expires; a token from a key that was revoked since is
//! refused (the key is checked on every use, from the same short-lived cache as keys).

use app::domain::{ApiKeyId, Role, Tier, UserId};
use chrono::{Duration, Utc};
use jsonwebtoken::{decode, encode, Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// Who issues the tokens and who they are for.
pub const ISSUER: &str = "tickercast";
/// The API the tokens are for.
pub const AUDIENCE: &str = "tickercast-api";

/// A token's claims.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The account.
    pub sub: UserId,
    /// Its tier when the token was issued.
    pub tier: Tier,
    /// Its role when the token was issued.
    pub role: Role,
    /// The API key it was exchanged for, if any (checked on every use).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub key_id: Option<ApiKeyId>,
    /// Issuer.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// Expiry (unix seconds).
    pub exp: i64,
    /// Issued at (unix seconds).
    pub iat: i64,
    /// Unique id.
    pub jti: String,
}

/// Signs and checks tokens with one secret.
#[derive(Clone)]
pub struct Tokens {
    encoding: EncodingKey,
    decoding: DecodingKey,
    lifetime: Duration,
}

impl std::fmt::Debug for Tokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tokens")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

/// Why a token was refused (all of them are a 401 to the client).
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct TokenError(String);

impl Tokens {
    /// Tokens signed with `secret` (at least 32 bytes), valid for `lifetime`.
    pub fn new(secret: &[u8], lifetime: std::time::Duration) -> Self {
        Self {
            encoding: EncodingKey::from_secret(secret),
            decoding: DecodingKey::from_secret(secret),
            lifetime: Duration::from_std(lifetime).unwrap_or(Duration::minutes(15)),
        }
    }

    /// How long a token lives.
    pub fn lifetime(&self) -> std::time::Duration {
        self.lifetime.to_std().unwrap_or_default()
    }

    /// A token for `user`.
    pub fn issue(
        &self,
        user: UserId,
        tier: Tier,
        role: Role,
        key_id: Option<ApiKeyId>,
    ) -> Result<String, TokenError> {
        let now = Utc::now();
        let claims = Claims {
            sub: user,
            tier,
            role,
            key_id,
            iss: ISSUER.into(),
            aud: AUDIENCE.into(),
            exp: (now + self.lifetime).timestamp(),
            iat: now.timestamp(),
            jti: uuid::Uuid::new_v4().simple().to_string(),
        };
        encode(&Header::new(Algorithm::HS256), &claims, &self.encoding)
            .map_err(|e| TokenError(format!("cannot sign a token: {e}")))
    }

    /// The claims of a valid token: signed HS256 with our secret (no other algorithm, `none`
    /// included, is accepted), not expired, for our issuer and audience.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let mut validation = Validation::new(Algorithm::HS256);
        validation.set_issuer(&[ISSUER]);
        validation.set_audience(&[AUDIENCE]);
        validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        validation.leeway = 5;
        decode::<Claims>(token, &self.decoding, &validation)
            .map(|d| d.claims)
            .map_err(|e| TokenError(e.to_string()))
    }
}

/// Whether `text` looks like a JWT (three base64url parts) rather than an API key.
pub fn looks_like_jwt(text: &str) -> bool {
    let parts: Vec<&str> = text.split('.').collect();
    parts.len() == 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tokens() -> Tokens {
        Tokens::new(
            b"0123456789abcdef0123456789abcdef",
            std::time::Duration::from_secs(900),
        )
    }

    #[test]
    fn an_issued_token_verifies_with_its_claims() {
        let t = tokens();
        let user = UserId::random();
        let jwt = t
            .issue(
                user,
                Tier::Pro,
                Role::User,
                Some(ApiKeyId::parse("abcdefghijkl").unwrap()),
            )
            .unwrap();
        assert!(looks_like_jwt(&jwt));
        let c = t.verify(&jwt).unwrap();
        assert_eq!((c.sub, c.tier), (user, Tier::Pro));
        assert_eq!(c.key_id.unwrap().as_str(), "abcdefghijkl");
    }

    #[test]
    fn another_secret_a_tampered_payload_and_an_unsigned_token_are_refused() {
        let t = tokens();
        let jwt = t
            .issue(UserId::random(), Tier::Free, Role::User, None)
            .unwrap();
        let other = Tokens::new(
            b"another secret of thirty-two byt",
            std::time::Duration::from_secs(900),
        );
        assert!(other.verify(&jwt).is_err());
        let mut parts: Vec<String> = jwt.split('.').map(str::to_string).collect();
        // Claim the admin tier without re-signing.
        let payload = base64url(br#"{"sub":"67e55044-10b1-426f-9247-bb680e5fe0c8","tier":"admin","role":"admin","iss":"tickercast","aud":"tickercast-api","exp":4102444800,"iat":0,"jti":"x"}"#);
        parts[1] = payload.clone();
        assert!(t.verify(&parts.join(".")).is_err());
        // alg: none, no signature.
        let none = format!("{}.{payload}.", base64url(br#"{"alg":"none","typ":"JWT"}"#));
        assert!(t.verify(&none).is_err());
    }

    fn base64url(bytes: &[u8]) -> String {
        use base64::Engine;
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    }
}
