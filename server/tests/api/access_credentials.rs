//! API keys (made, listed, shown once, revoked) and access tokens (issued for a key or a
//! password; refused when expired, tampered, unsigned, signed otherwise, for another issuer or
//! audience, or from a revoked key).

use jsonwebtoken::{encode, Algorithm, EncodingKey, Header};
use reqwest::StatusCode;
use serde_json::{json, Value};

use crate::kit::{assert_error_shape, spawn_app_with, Options, TestApp};

const SECRET: &str = "test-signing-secret-0123456789abcdef0123";

async fn app() -> TestApp {
    spawn_app_with(Options {
        env: vec![("JWT_SECRET".into(), SECRET.into())],
        ..Options::default()
    })
    .await
}

async fn usage_with(app: &TestApp, bearer: &str) -> (u16, Value) {
    let res = TestApp::fresh_client()
        .get(format!("{}/api/v1/usage", app.address))
        .bearer_auth(bearer)
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

async fn token_for(app: &TestApp, body: Option<Value>, key_header: Option<&str>) -> (u16, Value) {
    let mut req = TestApp::fresh_client().post(format!("{}/api/v1/auth/token", app.address));
    if let Some(b) = body {
        req = req.json(&b);
    }
    if let Some(k) = key_header {
        req = req.header("X-API-Key", k);
    }
    let res = req.send().await.unwrap();
    (res.status().as_u16(), res.json().await.unwrap())
}

fn b64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[tokio::test]
async fn keys_are_made_shown_once_listed_used_and_revoked() {
    let app = app().await;
    let secret = app.api_key("keyholder", false).await;
    assert!(secret.starts_with("tc_") && secret.len() > 70, "{secret}");
    let (status, keys) = app.api("/keys").await;
    assert_eq!(status, 200, "{keys}");
    let listed = &keys.as_array().unwrap()[0];
    assert_eq!(listed["name"], "tests");
    assert_eq!(listed["tier"], "free");
    assert!(
        !keys.to_string().contains(&secret[16..]),
        "the secret is never listed"
    );
    let stored: String = sqlx::query_scalar("select secret_sha256 from api_keys")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(!secret.contains(&stored), "only a hash is stored");

    let (status, usage) = usage_with(&app, &secret).await;
    assert_eq!((status, usage["tier"].as_str()), (200, Some("free")));

    let id = listed["id"].as_str().unwrap();
    let res = app
        .client
        .delete(format!("{}/api/v1/keys/{id}", app.address))
        .header("Origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let (status, body) = usage_with(&app, &secret).await;
    assert_eq!(status, 401);
    assert_error_shape(&body, "unauthorized");
    // Someone else's or an unknown key id.
    let res = app
        .client
        .delete(format!("{}/api/v1/keys/zzzzzzzzzzzz", app.address))
        .header("Origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = app
        .client
        .delete(format!("{}/api/v1/keys/NOT-AN-ID", app.address))
        .header("Origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn managing_keys_needs_an_account() {
    let app = app().await;
    let res = TestApp::fresh_client()
        .get(format!("{}/api/v1/keys", app.address))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    assert_error_shape(&res.json().await.unwrap(), "unauthorized");
    let (status, body) = usage_with(&app, "tc_abcdefghijkl_00").await;
    assert_eq!(status, 401);
    assert_error_shape(&body, "unauthorized");
}

#[tokio::test]
async fn a_key_or_a_password_buys_a_token_that_the_api_accepts() {
    let app = app().await;
    let key = app.api_key("tokenholder", false).await;

    let (status, t) = token_for(&app, Some(json!({ "api_key": key })), None).await;
    assert_eq!(status, 200, "{t}");
    assert_eq!(t["token_type"], "Bearer");
    assert_eq!(t["expires_in"], 900);
    let (status, usage) = usage_with(&app, t["access_token"].as_str().unwrap()).await;
    assert_eq!((status, usage["tier"].as_str()), (200, Some("free")));

    let (status, t) = token_for(&app, None, Some(&key)).await;
    assert_eq!(status, 200, "the key in the header, no body: {t}");

    let (status, t) = token_for(
        &app,
        Some(json!({ "username": "tokenholder", "password": "correct horse battery" })),
        None,
    )
    .await;
    assert_eq!(status, 200, "{t}");
    let (status, _) = usage_with(&app, t["access_token"].as_str().unwrap()).await;
    assert_eq!(status, 200);

    let (status, body) = token_for(
        &app,
        Some(json!({ "username": "tokenholder", "password": "wrong password!" })),
        None,
    )
    .await;
    assert_eq!(status, 401);
    assert_error_shape(&body, "unauthorized");
    let (status, body) = token_for(&app, Some(json!({})), None).await;
    assert_eq!(status, 400);
    assert_error_shape(&body, "bad_request");
    let (status, body) = token_for(&app, Some(json!({ "api_key": "tc_nope" })), None).await;
    assert_eq!(status, 401);
    assert_error_shape(&body, "unauthorized");
}

#[derive(serde::Serialize)]
struct Claims<'a> {
    sub: &'a str,
    tier: &'a str,
    role: &'a str,
    iss: &'a str,
    aud: &'a str,
    exp: i64,
    iat: i64,
    jti: &'a str,
}

#[tokio::test]
async fn forged_expired_and_misdirected_tokens_are_refused() {
    let app = app().await;
    app.register("victim").await;
    let user: uuid::Uuid = sqlx::query_scalar("select id from users where username = 'victim'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let sub = user.to_string();
    let now = chrono::Utc::now().timestamp();
    let claims = |iss, aud, exp| Claims {
        sub: &sub,
        tier: "admin",
        role: "admin",
        iss,
        aud,
        exp,
        iat: now,
        jti: "t",
    };
    let sign = |c: &Claims, secret: &str| {
        encode(
            &Header::new(Algorithm::HS256),
            c,
            &EncodingKey::from_secret(secret.as_bytes()),
        )
        .unwrap()
    };
    let good = sign(&claims("tickercast", "tickercast-api", now + 600), SECRET);
    assert_eq!(usage_with(&app, &good).await.0, 200, "the control case");

    let expired = sign(&claims("tickercast", "tickercast-api", now - 60), SECRET);
    let wrong_issuer = sign(&claims("someone-else", "tickercast-api", now + 600), SECRET);
    let wrong_audience = sign(&claims("tickercast", "another-api", now + 600), SECRET);
    let wrong_secret = sign(
        &claims("tickercast", "tickercast-api", now + 600),
        "another-secret-0123456789abcdef0123456789",
    );
    let parts: Vec<&str> = good.split('.').collect();
    let payload = serde_json::to_vec(&claims("tickercast", "tickercast-api", now + 600)).unwrap();
    let unsigned = format!(
        "{}.{}.",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(&payload)
    );
    let none_signed = format!(
        "{}.{}.{}",
        b64(br#"{"alg":"none","typ":"JWT"}"#),
        b64(&payload),
        parts[2]
    );
    // HS/RS confusion: a header claiming RS256 over an HMAC signature made with the secret.
    let rs_header = b64(br#"{"alg":"RS256","typ":"JWT"}"#);
    let rs_confused = format!("{rs_header}.{}.{}", parts[1], parts[2]);
    // Tampered: the payload changed after signing.
    let tampered_payload = serde_json::to_vec(&Claims {
        sub: "67e55044-10b1-426f-9247-bb680e5fe0c8",
        ..claims("tickercast", "tickercast-api", now + 600)
    })
    .unwrap();
    let tampered = format!("{}.{}.{}", parts[0], b64(&tampered_payload), parts[2]);

    for (name, token) in [
        ("expired", expired),
        ("wrong issuer", wrong_issuer),
        ("wrong audience", wrong_audience),
        ("wrong secret", wrong_secret),
        ("alg none, unsigned", unsigned),
        ("alg none, signature kept", none_signed),
        ("HS/RS confusion", rs_confused),
        ("tampered", tampered),
    ] {
        let (status, body) = usage_with(&app, &token).await;
        assert_eq!(status, 401, "{name}: {body}");
        assert_error_shape(&body, "unauthorized");
    }
}

#[tokio::test]
async fn a_token_from_a_revoked_key_is_refused() {
    let app = app().await;
    let key = app.api_key("revoker", false).await;
    let (_, t) = token_for(&app, Some(json!({ "api_key": key })), None).await;
    let token = t["access_token"].as_str().unwrap().to_string();
    assert_eq!(usage_with(&app, &token).await.0, 200);
    let (_, keys) = app.api("/keys").await;
    let id = keys[0]["id"].as_str().unwrap();
    let res = app
        .client
        .delete(format!("{}/api/v1/keys/{id}", app.address))
        .header("Origin", &app.address)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 204);
    let (status, body) = usage_with(&app, &token).await;
    assert_eq!(status, 401);
    assert_error_shape(&body, "unauthorized");
}

#[tokio::test]
async fn without_a_secret_there_are_no_tokens_but_keys_still_work() {
    let app = spawn_app_with(Options::default()).await;
    let key = app.api_key("no_tokens", false).await;
    let (status, body) = token_for(&app, Some(json!({ "api_key": key })), None).await;
    assert_eq!(status, 503, "{body}");
    assert_error_shape(&body, "unavailable");
    assert_eq!(usage_with(&app, &key).await.0, 200);
}
