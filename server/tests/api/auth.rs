use app::error::AppError;
use app::model::{TickerSummary, User};

use crate::kit::spawn_app;

const PASSWORD: &str = "a long enough password";

#[tokio::test]
async fn register_logs_in_and_the_session_lives_in_postgres() {
    let app = spawn_app().await;
    let res = app
        .call(
            "register",
            &[
                ("username", "alice"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    let cookie = res.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(cookie.starts_with("tickercast.sid="), "{cookie}");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );

    let me: Option<User> = app.call_ok("current_user", &[]).await;
    assert_eq!(me.unwrap().username, "alice");
    let sessions: i64 = sqlx::query_scalar("select count(*) from tower_sessions.session")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(sessions, 1);

    let hash: String =
        sqlx::query_scalar("select password_hash from users where username = 'alice'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"));
}

#[tokio::test]
async fn registration_rejects_short_passwords_mismatches_and_taken_names() {
    let app = spawn_app().await;
    let res = app
        .call(
            "register",
            &[
                ("username", "bob"),
                ("password", "short"),
                ("password_confirm", "short"),
            ],
        )
        .await;
    assert_eq!(res.status(), 400);
    let err: AppError = res.json().await.unwrap();
    assert!(
        matches!(&err, AppError::BadRequest(m) if m.contains("at least 10")),
        "{err:?}"
    );
    let err = app
        .call_err(
            "register",
            &[
                ("username", "bob"),
                ("password", PASSWORD),
                ("password_confirm", "different one!!"),
            ],
        )
        .await;
    assert!(matches!(err, AppError::BadRequest(_)));
    let err = app
        .call_err(
            "register",
            &[
                ("username", "b"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert!(matches!(err, AppError::BadRequest(_)));

    app.call(
        "register",
        &[
            ("username", "bob"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ],
    )
    .await;
    let res = app
        .call(
            "register",
            &[
                ("username", "BOB"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    assert_eq!(res.status(), 409);
    let err: AppError = res.json().await.unwrap();
    assert!(
        matches!(&err, AppError::Conflict(m) if m.contains("taken")),
        "{err:?}"
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_user_get_the_same_answer() {
    let app = spawn_app().await;
    app.call(
        "register",
        &[
            ("username", "carol"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ],
    )
    .await;
    app.call("logout", &[]).await;
    let wrong = app
        .call_err(
            "login",
            &[("username", "carol"), ("password", "not the password")],
        )
        .await;
    let unknown = app
        .call_err(
            "login",
            &[
                ("username", "nobody_here"),
                ("password", "not the password"),
            ],
        )
        .await;
    assert_eq!(wrong, unknown);
    assert_eq!(
        wrong,
        AppError::Unauthorized("Invalid username or password.".into())
    );

    let res = app
        .call("login", &[("username", "CAROL"), ("password", PASSWORD)])
        .await;
    assert!(res.status().is_success() || res.status().is_redirection());
    let me: Option<User> = app.call_ok("current_user", &[]).await;
    assert_eq!(me.unwrap().username, "carol");
}

#[tokio::test]
async fn watchlist_needs_a_session_checked_by_the_server() {
    let app = spawn_app().await;
    let res = app.call("add_to_watchlist", &[("symbol", "GOOG")]).await;
    assert_eq!(res.status(), 401);
    let err: AppError = res.json().await.unwrap();
    assert_eq!(
        err,
        AppError::Unauthorized("Log in to keep a watchlist.".into())
    );

    app.call(
        "register",
        &[
            ("username", "dave"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ],
    )
    .await;
    let _: () = app.call_ok("add_to_watchlist", &[("symbol", "msft")]).await;
    let _: () = app.call_ok("add_to_watchlist", &[("symbol", "MSFT")]).await; // twice is fine
    let list: Vec<TickerSummary> = app.call_ok("my_watchlist", &[]).await;
    assert_eq!(
        list.iter().map(|t| t.symbol.as_str()).collect::<Vec<_>>(),
        ["MSFT"]
    );
    let err = app
        .call_err("add_to_watchlist", &[("symbol", "ZZZZ")])
        .await;
    assert!(matches!(err, AppError::NotFound(_)));

    let html = app.get("/").await.text().await.unwrap();
    assert!(html.contains("data-testid=\"watchlist\""));
}

#[tokio::test]
async fn chart_indicators_are_kept_with_the_account_and_checked_on_the_way_in() {
    use app::api::preferences::StoredIndicators;
    let app = spawn_app().await;
    let anonymous: StoredIndicators = app.call_ok("chart_indicators", &[]).await;
    assert!(!anonymous.logged_in);
    let res = app.call("save_chart_indicators", &[("list", "rsi")]).await;
    assert_eq!(res.status(), 401);

    app.call(
        "register",
        &[
            ("username", "erin"),
            ("password", PASSWORD),
            ("password_confirm", PASSWORD),
        ],
    )
    .await;
    let fresh: StoredIndicators = app.call_ok("chart_indicators", &[]).await;
    assert_eq!(
        fresh,
        StoredIndicators {
            logged_in: true,
            indicators: None
        }
    );
    let _: () = app
        .call_ok("save_chart_indicators", &[("list", "rsi,sma50")])
        .await;
    let saved: StoredIndicators = app.call_ok("chart_indicators", &[]).await;
    assert_eq!(saved.indicators.as_deref(), Some("sma50,rsi"));
    let err = app
        .call_err("save_chart_indicators", &[("list", "rsi,<script>")])
        .await;
    assert!(matches!(err, AppError::BadRequest(_)), "{err:?}");
    let kept: StoredIndicators = app.call_ok("chart_indicators", &[]).await;
    assert_eq!(kept.indicators.as_deref(), Some("sma50,rsi"));
}

#[tokio::test]
async fn logout_deletes_the_session_so_the_old_cookie_is_worthless() {
    let app = spawn_app().await;
    let res = app
        .call(
            "register",
            &[
                ("username", "erin"),
                ("password", PASSWORD),
                ("password_confirm", PASSWORD),
            ],
        )
        .await;
    let cookie = res.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    app.call("logout", &[]).await;
    let sessions: i64 = sqlx::query_scalar("select count(*) from tower_sessions.session")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(sessions, 0);

    // Replay the old cookie from a client without a jar.
    let res = reqwest::Client::new()
        .post(format!("{}/api/add_to_watchlist", app.address))
        .header("cookie", cookie)
        .header("Origin", &app.address)
        .header("Accept", "application/json")
        .form(&[("symbol", "GOOG")])
        .send()
        .await
        .unwrap();
    assert!(!res.status().is_success());
    let err: AppError = res.json().await.unwrap();
    assert!(matches!(err, AppError::Unauthorized(_)));
}
