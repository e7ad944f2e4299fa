//! `GET /api/v1/export/{prices|predictions|evaluation}/{symbol}?format=csv|json&from=&to=`: a
//! download, streamed a page at a time (a price history of decades is never held whole), named by
//! `Content-Disposition`.

use axum::body::{Body, Bytes};
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use futures::stream::{self, Stream, StreamExt};
use serde::{Deserialize, Serialize};

use app::domain::{DateWindow, ExportFormat, ExportKind, Symbol};
use app::model::{EvaluationRow, PredictionRow, PriceRow};
use app::ssr::ServiceError;

use super::error::{ApiError, ErrorBody};
use crate::routes::AppState;

/// Rows fetched per page.
const PAGE: usize = 1000;

/// A row of a JSON download, whichever kind. For the OpenAPI document only.
#[derive(Serialize, utoipa::ToSchema)]
#[serde(untagged)]
#[allow(dead_code)] // never built: it only describes the answer
pub enum ExportRow {
    /// A price download's row.
    Price(PriceRow),
    /// A prediction download's row.
    Prediction(PredictionRow),
    /// A walk-forward record's row.
    Evaluation(EvaluationRow),
}

/// `?format=&from=&to=`.
#[derive(Debug, Deserialize)]
pub struct ExportParams {
    format: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// Prices (raw and adjusted: `date,open,high,low,close,volume,adj_open,adj_high,adj_low,adj_close`),
/// recorded predictions with their actuals (`model,version,as_of,horizon,target_date,last_close,
/// point,lo95,hi95,actual`; `from`/`to` bound the target day) or every model version's
/// walk-forward record per horizon (`model,version,state,trained,…,horizon,mae_rel_naive,cov95_pct`;
/// `from`/`to` do not apply), as CSV with a header row or a JSON array of the same fields.
#[utoipa::path(
    get,
    path = "/api/v1/export/{what}/{symbol}",
    tag = "market",
    params(
        ("what" = String, Path, description = "prices, predictions or evaluation", pattern = "^(prices|predictions|evaluation)$"),
        ("symbol" = Symbol, Path, description = "Ticker symbol (`^` as `%5E`)"),
        ("format" = Option<String>, Query, description = "csv (default) or json", pattern = "^(csv|json)$"),
        ("from" = Option<String>, Query, description = "First day, YYYY-MM-DD", format = Date),
        ("to" = Option<String>, Query, description = "Last day, YYYY-MM-DD", format = Date),
    ),
    responses(
        (status = 200, description = "The file: CSV with a header row, or a JSON array of rows (`PriceRow`, `PredictionRow` or `EvaluationRow`)", content(
            (String = "text/csv"),
            (Vec<ExportRow> = "application/json"),
        )),
        (status = 400, description = "Unknown kind, format or malformed dates", body = ErrorBody),
        (status = 404, description = "Unknown symbol", body = ErrorBody),
    )
)]
pub async fn export(
    State(state): State<AppState>,
    path: Result<Path<(String, String)>, PathRejection>,
    query: Result<Query<ExportParams>, QueryRejection>,
) -> Result<Response, ApiError> {
    let Path((what, raw)) = path.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let kind = ExportKind::parse(&what).map_err(ApiError::bad_request)?;
    let symbol = Symbol::parse(&raw).map_err(ApiError::invalid_symbol)?;
    let Query(params) = query.map_err(|e| ApiError::bad_request(e.body_text()))?;
    let format = ExportFormat::parse(params.format.as_deref()).map_err(ApiError::bad_request)?;
    let window = DateWindow::parse(params.from.as_deref(), params.to.as_deref())
        .map_err(ApiError::bad_request)?;
    let exports = state.ctx.exports.clone();
    let filename = format!(
        "{}-{}.{}",
        file_safe(symbol.as_str()),
        kind.as_str(),
        format.extension()
    );
    // The first page answers before the status is sent, so an unknown symbol is still a 404.
    let body = match kind {
        ExportKind::Prices => {
            let first = exports.prices(&symbol, window, None, PAGE).await?;
            encoded(
                format,
                paged(
                    first,
                    move |after: Option<NaiveDate>| {
                        let (exports, symbol) = (exports.clone(), symbol.clone());
                        async move { exports.prices(&symbol, window, after, PAGE).await }
                    },
                    |row| Some(row.date),
                ),
            )
        }
        ExportKind::Predictions => {
            let first = exports.predictions(&symbol, window, 0, PAGE).await?;
            let mut seen = first.len();
            encoded(
                format,
                paged(
                    first,
                    move |_: Option<()>| {
                        let (exports, symbol, skip) = (exports.clone(), symbol.clone(), seen);
                        seen += PAGE;
                        async move { exports.predictions(&symbol, window, skip, PAGE).await }
                    },
                    |_| Some(()),
                ),
            )
        }
        ExportKind::Evaluation => {
            let rows = exports.evaluation(&symbol).await?;
            encoded(format, stream::iter(vec![Ok(rows)]).boxed())
        }
    };
    let content_type = match format {
        ExportFormat::Csv => "text/csv; charset=utf-8",
        ExportFormat::Json => "application/json",
    };
    Ok((
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response())
}

/// The pages of a download: `first`, then each page `next(cursor of the last row)` answers, until
/// one comes back shorter than a full page.
fn paged<T, C, F, Fut>(
    first: Vec<T>,
    mut next: F,
    cursor: fn(&T) -> Option<C>,
) -> stream::BoxStream<'static, Result<Vec<T>, ServiceError>>
where
    T: Send + 'static,
    C: Send + 'static,
    F: FnMut(Option<C>) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<Vec<T>, ServiceError>> + Send + 'static,
{
    let full = first.len() == PAGE;
    let after = first.last().and_then(cursor);
    let rest = stream::unfold((full, after), move |(more, after)| {
        let fetch = more.then(|| next(after));
        async move {
            let page = fetch?.await;
            let more = matches!(&page, Ok(rows) if rows.len() == PAGE);
            let after = page
                .as_ref()
                .ok()
                .and_then(|rows| rows.last().and_then(cursor));
            Some((page, (more, after)))
        }
    });
    stream::iter(vec![Ok(first)]).chain(rest).boxed()
}

/// Pages of rows as a CSV (header first) or JSON array body. A page that fails after the answer
/// began ends the body early (the client sees a cut file), and the cause goes to the log.
fn encoded<T: Serialize + Send + 'static>(
    format: ExportFormat,
    pages: stream::BoxStream<'static, Result<Vec<T>, ServiceError>>,
) -> Body {
    let mut first = true;
    let chunks = pages.map(move |page| {
        let rows = page.map_err(|e| {
            tracing::error!(error = %e, "export stopped");
            std::io::Error::other("the export stopped")
        })?;
        let bytes = match format {
            ExportFormat::Csv => csv_chunk(&rows, first).map_err(std::io::Error::other)?,
            ExportFormat::Json => json_chunk(&rows, first).map_err(std::io::Error::other)?,
        };
        first = false;
        Ok::<_, std::io::Error>(Bytes::from(bytes))
    });
    let close: Box<dyn Stream<Item = Result<Bytes, std::io::Error>> + Send + Unpin> = match format {
        ExportFormat::Csv => Box::new(stream::empty()),
        ExportFormat::Json => Box::new(stream::iter(vec![Ok(Bytes::from_static(b"]"))])),
    };
    Body::from_stream(chunks.chain(close))
}

fn csv_chunk<T: Serialize>(rows: &[T], header: bool) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::WriterBuilder::new()
        .has_headers(header)
        .from_writer(Vec::new());
    for row in rows {
        w.serialize(row)?;
    }
    w.into_inner().map_err(|e| e.into_error().into())
}

fn json_chunk<T: Serialize>(rows: &[T], opening: bool) -> Result<Vec<u8>, serde_json::Error> {
    let mut out = Vec::new();
    for (i, row) in rows.iter().enumerate() {
        out.push(if opening && i == 0 { b'[' } else { b',' });
        serde_json::to_writer(&mut out, row)?;
    }
    if opening && rows.is_empty() {
        out.push(b'[');
    }
    Ok(out)
}

/// A symbol as a file name: `^GSPC` → `GSPC`.
fn file_safe(symbol: &str) -> String {
    symbol
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-'))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    struct Row {
        a: i32,
        b: Option<f64>,
    }

    #[test]
    fn csv_pages_carry_the_header_once_and_json_pages_make_one_array() {
        let page = [Row { a: 1, b: None }, Row { a: 2, b: Some(0.5) }];
        assert_eq!(csv_chunk(&page, true).unwrap(), b"a,b\n1,\n2,0.5\n");
        assert_eq!(csv_chunk(&page, false).unwrap(), b"1,\n2,0.5\n");
        let mut json = json_chunk(&page, true).unwrap();
        json.extend(json_chunk(&page[..1], false).unwrap());
        json.push(b']');
        let parsed: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(parsed.as_array().unwrap().len(), 3);
        let mut empty = json_chunk::<Row>(&[], true).unwrap();
        empty.push(b']');
        assert_eq!(empty, b"[]");
        assert_eq!(file_safe("^GSPC"), "GSPC");
    }
}
