//! Importing a file of daily prices from the admin page.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::ImportReport;

/// Where [`import_prices`] is posted: the server lets files through up to the import's limit
/// there.
pub const IMPORT_FN_PATH: &str = "/api/import_prices";

/// Reads and checks `csv` for `symbol`, and stores it when `commit` (administrators only).
#[server(name = ImportPrices, endpoint = "import_prices")]
#[cfg_attr(feature = "ssr", tracing::instrument(skip(csv), err(level = "info")))]
pub async fn import_prices(
    symbol: String,
    name: Option<String>,
    csv: String,
    commit: bool,
    record_splits: bool,
) -> Result<ImportReport, AppError> {
    let symbol = crate::domain::Symbol::parse(&symbol).map_err(AppError::BadRequest)?;
    let name =
        crate::domain::TickerName::parse_optional(name.as_deref()).map_err(AppError::BadRequest)?;
    let caller = crate::ssr::caller().await?;
    let request = crate::ssr::ImportRequest {
        symbol,
        name,
        csv: csv.into_bytes(),
        commit,
        record_splits,
    };
    Ok(crate::ssr::ctx()?
        .imports
        .import_prices(&caller, request)
        .await?)
}
