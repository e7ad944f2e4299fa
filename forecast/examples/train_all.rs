//! Trains every served model for one symbol the way the app does, and prints where the time goes:
//! each model's 250-origin walk-forward evaluation together with its final fit on the whole history
//! ([`walk_forward_and_fit`]: the final fit shares the two worker threads with the refits) and the
//! size of its stored artifact; then the ensemble, evaluated and fitted from its members' records.
//!
//! ```text
//! cargo run --release -p forecast --example train_all -- --data goog_2004_2013.csv \
//!     [--burn-in N] [--refit-ensemble]
//! ```
//!
//! `--burn-in N` runs every member over `N` more origins before the scored 250 and scores the
//! ensemble on the 250 with weights that start from those errors
//! ([`forecast::ensemble::BURN_IN`], 260); every model's record over the 250 stays the same.
//! `--refit-ensemble` also runs the ensemble the old way, walk-forward from history (every member
//! refitted inside every ensemble refit), to compare.

use std::time::Instant;

use forecast::eval::{walk_forward, walk_forward_and_fit, Backtest, Protocol};
use forecast::registry::{Artifact, FittedModel, ModelId, ModelSpec};
use forecast::Ohlcv;

const USAGE: &str = "usage: train_all --data FILE.csv [--burn-in N] [--refit-ensemble]";

fn main() {
    let mut data = None;
    let mut burn_in = 0usize;
    let mut refit_ensemble = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => data = args.next(),
            "--burn-in" => {
                burn_in = args.next().and_then(|v| v.parse().ok()).unwrap_or_else(|| {
                    eprintln!("--burn-in needs a count of origins; {USAGE}");
                    std::process::exit(2);
                })
            }
            "--refit-ensemble" => refit_ensemble = true,
            other => {
                eprintln!("unknown argument `{other}`; {USAGE}");
                std::process::exit(2);
            }
        }
    }
    let Some(path) = data else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&path).expect("readable data file");
    let series = Ohlcv::from_csv(&text).expect("a valid price CSV");
    let protocol = Protocol::default();
    let burn_in = protocol.burn_in_for(series.len(), burn_in);
    let run_protocol = protocol.extended(burn_in);
    let start = Instant::now();
    println!(
        "{path}: {} rows, {} origins scored, {burn_in} of burn-in",
        series.len(),
        protocol.origins
    );
    println!(
        "{:<11} {:>18} {:>14}",
        "model", "evaluate + fit s", "artifact bytes"
    );
    let mut records: Vec<(ModelId, Backtest)> = Vec::new();
    let mut fitted: Vec<(ModelId, FittedModel)> = Vec::new();
    let ensemble_spec = ModelSpec::default_for(ModelId::Ensemble, 0).expect("ensemble");
    let ModelSpec::Ensemble(ensemble) = &ensemble_spec else {
        unreachable!("the ensemble's spec")
    };
    // Every served model, and every ensemble member (the ensemble needs their records).
    let mut ids: Vec<ModelId> = ModelId::served()
        .iter()
        .copied()
        .filter(|&id| id != ModelId::Ensemble)
        .collect();
    for m in &ensemble.members {
        if !ids.contains(&m.id()) {
            ids.push(m.id());
        }
    }
    for id in ids {
        let spec = ModelSpec::default_for(id, 0).expect("available");
        let t = Instant::now();
        let (bt, f) = walk_forward_and_fit(&spec, &series, &run_protocol.for_model(id), &|_, _| {})
            .expect("walk-forward and final fit");
        let seconds = t.elapsed().as_secs_f64();
        let bytes = Artifact::new(id, f).to_bytes().expect("serialises");
        let served = if ModelId::served().contains(&id) {
            ""
        } else {
            " (member only)"
        };
        println!(
            "{:<11} {seconds:>18.2} {:>14}{served}",
            id.as_str(),
            bytes.len()
        );
        let back = Artifact::from_bytes(&bytes).expect("reads back");
        records.push((id, bt));
        fitted.push((id, back.fitted));
    }
    let t = Instant::now();
    let member_records: Vec<&Backtest> = ensemble
        .members
        .iter()
        .map(|m| &records.iter().find(|(id, _)| *id == m.id()).expect("ran").1)
        .collect();
    let eb = ensemble
        .backtest_from_members_scored(&series, &member_records, protocol.origins, protocol.window)
        .expect("ensemble record");
    let members: Vec<FittedModel> = ensemble
        .members
        .iter()
        .map(|m| {
            let i = fitted
                .iter()
                .position(|(id, _)| *id == m.id())
                .expect("fitted");
            fitted.remove(i).1
        })
        .collect();
    let fe = ensemble
        .fit_from_members(&series, members, &member_records)
        .expect("ensemble fit");
    let seconds = t.elapsed().as_secs_f64();
    let bytes = Artifact::new(ModelId::Ensemble, FittedModel::Ensemble(fe))
        .to_bytes()
        .expect("serialises");
    println!("{:<11} {seconds:>18.2} {:>14}", "ensemble", bytes.len());
    assert_eq!(eb.backtest.origins.len(), protocol.origins);
    match cpu_seconds() {
        Some(cpu) => println!(
            "total {:.1} s ({cpu:.1} s of CPU: on two otherwise idle cores at least {:.1} s)",
            start.elapsed().as_secs_f64(),
            cpu / 2.0
        ),
        None => println!("total {:.1} s", start.elapsed().as_secs_f64()),
    }
    if refit_ensemble {
        let t = Instant::now();
        walk_forward(&ensemble_spec, &series, &protocol, &|_, _| {}).expect("walk-forward");
        println!(
            "ensemble walk-forward from history (the old way): {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
}

/// CPU seconds (user + system) of this process so far, where `/proc` tells them: on a machine shared
/// with other work the wall time says little, the CPU time is what the training costs.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on every Linux configuration in use.
    Some(ticks / 100.0)
}
