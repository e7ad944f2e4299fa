//! The model page's view of the registry: every version of each model, newest first, with the
//! current version's reliability tables and strategy backtest, as wire types.

use app::model::{
    ModelRecord, ReliabilityTable, StrategyRow, StrategySummary, VersionHorizon, VersionRow,
    VersionState,
};
use forecast::strategy::{Performance, StrategyBacktest, StrategyParams};

use crate::registry::{ModelVersion, VersionStatus};

/// `versions` (any order) grouped by model in model order, each newest first.
pub fn model_records(mut versions: Vec<ModelVersion>) -> Vec<ModelRecord> {
    versions.sort_by(|a, b| (a.model, b.version).cmp(&(b.model, a.version)));
    versions
        .chunk_by(|a, b| a.model == b.model)
        .map(|group| {
            let current = group.iter().find(|v| v.status == VersionStatus::Current);
            ModelRecord {
                model: group[0].model,
                label: current.and_then(|v| v.label.clone()),
                versions: group.iter().map(version_row).collect(),
                reliability: current.map(reliability).unwrap_or_default(),
                strategy: current.and_then(|v| v.strategy.as_ref()).map(strategy),
            }
        })
        .collect()
}

fn version_row(v: &ModelVersion) -> VersionRow {
    // The latest evaluation: a re-run on newer data when there is one.
    let e = v.backtest.as_ref().map_or(&v.evaluation, |b| &b.evaluation);
    VersionRow {
        version: v.version,
        state: match v.status {
            VersionStatus::Candidate => VersionState::Candidate,
            VersionStatus::Current => VersionState::Current,
            VersionStatus::Retired => VersionState::Retired,
            VersionStatus::Rejected => VersionState::Rejected,
        },
        trained: v.created_at,
        data_from: v.data_first,
        data_to: v.data_last,
        rows: v.rows,
        window_from: e.first,
        window_to: e.last,
        origins: e.origins,
        horizons: e
            .horizons
            .iter()
            .map(|h| VersionHorizon {
                h: h.h,
                mae_rel_naive: h.metrics.mae_rel_naive.filter(|x| x.is_finite()),
                cov95_pct: h.metrics.cov95_pct.filter(|x| x.is_finite()),
            })
            .collect(),
    }
}

fn reliability(v: &ModelVersion) -> Vec<ReliabilityTable> {
    v.calibration
        .iter()
        .map(|c| ReliabilityTable {
            h: c.h,
            calls: c.calibration.calls,
            base_rate: c.calibration.base_rate,
            bins: c.calibration.reliability.clone(),
        })
        .collect()
}

fn strategy(s: &StrategyBacktest) -> StrategySummary {
    let row = |p: &Performance, excess: Option<f64>, p_value: Option<f64>| StrategyRow {
        total_return: p.total_return,
        sharpe: p.sharpe,
        max_drawdown: p.max_drawdown,
        turnover: p.turnover,
        hit_rate: p.hit_rate,
        excess_return: excess,
        p_value,
        equity: p.equity.clone(),
    };
    StrategySummary {
        cost_per_trade: StrategyParams::default().cost_per_trade,
        dates: s.dates.clone(),
        buy_and_hold: row(&s.buy_and_hold, None, None),
        long_flat: row(
            &s.long_flat.performance,
            Some(s.long_flat.excess_return),
            Some(s.long_flat.p_value),
        ),
        long_short: row(
            &s.long_short.performance,
            Some(s.long_short.excess_return),
            Some(s.long_short.p_value),
        ),
    }
}
