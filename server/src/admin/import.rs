//! `server import FILE --symbol S [--name N] [--record-splits] [--dry-run]`: the import from the
//! command line, on the operator's database (see [`super::operator_pool`]).

use anyhow::{bail, Context};
use app::domain::{Symbol, TickerName};
use app::ssr::ImportRequest;

use crate::cache::Cache;
use crate::config::Settings;
use crate::events::Events;
use crate::imports::ImportService;

const USAGE: &str =
    "usage: server import FILE --symbol SYMBOL [--name NAME] [--record-splits] [--dry-run]";

/// The parsed command line.
#[derive(Debug, PartialEq)]
struct Args {
    file: String,
    symbol: Symbol,
    name: Option<TickerName>,
    record_splits: bool,
    dry_run: bool,
}

fn parse_args(args: &[String]) -> anyhow::Result<Args> {
    let mut file = None;
    let mut symbol = None;
    let mut name = None;
    let (mut record_splits, mut dry_run) = (false, false);
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--symbol" => {
                let raw = it.next().context(USAGE)?;
                symbol = Some(Symbol::parse(raw).map_err(|e| anyhow::anyhow!("{e}"))?);
            }
            "--name" => {
                let raw = it.next().context(USAGE)?;
                name = TickerName::parse_optional(Some(raw)).map_err(|e| anyhow::anyhow!("{e}"))?;
            }
            "--record-splits" => record_splits = true,
            "--dry-run" => dry_run = true,
            "-h" | "--help" => bail!(USAGE),
            other if other.starts_with("--") => bail!("unknown option `{other}`; {USAGE}"),
            other if file.is_none() => file = Some(other.to_owned()),
            other => bail!("unexpected argument `{other}`; {USAGE}"),
        }
    }
    Ok(Args {
        file: file.context(USAGE)?,
        symbol: symbol.context(USAGE)?,
        name,
        record_splits,
        dry_run,
    })
}

/// Runs `server import ARGS…`, printing what was read and stored.
pub async fn run(settings: &Settings, args: &[String]) -> anyhow::Result<()> {
    let args = parse_args(args)?;
    let csv = std::fs::read(&args.file).with_context(|| format!("cannot read {}", args.file))?;
    let (pool, own_cluster) = super::operator_pool(settings).await?;
    // No Redis here: running servers notice the new bars by their date (cache keys carry it).
    let service = ImportService::new(
        pool.clone(),
        Events::new(Cache::disabled()),
        settings.jobs.protocol().rows_needed(),
    );
    let result = service
        .import(ImportRequest {
            symbol: args.symbol,
            name: args.name,
            csv,
            commit: !args.dry_run,
            record_splits: args.record_splits,
        })
        .await;
    pool.close().await;
    if let Some(pg) = own_cluster {
        pg.stop();
    }
    let report = result.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "{}: {} rows of a {} from {} to {}",
        report.symbol, report.rows, report.format, report.first_date, report.last_date
    );
    for note in &report.notes {
        println!("note: {note}");
    }
    for s in &report.suspected_splits {
        println!(
            "line {}: the close moved from {} to {} on {} — a split of {:.2}? (--record-splits records it)",
            s.line, s.previous_close, s.close, s.date, s.ratio
        );
    }
    for a in &report.actions {
        println!("{} on {}: {}", a.kind, a.date, a.value);
    }
    if report.committed {
        println!(
            "stored: {} new, {} changed, {} already stored",
            report.inserted, report.updated, report.unchanged
        );
    } else {
        println!("dry run: nothing stored");
    }
    println!("{}", report.history_note);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &[&str]) -> Vec<String> {
        s.iter().map(|a| a.to_string()).collect()
    }

    #[test]
    fn the_file_and_symbol_are_required_and_options_parse() {
        let a = parse_args(&args(&[
            "f.csv",
            "--symbol",
            "aapl",
            "--name",
            "Apple Inc.",
            "--dry-run",
        ]))
        .unwrap();
        assert_eq!(a.file, "f.csv");
        assert_eq!(a.symbol.as_str(), "AAPL");
        assert_eq!(a.name.as_ref().map(TickerName::as_str), Some("Apple Inc."));
        assert!(a.dry_run && !a.record_splits);
        assert!(parse_args(&args(&["f.csv"])).is_err());
        assert!(parse_args(&args(&["--symbol", "AAPL"])).is_err());
        assert!(parse_args(&args(&["f.csv", "--symbol", "A$"])).is_err());
        assert!(parse_args(&args(&["f.csv", "--symbol", "A", "--force"])).is_err());
    }
}
