//! SQL for served predictions: record them, read back the latest for an as-of, fill actuals when
//! the target bar arrives, and the predicted-vs-actual history.

use std::collections::BTreeMap;

use app::domain::Symbol;
use app::model::{
    HistoryPoint, ModelHistory, ModelMetrics, ModelPrediction, ModelState, PredictedStep,
    TradeSignal, Training,
};
use chrono::NaiveDate;
use forecast::registry::ModelId;
use sqlx::types::Json;
use sqlx::PgPool;

/// A stored value that does not parse is a decode error, never a default.
fn decode(e: impl std::fmt::Display) -> sqlx::Error {
    sqlx::Error::Decode(e.to_string().into())
}

/// Records every horizon of every ready model. A prediction already recorded for the same
/// symbol, model, version, as-of and horizon is kept as first served (the unique key), so
/// recording is idempotent under concurrent requests.
#[tracing::instrument(skip(pool, models), fields(models = models.len()), err)]
pub async fn record(
    pool: &PgPool,
    symbol: &Symbol,
    as_of: NaiveDate,
    last_close: f64,
    models: &[ModelPrediction],
) -> Result<u64, sqlx::Error> {
    let mut tx = pool.begin().await?;
    let mut inserted = 0;
    for m in models.iter().filter(|m| m.status == ModelState::Ready) {
        let Some(version) = m.version else { continue };
        for s in &m.horizons {
            inserted += sqlx::query!(
                "insert into predictions (symbol, model, version, as_of, horizon, target_date,
                     last_close, point, lo95, hi95, lo99, hi99, signal, confidence, metrics,
                     label, confidence_label, trained)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                         $17, $18)
                 on conflict (symbol, model, version, as_of, horizon) do nothing",
                symbol.as_str(),
                m.model.as_str(),
                version,
                as_of as _,
                s.h as i16,
                s.target_date as _,
                last_close,
                s.point,
                s.lo95,
                s.hi95,
                s.lo99,
                s.hi99,
                s.signal.as_str(),
                s.confidence,
                m.metrics.as_ref().map(Json) as _,
                m.label,
                s.confidence_label,
                m.trained.as_ref().map(Json) as _,
            )
            .execute(&mut *tx)
            .await?
            .rows_affected();
        }
    }
    tx.commit().await?;
    Ok(inserted)
}

struct RecordedRow {
    model: String,
    version: i32,
    horizon: i16,
    target_date: NaiveDate,
    point: f64,
    lo95: Option<f64>,
    hi95: Option<f64>,
    lo99: Option<f64>,
    hi99: Option<f64>,
    signal: TradeSignal,
    confidence: f64,
    metrics: Option<Json<ModelMetrics>>,
    label: Option<String>,
    confidence_label: Option<String>,
    trained: Option<Json<Training>>,
}

/// The recorded predictions from `as_of`, the highest version of each model, one entry per model.
#[tracing::instrument(skip(pool), err)]
pub async fn recorded(
    pool: &PgPool,
    symbol: &Symbol,
    as_of: NaiveDate,
) -> Result<Vec<ModelPrediction>, sqlx::Error> {
    let rows = sqlx::query_as!(
        RecordedRow,
        r#"select p.model, p.version, p.horizon, p.target_date as "target_date: NaiveDate",
                  p.point, p.lo95, p.hi95, p.lo99, p.hi99, p.signal as "signal: TradeSignal",
                  p.confidence, p.metrics as "metrics: Json<ModelMetrics>", p.label,
                  p.confidence_label, p.trained as "trained: Json<Training>"
           from predictions p
           join (select model, max(version) as version from predictions
                 where symbol = $1 and as_of = $2 group by model) latest
             on latest.model = p.model and latest.version = p.version
           where p.symbol = $1 and p.as_of = $2
           order by p.model, p.horizon"#,
        symbol.as_str(),
        as_of as _,
    )
    .fetch_all(pool)
    .await?;
    let mut by_model: BTreeMap<String, ModelPrediction> = BTreeMap::new();
    for r in rows {
        let model: ModelId = r.model.parse().map_err(|e: forecast::Error| decode(e))?;
        let entry = by_model
            .entry(r.model.clone())
            .or_insert_with(|| ModelPrediction {
                model,
                version: Some(r.version),
                label: r.label.clone(),
                trained: r.trained.clone().map(|t| t.0),
                status: ModelState::Ready,
                message: None,
                metrics: r.metrics.clone().map(|j| j.0),
                horizons: Vec::new(),
            });
        entry.horizons.push(PredictedStep {
            h: r.horizon as usize,
            target_date: r.target_date,
            point: r.point,
            lo95: r.lo95,
            hi95: r.hi95,
            lo99: r.lo99,
            hi99: r.hi99,
            signal: r.signal,
            confidence: r.confidence,
            confidence_label: r.confidence_label,
        });
    }
    Ok(by_model.into_values().collect())
}

/// Copies the close of each target date's bar into the predictions still waiting for it, for one
/// symbol or (`None`) every symbol. Run after bars are stored; returns how many were filled.
#[tracing::instrument(skip(pool), err)]
pub async fn fill_actuals(pool: &PgPool, symbol: Option<&Symbol>) -> Result<u64, sqlx::Error> {
    let done = sqlx::query!(
        "update predictions p set actual = b.close, filled_at = now()
         from daily_bars b
         where p.actual is null and b.symbol = p.symbol and b.date = p.target_date
           and ($1::text is null or p.symbol = $1)",
        symbol.map(Symbol::as_str),
    )
    .execute(pool)
    .await?
    .rows_affected();
    Ok(done)
}

/// Up to `limit` recorded predictions of `symbol` whose target day lies from `from` to `to`,
/// after the first `skip` in (as-of, model, version, horizon) order: one page of a download.
/// Rows of a model this build no longer knows are skipped.
pub async fn prediction_page(
    pool: &PgPool,
    symbol: &Symbol,
    (from, to): (Option<NaiveDate>, Option<NaiveDate>),
    skip: i64,
    limit: i64,
) -> Result<Vec<app::model::PredictionRow>, sqlx::Error> {
    let rows = sqlx::query_as!(
        HistoryRow,
        r#"select model, version, as_of as "as_of: NaiveDate", horizon,
                  target_date as "target_date: NaiveDate", last_close, point, lo95, hi95, actual
           from predictions
           where symbol = $1 and ($2::date is null or target_date >= $2)
             and ($3::date is null or target_date <= $3)
           order by as_of, model, version, horizon
           offset $4 limit $5"#,
        symbol.as_str(),
        from as _,
        to as _,
        skip,
        limit,
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| {
            Some(app::model::PredictionRow {
                model: r.model.parse().ok()?,
                version: r.version,
                as_of: r.as_of,
                horizon: r.horizon,
                target_date: r.target_date,
                last_close: r.last_close,
                point: r.point,
                lo95: r.lo95,
                hi95: r.hi95,
                actual: r.actual,
            })
        })
        .collect())
}

struct HistoryRow {
    model: String,
    version: i32,
    as_of: NaiveDate,
    horizon: i16,
    target_date: NaiveDate,
    last_close: f64,
    point: f64,
    lo95: Option<f64>,
    hi95: Option<f64>,
    actual: Option<f64>,
}

/// Recorded predictions whose target date lies within `days` calendar days before the last stored
/// bar (or after it: still waiting), per model, with the running error of the filled ones.
#[tracing::instrument(skip(pool), err)]
pub async fn history(
    pool: &PgPool,
    symbol: &Symbol,
    since: NaiveDate,
) -> Result<Vec<ModelHistory>, sqlx::Error> {
    let rows = sqlx::query_as!(
        HistoryRow,
        r#"select model, version, as_of as "as_of: NaiveDate", horizon,
                  target_date as "target_date: NaiveDate", last_close, point, lo95, hi95, actual
           from predictions
           where symbol = $1 and target_date >= $2
           order by model, target_date, horizon, version"#,
        symbol.as_str(),
        since as _,
    )
    .fetch_all(pool)
    .await?;
    let mut out: Vec<ModelHistory> = Vec::new();
    let (mut abs, mut naive_abs, mut filled) = (0.0, 0.0, 0usize);
    for r in rows {
        let model: ModelId = r.model.parse().map_err(|e: forecast::Error| decode(e))?;
        if out.last().is_none_or(|m| m.model != model) {
            out.push(ModelHistory {
                model,
                filled: 0,
                mae: None,
                mae_rel_naive: None,
                points: Vec::new(),
            });
            (abs, naive_abs, filled) = (0.0, 0.0, 0);
        }
        let m = out.last_mut().expect("pushed above");
        if let Some(actual) = r.actual {
            abs += (r.point - actual).abs();
            naive_abs += (r.last_close - actual).abs();
            filled += 1;
            m.filled = filled;
            m.mae = Some(abs / filled as f64);
            m.mae_rel_naive = (naive_abs > 0.0).then(|| abs / naive_abs);
        }
        m.points.push(HistoryPoint {
            as_of: r.as_of,
            h: r.horizon as usize,
            target_date: r.target_date,
            version: r.version,
            last_close: r.last_close,
            point: r.point,
            lo95: r.lo95,
            hi95: r.hi95,
            actual: r.actual,
            running_mae: r.actual.and(m.mae),
            running_mae_rel_naive: r.actual.and(m.mae_rel_naive),
        });
    }
    Ok(out)
}

/// A current version's live record: its walk-forward score beside its live MAE/naive over its
/// most recent filled predictions.
#[derive(Debug, Clone, PartialEq)]
pub struct LiveError {
    /// Ticker.
    pub symbol: Symbol,
    /// Model.
    pub model: String,
    /// Walk-forward MAE/naive (the registry's score).
    pub score: Option<f64>,
    /// Live MAE/naive over the window.
    pub live: Option<f64>,
    /// Filled predictions in the window.
    pub filled: i64,
}

/// The live error of every current version (of `symbol` only, when given) over its last `window`
/// filled predictions. Live MAE/naive = sum|actual - point| / sum|actual - as-of close| (the naive
/// forecast is the as-of close).
pub async fn live_errors(
    pool: &PgPool,
    symbol: Option<&Symbol>,
    window: i64,
) -> Result<Vec<LiveError>, sqlx::Error> {
    sqlx::query_as!(
        LiveError,
        r#"select v.symbol as "symbol: Symbol", v.model, v.score,
                  sum(abs(p.actual - p.point)) / nullif(sum(abs(p.actual - p.last_close)), 0) as live,
                  count(p.*) as "filled!"
           from model_versions v
           cross join lateral (
               select actual, point, last_close from predictions p
               where p.symbol = v.symbol and p.model = v.model and p.version = v.version
                 and p.actual is not null
               order by p.target_date desc limit $1) p
           where v.status = 'current' and ($2::text is null or v.symbol = $2)
           group by v.symbol, v.model, v.score"#,
        window,
        symbol.map(Symbol::as_str),
    )
    .fetch_all(pool)
    .await
}

/// `model`'s newest one-day forecast for `symbol`'s session `day`, beside what happened.
#[derive(Debug, Clone, PartialEq)]
pub struct OneDayForecast {
    /// The close it was made from.
    pub last_close: f64,
    /// Its 95% range, when it has one.
    pub lo95: Option<f64>,
    pub hi95: Option<f64>,
    /// The close that happened, once filled.
    pub actual: Option<f64>,
}

/// The one-day forecast `model` made for `symbol`'s session `day` (its newest version's).
pub async fn one_day_forecast(
    pool: &PgPool,
    symbol: &Symbol,
    model: ModelId,
    day: NaiveDate,
) -> Result<Option<OneDayForecast>, sqlx::Error> {
    sqlx::query_as!(
        OneDayForecast,
        "select last_close, lo95, hi95, actual from predictions
         where symbol = $1 and model = $2 and horizon = 1 and target_date = $3
         order by as_of desc, version desc limit 1",
        symbol.as_str(),
        model.as_str(),
        day as _,
    )
    .fetch_optional(pool)
    .await
}

/// The signals of `model`'s two newest one-day forecasts for `symbol` (newest first), each with
/// its as-of day and the close it was made from.
pub async fn last_two_signals(
    pool: &PgPool,
    symbol: &Symbol,
    model: ModelId,
) -> Result<Vec<(NaiveDate, TradeSignal, f64)>, sqlx::Error> {
    let rows = sqlx::query!(
        r#"select distinct on (as_of) as_of as "as_of: NaiveDate", signal, last_close
           from predictions where symbol = $1 and model = $2 and horizon = 1
           order by as_of desc, version desc limit 2"#,
        symbol.as_str(),
        model.as_str(),
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok((
                r.as_of,
                r.signal.parse::<TradeSignal>().map_err(decode)?,
                r.last_close,
            ))
        })
        .collect()
}
