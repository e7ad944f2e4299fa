//! The test kit: the real app on port 0 against shared Postgres and Redis (a fresh database and a
//! unique key prefix per test), request helpers, fixtures and the assertions every file uses.

use std::path::{Path, PathBuf};

use server::config::Settings;
use server::embedded::{EmbeddedPostgres, EmbeddedRedis};
use server::startup::Application;
use sqlx::PgPool;
use tokio::sync::OnceCell;

/// Postgres and Redis shared by every test in this binary: external ones when
/// `TEST_DATABASE_URL` (an admin URL without a database name) and `TEST_REDIS_URL` are set,
/// otherwise private servers started once and stopped when the test process exits.
struct Services {
    admin_base: String,
    redis_url: String,
    _pg: Option<EmbeddedPostgres>,
    _redis: Option<EmbeddedRedis>,
}

static SERVICES: OnceCell<Services> = OnceCell::const_new();

const RUN_DIR_PREFIX: &str = "tickercast-test-";

/// This test process's folder: the shared cluster, Redis and every app's data files.
fn run_dir() -> PathBuf {
    std::env::temp_dir().join(format!("{RUN_DIR_PREFIX}{}", std::process::id()))
}

/// A test binary ends without running destructors, so each run removes the folders of earlier
/// runs whose process is gone (a cluster is over a gigabyte after the whole suite).
fn sweep_stale_runs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|n| n.strip_prefix(RUN_DIR_PREFIX))
            .and_then(|p| p.parse::<u32>().ok())
        else {
            continue;
        };
        if pid != std::process::id() && !Path::new(&format!("/proc/{pid}")).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

async fn services() -> &'static Services {
    SERVICES
        .get_or_init(|| async {
            sweep_stale_runs();
            let dir = run_dir();
            let (admin_base, pg) = match std::env::var("TEST_DATABASE_URL") {
                Ok(url) => (url.trim_end_matches('/').to_string(), None),
                Err(_) => {
                    let pg = EmbeddedPostgres::start(&dir, false)
                        .await
                        .expect("test Postgres starts");
                    let base = pg.url("").trim_end_matches('/').to_string();
                    (base, Some(pg))
                }
            };
            let (redis_url, redis) = match std::env::var("TEST_REDIS_URL") {
                Ok(url) => (url, None),
                Err(_) => {
                    let r = EmbeddedRedis::start(&dir.join("redis"))
                        .await
                        .expect("test Redis starts");
                    (r.url(), Some(r))
                }
            };
            Services {
                admin_base,
                redis_url,
                _pg: pg,
                _redis: redis,
            }
        })
        .await
}

/// A running app on a fresh, migrated, seeded database.
pub struct TestApp {
    pub address: String,
    pub pool: PgPool,
    /// Its database (another instance may be started on it).
    pub database_url: String,
    /// Its Redis key prefix (another instance may share it).
    pub cache_prefix: String,
    /// The app's job queue client (enqueue as the schedules do).
    pub jobs: server::jobs::Jobs,
    pub client: reqwest::Client,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

/// What to change from the defaults.
#[derive(Default)]
pub struct Options {
    /// Point the cache at this Redis instead (e.g. a closed port: Redis down).
    pub redis_url: Option<String>,
    /// More settings (e.g. provider keys and base URLs pointing at a local fixture server).
    pub env: Vec<(String, String)>,
    /// Run on this app's database and Redis prefix: a second instance of the same deployment.
    pub instance_of: Option<(String, String)>,
}

impl TestApp {
    /// Options for another instance of this app's deployment (same Postgres, same Redis keys).
    pub fn sibling(&self, env: Vec<(String, String)>) -> Options {
        Options {
            env,
            instance_of: Some((self.database_url.clone(), self.cache_prefix.clone())),
            ..Options::default()
        }
    }
}

/// A fresh, empty database (no migrations run), for tests below the HTTP layer.
pub async fn fresh_database_url() -> String {
    let svc = services().await;
    let db = format!("test_{}", uuid::Uuid::new_v4().simple());
    let admin = PgPool::connect(&format!("{}/postgres", svc.admin_base))
        .await
        .expect("admin connection");
    sqlx::query(&format!("create database {db}"))
        .execute(&admin)
        .await
        .expect("create test database");
    admin.close().await;
    format!("{}/{db}", svc.admin_base)
}

/// A fresh database with every migration applied.
pub async fn migrated_pool() -> PgPool {
    let pool = PgPool::connect(&fresh_database_url().await)
        .await
        .expect("test database connection");
    sqlx::migrate!("../migrations")
        .run(&pool)
        .await
        .expect("migrations run");
    pool
}

/// The shared test Redis (use a unique key prefix per test).
pub async fn redis_url() -> String {
    services().await.redis_url.clone()
}

impl TestApp {
    /// Announces `event` (a bus event's JSON) the way another process of this deployment would:
    /// appended to the shared event log in Redis.
    pub async fn announce_elsewhere(&self, event: serde_json::Value) {
        use redis::AsyncCommands;
        let redis = redis::Client::open(redis_url().await).unwrap();
        let mut conn = redis.get_multiplexed_async_connection().await.unwrap();
        let envelope = serde_json::json!({ "from": 7, "event": event });
        let _: String = conn
            .xadd(
                format!("{}events", self.cache_prefix),
                "*",
                &[("e", envelope.to_string())],
            )
            .await
            .unwrap();
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(opts: Options) -> TestApp {
    // Warnings and errors of the server go to the test's own output (shown when it fails): each
    // test's app runs on the test's thread.
    let _ = tracing_subscriber::fmt()
        .with_env_filter(
            std::env::var("TEST_LOG").unwrap_or_else(|_| "warn,underway=error".to_string()),
        )
        .with_test_writer()
        .try_init();
    let svc = services().await;
    let (database_url, prefix) = match opts.instance_of {
        Some(shared) => shared,
        None => (
            fresh_database_url().await,
            format!("test:{}:", uuid::Uuid::new_v4().simple()),
        ),
    };
    let redis_url = opts.redis_url.unwrap_or_else(|| svc.redis_url.clone());
    let settings = Settings::from_lookup(|k| match k {
        "APP_ADDR" => Some("127.0.0.1:0".into()),
        "DATABASE_URL" => Some(database_url.clone()),
        "REDIS_URL" => Some(redis_url.clone()),
        "APP_CACHE_PREFIX" => Some(prefix.clone()),
        "DATABASE_MAX_CONNECTIONS" => Some("4".into()),
        "LEPTOS_SITE_ROOT" => Some("../target/site".into()),
        // Artifacts and any other files of this app go to a temporary folder, not the source tree.
        "APP_DATA_DIR" => Some(
            run_dir()
                .join("apps")
                .join(prefix.trim_matches(':').replace(':', "-"))
                .to_string_lossy()
                .into_owned(),
        ),
        other => opts
            .env
            .iter()
            .find(|(k, _)| k == other)
            .map(|(_, v)| v.clone()),
    })
    .expect("test settings are valid");
    let app = Application::build(settings).await.expect("app builds");
    let address = format!("http://{}", app.addr());
    let pool = app.pool().clone();
    let jobs = app.jobs().clone();
    let (tx, rx) = tokio::sync::oneshot::channel();
    tokio::spawn(app.run_until_stopped(async {
        let _ = rx.await;
    }));
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        address,
        pool,
        database_url,
        cache_prefix: prefix,
        jobs,
        client,
        _shutdown: tx,
    }
}

impl TestApp {
    /// GET a JSON route: the status and the parsed body (every answer, errors too, is JSON).
    pub async fn get_json(&self, path: &str) -> (u16, serde_json::Value) {
        let res = self
            .client
            .get(format!("{}{path}", self.address))
            .send()
            .await
            .expect("request sent");
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
        (status, json)
    }

    /// GET a page or route the way a browser navigates (accepting HTML).
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(format!("{}{path}", self.address))
            .header("Accept", "text/html,application/xhtml+xml,*/*;q=0.8")
            .send()
            .await
            .expect("request sent")
    }

    /// GET `path` with one request header set (a validator, an encoding), nothing else added.
    pub async fn get_with_header(
        &self,
        path: &str,
        name: impl reqwest::header::IntoHeaderName,
        value: impl Into<reqwest::header::HeaderValue>,
    ) -> reqwest::Response {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(name, value.into());
        self.client
            .get(format!("{}{path}", self.address))
            .headers(headers)
            .send()
            .await
            .expect("request sent")
    }

    /// POST form fields to a server function, the way the browser's ActionForm does with JS on
    /// (from one of the site's own pages: the browser sends the site's `Origin`).
    pub async fn call(&self, endpoint: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(format!("{}/api/{endpoint}", self.address))
            .header("Accept", "application/json")
            .header("Origin", &self.address)
            .form(form)
            .send()
            .await
            .expect("request sent")
    }

    /// Calls a server function and decodes a successful JSON answer.
    pub async fn call_ok<T: serde::de::DeserializeOwned>(
        &self,
        endpoint: &str,
        form: &[(&str, &str)],
    ) -> T {
        let res = self.call(endpoint, form).await;
        let status = res.status();
        let body = res.text().await.unwrap();
        assert!(
            status.is_success() || status.is_redirection(),
            "{endpoint}: {status} {body}"
        );
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{endpoint}: {e}: {body}"))
    }

    /// Calls a server function that must fail, and decodes its typed error.
    pub async fn call_err(&self, endpoint: &str, form: &[(&str, &str)]) -> app::error::AppError {
        let res = self.call(endpoint, form).await;
        let status = res.status();
        let body = res.text().await.unwrap();
        assert!(
            !status.is_success(),
            "{endpoint} should fail but answered {status}: {body}"
        );
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("{endpoint}: {e}: {body}"))
    }
}

/// A fresh migrated database holding the bundled price series, with its URL.
pub async fn seeded_database() -> (String, PgPool) {
    let url = fresh_database_url().await;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(8)
        .connect(&url)
        .await
        .expect("test database connection");
    sqlx::migrate!("../migrations")
        .run(&pool)
        .await
        .expect("migrations run");
    server::seed::load_bundled(&pool)
        .await
        .expect("bundled series load");
    (url, pool)
}

// ---- requests -----------------------------------------------------------------------------------

impl TestApp {
    /// GET under `/api/v1`: status and JSON body.
    pub async fn api(&self, path: &str) -> (u16, serde_json::Value) {
        self.get_json(&format!("/api/v1{path}")).await
    }

    /// GET under `/api/v1` that must answer 200, decoded.
    pub async fn api_ok<T: serde::de::DeserializeOwned>(&self, path: &str) -> T {
        let (status, json) = self.api(path).await;
        assert_eq!(status, 200, "{path}: {json}");
        serde_json::from_value(json).unwrap()
    }

    /// POST a JSON body (with a bearer token when given): status and JSON body.
    pub async fn post_json(
        &self,
        path: &str,
        body: &serde_json::Value,
        token: Option<&str>,
    ) -> (u16, serde_json::Value) {
        let mut req = self
            .client
            .post(format!("{}{path}", self.address))
            .header("Origin", &self.address)
            .json(body);
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        let res = req.send().await.expect("request sent");
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
        (status, json)
    }
}

impl TestApp {
    /// Registers `username` (logged in on this app's client from then on).
    pub async fn register(&self, username: &str) {
        let _: serde_json::Value = self
            .call_ok(
                "register",
                &[
                    ("username", username),
                    ("password", "correct horse battery"),
                    ("password_confirm", "correct horse battery"),
                ],
            )
            .await;
    }

    /// An API key of a new account `username` (an administrator when `admin`), made through the
    /// API the way an account page does. The client stays logged in as that account.
    pub async fn api_key(&self, username: &str, admin: bool) -> String {
        self.register(username).await;
        if admin {
            sqlx::query("update users set role = 'admin', tier = 'admin' where username = $1")
                .bind(username)
                .execute(&self.pool)
                .await
                .unwrap();
        }
        let (status, body) = self
            .post_json("/api/v1/keys", &serde_json::json!({"name": "tests"}), None)
            .await;
        assert_eq!(status, 201, "{body}");
        if admin {
            // The key was made with the tier the app had in memory for the account; before its
            // first use, give it the one the account has now.
            sqlx::query("update api_keys set tier = 'admin' where id = $1")
                .bind(body["key"]["id"].as_str().unwrap())
                .execute(&self.pool)
                .await
                .unwrap();
        }
        body["secret"].as_str().unwrap().to_string()
    }

    /// GET with an API key or token in `X-API-Key` / `Authorization`: status and JSON body.
    pub async fn get_json_with(&self, path: &str, key: &str) -> (u16, serde_json::Value) {
        let res = self
            .client
            .get(format!("{}{path}", self.address))
            .header("X-API-Key", key)
            .send()
            .await
            .expect("request sent");
        let status = res.status().as_u16();
        let body = res.text().await.unwrap();
        let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{path}: {e}: {body}"));
        (status, json)
    }

    /// A client with no cookies (nobody logged in), for requests made with a key alone.
    pub fn fresh_client() -> reqwest::Client {
        reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
    }
}

// ---- fixtures -----------------------------------------------------------------------------------

/// A ticker symbol from a literal.
pub fn sym(s: &str) -> app::domain::Symbol {
    app::domain::Symbol::parse(s).unwrap()
}

/// A date from `YYYY-MM-DD`.
pub fn day(s: &str) -> chrono::NaiveDate {
    s.parse().unwrap()
}

/// The ids of the served models, in display order.
pub fn served_models() -> Vec<&'static str> {
    forecast::ModelId::served()
        .iter()
        .map(|m| m.as_str())
        .collect()
}

/// The models a cold symbol gets a training job for, by name: every served model that is not a
/// baseline, and the ensemble's members (it is combined from their records).
pub fn models_to_train() -> Vec<&'static str> {
    use forecast::registry::{ModelId, ModelSpec};
    let mut out: Vec<&'static str> = ModelId::served()
        .iter()
        .copied()
        .chain(match ModelSpec::default_for(ModelId::Ensemble, 0) {
            Ok(ModelSpec::Ensemble(e)) => e.members.iter().map(|m| m.id()).collect(),
            _ => vec![],
        })
        .filter(|m| !m.is_baseline())
        .map(|m| m.as_str())
        .collect();
    out.sort();
    out.dedup();
    out
}

// ---- assertions ---------------------------------------------------------------------------------

/// Asserts the API's one error shape, its status and code.
#[track_caller]
pub fn assert_error(status: u16, body: &serde_json::Value, expected_status: u16, code: &str) {
    assert_eq!(status, expected_status, "{body}");
    assert_error_shape(body, code);
}

/// Asserts the one error shape (`{"error": {"code", "message"}}` and nothing else) and its code.
#[track_caller]
pub fn assert_error_shape(body: &serde_json::Value, code: &str) {
    assert_eq!(body["error"]["code"], code, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    assert_eq!(
        body.as_object().map(|o| o.len()),
        Some(1),
        "only `error`: {body}"
    );
}

/// Asserts `actual` is within `tol` of `expected`, relative to `expected`'s size (absolute below 1).
#[track_caller]
pub fn assert_close(actual: f64, expected: f64, tol: f64) {
    let scale = expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tol * scale,
        "expected {expected}, got {actual} (tolerance {tol})"
    );
}
