//! `forecast-eval`: walk-forward evaluation of the registry's models on one price CSV.
//!
//! ```text
//! forecast-eval --data FILE.csv --json OUT.json [--models naive,drift,...] [--forecasts OUT.csv]
//!               [--origins N] [--origins-from YYYY-MM-DD]
//! ```
//!
//! The ensemble is evaluated from its members' records (run first, or reused when they were
//! requested too), so its `wall_s` is its own combination work only; `--weights OUT.csv` writes its
//! weights at every origin. When the ensemble is evaluated, every model runs over
//! `--ensemble-burn-in N` more origins before the scored ones (260 by default, `0` for none; whole
//! refit blocks, fewer when the series is too short), from which the ensemble's weights start; each
//! model is scored on the protocol's origins only, with the same forecasts as a run without them,
//! and its `wall_s` is that of the longer run. `--origins N` changes the number of origins (250);
//! `--origins-from DATE` puts the first origin on the first trading day on or after `DATE` (a crisis
//! window, say) instead of ending the origins at the end of the series.
//!
//! Runs the reference protocol (250 origins, horizons 1/2/5, refit every 20) for each model and
//! writes `{"series", "rows", "origins": [first, last], "models": {id: {"wall_s", "1", "2", "5"}}}`.
//! Models not available in this build are reported on stderr and skipped; the exit status is
//! non-zero only when no model could run (or on bad arguments / an unreadable file).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use chrono::NaiveDate;
use forecast::ensemble::{Ensemble, EnsembleBacktest};
use forecast::eval::{walk_forward, Backtest, Protocol};
use forecast::metrics::Metrics;
use forecast::registry::{ModelId, ModelSpec};
use forecast::signal::{
    calibration_data, fit_calibration, passes_old_gate, signal, significance_gate, Cell,
};
use forecast::strategy::{backtest_strategy, StrategyParams};
use forecast::{Horizon, Ohlcv, StepForecast};
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Map, Value};

const USAGE: &str = "usage: forecast-eval --data FILE.csv --json OUT.json [--models a,b,...] \
[--forecasts OUT.csv] [--weights OUT.csv] [--origins N] [--origins-from YYYY-MM-DD] \
[--ensemble-burn-in N]";

struct Args {
    data: PathBuf,
    json: PathBuf,
    models: Vec<ModelId>,
    forecasts: Option<PathBuf>,
    origins: Option<usize>,
    origins_from: Option<NaiveDate>,
    weights: Option<PathBuf>,
    burn_in: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut data = None;
    let mut out = None;
    let mut models = None;
    let mut forecasts = None;
    let mut origins = None;
    let mut origins_from = None;
    let mut weights = None;
    let mut burn_in = forecast::ensemble::BURN_IN;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        let mut value = |name: &str| {
            it.next()
                .ok_or_else(|| format!("{name} needs a value\n{USAGE}"))
        };
        match a.as_str() {
            "--data" => data = Some(PathBuf::from(value("--data")?)),
            "--json" => out = Some(PathBuf::from(value("--json")?)),
            "--forecasts" => forecasts = Some(PathBuf::from(value("--forecasts")?)),
            "--weights" => weights = Some(PathBuf::from(value("--weights")?)),
            "--origins" => {
                let v = value("--origins")?;
                let n =
                    v.parse::<usize>().ok().filter(|&n| n > 0).ok_or_else(|| {
                        format!("--origins `{v}` is not a positive count\n{USAGE}")
                    })?;
                origins = Some(n);
            }
            "--ensemble-burn-in" => {
                let v = value("--ensemble-burn-in")?;
                burn_in = v.parse::<usize>().map_err(|_| {
                    format!("--ensemble-burn-in `{v}` is not a count of origins\n{USAGE}")
                })?;
            }
            "--origins-from" => {
                let v = value("--origins-from")?;
                let d = NaiveDate::parse_from_str(&v, "%Y-%m-%d").map_err(|_| {
                    format!("--origins-from `{v}` is not a YYYY-MM-DD date\n{USAGE}")
                })?;
                origins_from = Some(d);
            }
            "--models" => {
                let list = value("--models")?;
                let ids = list
                    .split(',')
                    .filter(|s| !s.trim().is_empty())
                    .map(|s| s.parse::<ModelId>().map_err(|e| e.to_string()))
                    .collect::<Result<Vec<_>, _>>()?;
                if ids.is_empty() {
                    return Err(format!("--models is empty\n{USAGE}"));
                }
                models = Some(ids);
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(Args {
        data: data.ok_or_else(|| format!("--data is required\n{USAGE}"))?,
        json: out.ok_or_else(|| format!("--json is required\n{USAGE}"))?,
        models: models.unwrap_or_else(|| ModelId::all().to_vec()),
        forecasts,
        origins,
        origins_from,
        weights,
        burn_in,
    })
}

fn stem(p: &Path) -> String {
    p.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("{msg}");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(&args.data) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", args.data.display());
            return ExitCode::from(2);
        }
    };
    let series = match Ohlcv::from_csv(&text) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {}: {e}", args.data.display());
            return ExitCode::from(2);
        }
    };
    let mut protocol = Protocol::default();
    if let Some(n) = args.origins {
        protocol.origins = n;
    }
    if let Some(from) = args.origins_from {
        let Some(first) = series.dates().iter().position(|d| *d >= from) else {
            eprintln!(
                "error: no trading day on or after {from} in {}",
                args.data.display()
            );
            return ExitCode::from(2);
        };
        protocol.last_origin = Some(first + protocol.origins - 1);
    }
    let (first, last) = match protocol.origin_range(series.len()) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {}: {e}", args.data.display());
            return ExitCode::from(2);
        }
    };
    // The ensemble's weights may start from errors at origins before the scored ones: every model
    // then runs over the longer protocol and is scored on the last `protocol.origins`.
    let burn_in = if args.models.contains(&ModelId::Ensemble) {
        protocol.burn_in_for(series.len(), args.burn_in)
    } else {
        0
    };
    if burn_in < args.burn_in && args.models.contains(&ModelId::Ensemble) {
        eprintln!(
            "ensemble: {burn_in} origins of burn-in (asked for {}; whole refit blocks that fit)",
            args.burn_in
        );
    }
    let run_protocol = protocol.extended(burn_in);
    let interactive = std::io::stderr().is_terminal() && std::io::stdout().is_terminal();
    let mut models = Map::new();
    let mut backtests = Vec::new();
    // The records over the longer protocol (with the burn-in), for the ensemble.
    let mut full_records: Vec<(ModelId, Backtest)> = Vec::new();
    let mut all_metrics: Vec<(ModelId, Vec<(Horizon, Metrics)>)> = Vec::new();
    for id in &args.models {
        let spec = match ModelSpec::default_for(*id, 0) {
            Ok(s) => s,
            Err(e) => {
                eprintln!("{id}: skipped ({e})");
                continue;
            }
        };
        let bar = if interactive {
            let b = ProgressBar::new(run_protocol.origins as u64);
            b.set_style(
                ProgressStyle::with_template(
                    "{prefix:>10} [{bar:30}] {pos}/{len} origins {elapsed}",
                )
                .expect("valid template")
                .progress_chars("=> "),
            );
            b.set_prefix(id.to_string());
            b
        } else {
            ProgressBar::hidden()
        };
        let result = match &spec {
            // The ensemble combines its members' records instead of refitting them.
            ModelSpec::Ensemble(ensemble) => ensemble_backtest(
                ensemble,
                &series,
                &run_protocol,
                &protocol,
                &full_records,
                &bar,
            )
            .map(|eb| {
                if let Some(path) = &args.weights {
                    let members: Vec<ModelId> =
                        ensemble.members.iter().map(ModelSpec::id).collect();
                    if let Err(e) = std::fs::write(path, weights_csv(&members, &eb)) {
                        eprintln!("error: cannot write {}: {e}", path.display());
                    }
                }
                eb.backtest
            }),
            _ => walk_forward(&spec, &series, &run_protocol.for_model(*id), &|done, _| {
                bar.set_position(done as u64)
            })
            .map(|full| {
                let scored = full.tail(protocol.origins, series.close(), protocol.window);
                full_records.push((*id, full));
                scored
            }),
        };
        bar.finish_and_clear();
        let bt = match result.and_then(|bt| bt.metrics().map(|m| (bt, m))) {
            Ok(x) => x,
            Err(e) => {
                eprintln!("{id}: failed ({e})");
                continue;
            }
        };
        let (bt, metrics) = bt;
        all_metrics.push((*id, metrics.clone()));
        let mut entry = Map::new();
        entry.insert("wall_s".into(), json!(bt.wall_s));
        for (h, m) in &metrics {
            entry.insert(
                h.get().to_string(),
                serde_json::to_value(m).expect("metrics serialise"),
            );
        }
        let fmt = |v: Option<f64>, d: usize| v.map_or("n/a".to_string(), |x| format!("{x:.d$}"));
        for (h, m) in &metrics {
            println!(
                "{:<10} h{:<2} MAE {:>10.4}  MAE/naive {:>6}  DA% {:>5}  DM p {:>6}  cov95 {:>5}  cov99 {:>5}  ({:.2} s)",
                id.as_str(),
                h.get(),
                m.mae,
                fmt(m.mae_rel_naive, 4),
                fmt(m.da_pct, 1),
                fmt(m.dm_p, 3),
                fmt(m.cov95_pct, 1),
                fmt(m.cov99_pct, 1),
                bt.wall_s
            );
        }
        models.insert(id.to_string(), Value::Object(entry));
        backtests.push((*id, bt));
    }
    if models.is_empty() {
        eprintln!("error: no model could run");
        return ExitCode::from(1);
    }
    judge(&mut models, &all_metrics, &backtests, &series);
    let out = json!({
        "series": stem(&args.data),
        "rows": series.len(),
        "origins": [series.dates()[first].to_string(), series.dates()[last].to_string()],
        "models": models,
    });
    let text = serde_json::to_string_pretty(&out).expect("json");
    if let Err(e) = std::fs::write(&args.json, text + "\n") {
        eprintln!("error: cannot write {}: {e}", args.json.display());
        return ExitCode::from(2);
    }
    if let Some(path) = &args.forecasts {
        if let Err(e) = std::fs::write(path, forecasts_csv(&series, &backtests)) {
            eprintln!("error: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    ExitCode::SUCCESS
}

/// The significance gate, the signal at the last origin, the calibration and the strategy backtest
/// of every model, added to its JSON entry. Two families are judged: every model in this run (the
/// table's `DM_p_holm`, `skilful`, `signal`), and the served models alone (what the app shows; its
/// counts are printed, with the old gate's for comparison).
fn judge(
    models: &mut Map<String, Value>,
    all: &[(ModelId, Vec<(Horizon, Metrics)>)],
    backtests: &[(ModelId, Backtest)],
    series: &Ohlcv,
) {
    let cells = |filter: &dyn Fn(ModelId) -> bool| -> Vec<Cell<'_>> {
        all.iter()
            .filter(|(id, _)| filter(*id))
            .flat_map(|(id, ms)| {
                ms.iter().map(move |(h, m)| Cell {
                    model: *id,
                    horizon: h.get(),
                    metrics: m,
                })
            })
            .collect()
    };
    let table = cells(&|_| true);
    let verdicts = significance_gate(&table);
    let served = cells(&|id| ModelId::served().contains(&id));
    let served_verdicts = significance_gate(&served);
    let old = served.iter().filter(|c| passes_old_gate(c.metrics)).count();
    let old_dm = served
        .iter()
        .filter(|c| passes_old_gate(c.metrics) && c.metrics.dm_p.is_some_and(|p| p > 0.05))
        .count();
    let new = served_verdicts.iter().filter(|v| v.skilful).count();
    println!(
        "gate (served models, {} cells): old gate {old} (of them DM p > 0.05: {old_dm}), new gate {new}",
        served.len()
    );
    for (cell, v) in table.iter().zip(&verdicts) {
        let Some((_, bt)) = backtests.iter().find(|(id, _)| *id == cell.model) else {
            continue;
        };
        let Ok(h) = Horizon::new(cell.horizon) else {
            continue;
        };
        let Some(hb) = bt.horizon(h) else { continue };
        let last = bt.last_close.len() - 1;
        let step = StepForecast {
            horizon: h,
            point: hb.point[last],
            intervals: vec![],
        };
        let (x, y) = calibration_data(bt, series, h);
        let calibration = fit_calibration(&x, &y).ok();
        let vol = forecast::volatility::ewma_at(&series.close()[..=bt.origins[last]]);
        let sig = signal(
            bt.last_close[last],
            &step,
            Some(v),
            calibration.as_ref().map(|c| (c, vol)),
        );
        let Some(Value::Object(entry)) = models.get_mut(cell.model.as_str()) else {
            continue;
        };
        if let Some(Value::Object(hm)) = entry.get_mut(&cell.horizon.to_string()) {
            hm.insert("DM_p_holm".into(), json!(v.dm_p_holm));
            hm.insert("skilful".into(), json!(v.skilful));
            hm.insert("signal".into(), json!(sig.action));
            if let Some(c) = &calibration {
                hm.insert("calibration".into(), json!(c));
            }
        }
        if cell.horizon == 1 && !cell.model.is_baseline() {
            if let Ok(sb) = backtest_strategy(bt, &StrategyParams::default()) {
                let brief = |p: &forecast::strategy::Performance| {
                    json!({
                        "total_return": p.total_return,
                        "sharpe": p.sharpe,
                        "max_drawdown": p.max_drawdown,
                        "turnover": p.turnover,
                        "hit_rate": p.hit_rate,
                    })
                };
                let report = |r: &forecast::strategy::StrategyReport| {
                    let mut v = brief(&r.performance);
                    v["excess_return"] = json!(r.excess_return);
                    v["excess_ci95"] = json!([r.excess_ci95.0, r.excess_ci95.1]);
                    v["p_value"] = json!(r.p_value);
                    v
                };
                entry.insert(
                    "strategy".into(),
                    json!({
                        "buy_and_hold": brief(&sb.buy_and_hold),
                        "long_flat": report(&sb.long_flat),
                        "long_short": report(&sb.long_short),
                    }),
                );
            }
        }
    }
}

/// The ensemble's record from its members' records over `run` (the scored protocol with the
/// burn-in): those already run are reused, the others are run now (and not reported). It is scored
/// on `scored`'s origins.
fn ensemble_backtest(
    ensemble: &Ensemble<ModelSpec>,
    series: &Ohlcv,
    run: &Protocol,
    scored: &Protocol,
    done: &[(ModelId, Backtest)],
    bar: &ProgressBar,
) -> forecast::Result<EnsembleBacktest> {
    let mut own = Vec::new();
    for spec in &ensemble.members {
        let id = spec.id();
        let reusable = done.iter().any(|(d, _)| *d == id)
            && ModelSpec::default_for(id, 0).is_ok_and(|d| &d == spec);
        if !reusable {
            bar.set_prefix(format!("ensemble: {id}"));
            own.push((
                id,
                walk_forward(spec, series, &run.for_model(id), &|d, _| {
                    bar.set_position(d as u64)
                })?,
            ));
        }
    }
    let records: Vec<&Backtest> = ensemble
        .members
        .iter()
        .map(|spec| {
            let id = spec.id();
            own.iter()
                .chain(done)
                .find(|(d, _)| *d == id)
                .map(|(_, bt)| bt)
                .expect("every member ran")
        })
        .collect();
    ensemble.backtest_from_members_scored(series, &records, scored.origins, scored.window)
}

/// The ensemble's weights at every origin: one row per origin and horizon, one column per member
/// (the built-in random walk first, as `naive`).
fn weights_csv(members: &[ModelId], eb: &EnsembleBacktest) -> String {
    let mut out = String::from("origin_date,h,regime,naive");
    for id in members {
        out.push_str(&format!(",{id}"));
    }
    out.push('\n');
    for hw in &eb.weights {
        for (date, w) in eb.backtest.dates.iter().zip(&hw.path) {
            let regime = serde_json::to_value(w.regime).expect("serialises");
            out.push_str(&format!(
                "{date},{},{}",
                hw.horizon.get(),
                regime.as_str().unwrap_or_default()
            ));
            for v in &w.weights {
                out.push_str(&format!(",{v:.4}"));
            }
            out.push('\n');
        }
    }
    out
}

/// Per-origin forecasts in the reference layout: one row per origin and horizon, one column per
/// model (plus `_lo95`/`_hi95` where the model has an interval).
fn forecasts_csv(series: &Ohlcv, backtests: &[(ModelId, Backtest)]) -> String {
    let Some((_, first)) = backtests.first() else {
        return String::new();
    };
    let mut out = String::from("origin_idx,origin_date,h,target_date,last_close,actual");
    for (id, bt) in backtests {
        out.push_str(&format!(",{id}"));
        if bt.horizons.iter().all(|h| h.lo95.is_some()) {
            out.push_str(&format!(",{id}_lo95,{id}_hi95"));
        }
    }
    out.push('\n');
    for (k, hb) in first.horizons.iter().enumerate() {
        let h = hb.horizon.get();
        for (i, &t) in first.origins.iter().enumerate() {
            out.push_str(&format!(
                "{t},{},{h},{},{},{}",
                series.dates()[t],
                series.dates()[t + h],
                first.last_close[i],
                hb.actual[i]
            ));
            for (_, bt) in backtests {
                let b = &bt.horizons[k];
                out.push_str(&format!(",{}", b.point[i]));
                if let (Some(lo), Some(hi)) = (&b.lo95, &b.hi95) {
                    if bt.horizons.iter().all(|h| h.lo95.is_some()) {
                        out.push_str(&format!(",{},{}", lo[i], hi[i]));
                    }
                }
            }
            out.push('\n');
        }
    }
    out
}
