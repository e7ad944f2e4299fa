//! The `Exports` port: a ticker's prices, recorded predictions and models' walk-forward records
//! as download rows, a page at a time (the edge streams the pages, so no file is held whole).

use std::sync::Arc;

use app::domain::{DateWindow, Symbol};
use app::model::{EvaluationRow, PredictionRow, PriceRow};
use app::ssr::{Exports, PredictionService, ServiceError};
use async_trait::async_trait;
use chrono::{Days, NaiveDate};
use sqlx::PgPool;

use crate::market::store::{self, bars};
use crate::predictions::store as predictions_store;

/// Downloads from Postgres and the prediction service's model records.
#[derive(Clone)]
pub struct ExportService {
    pool: PgPool,
    predictions: Arc<dyn PredictionService>,
}

impl ExportService {
    /// The service over `pool`, reading model records through `predictions`.
    pub fn new(pool: PgPool, predictions: Arc<dyn PredictionService>) -> Self {
        Self { pool, predictions }
    }

    /// The first page of a download says whether the ticker exists; later ones need not.
    async fn known(&self, symbol: &Symbol) -> Result<(), ServiceError> {
        match store::ticker(&self.pool, symbol).await? {
            Some(_) => Ok(()),
            None => Err(ServiceError::UnknownSymbol(symbol.clone())),
        }
    }
}

#[async_trait]
impl Exports for ExportService {
    #[tracing::instrument(skip(self), err(level = "info"))]
    async fn prices(
        &self,
        symbol: &Symbol,
        window: DateWindow,
        after: Option<NaiveDate>,
        limit: usize,
    ) -> Result<Vec<PriceRow>, ServiceError> {
        let from = match after {
            None => {
                self.known(symbol).await?;
                window.from
            }
            Some(day) => day.checked_add_days(Days::new(1)),
        };
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        Ok(bars::price_page(&self.pool, symbol, from, window.to, limit).await?)
    }

    #[tracing::instrument(skip(self), err(level = "info"))]
    async fn predictions(
        &self,
        symbol: &Symbol,
        window: DateWindow,
        skip: usize,
        limit: usize,
    ) -> Result<Vec<PredictionRow>, ServiceError> {
        if skip == 0 {
            self.known(symbol).await?;
        }
        let (skip, limit) = (
            i64::try_from(skip).unwrap_or(i64::MAX),
            i64::try_from(limit).unwrap_or(i64::MAX),
        );
        Ok(predictions_store::prediction_page(
            &self.pool,
            symbol,
            (window.from, window.to),
            skip,
            limit,
        )
        .await?)
    }

    #[tracing::instrument(skip(self), err(level = "info"))]
    async fn evaluation(&self, symbol: &Symbol) -> Result<Vec<EvaluationRow>, ServiceError> {
        let records = self.predictions.model_records(symbol).await?;
        Ok(records
            .into_iter()
            .flat_map(|r| {
                let model = r.model;
                r.versions.into_iter().flat_map(move |v| {
                    v.horizons.into_iter().map(move |h| EvaluationRow {
                        model,
                        version: v.version,
                        state: v.state.as_str().to_owned(),
                        trained: v.trained.to_rfc3339(),
                        data_from: v.data_from,
                        data_to: v.data_to,
                        window_from: v.window_from,
                        window_to: v.window_to,
                        origins: v.origins,
                        horizon: h.h,
                        mae_rel_naive: h.mae_rel_naive,
                        cov95_pct: h.cov95_pct,
                    })
                })
            })
            .collect())
    }
}
