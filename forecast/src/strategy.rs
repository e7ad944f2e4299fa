//! Trading a model's one-day direction calls over its evaluation window, against buy-and-hold.
//!
//! At each origin `t` of a walk-forward record (horizon 1) the model's call is the sign of
//! `Ĉ[t+1] − C[t]`. Two strategies trade it at the close of day `t` and hold one day:
//!
//! * **long/flat**: long when the call is up, out of the market otherwise;
//! * **long/short**: long when up, short when down (flat when the call is exactly no move).
//!
//! Every change of position costs [`StrategyParams::cost_per_trade`] times the size of the change
//! (a switch from long to short is two units), charged on the day of the trade. Buy-and-hold is long
//! every day and pays the cost once, on the first day.
//!
//! Reported for each: total return (compounded), annualised Sharpe ratio (`√252·mean/sd` of daily
//! returns, no risk-free rate), maximum drawdown of the equity curve, turnover (position change per
//! day) and the hit rate of the days in the market. Against buy-and-hold, the daily excess returns
//! are resampled with a circular block bootstrap (blocks of [`StrategyParams::block`] days keep the
//! short-range dependence of returns): a 95% interval of the mean excess return, and a one-sided
//! p-value of "the strategy earns more than buy-and-hold" from the bootstrap distribution centred on
//! zero. The equity curves (growth of 1) are returned for a chart.
//!
//! A window of 250 days is short: excess returns of a few percent a year are well inside the noise,
//! and the p-value says so.

use chrono::NaiveDate;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};

use crate::backtest::Backtest;
use crate::{Error, Horizon, Result};

/// Trading days per year, for annualising.
pub const TRADING_DAYS: f64 = 252.0;

/// Settings of the strategy backtest.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct StrategyParams {
    /// Cost of a trade as a share of the traded amount (0.0005 = 5 basis points).
    pub cost_per_trade: f64,
    /// Bootstrap resamples (2000).
    pub resamples: usize,
    /// Block length of the circular block bootstrap, days (10).
    pub block: usize,
    /// Seed of the bootstrap.
    pub seed: u64,
}

impl Default for StrategyParams {
    fn default() -> Self {
        Self {
            cost_per_trade: 0.0005,
            resamples: 2000,
            block: 10,
            seed: 0,
        }
    }
}

/// How a strategy did over the window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Performance {
    /// Compounded return over the window (0.12 = +12%).
    pub total_return: f64,
    /// `√252·mean/sd` of the daily returns (`None` when they do not vary).
    pub sharpe: Option<f64>,
    /// Largest fall of the equity curve from a previous peak (0.2 = −20%).
    pub max_drawdown: f64,
    /// Mean absolute position change per day.
    pub turnover: f64,
    /// Days the position changed.
    pub trades: usize,
    /// Share of the days in the market whose return had the sign of the position (`None` if never
    /// in the market).
    pub hit_rate: Option<f64>,
    /// Growth of 1 at the close of each day, starting at 1 before the first day.
    pub equity: Vec<f64>,
}

/// A strategy compared with buy-and-hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyReport {
    /// The strategy's own numbers.
    pub performance: Performance,
    /// Mean daily excess return over buy-and-hold, annualised (×252).
    pub excess_return: f64,
    /// 95% bootstrap interval of the annualised mean excess return.
    pub excess_ci95: (f64, f64),
    /// One-sided bootstrap p-value of "earns more than buy-and-hold".
    pub p_value: f64,
}

/// The two strategies and buy-and-hold over one record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StrategyBacktest {
    /// Day `i` of the curves is the day after origin `i`; `dates[i]` is the origin's date.
    pub dates: Vec<NaiveDate>,
    /// Buy-and-hold.
    pub buy_and_hold: Performance,
    /// Long when the call is up, flat otherwise.
    pub long_flat: StrategyReport,
    /// Long when up, short when down.
    pub long_short: StrategyReport,
}

/// Trades the one-day calls of `bt` (see the module docs).
///
/// # Errors
/// [`Error::InvalidInput`] when the record has no horizon 1 or fewer than 20 origins;
/// [`Error::InvalidParameter`] for a negative cost or a zero block.
pub fn backtest_strategy(bt: &Backtest, params: &StrategyParams) -> Result<StrategyBacktest> {
    if !(params.cost_per_trade >= 0.0 && params.cost_per_trade < 1.0) {
        return Err(Error::InvalidParameter {
            name: "cost_per_trade",
            value: params.cost_per_trade.to_string(),
            reason: "must lie in [0, 1)",
        });
    }
    if params.block == 0 || params.resamples == 0 {
        return Err(Error::InvalidParameter {
            name: "block",
            value: format!("{} (resamples {})", params.block, params.resamples),
            reason: "block length and resamples must be at least 1",
        });
    }
    let h1 = bt
        .horizon(Horizon::new(1)?)
        .ok_or_else(|| Error::InvalidInput("the record has no one-day horizon".into()))?;
    let n = bt.origins.len();
    if n < 20 {
        return Err(Error::InvalidInput(format!(
            "a strategy backtest needs at least 20 origins, got {n}"
        )));
    }
    let market: Vec<f64> = (0..n)
        .map(|i| h1.actual[i] / bt.last_close[i] - 1.0)
        .collect();
    let call: Vec<f64> = (0..n)
        .map(|i| {
            let m = h1.point[i] - bt.last_close[i];
            if m > 0.0 {
                1.0
            } else if m < 0.0 {
                -1.0
            } else {
                0.0
            }
        })
        .collect();
    let hold = vec![1.0; n];
    let long_flat: Vec<f64> = call.iter().map(|c| c.max(0.0)).collect();
    let bh = performance(&hold, &market, params.cost_per_trade);
    let bh_daily = daily(&hold, &market, params.cost_per_trade);
    let report = |pos: &[f64], seed: u64| {
        let perf = performance(pos, &market, params.cost_per_trade);
        let d = daily(pos, &market, params.cost_per_trade);
        let excess: Vec<f64> = d.iter().zip(&bh_daily).map(|(a, b)| a - b).collect();
        let (ci, p) = bootstrap(&excess, params, seed);
        StrategyReport {
            performance: perf,
            excess_return: mean(&excess) * TRADING_DAYS,
            excess_ci95: (ci.0 * TRADING_DAYS, ci.1 * TRADING_DAYS),
            p_value: p,
        }
    };
    Ok(StrategyBacktest {
        dates: bt.dates.clone(),
        buy_and_hold: bh,
        long_flat: report(&long_flat, params.seed),
        long_short: report(&call, params.seed.wrapping_add(1)),
    })
}

fn mean(x: &[f64]) -> f64 {
    x.iter().sum::<f64>() / x.len().max(1) as f64
}

/// Daily returns of holding `pos[i]` over day `i`, net of the cost of getting there.
fn daily(pos: &[f64], market: &[f64], cost: f64) -> Vec<f64> {
    let mut prev = 0.0;
    pos.iter()
        .zip(market)
        .map(|(&p, &r)| {
            let traded = (p - prev).abs();
            prev = p;
            p * r - cost * traded
        })
        .collect()
}

fn performance(pos: &[f64], market: &[f64], cost: f64) -> Performance {
    let d = daily(pos, market, cost);
    let mut equity = Vec::with_capacity(d.len() + 1);
    let mut e = 1.0;
    equity.push(e);
    let (mut peak, mut mdd) = (1.0f64, 0.0f64);
    for r in &d {
        e *= 1.0 + r;
        equity.push(e);
        peak = peak.max(e);
        mdd = mdd.max(1.0 - e / peak);
    }
    let m = mean(&d);
    let sd = (d.iter().map(|r| (r - m).powi(2)).sum::<f64>() / (d.len() as f64 - 1.0)).sqrt();
    let mut prev = 0.0;
    let changes: Vec<f64> = pos
        .iter()
        .map(|&p| {
            let c = (p - prev).abs();
            prev = p;
            c
        })
        .collect();
    let in_market: Vec<usize> = (0..pos.len()).filter(|&i| pos[i] != 0.0).collect();
    let hits = in_market
        .iter()
        .filter(|&&i| pos[i] * market[i] > 0.0)
        .count();
    Performance {
        total_return: e - 1.0,
        sharpe: (sd > 0.0).then(|| m / sd * TRADING_DAYS.sqrt()),
        max_drawdown: mdd,
        turnover: mean(&changes),
        trades: changes.iter().filter(|&&c| c > 0.0).count(),
        hit_rate: (!in_market.is_empty()).then(|| hits as f64 / in_market.len() as f64),
        equity,
    }
}

/// Circular block bootstrap of the mean: the 2.5% and 97.5% quantiles of the resampled means, and
/// the share of resampled means of the centred series at or above the observed mean.
fn bootstrap(x: &[f64], params: &StrategyParams, seed: u64) -> ((f64, f64), f64) {
    let n = x.len();
    let m = mean(x);
    let block = params.block.min(n);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut means: Vec<f64> = (0..params.resamples)
        .map(|_| {
            let mut sum = 0.0;
            let mut k = 0;
            while k < n {
                let start = rng.gen_range(0..n);
                for j in 0..block.min(n - k) {
                    sum += x[(start + j) % n];
                }
                k += block;
            }
            sum / n as f64
        })
        .collect();
    // Centred on zero: the distribution of the mean if the strategy earned what buy-and-hold does.
    let at_least = means.iter().filter(|&&b| b - m >= m).count();
    means.sort_by(f64::total_cmp);
    let q = |p: f64| means[((p * (means.len() - 1) as f64).round() as usize).min(means.len() - 1)];
    (
        (q(0.025), q(0.975)),
        (at_least as f64 + 1.0) / (means.len() as f64 + 1.0),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backtest::HorizonBacktest;

    fn record(closes: &[f64], calls: &[f64]) -> Backtest {
        let n = closes.len() - 1;
        let start = NaiveDate::from_ymd_opt(2020, 1, 1).unwrap();
        Backtest {
            origins: (0..n).collect(),
            dates: (0..n)
                .map(|i| start + chrono::Days::new(i as u64))
                .collect(),
            last_close: closes[..n].to_vec(),
            horizons: vec![HorizonBacktest {
                horizon: Horizon::new(1).unwrap(),
                point: (0..n)
                    .map(|i| closes[i] * (1.0 + 0.01 * calls[i]))
                    .collect(),
                lo95: None,
                hi95: None,
                lo99: None,
                hi99: None,
                actual: closes[1..].to_vec(),
            }],
            refits: vec![],
            mase_scale: 1.0,
            wall_s: 0.0,
        }
    }

    #[test]
    fn a_perfect_caller_beats_buy_and_hold_and_a_constant_long_call_matches_it() {
        let closes: Vec<f64> = (0..121)
            .map(|i| 100.0 * (1.0 + 0.01 * (i as f64 * 1.1).sin()))
            .collect();
        let perfect: Vec<f64> = closes
            .windows(2)
            .map(|w| if w[1] > w[0] { 1.0 } else { -1.0 })
            .collect();
        let p = StrategyParams {
            cost_per_trade: 0.0,
            ..Default::default()
        };
        let r = backtest_strategy(&record(&closes, &perfect), &p).unwrap();
        assert_eq!(r.long_short.performance.hit_rate, Some(1.0));
        assert_eq!(r.long_short.performance.max_drawdown, 0.0);
        assert!(r.long_short.p_value < 0.01, "{}", r.long_short.p_value);
        assert!(r.long_flat.performance.total_return > r.buy_and_hold.total_return);
        let always_up = vec![1.0; 120];
        let same = backtest_strategy(&record(&closes, &always_up), &p).unwrap();
        assert!(
            (same.long_flat.performance.total_return - same.buy_and_hold.total_return).abs()
                < 1e-12
        );
        assert_eq!(same.long_flat.excess_return, 0.0);
        assert_eq!(same.buy_and_hold.equity.len(), 121);
    }

    #[test]
    fn costs_are_charged_on_every_change_of_position() {
        let closes = vec![100.0; 31];
        let flip: Vec<f64> = (0..30)
            .map(|i| if i % 2 == 0 { 1.0 } else { -1.0 })
            .collect();
        let p = StrategyParams {
            cost_per_trade: 0.001,
            ..Default::default()
        };
        let r = backtest_strategy(&record(&closes, &flip), &p).unwrap();
        // First day one unit, then 29 switches of two units: 59 units at 0.1%.
        let expected = (1.0 - 0.001f64) * (1.0 - 0.002f64).powi(29) - 1.0;
        assert!((r.long_short.performance.total_return - expected).abs() < 1e-12);
        assert_eq!(r.long_short.performance.trades, 30);
        assert!((r.buy_and_hold.total_return + 0.001).abs() < 1e-12);
    }
}
