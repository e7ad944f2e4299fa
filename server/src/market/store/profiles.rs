//! The `company_profiles` table: the latest profile a provider gave for each symbol.

use app::domain::Symbol;
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::PgExecutor;

use super::StoreResult;
use crate::market::providers::{CompanyOverview, ProviderKind};

/// A stored company profile.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredProfile {
    /// The symbol.
    pub symbol: String,
    /// The fields the provider knew.
    pub overview: CompanyOverview,
    /// Which provider gave it.
    pub provider: String,
    /// When it was fetched.
    pub fetched_at: DateTime<Utc>,
}

struct ProfileRow {
    symbol: String,
    name: Option<String>,
    description: Option<String>,
    exchange: Option<String>,
    currency: Option<String>,
    country: Option<String>,
    sector: Option<String>,
    industry: Option<String>,
    website: Option<String>,
    logo_url: Option<String>,
    ipo_date: Option<NaiveDate>,
    market_cap: Option<f64>,
    shares_outstanding: Option<f64>,
    pe_ratio: Option<f64>,
    eps: Option<f64>,
    dividend_yield: Option<f64>,
    beta: Option<f64>,
    week_52_high: Option<f64>,
    week_52_low: Option<f64>,
    provider: String,
    fetched_at: DateTime<Utc>,
}

impl From<ProfileRow> for StoredProfile {
    fn from(r: ProfileRow) -> Self {
        StoredProfile {
            symbol: r.symbol,
            overview: CompanyOverview {
                name: r.name,
                description: r.description,
                exchange: r.exchange,
                currency: r.currency,
                country: r.country,
                sector: r.sector,
                industry: r.industry,
                website: r.website,
                logo_url: r.logo_url,
                ipo_date: r.ipo_date,
                market_cap: r.market_cap,
                shares_outstanding: r.shares_outstanding,
                pe_ratio: r.pe_ratio,
                eps: r.eps,
                dividend_yield: r.dividend_yield,
                beta: r.beta,
                week_52_high: r.week_52_high,
                week_52_low: r.week_52_low,
            },
            provider: r.provider,
            fetched_at: r.fetched_at,
        }
    }
}

/// The stored profile of `symbol`, `None` when none was fetched.
pub async fn company_profile(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
) -> StoreResult<Option<StoredProfile>> {
    let row = sqlx::query_as!(
        ProfileRow,
        r#"select symbol, name, description, exchange, currency, country, sector, industry,
                  website, logo_url, ipo_date as "ipo_date: NaiveDate", market_cap,
                  shares_outstanding, pe_ratio, eps, dividend_yield, beta, week_52_high,
                  week_52_low, provider, fetched_at as "fetched_at: DateTime<Utc>"
           from company_profiles where symbol = $1"#,
        symbol.as_str(),
    )
    .fetch_optional(ex)
    .await?;
    Ok(row.map(StoredProfile::from))
}

/// Stores the profile of `symbol` (a stored ticker), replacing the one fetched before.
pub async fn upsert_company_profile(
    ex: impl PgExecutor<'_>,
    symbol: &Symbol,
    o: &CompanyOverview,
    provider: ProviderKind,
) -> StoreResult<()> {
    sqlx::query!(
        "insert into company_profiles
             (symbol, name, description, exchange, currency, country, sector, industry, website,
              logo_url, ipo_date, market_cap, shares_outstanding, pe_ratio, eps, dividend_yield,
              beta, week_52_high, week_52_low, provider)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18,
                 $19, $20)
         on conflict (symbol) do update set
             name = excluded.name, description = excluded.description,
             exchange = excluded.exchange, currency = excluded.currency,
             country = excluded.country, sector = excluded.sector, industry = excluded.industry,
             website = excluded.website, logo_url = excluded.logo_url,
             ipo_date = excluded.ipo_date, market_cap = excluded.market_cap,
             shares_outstanding = excluded.shares_outstanding, pe_ratio = excluded.pe_ratio,
             eps = excluded.eps, dividend_yield = excluded.dividend_yield, beta = excluded.beta,
             week_52_high = excluded.week_52_high, week_52_low = excluded.week_52_low,
             provider = excluded.provider, fetched_at = now()",
        symbol.as_str(),
        o.name,
        o.description,
        o.exchange,
        o.currency,
        o.country,
        o.sector,
        o.industry,
        o.website,
        o.logo_url,
        o.ipo_date as _,
        o.market_cap,
        o.shares_outstanding,
        o.pe_ratio,
        o.eps,
        o.dividend_yield,
        o.beta,
        o.week_52_high,
        o.week_52_low,
        provider.as_str(),
    )
    .execute(ex)
    .await?;
    Ok(())
}
