//! The bundled real price series, embedded in the binary and loaded into Postgres at start-up.
//! Loading is idempotent: bars already there are left alone, so every start after the first adds
//! nothing; the tickers' metadata (exchange, kind, sector, industry) is brought up to date, which
//! fills it in on a database seeded before those columns existed.

use anyhow::Context;
use app::domain::Symbol;
use forecast::Ohlcv;
use sqlx::PgPool;

use crate::market::store::bars;
use crate::market::store::tickers::{self, NewTicker};

/// One bundled series and where it came from (see `server/data/prices/README.md`).
#[derive(Debug)]
pub struct BundledSeries {
    /// Symbol in the app.
    pub symbol: &'static str,
    /// Instrument name.
    pub name: &'static str,
    /// Exchange or index family.
    pub exchange: &'static str,
    /// `stock` or `index`.
    pub kind: &'static str,
    /// GICS sector during the bundled period; `None` for indices.
    pub sector: Option<&'static str>,
    /// GICS industry during the bundled period; `None` for indices.
    pub industry: Option<&'static str>,
    /// Provenance shown on the stock page.
    pub source: &'static str,
    /// `date,open,high,low,close,volume` rows.
    pub csv: &'static str,
}

/// The series a fresh clone serves with no provider configured.
pub const BUNDLED: &[BundledSeries] = &[
    BundledSeries {
        symbol: "^GSPC",
        name: "S&P 500 index",
        exchange: "INDEX",
        kind: "index",
        sector: None,
        industry: None,
        source: "Bundled daily bars 1999–2018 from the `arch` 8.0.0 package's data (NCSA licence)",
        csv: include_str!("../data/prices/sp500_1999_2018.csv"),
    },
    BundledSeries {
        symbol: "^IXIC",
        name: "NASDAQ Composite index",
        exchange: "INDEX",
        kind: "index",
        sector: None,
        industry: None,
        source: "Bundled daily bars 1999–2018 from the `arch` 8.0.0 package's data (NCSA licence)",
        csv: include_str!("../data/prices/nasdaq_1999_2018.csv"),
    },
    BundledSeries {
        symbol: "MSFT",
        name: "Microsoft Corporation",
        exchange: "NASDAQ",
        kind: "stock",
        sector: Some("Information Technology"),
        industry: Some("Software"),
        source: "Bundled split- and dividend-adjusted daily bars 1986–2017 from the `pmdarima` 2.1.1 package's data (MIT licence)",
        csv: include_str!("../data/prices/msft_1986_2017.csv"),
    },
    BundledSeries {
        symbol: "GOOG",
        name: "Google Inc. (class A, pre-2014)",
        exchange: "NASDAQ",
        kind: "stock",
        sector: Some("Information Technology"),
        industry: Some("Internet Software & Services"),
        source: "Bundled daily bars 2004–2013 from the `backtesting` 0.6.6 package's data (no splits or dividends in the period)",
        csv: include_str!("../data/prices/goog_2004_2013.csv"),
    },
];

/// Rows inserted by one [`load_bundled`] call, per symbol.
pub type Inserted = Vec<(&'static str, u64)>;

/// Loads every bundled series; returns how many new rows each added.
#[tracing::instrument(skip_all, err)]
pub async fn load_bundled(pool: &PgPool) -> anyhow::Result<Inserted> {
    let mut inserted = Vec::new();
    for series in BUNDLED {
        let n = load_one(pool, series)
            .await
            .with_context(|| format!("Failed to load the bundled series {}", series.symbol))?;
        inserted.push((series.symbol, n));
    }
    Ok(inserted)
}

async fn load_one(pool: &PgPool, s: &BundledSeries) -> anyhow::Result<u64> {
    let bars = Ohlcv::from_csv(s.csv)?;
    let symbol = Symbol::parse(s.symbol).map_err(anyhow::Error::msg)?;
    let mut tx = pool.begin().await?;
    tickers::upsert_bundled(
        &mut *tx,
        &NewTicker {
            symbol: symbol.clone(),
            name: s.name.to_string(),
            exchange: Some(s.exchange.to_string()),
            currency: None,
            kind: s.kind,
            sector: s.sector.map(str::to_string),
            industry: s.industry.map(str::to_string),
            source: s.source.to_string(),
        },
    )
    .await?;
    let inserted = bars::insert_missing(&mut *tx, &symbol, &bars).await?;
    tx.commit().await?;
    Ok(inserted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_series_parses_and_is_long_enough_to_model() {
        for s in BUNDLED {
            let bars = Ohlcv::from_csv(s.csv).unwrap_or_else(|e| panic!("{}: {e}", s.symbol));
            assert!(bars.len() > 2000, "{} has {} rows", s.symbol, bars.len());
        }
    }
}
