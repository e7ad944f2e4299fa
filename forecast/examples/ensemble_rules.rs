//! Replays the ensemble's weight rule on stored walk-forward forecasts, to compare rules and burn-in
//! lengths without refitting any member.
//!
//! ```text
//! forecast-eval --data goog_2004_2013.csv --origins 510 --forecasts goog.510.csv --json goog.510.json
//! cargo run --release -p forecast --example ensemble_rules -- \
//!     --data goog_2004_2013.csv --forecasts goog.510.csv [--scored 250] [--burn-in 0,260] \
//!     [--temper 8] [--lookback 250] [--rw-floor 0] [--oracle] [--families]
//! ```
//!
//! The forecasts CSV is `forecast-eval --forecasts` output over `scored + burn-in` origins or more
//! (run it with `--ensemble-burn-in 0 --origins 510`, so that every origin is in the file); the
//! ensemble is scored on the last `scored` origins, its weights may use the errors of the `burn-in`
//! origins before them. With `--oracle` it also prints the best fixed convex combination chosen with
//! hindsight on the scored origins (least squares). With `--families` it replays other causal
//! weighting rules (follow-the-leader, selection by a Diebold–Mariano test, exponentially weighted and
//! shrunk inverse-MSE, least squares) and the crate's rule with the given settings, every origin of
//! the file before the scored ones serving as burn-in, and prints each member's MAE/naive over those
//! earlier origins.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use forecast::backtest::{Backtest, HorizonBacktest};
use forecast::ensemble::{Ensemble, WeightRule};
use forecast::metrics::diebold_mariano;
use forecast::registry::{ModelId, ModelSpec};
use forecast::{Horizon, Ohlcv};

struct Records {
    origins: Vec<usize>,
    dates: Vec<NaiveDate>,
    last_close: Vec<f64>,
    /// horizon → actual
    actual: BTreeMap<usize, Vec<f64>>,
    /// model → horizon → point
    point: BTreeMap<String, BTreeMap<usize, Vec<f64>>>,
}

fn read_forecasts(text: &str) -> Records {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split(',').collect();
    let models: Vec<(usize, String)> = header
        .iter()
        .enumerate()
        .skip(6)
        .filter(|(_, c)| !c.ends_with("_lo95") && !c.ends_with("_hi95"))
        .map(|(i, c)| (i, c.to_string()))
        .collect();
    let mut r = Records {
        origins: Vec::new(),
        dates: Vec::new(),
        last_close: Vec::new(),
        actual: BTreeMap::new(),
        point: BTreeMap::new(),
    };
    for line in lines {
        let f: Vec<&str> = line.split(',').collect();
        let t: usize = f[0].parse().expect("origin");
        let h: usize = f[2].parse().expect("h");
        if h == 1 {
            r.origins.push(t);
            r.dates.push(f[1].parse().expect("date"));
            r.last_close.push(f[4].parse().expect("close"));
        }
        r.actual
            .entry(h)
            .or_default()
            .push(f[5].parse().expect("actual"));
        for (i, m) in &models {
            r.point
                .entry(m.clone())
                .or_default()
                .entry(h)
                .or_default()
                .push(f[*i].parse().expect("point"));
        }
    }
    r
}

fn backtest(r: &Records, model: &str, from: usize) -> Backtest {
    Backtest {
        origins: r.origins[from..].to_vec(),
        dates: r.dates[from..].to_vec(),
        last_close: r.last_close[from..].to_vec(),
        horizons: r.point[model]
            .iter()
            .map(|(&h, p)| HorizonBacktest {
                horizon: Horizon::new(h).expect("horizon"),
                point: p[from..].to_vec(),
                lo95: None,
                hi95: None,
                lo99: None,
                hi99: None,
                actual: r.actual[&h][from..].to_vec(),
            })
            .collect(),
        refits: Vec::new(),
        mase_scale: 1.0,
        wall_s: 0.0,
    }
}

fn mae(point: &[f64], actual: &[f64]) -> f64 {
    point
        .iter()
        .zip(actual)
        .map(|(p, y)| (p - y).abs())
        .sum::<f64>()
        / point.len() as f64
}

fn main() {
    let mut data = None;
    let mut forecasts = None;
    let mut scored = 250usize;
    let mut burn_ins = vec![0usize];
    let mut rule = WeightRule::default();
    let mut lookback = forecast::ensemble::DEFAULT_LOOKBACK;
    let mut oracle = false;
    let mut families = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut v = || args.next().expect("a value");
        match a.as_str() {
            "--data" => data = Some(v()),
            "--forecasts" => forecasts = Some(v()),
            "--scored" => scored = v().parse().expect("count"),
            "--burn-in" => burn_ins = v().split(',').map(|s| s.parse().expect("count")).collect(),
            "--temper" => rule.temper = v().parse().expect("number"),
            "--lookback" => lookback = v().parse().expect("count"),
            "--rw-floor" => rule.rw_floor = v().parse().expect("number"),
            "--exclude-p" => rule.exclude_p = v().parse().expect("number"),
            "--skill-p" => rule.skill_p = v().parse().expect("number"),
            "--min-errors" => rule.min_errors = v().parse().expect("count"),
            "--oracle" => oracle = true,
            "--families" => families = true,
            other => panic!("unknown argument {other}"),
        }
    }
    let series =
        Ohlcv::from_csv(&std::fs::read_to_string(data.expect("--data")).expect("readable data"))
            .expect("series");
    let rec = read_forecasts(
        &std::fs::read_to_string(forecasts.expect("--forecasts")).expect("readable forecasts"),
    );
    let Ok(ModelSpec::Ensemble(mut ensemble)) = ModelSpec::default_for(ModelId::Ensemble, 0) else {
        panic!("the ensemble's spec")
    };
    ensemble.rule = rule;
    ensemble.lookback = lookback;
    let members: Vec<String> = ensemble
        .members
        .iter()
        .map(|m| m.id().as_str().to_string())
        .collect();
    let n = rec.origins.len();
    assert!(n >= scored, "{n} origins in the file, {scored} to score");
    let s0 = n - scored;
    if families {
        // The crate's rule over every origin in the file: its weights start with the errors of the
        // origins before the scored ones.
        let recs: Vec<Backtest> = members.iter().map(|m| backtest(&rec, m, 0)).collect();
        let refs: Vec<&Backtest> = recs.iter().collect();
        let eb = run(&ensemble, &series, &refs);
        let own: Vec<Vec<f64>> = eb
            .backtest
            .horizons
            .iter()
            .map(|hb| hb.point.clone())
            .collect();
        scan_families(&rec, &members, s0, own);
        return;
    }
    for &burn in &burn_ins {
        assert!(burn <= s0, "burn-in {burn} needs {} origins", scored + burn);
        let from = s0 - burn;
        let recs: Vec<Backtest> = members.iter().map(|m| backtest(&rec, m, from)).collect();
        let refs: Vec<&Backtest> = recs.iter().collect();
        let eb = run(&ensemble, &series, &refs);
        for hb in &eb.backtest.horizons {
            let h = hb.horizon.get();
            let actual = &hb.actual[burn..];
            let naive = mae(&eb.backtest.last_close[burn..], actual);
            let own = mae(&hb.point[burn..], actual) / naive;
            let (best, best_rel) = members
                .iter()
                .map(|m| (m, mae(&rec.point[m][&h][s0..], actual) / naive))
                .min_by(|a, b| a.1.total_cmp(&b.1))
                .expect("members");
            let mut line = format!(
                "burn {burn:>3} h{h}  ensemble {own:.4}  best {best:<10} {best_rel:.4}  gap {:+.4}",
                own - best_rel
            );
            if oracle {
                let cols: Vec<Vec<f64>> = std::iter::once(
                    eb.backtest.last_close[burn..]
                        .iter()
                        .zip(actual)
                        .map(|(p, y)| p - y)
                        .collect(),
                )
                .chain(members.iter().map(|m| {
                    rec.point[m][&h][s0..]
                        .iter()
                        .zip(actual)
                        .map(|(p, y)| p - y)
                        .collect()
                }))
                .collect();
                let w = forecast::ensemble::least_squares_weights(&cols);
                let comb: Vec<f64> = (0..actual.len())
                    .map(|i| {
                        cols.iter()
                            .zip(&w)
                            .map(|(c, w)| w * c[i])
                            .sum::<f64>()
                            .abs()
                    })
                    .collect();
                let rel = comb.iter().sum::<f64>() / comb.len() as f64 / naive;
                line.push_str(&format!("  oracle-LS {rel:.4} w {:?}", round(&w)));
            }
            println!("{line}");
        }
    }
}

fn round(w: &[f64]) -> Vec<f64> {
    w.iter().map(|x| (x * 100.0).round() / 100.0).collect()
}

fn run(
    ensemble: &Ensemble<ModelSpec>,
    series: &Ohlcv,
    refs: &[&Backtest],
) -> forecast::ensemble::EnsembleBacktest {
    ensemble
        .backtest_from_members(series, refs)
        .expect("ensemble from the records")
}

/// Member errors (the random walk first) at horizon `h` over every origin in the file.
fn errors(rec: &Records, members: &[String], h: usize) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    let actual = &rec.actual[&h];
    let points: Vec<Vec<f64>> = std::iter::once(rec.last_close.clone())
        .chain(members.iter().map(|m| rec.point[m][&h].clone()))
        .collect();
    let errs = points
        .iter()
        .map(|p| p.iter().zip(actual).map(|(p, y)| p - y).collect())
        .collect();
    (points, errs)
}

/// A causal weighting: from the errors known at origin `i` (indices `..known`), with at least
/// `min` of them, at horizon `h`, the weights.
type Rule<'a> = Box<dyn Fn(&[Vec<f64>], usize, usize, usize) -> Vec<f64> + 'a>;

fn one_hot(k: usize, m: usize) -> Vec<f64> {
    let mut w = vec![0.0; k];
    w[m] = 1.0;
    w
}

/// Loss of member m over known errors `from..known`, with exponential weights of half-life `hl`
/// (in origins; infinite = flat) on the power `p` of the absolute error.
fn loss(e: &[f64], from: usize, known: usize, hl: f64, p: f64) -> f64 {
    let lambda = if hl.is_finite() {
        0.5f64.powf(1.0 / hl)
    } else {
        1.0
    };
    let mut num = 0.0;
    let mut den = 0.0;
    let mut w = 1.0;
    for j in (from..known).rev() {
        num += w * e[j].abs().powf(p);
        den += w;
        w *= lambda;
    }
    num / den
}

fn scan_families(rec: &Records, members: &[String], s0: usize, own: Vec<Vec<f64>>) {
    let n = rec.origins.len();
    let mut rules: Vec<(String, Rule)> = Vec::new();
    rules.push((
        "random walk".into(),
        Box::new(|e, _, _, _| one_hot(e.len(), 0)),
    ));
    rules.push((
        "equal weights (with rw)".into(),
        Box::new(|e, _, _, _| vec![1.0 / e.len() as f64; e.len()]),
    ));
    for &l in &[20usize, 60, 125, 250, 500] {
        for &p in &[1.0f64, 2.0] {
            rules.push((
                format!("follow the leader L={l} p={p}"),
                Box::new(move |e: &[Vec<f64>], known, min, _h| {
                    if known < min {
                        return one_hot(e.len(), 0);
                    }
                    let from = known.saturating_sub(l);
                    let best = (0..e.len())
                        .min_by(|&a, &b| {
                            loss(&e[a], from, known, f64::INFINITY, p).total_cmp(&loss(
                                &e[b],
                                from,
                                known,
                                f64::INFINITY,
                                p,
                            ))
                        })
                        .unwrap_or(0);
                    one_hot(e.len(), best)
                }),
            ));
        }
    }
    for &hl in &[10.0f64, 30.0, 60.0, 125.0, f64::INFINITY] {
        for &kappa in &[1.0f64, 4.0, 8.0, 16.0, 32.0] {
            rules.push((
                format!("inverse MSE half-life {hl} kappa {kappa}"),
                Box::new(move |e: &[Vec<f64>], known, min, _h| {
                    if known < min {
                        return one_hot(e.len(), 0);
                    }
                    let from = known.saturating_sub(500);
                    let l: Vec<f64> = e.iter().map(|c| loss(c, from, known, hl, 2.0)).collect();
                    let w: Vec<f64> = l.iter().map(|v| (l[0] / v).powf(kappa)).collect();
                    let t: f64 = w.iter().sum();
                    w.iter().map(|v| v / t).collect()
                }),
            ));
        }
    }
    for &l in &[125usize, 250, 500] {
        for &alpha in &[0.05f64, 0.10, 0.20] {
            rules.push((
                format!("DM selection L={l} alpha={alpha}"),
                Box::new(move |e: &[Vec<f64>], known, min, h| {
                    if known < min {
                        return one_hot(e.len(), 0);
                    }
                    let from = known.saturating_sub(l);
                    // The member with the smallest one-sided DM p against the random walk, if it
                    // is below alpha; the random walk otherwise.
                    let best = (1..e.len())
                        .filter_map(|m| {
                            diebold_mariano(&e[m][from..known], &e[0][from..known], h)
                                .map(|dm| (m, dm.p_model_better()))
                        })
                        .min_by(|a, b| a.1.total_cmp(&b.1));
                    match best {
                        Some((m, p)) if p < alpha => one_hot(e.len(), m),
                        _ => one_hot(e.len(), 0),
                    }
                }),
            ));
        }
    }
    for &lambda in &[0.25f64, 0.5, 0.75] {
        rules.push((
            format!("inverse MSE shrunk to equal weights by {lambda}"),
            Box::new(move |e: &[Vec<f64>], known, min, _h| {
                if known < min {
                    return one_hot(e.len(), 0);
                }
                let from = known.saturating_sub(250);
                let l: Vec<f64> = e
                    .iter()
                    .map(|c| loss(c, from, known, f64::INFINITY, 2.0))
                    .collect();
                let w: Vec<f64> = l.iter().map(|v| l[0] / v).collect();
                let t: f64 = w.iter().sum();
                let k = e.len() as f64;
                w.iter()
                    .map(|v| (1.0 - lambda) * v / t + lambda / k)
                    .collect()
            }),
        ));
    }
    for &l in &[60usize, 125, 250, 500] {
        rules.push((
            format!("least squares L={l}"),
            Box::new(move |e: &[Vec<f64>], known, min, _h| {
                if known < min {
                    return one_hot(e.len(), 0);
                }
                let from = known.saturating_sub(l);
                let cols: Vec<Vec<f64>> = e.iter().map(|c| c[from..known].to_vec()).collect();
                forecast::ensemble::least_squares_weights(&cols)
            }),
        ));
    }
    let hs = [1usize, 2, 5];
    let mut table: Vec<(String, Vec<f64>)> = Vec::new();
    let mut best_member = Vec::new();
    for &h in &hs {
        let (points, errs) = errors(rec, members, h);
        let naive: f64 = errs[0][s0..].iter().map(|v| v.abs()).sum();
        let (bm, bv) = (1..points.len())
            .map(|m| {
                (
                    m,
                    errs[m][s0..].iter().map(|v| v.abs()).sum::<f64>() / naive,
                )
            })
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .unwrap();
        best_member.push((members[bm - 1].clone(), bv));
    }
    {
        let mut row = Vec::new();
        for (k, &h) in hs.iter().enumerate() {
            let actual = &rec.actual[&h];
            let naive: f64 = (s0..n).map(|i| (rec.last_close[i] - actual[i]).abs()).sum();
            let total: f64 = (s0..n).map(|i| (own[k][i] - actual[i]).abs()).sum();
            row.push(total / naive);
        }
        table.push(("the crate's rule".into(), row));
    }
    // Each member's MAE/naive over the origins before the scored ones (what a rule could see).
    for &h in &hs {
        let (_, errs) = errors(rec, members, h);
        let naive: f64 = errs[0][..s0].iter().map(|v| v.abs()).sum();
        let before: Vec<String> = members
            .iter()
            .enumerate()
            .map(|(m, id)| {
                let r = errs[m + 1][..s0].iter().map(|v| v.abs()).sum::<f64>() / naive;
                format!("{id} {r:.4}")
            })
            .collect();
        println!("before the scored origins, h{h}: {}", before.join(", "));
    }
    for (name, rule) in &rules {
        let mut row = Vec::new();
        for &h in &hs {
            let (points, errs) = errors(rec, members, h);
            let actual = &rec.actual[&h];
            let naive: f64 = errs[0][s0..].iter().map(|v| v.abs()).sum();
            let mut total = 0.0;
            for i in s0..n {
                let known = (i + 1).saturating_sub(h);
                let w = rule(&errs, known, 10, h);
                let p: f64 = w.iter().zip(&points).map(|(w, p)| w * p[i]).sum();
                total += (p - actual[i]).abs();
            }
            row.push(total / naive);
        }
        table.push((name.clone(), row));
    }
    print!("{:<40}", "best member");
    for (m, v) in &best_member {
        print!(" {m:>10} {v:.4}");
    }
    println!();
    for (name, row) in &table {
        print!("{name:<40}");
        for (v, (_, b)) in row.iter().zip(&best_member) {
            print!("     {v:.4} {:+.4}", v - b);
        }
        println!();
    }
}
