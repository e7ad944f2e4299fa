//! Imports of daily prices from the CSV files people have (a Yahoo Finance download, Stooq, Alpha
//! Vantage, the project's own layout): the `Imports` port, for administrators.
//!
//! [`parse`] reads and checks the whole file first; a file with any problem changes nothing.
//! The bars are then stored in one transaction with the ticker row (for a new symbol) and the
//! splits and dividends the file's adjusted closes imply. Imported rows are raw bars like any
//! provider's, and a stored day is only rewritten when the file gives it differently, so the same
//! file imported twice adds nothing. Afterwards the recorded predictions get their actuals, and
//! every instance hears that the symbol's bars changed. The command line's import is
//! `crate::admin::import`.

pub mod parse;

use app::domain::{Caller, Symbol};
use app::model::{ImportReport, ImportedAction};
use app::ssr::{ImportRequest, Imports, ServiceError};
use async_trait::async_trait;
use sqlx::PgPool;

use crate::events::Events;
use crate::market::providers::DailyBar;
use crate::market::store::{self, ActionKind, CorporateAction, NewTicker};
use parse::{ImportError, ImportedRow, ParsedFile};

/// What the bars and actions of an import are stored as coming from.
const SOURCE: &str = "import";
/// Rows shown in a preview.
const PREVIEW_ROWS: usize = 5;
/// The smallest change of the adjustment factor read as an event, not rounding.
const FACTOR_NOISE: f64 = 1e-4;

/// The `Imports` port over Postgres.
#[derive(Clone)]
pub struct ImportService {
    pool: PgPool,
    events: Events,
    bars_needed: usize,
}

impl ImportService {
    /// Imports into `pool`, announcing new bars on `events`; `bars_needed` is the history a
    /// trained model needs, for the report's word on what the import allows.
    pub fn new(pool: PgPool, events: Events, bars_needed: usize) -> Self {
        Self {
            pool,
            events,
            bars_needed,
        }
    }

    /// Reads and (when `request.commit`) stores a file, without asking who is importing: the
    /// operator's command line calls this directly.
    pub async fn import(&self, request: ImportRequest) -> Result<ImportReport, ServiceError> {
        let parsed = parse::parse(&request.csv).map_err(rejected)?;
        self.refuse_double_adjustment(&request.symbol, &parsed)
            .await?;
        let actions = actions_of(&parsed, request.record_splits);
        let mut report = ImportReport {
            symbol: request.symbol.clone(),
            format: parsed.format.label().to_owned(),
            rows: parsed.rows.len(),
            first_date: parsed.rows[0].date,
            last_date: parsed.rows[parsed.rows.len() - 1].date,
            committed: false,
            inserted: 0,
            updated: 0,
            unchanged: 0,
            actions: actions
                .iter()
                .map(|a| ImportedAction {
                    date: a.ex_date,
                    kind: a.kind.as_str().to_owned(),
                    value: a.value,
                })
                .collect(),
            notes: parsed.notes.clone(),
            suspected_splits: parsed.suspected_splits.clone(),
            preview: parsed.rows.iter().take(PREVIEW_ROWS).cloned().collect(),
            history_note: String::new(),
        };
        if !request.commit {
            report.history_note = self.history_note(&request.symbol, parsed.rows.len(), false);
            return Ok(report);
        }
        let bars: Vec<DailyBar> = parsed.rows.iter().map(bar).collect();
        let mut tx = self.pool.begin().await?;
        let ticker = NewTicker {
            symbol: request.symbol.clone(),
            name: request
                .name
                .as_ref()
                .map_or_else(|| request.symbol.to_string(), |n| n.as_str().to_owned()),
            exchange: None,
            currency: None,
            kind: store::tickers::ticker_kind(&request.symbol, None),
            sector: None,
            industry: None,
            source: format!("Imported from a {} file", parsed.format.label()),
        };
        store::insert_ticker_if_missing(&mut *tx, &ticker).await?;
        let stored = store::upsert_daily_bars(&mut *tx, &request.symbol, &bars, SOURCE).await?;
        store::upsert_corporate_actions(&mut *tx, &request.symbol, &actions).await?;
        tx.commit().await?;
        report.committed = true;
        report.inserted = stored.inserted;
        report.updated = stored.updated;
        report.unchanged = (bars.len() as u64).saturating_sub(stored.inserted + stored.updated);
        // Stored: what follows may fail without the file being refused.
        if stored.inserted + stored.updated > 0 {
            crate::predictions::bars_stored(&self.pool, &self.events, &request.symbol).await;
        }
        report.history_note = match store::bars::bar_count(&self.pool, &request.symbol).await {
            Ok(total) => self.history_note(&request.symbol, total as usize, true),
            Err(e) => {
                tracing::warn!(error = %e, "stored history not counted after an import");
                self.history_note(&request.symbol, parsed.rows.len(), false)
            }
        };
        tracing::info!(
            symbol = %request.symbol,
            rows = report.rows,
            inserted = report.inserted,
            updated = report.updated,
            "prices imported"
        );
        Ok(report)
    }

    /// A split-adjusted download over days the symbol has a recorded split in would have that
    /// split applied twice (the stored bars are raw, and the adjusted series applies the
    /// recorded splits): refused, saying so.
    async fn refuse_double_adjustment(
        &self,
        symbol: &Symbol,
        parsed: &ParsedFile,
    ) -> Result<(), ServiceError> {
        if !parsed.format.split_adjusted() {
            return Ok(());
        }
        let (first, last) = (parsed.rows[0].date, parsed.rows[parsed.rows.len() - 1].date);
        let splits: Vec<String> = store::corporate_actions(&self.pool, symbol)
            .await?
            .into_iter()
            .filter(|a| a.kind == ActionKind::Split && first < a.ex_date && a.ex_date <= last)
            .map(|a| format!("{} ({}-for-1)", a.ex_date, a.value))
            .collect();
        if splits.is_empty() {
            return Ok(());
        }
        Err(ServiceError::InvalidInput(format!(
            "The file was not imported: {symbol} has splits recorded on {}, and a {}'s prices are \
             already adjusted for them, so they would count twice. Import it under a new symbol, \
             or import unadjusted prices (an Alpha Vantage daily file or the \
             date,open,high,low,close,volume layout).",
            splits.join(", "),
            parsed.format.label()
        )))
    }

    /// What a history of `bars` days allows, in plain words.
    fn history_note(&self, symbol: &Symbol, bars: usize, stored: bool) -> String {
        let has = if stored {
            format!("{symbol} now has {bars} trading days of history")
        } else {
            format!("The file holds {bars} trading days")
        };
        if bars >= self.bars_needed {
            format!("{has}: enough for every model to be trained and evaluated walk-forward.")
        } else {
            format!(
                "{has}: the baselines forecast from it, but each trained model needs {} trading \
                 days to be evaluated walk-forward, so none is trained until there are more.",
                self.bars_needed
            )
        }
    }
}

/// A file with problems: every one with its line (the parser's own account), in one message.
fn rejected(e: ImportError) -> ServiceError {
    ServiceError::InvalidInput(format!("The file was not imported: {e}"))
}

fn bar(r: &ImportedRow) -> DailyBar {
    DailyBar {
        date: r.date,
        open: r.open,
        high: r.high,
        low: r.low,
        close: r.close,
        volume: r.volume,
        adjusted_close: r.adj_close,
        dividend: None,
        split_ratio: None,
    }
}

/// The splits and dividends of an import: those the adjusted closes imply, and (when asked) the
/// suspected splits on days the adjusted closes say nothing about.
fn actions_of(parsed: &ParsedFile, record_splits: bool) -> Vec<CorporateAction> {
    let mut actions = parse::adjustment_factors(&parsed.rows)
        .map(|f| implied_actions(&parsed.rows, &f))
        .unwrap_or_default();
    if record_splits {
        for s in &parsed.suspected_splits {
            if !actions.iter().any(|a| a.ex_date == s.date) {
                actions.push(action(s.date, ActionKind::Split, split_ratio(s.ratio)));
            }
        }
        actions.sort_by_key(|a| a.ex_date);
    }
    actions
}

fn action(ex_date: chrono::NaiveDate, kind: ActionKind, value: f64) -> CorporateAction {
    CorporateAction {
        ex_date,
        kind,
        value,
        source: SOURCE.to_owned(),
    }
}

/// Reads events from the adjustment factor `f = adj_close / close` of consecutive days. The
/// adjusted series multiplies every day before an ex-date by `(1 − D / previous close)` for a
/// dividend `D`, and by `1 / r` for an `r`-for-1 split; so the factor's step `q = f[t−1] / f[t]`
/// gives the event on day `t`: a split when it is a step of at least 1.5 either way, else a
/// dividend `D = previous close × (1 − q)`.
fn implied_actions(rows: &[ImportedRow], factors: &[f64]) -> Vec<CorporateAction> {
    let mut out = Vec::new();
    for t in 1..rows.len() {
        let q = factors[t - 1] / factors[t];
        if !q.is_finite() || (q - 1.0).abs() < FACTOR_NOISE {
            continue;
        }
        if q <= 1.0 / 1.5 || q >= 1.5 {
            out.push(action(
                rows[t].date,
                ActionKind::Split,
                split_ratio(1.0 / q),
            ));
        } else if q < 1.0 {
            let dividend = rows[t - 1].close * (1.0 - q);
            out.push(action(
                rows[t].date,
                ActionKind::Dividend,
                (dividend * 1e4).round() / 1e4,
            ));
        }
        // A factor that grows by less than a split's step is rounding in the file: nothing.
    }
    out
}

/// A split ratio rounded to the whole or simple-fraction ratio it is near (1.98 → 2, 0.101 → 0.1).
fn split_ratio(raw: f64) -> f64 {
    let (value, invert) = if raw >= 1.0 {
        (raw, false)
    } else {
        (1.0 / raw, true)
    };
    // Halves cover 3-for-2 and 5-for-2; otherwise whole numbers.
    let rounded = if value < 4.0 {
        (value * 2.0).round() / 2.0
    } else {
        value.round()
    };
    let snapped = if (value - rounded).abs() <= 0.05 * rounded {
        rounded
    } else {
        (value * 100.0).round() / 100.0
    };
    if invert {
        1.0 / snapped
    } else {
        snapped
    }
}

#[async_trait]
impl Imports for ImportService {
    #[tracing::instrument(skip(self, request), fields(symbol = %request.symbol, bytes = request.csv.len(), commit = request.commit), err(level = "info"))]
    async fn import_prices(
        &self,
        caller: &Caller,
        request: ImportRequest,
    ) -> Result<ImportReport, ServiceError> {
        if !caller.is_admin() {
            return Err(match caller.user() {
                None => ServiceError::Unauthorized(
                    "Log in as an administrator to import prices.".into(),
                ),
                Some(_) => ServiceError::Forbidden("Only administrators can import prices.".into()),
            });
        }
        self.import(request).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn rows(closes: &[(f64, f64)]) -> Vec<ImportedRow> {
        let mut date = NaiveDate::from_ymd_opt(2024, 1, 2).unwrap();
        closes
            .iter()
            .enumerate()
            .map(|(i, &(close, adj))| {
                let r = ImportedRow {
                    line: i + 2,
                    date,
                    open: close,
                    high: close,
                    low: close,
                    close,
                    adj_close: Some(adj),
                    volume: 1,
                };
                date = date.succ_opt().unwrap();
                r
            })
            .collect()
    }

    #[test]
    fn a_dividend_and_a_split_are_read_from_the_adjusted_closes() {
        // Day 3 goes ex a 0.50 dividend (prior factor 1 − 0.5/100 = 0.995); day 5 splits 2-for-1
        // (the raw close halves, the adjusted one does not move).
        let r = rows(&[
            (100.0, 99.5 / 2.0),
            (100.0, 99.5 / 2.0),
            (99.0, 99.0 / 2.0),
            (98.0, 98.0 / 2.0),
            (49.0, 49.0),
        ]);
        let f = parse::adjustment_factors(&r).unwrap();
        let actions = implied_actions(&r, &f);
        assert_eq!(actions.len(), 2, "{actions:?}");
        assert_eq!(actions[0].kind, ActionKind::Dividend);
        assert_eq!(actions[0].ex_date, r[2].date);
        assert!(
            (actions[0].value - 0.5).abs() < 1e-9,
            "{}",
            actions[0].value
        );
        assert_eq!(actions[1].kind, ActionKind::Split);
        assert_eq!(actions[1].ex_date, r[4].date);
        assert_eq!(actions[1].value, 2.0);
    }

    #[test]
    fn equal_closes_imply_nothing() {
        let r = rows(&[(10.0, 10.0), (11.0, 11.0), (12.0, 12.000_000_1)]);
        let f = parse::adjustment_factors(&r).unwrap();
        assert!(implied_actions(&r, &f).is_empty());
    }

    #[test]
    fn split_ratios_snap_to_the_simple_ratio_they_are_near() {
        assert_eq!(split_ratio(1.98), 2.0);
        assert_eq!(split_ratio(1.52), 1.5);
        assert_eq!(split_ratio(6.9), 7.0);
        assert!((split_ratio(0.101) - 0.1).abs() < 1e-12);
        assert_eq!(split_ratio(2.7), 2.7);
    }
}
