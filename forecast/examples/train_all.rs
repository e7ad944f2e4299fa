//! Trains every served model for one symbol the way the app does, and prints where the time goes:
//! each model's 250-origin walk-forward evaluation, its final fit on the whole history and the size
//! of its stored artifact; then the ensemble, evaluated and fitted from its members' records.
//!
//! ```text
//! cargo run --release -p forecast --example train_all -- --data goog_2004_2013.csv [--refit-ensemble]
//! ```
//!
//! `--refit-ensemble` also runs the ensemble the old way, walk-forward from history (every member
//! refitted inside every ensemble refit), to compare.

use std::time::Instant;

use forecast::eval::{walk_forward, Backtest, Protocol};
use forecast::registry::{Artifact, FittedModel, ModelId, ModelSpec};
use forecast::{Fit, Ohlcv};

fn main() {
    let mut data = None;
    let mut refit_ensemble = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--data" => data = args.next(),
            "--refit-ensemble" => refit_ensemble = true,
            other => {
                eprintln!("unknown argument `{other}`; usage: train_all --data FILE.csv [--refit-ensemble]");
                std::process::exit(2);
            }
        }
    }
    let Some(path) = data else {
        eprintln!("usage: train_all --data FILE.csv [--refit-ensemble]");
        std::process::exit(2);
    };
    let text = std::fs::read_to_string(&path).expect("readable data file");
    let series = Ohlcv::from_csv(&text).expect("a valid price CSV");
    let protocol = Protocol::default();
    let start = Instant::now();
    println!("{path}: {} rows", series.len());
    println!(
        "{:<11} {:>12} {:>10} {:>14}",
        "model", "evaluate s", "fit s", "artifact bytes"
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
        let bt = walk_forward(&spec, &series, &protocol.for_model(id), &|_, _| {})
            .expect("walk-forward");
        let eval_s = t.elapsed().as_secs_f64();
        let t = Instant::now();
        let f = spec.fit(&series).expect("final fit");
        let fit_s = t.elapsed().as_secs_f64();
        let bytes = Artifact::new(id, f).to_bytes().expect("serialises");
        let served = if ModelId::served().contains(&id) {
            ""
        } else {
            " (member only)"
        };
        println!(
            "{:<11} {eval_s:>12.2} {fit_s:>10.2} {:>14}{served}",
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
        .backtest_from_members(&series, &member_records)
        .expect("ensemble record");
    let eval_s = t.elapsed().as_secs_f64();
    let t = Instant::now();
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
    let fit_s = t.elapsed().as_secs_f64();
    let bytes = Artifact::new(ModelId::Ensemble, FittedModel::Ensemble(fe))
        .to_bytes()
        .expect("serialises");
    println!(
        "{:<11} {eval_s:>12.2} {fit_s:>10.2} {:>14}",
        "ensemble",
        bytes.len()
    );
    let _ = eb;
    println!("total {:.1} s", start.elapsed().as_secs_f64());
    if refit_ensemble {
        let t = Instant::now();
        walk_forward(&ensemble_spec, &series, &protocol, &|_, _| {}).expect("walk-forward");
        println!(
            "ensemble walk-forward from history (the old way): {:.1} s",
            t.elapsed().as_secs_f64()
        );
    }
}
