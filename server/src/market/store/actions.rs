//! The `corporate_actions` table: splits and dividends, from which the adjusted series is derived.

use std::fmt;
use std::str::FromStr;

use app::domain::Symbol;
use chrono::NaiveDate;
use sqlx::PgExecutor;

use super::{count, StoreResult, Upserted};
use crate::market::providers::{DailyBar, ProviderKind};

/// Whether a corporate action is a split or a cash dividend.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActionKind {
    /// A stock split; the value is the ratio (4.0 for 4-for-1).
    Split,
    /// A cash dividend; the value is the amount per share.
    Dividend,
}

impl ActionKind {
    /// The name stored in the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Split => "split",
            ActionKind::Dividend => "dividend",
        }
    }
}

impl fmt::Display for ActionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

app::sql_text_type!(ActionKind);

impl FromStr for ActionKind {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "split" => Ok(ActionKind::Split),
            "dividend" => Ok(ActionKind::Dividend),
            other => Err(format!("unknown corporate action kind `{other}`")),
        }
    }
}

/// A split or a dividend of one symbol.
#[derive(Debug, Clone, PartialEq)]
pub struct CorporateAction {
    /// The first day the shares trade without the dividend / on the new share count.
    pub ex_date: NaiveDate,
    /// Split or dividend.
    pub kind: ActionKind,
    /// Split ratio or cash per share.
    pub value: f64,
    /// Who reported it.
    pub source: String,
}

impl CorporateAction {
    /// The split and the dividend a provider's bar carries, if any.
    pub fn from_bar(bar: &DailyBar, source: ProviderKind) -> Vec<CorporateAction> {
        let split = bar
            .split_ratio
            .filter(|r| r.is_finite() && *r > 0.0 && *r != 1.0)
            .map(|value| (ActionKind::Split, value));
        let dividend = bar
            .dividend
            .filter(|d| d.is_finite() && *d > 0.0)
            .map(|value| (ActionKind::Dividend, value));
        split
            .into_iter()
            .chain(dividend)
            .map(|(kind, value)| CorporateAction {
                ex_date: bar.date,
                kind,
                value,
                source: source.as_str().to_string(),
            })
            .collect()
    }
}

/// Records `actions` of `symbol`; a stored action with a different value is corrected.
pub async fn upsert_corporate_actions(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
    actions: &[CorporateAction],
) -> StoreResult<Upserted> {
    let dates: Vec<NaiveDate> = actions.iter().map(|a| a.ex_date).collect();
    let kinds: Vec<&str> = actions.iter().map(|a| a.kind.as_str()).collect();
    let values: Vec<f64> = actions.iter().map(|a| a.value).collect();
    let sources: Vec<&str> = actions.iter().map(|a| a.source.as_str()).collect();
    let fresh = sqlx::query_scalar!(
        r#"insert into corporate_actions (symbol, ex_date, kind, value, source)
           select $1, d, k, v, s
           from unnest($2::date[], $3::text[], $4::float8[], $5::text[]) as t (d, k, v, s)
           on conflict (symbol, ex_date, kind) do update set
               value = excluded.value, source = excluded.source, recorded_at = now()
           where corporate_actions.value is distinct from excluded.value
           returning (xmax = 0) as "fresh!""#,
        symbol.as_str(),
        &dates as _,
        &kinds as &[&str],
        &values,
        &sources as &[&str],
    )
    .fetch_all(ex)
    .await?;
    Ok(count(&fresh))
}

/// Every recorded split and dividend of `symbol`, oldest first.
pub async fn corporate_actions(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
) -> StoreResult<Vec<CorporateAction>> {
    sqlx::query_as!(
        CorporateAction,
        r#"select ex_date as "ex_date: NaiveDate", kind as "kind: ActionKind", value, source
           from corporate_actions where symbol = $1 order by ex_date, kind"#,
        symbol.as_str(),
    )
    .fetch_all(ex)
    .await
}
