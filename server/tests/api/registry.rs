//! The model registry against a real Postgres and a local artifact folder: version numbering,
//! the promotion rule, rollback, the one-current-version index and checksum verification.

use chrono::NaiveDate;
use forecast::metrics::Metrics;
use forecast::registry::{Artifact, ModelId, ModelSpec};
use forecast::{Fit, Ohlcv};
use server::registry::{
    ArtifactStore, Evaluation, HorizonMetrics, NewVersion, Registry, RegistryError, VersionStatus,
    PROMOTION_TOLERANCE,
};
use sqlx::PgPool;
use uuid::Uuid;

use crate::kit::{migrated_pool, spawn_app};

fn msft() -> app::domain::Symbol {
    app::domain::Symbol::parse("MSFT").unwrap()
}

fn metrics(rel: f64) -> Metrics {
    Metrics {
        mae: rel,
        rmse: rel * 1.3,
        mape_pct: 1.0,
        mase: Some(rel),
        mae_rel_naive: Some(rel),
        dm_p: Some(0.5),
        da_pct: Some(51.0),
        da_p: Some(0.7),
        cov95_pct: Some(94.0),
        pi_width_pct: Some(6.0),
        cov99_pct: Some(98.5),
        pi99_width_pct: Some(8.0),
        dm_p_better: Some(0.25),
        up_pct: Some(53.0),
        da_p_vs_up: Some(0.8),
    }
}

/// An empty walk-forward record (what the registry stores beside the metrics).
fn no_record() -> forecast::backtest::Backtest {
    forecast::backtest::Backtest {
        origins: vec![],
        dates: vec![],
        last_close: vec![],
        horizons: vec![],
        refits: vec![],
        mase_scale: 1.0,
        wall_s: 0.0,
    }
}

fn date(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2017, 10, d).unwrap()
}

async fn registry() -> (PgPool, Registry, std::path::PathBuf) {
    let pool = migrated_pool().await;
    let dir = std::env::temp_dir().join(format!("tc-registry-{}", Uuid::new_v4().simple()));
    let store = ArtifactStore::open(None, &dir).unwrap();
    (pool.clone(), Registry::new(pool, store), dir)
}

/// Stores a real (drift) artifact and records it with MAE/naive `rel` at every horizon.
async fn record(
    reg: &Registry,
    pool: &PgPool,
    model: ModelId,
    rel: f64,
) -> server::registry::ModelVersion {
    record_against(reg, pool, model, rel, None).await
}

/// Like [`record`], the current version having scored `current_on_same_origins` on this one's
/// origins (when the two were evaluated on different windows).
async fn record_against(
    reg: &Registry,
    pool: &PgPool,
    model: ModelId,
    rel: f64,
    current_on_same_origins: Option<Option<f64>>,
) -> server::registry::ModelVersion {
    let history = Ohlcv::from_closes(&[10.0, 10.4, 10.1, 10.9, 11.2]).unwrap();
    let fitted = ModelSpec::default_for(ModelId::Drift, 0)
        .unwrap()
        .fit(&history)
        .unwrap();
    let id = Uuid::new_v4();
    let key = Registry::artifact_key(&msft(), model, id);
    // The artifact's own id must match the registered model for `load` to accept it.
    let stored = reg
        .store()
        .put(&key, &Artifact::new(ModelId::Drift, fitted))
        .await
        .unwrap();
    let mut tx = pool.begin().await.unwrap();
    let v = Registry::record(
        &mut tx,
        NewVersion {
            id,
            symbol: msft(),
            model,
            params: serde_json::json!({"model": model.as_str()}),
            data_first: date(1),
            data_last: date(31),
            rows: 22,
            evaluation: Evaluation {
                first: date(2),
                last: date(20),
                origins: 14,
                horizons: [1, 2, 5]
                    .into_iter()
                    .map(|h| HorizonMetrics {
                        h,
                        metrics: metrics(rel),
                    })
                    .collect(),
            },
            artifact: stored,
            job_id: None,
            record: no_record(),
            label: None,
            calibration: vec![],
            strategy: None,
            current_on_same_origins,
        },
    )
    .await
    .unwrap();
    tx.commit().await.unwrap();
    v
}

#[tokio::test]
async fn a_version_no_worse_than_the_current_one_is_promoted_and_a_worse_one_rejected() {
    let (pool, reg, dir) = registry().await;
    let v1 = record(&reg, &pool, ModelId::Drift, 0.98).await;
    assert_eq!((v1.version, v1.status), (1, VersionStatus::Current));
    assert!((v1.score.unwrap() - 0.98).abs() < 1e-12);

    // Within the tolerance: promoted, the old one retired.
    let v2 = record(
        &reg,
        &pool,
        ModelId::Drift,
        0.98 + PROMOTION_TOLERANCE / 2.0,
    )
    .await;
    assert_eq!((v2.version, v2.status), (2, VersionStatus::Current));
    assert_eq!(reg.get(v1.id).await.unwrap().status, VersionStatus::Retired);

    // Clearly worse: recorded, rejected, the current one stays.
    let v3 = record(&reg, &pool, ModelId::Drift, 1.20).await;
    assert_eq!((v3.version, v3.status), (3, VersionStatus::Rejected));
    let current = reg
        .current_for(&msft(), ModelId::Drift)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(current.id, v2.id);

    // Versions are numbered per (symbol, model).
    let other = record(&reg, &pool, ModelId::Naive, 1.0).await;
    assert_eq!((other.version, other.status), (1, VersionStatus::Current));
    let listed: Vec<_> = reg
        .list_current()
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.model, v.version))
        .collect();
    assert_eq!(listed, [(ModelId::Naive, 1), (ModelId::Drift, 2)]);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn rollback_makes_any_earlier_version_current_in_one_call() {
    let (pool, reg, dir) = registry().await;
    let v1 = record(&reg, &pool, ModelId::Drift, 1.0).await;
    let v2 = record(&reg, &pool, ModelId::Drift, 0.9).await;
    let v3 = record(&reg, &pool, ModelId::Drift, 1.5).await;
    assert_eq!(v3.status, VersionStatus::Rejected);

    let back = reg.rollback(&msft(), ModelId::Drift, 1).await.unwrap();
    assert_eq!((back.id, back.status), (v1.id, VersionStatus::Current));
    assert_eq!(reg.get(v2.id).await.unwrap().status, VersionStatus::Retired);
    // Even a rejected version can be made current by an operator.
    reg.rollback(&msft(), ModelId::Drift, 3).await.unwrap();
    let statuses: Vec<_> = reg
        .versions(&msft(), ModelId::Drift)
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.version, v.status))
        .collect();
    assert_eq!(
        statuses,
        [
            (3, VersionStatus::Current),
            (2, VersionStatus::Retired),
            (1, VersionStatus::Retired)
        ]
    );
    let err = reg.rollback(&msft(), ModelId::Drift, 9).await.unwrap_err();
    assert!(matches!(err, RegistryError::NotFound(_)), "{err}");
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_database_allows_only_one_current_version_per_symbol_and_model() {
    let (pool, reg, dir) = registry().await;
    let v1 = record(&reg, &pool, ModelId::Drift, 1.0).await;
    let v2 = record(&reg, &pool, ModelId::Drift, 2.0).await;
    assert_eq!(v2.status, VersionStatus::Rejected);
    let err = sqlx::query("update model_versions set status = 'current' where id = $1")
        .bind(v2.id)
        .execute(&pool)
        .await
        .unwrap_err();
    assert!(
        err.to_string().contains("model_versions_one_current"),
        "{err}"
    );
    assert_eq!(reg.get(v1.id).await.unwrap().status, VersionStatus::Current);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_changed_artifact_is_refused_on_load_with_a_checksum_error() {
    let (pool, reg, dir) = registry().await;
    let v = record(&reg, &pool, ModelId::Drift, 1.0).await;
    assert!(reg.load(&v).await.is_ok());
    let mut bytes = std::fs::read(dir.join(&v.artifact_key)).unwrap();
    let last = bytes.len() - 1;
    bytes[last] ^= 0xff;
    reg.store()
        .overwrite_raw(&v.artifact_key, bytes)
        .await
        .unwrap();
    let err = reg.load(&v).await.unwrap_err();
    assert!(matches!(err, RegistryError::Checksum { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains(&v.artifact_key) && msg.contains(&v.artifact_sha256),
        "{msg}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn promotion_compares_the_candidate_with_the_current_version_on_the_same_origins() {
    let (pool, reg, dir) = registry().await;
    let v1 = record(&reg, &pool, ModelId::Drift, 0.98).await;
    // On a newer, harder window the candidate scores 1.02: against v1's stored 0.98 (an easier
    // window) it would be rejected, but v1 re-measured on the same origins scores 1.03.
    let v2 = record_against(&reg, &pool, ModelId::Drift, 1.02, Some(Some(1.03))).await;
    assert_eq!(v2.status, VersionStatus::Current);
    assert_eq!(reg.get(v1.id).await.unwrap().status, VersionStatus::Retired);
    // Worse than the current one on the same origins: rejected.
    let v3 = record_against(&reg, &pool, ModelId::Drift, 1.10, Some(Some(1.02))).await;
    assert_eq!(v3.status, VersionStatus::Rejected);
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn current_versions_older_than_the_configured_age_are_due_for_retraining() {
    let (pool, reg, dir) = registry().await;
    let old = record(&reg, &pool, ModelId::Drift, 0.99).await;
    let fresh = record(&reg, &pool, ModelId::Naive, 1.0).await;
    sqlx::query("update model_versions set created_at = now() - interval '20 days' where id = $1")
        .bind(old.id)
        .execute(&pool)
        .await
        .unwrap();
    let current = reg.list_current().await.unwrap();
    let due: Vec<ModelId> =
        server::worker::too_old(&current, chrono::Utc::now(), chrono::Duration::days(14))
            .map(|v| v.model)
            .collect();
    assert_eq!(due, [ModelId::Drift], "the 20-day-old one only");
    assert!(current.iter().any(|v| v.id == fresh.id));
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn the_models_page_lists_every_version_and_only_an_administrator_rolls_back() {
    let app = spawn_app().await;
    let dir = std::env::temp_dir().join(format!("tc-registry-{}", Uuid::new_v4().simple()));
    let reg = Registry::new(app.pool.clone(), ArtifactStore::open(None, &dir).unwrap());
    let v1 = record(&reg, &app.pool, ModelId::Drift, 0.99).await;
    let v2 = record(&reg, &app.pool, ModelId::Drift, 0.97).await;
    assert_eq!(v2.status, VersionStatus::Current);

    let html = app.get("/models/MSFT").await.text().await.unwrap();
    assert_eq!(
        html.matches("data-testid=\"version-row\"").count(),
        2,
        "{html}"
    );
    assert!(html.contains("data-state=\"retired\""), "v1 was replaced");
    assert!(
        !html.contains("data-testid=\"roll-back\""),
        "anonymous: no action"
    );
    // Not an administrator: refused, nothing changes.
    app.register("member").await;
    let res = app
        .call(
            "roll_back_model",
            &[("symbol", "MSFT"), ("model", "drift"), ("version", "1")],
        )
        .await;
    assert_eq!(res.status(), 401);
    let current = || async {
        reg.current_for(&msft(), ModelId::Drift)
            .await
            .unwrap()
            .unwrap()
            .id
    };
    assert_eq!(current().await, v2.id);

    // An administrator (with a key: a session keeps the standing it had for up to a minute).
    let key = app.api_key("boss", true).await;
    let admin = crate::kit::TestApp::fresh_client();
    let html = admin
        .get(format!("{}/models/MSFT", app.address))
        .header("X-API-Key", &key)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("data-testid=\"roll-back\""), "{html}");
    let roll_back = |version: &'static str| {
        admin
            .post(format!("{}/api/roll_back_model", app.address))
            .header("X-API-Key", &key)
            .header("Accept", "application/json")
            .form(&[("symbol", "MSFT"), ("model", "drift"), ("version", version)])
            .send()
    };
    let res = roll_back("1").await.unwrap();
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    assert_eq!(current().await, v1.id);
    // A version that does not exist is a clear 400.
    assert_eq!(roll_back("9").await.unwrap().status(), 400);
    let _ = std::fs::remove_dir_all(dir);
}
