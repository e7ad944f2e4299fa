//! Fit time of every available registry model on the last 2,520-row window of the S&P 500 series,
//! and one full walk-forward run (250 origins, h = 1, 2, 5) of naive and drift.
//!
//! Models are taken from [`ModelSpec::available`], so a model added to the registry is benchmarked
//! without editing this file. Run with `cargo bench -p forecast --bench models`.

// criterion_group!/criterion_main! generate undocumented functions.
#![allow(missing_docs)]

use criterion::{criterion_group, criterion_main, Criterion};
use forecast::eval::{walk_forward, Protocol};
use forecast::registry::{ModelId, ModelSpec};
use forecast::{Fit, Ohlcv};

fn sp500() -> Ohlcv {
    Ohlcv::from_csv(include_str!("../tests/data/sp500_1999_2018.csv")).expect("valid fixture")
}

fn fit_times(c: &mut Criterion) {
    let full = sp500();
    // The last refit of the reference protocol: origin N-6 sees rows 0..=N-6 and uses its last 2520.
    let history = full.prefix(full.len() - 5);
    let mut group = c.benchmark_group("fit_sp500_window");
    group.sample_size(10);
    for id in ModelSpec::available() {
        let spec = ModelSpec::default_for(id, 0).expect("available");
        group.bench_function(id.as_str(), |b| b.iter(|| spec.fit(&history).expect("fit")));
    }
    group.finish();
}

fn walk_forward_baselines(c: &mut Criterion) {
    let series = sp500();
    let protocol = Protocol::default();
    let mut group = c.benchmark_group("walk_forward_sp500");
    group.sample_size(10);
    for id in [ModelId::Naive, ModelId::Drift] {
        let spec = ModelSpec::default_for(id, 0).expect("baseline");
        let protocol = protocol.for_model(id);
        group.bench_function(id.as_str(), |b| {
            b.iter(|| walk_forward(&spec, &series, &protocol, &|_, _| {}).expect("runs"))
        });
    }
    group.finish();
}

criterion_group!(benches, fit_times, walk_forward_baselines);
criterion_main!(benches);
