//! [`ModelId`]: the stable name of every model, with what a person is shown about it.
//!
//! This file has no model code and no heavy dependency, so the browser build of the app can use it
//! (the crate built with `default-features = false`). Adding a model means adding its id here (the
//! variant, its string, label and description, and whether it is served) and its spec in
//! [`crate::registry`]; nothing outside the registry has to change except what shows it.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// The models the app and the evaluator know, by their stable string ids.
///
/// The ids are stored (model versions, job rows), so an id string never changes once published:
/// `FromStr`, `Display` and serde all use [`ModelId::as_str`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ModelId {
    /// Random walk.
    Naive,
    /// Random walk with drift.
    Drift,
    /// ARIMA(1,1,1) on log closes.
    Arima111,
    /// Automatic ARIMA order selection on log closes.
    Autoarima,
    /// Random forest on the 19 features.
    Rf,
    /// Gradient-boosted trees on the 19 features.
    Gbm,
    /// LSTM on windows of the 19 features.
    Lstm,
    /// Elastic-net linear model on the 19 features.
    Elasticnet,
    /// Prophet (trend and yearly seasonality) on log closes, anchored to the last close.
    Prophet,
    /// Error-weighted combination of the other models.
    Ensemble,
}

impl ModelId {
    /// Every id, in display order.
    pub const ALL: &'static [ModelId] = &[
        ModelId::Naive,
        ModelId::Drift,
        ModelId::Arima111,
        ModelId::Autoarima,
        ModelId::Rf,
        ModelId::Gbm,
        ModelId::Lstm,
        ModelId::Elasticnet,
        ModelId::Prophet,
        ModelId::Ensemble,
    ];

    /// The models the prediction service serves, in display order. AutoARIMA is the served ARIMA;
    /// ARIMA(1,1,1) stays in the evaluation as the reference point.
    pub const SERVED: &'static [ModelId] = &[
        ModelId::Naive,
        ModelId::Drift,
        ModelId::Autoarima,
        ModelId::Lstm,
        ModelId::Rf,
        ModelId::Gbm,
        ModelId::Elasticnet,
        ModelId::Prophet,
        ModelId::Ensemble,
    ];

    /// Every id, in display order ([`ModelId::ALL`]).
    pub fn all() -> &'static [ModelId] {
        Self::ALL
    }

    /// The models the prediction service serves, in display order ([`ModelId::SERVED`]).
    pub fn served() -> &'static [ModelId] {
        Self::SERVED
    }

    /// The id string (`"naive"`, `"arima111"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            ModelId::Naive => "naive",
            ModelId::Drift => "drift",
            ModelId::Arima111 => "arima111",
            ModelId::Autoarima => "autoarima",
            ModelId::Rf => "rf",
            ModelId::Gbm => "gbm",
            ModelId::Lstm => "lstm",
            ModelId::Elasticnet => "elasticnet",
            ModelId::Prophet => "prophet",
            ModelId::Ensemble => "ensemble",
        }
    }

    /// The model's name for a person ("Random walk with drift").
    pub fn label(self) -> &'static str {
        match self {
            ModelId::Naive => "Naive random walk",
            ModelId::Drift => "Random walk with drift",
            ModelId::Arima111 => "ARIMA(1,1,1)",
            ModelId::Autoarima => "AutoARIMA",
            ModelId::Rf => "Random forest",
            ModelId::Gbm => "Gradient-boosted trees",
            ModelId::Lstm => "LSTM",
            ModelId::Elasticnet => "Elastic net",
            ModelId::Prophet => "Prophet",
            ModelId::Ensemble => "Ensemble",
        }
    }

    /// One sentence on what the model does, for a person.
    pub fn description(self) -> &'static str {
        match self {
            ModelId::Naive => {
                "Tomorrow's close is today's close: the benchmark every other model must beat."
            }
            ModelId::Drift => {
                "Today's close plus the average daily change of the last ten years."
            }
            ModelId::Arima111 => {
                "An autoregressive moving-average model of the daily log returns, of fixed order."
            }
            ModelId::Autoarima => {
                "An ARIMA model whose order is chosen by a stepwise search on the information criterion."
            }
            ModelId::Rf => {
                "An average of 100 regression trees on 19 technical indicators, one forest per horizon."
            }
            ModelId::Gbm => {
                "Boosted regression trees on 19 technical indicators, one model per horizon."
            }
            ModelId::Lstm => {
                "A recurrent neural network reading the last 60 days of 19 technical indicators."
            }
            ModelId::Elasticnet => {
                "A penalised linear regression on 19 technical indicators, one model per horizon."
            }
            ModelId::Prophet => {
                "A piecewise-linear trend with a yearly cycle fitted to the log price, started from the last close."
            }
            ModelId::Ensemble => {
                "The random walk and the other models, weighted by their recent forecast errors."
            }
        }
    }

    /// True for the baselines (naive, drift): their fit is a mean and a standard deviation, so they
    /// are fitted on the spot, and refitted at every walk-forward origin, instead of being trained
    /// and stored.
    pub fn is_baseline(self) -> bool {
        matches!(self, ModelId::Naive | ModelId::Drift)
    }
}

impl fmt::Display for ModelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for ModelId {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        ModelId::ALL
            .iter()
            .copied()
            .find(|id| id.as_str() == s.trim())
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "unknown model id `{s}`; known ids: {}",
                    ModelId::ALL
                        .iter()
                        .map(|id| id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ))
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_strings_and_serde() {
        for &id in ModelId::all() {
            assert_eq!(id.to_string().parse::<ModelId>().unwrap(), id);
            let json = serde_json::to_string(&id).unwrap();
            assert_eq!(json, format!("\"{id}\""));
            assert_eq!(serde_json::from_str::<ModelId>(&json).unwrap(), id);
        }
        let err = "theta".parse::<ModelId>().unwrap_err();
        assert!(err.to_string().contains("theta"), "{err}");
    }

    #[test]
    fn stored_id_strings_keep_parsing() {
        // Values written by earlier releases; they must never stop parsing.
        for (s, id) in [
            ("naive", ModelId::Naive),
            ("drift", ModelId::Drift),
            ("arima111", ModelId::Arima111),
            ("autoarima", ModelId::Autoarima),
            ("rf", ModelId::Rf),
            ("gbm", ModelId::Gbm),
            ("lstm", ModelId::Lstm),
            ("elasticnet", ModelId::Elasticnet),
            ("prophet", ModelId::Prophet),
            ("ensemble", ModelId::Ensemble),
        ] {
            assert_eq!(s.parse::<ModelId>().unwrap(), id);
            assert_eq!(
                serde_json::from_str::<ModelId>(&format!("\"{s}\"")).unwrap(),
                id
            );
        }
    }

    #[test]
    fn every_id_has_a_label_and_a_one_sentence_description() {
        for &id in ModelId::all() {
            assert!(!id.label().is_empty());
            let d = id.description();
            assert!(
                d.ends_with('.') && d.matches(". ").count() == 0,
                "{id}: {d}"
            );
        }
    }

    #[test]
    fn served_models_are_known_ids_in_display_order_and_baselines_come_first() {
        let served = ModelId::served();
        assert!(served.iter().all(|id| ModelId::all().contains(id)));
        assert_eq!(
            served.iter().map(|id| id.as_str()).collect::<Vec<_>>(),
            [
                "naive",
                "drift",
                "autoarima",
                "lstm",
                "rf",
                "gbm",
                "elasticnet",
                "prophet",
                "ensemble"
            ]
        );
        let baselines: Vec<_> = ModelId::all()
            .iter()
            .filter(|id| id.is_baseline())
            .collect();
        assert_eq!(baselines, [&ModelId::Naive, &ModelId::Drift]);
    }
}
