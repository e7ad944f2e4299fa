//! The model side of the registry: unfitted specs, fitted models and the stored artifact.

use serde::{Deserialize, Serialize};

use super::id::ModelId;

use crate::arima::{Arima, ArimaOrder, AutoArima, FittedArima, FittedAutoArima};
use crate::baseline::{Drift, FittedDrift, FittedNaive, Intervals, Naive};
use crate::elasticnet::{ElasticNet, FittedElasticNet};
use crate::ensemble::{self, Ensemble, FittedEnsemble};
use crate::forest::{FittedRandomForest, ForestParams, RandomForest};
use crate::gbm::booster::BoosterParams;
use crate::gbm::{FittedGbm, Gbm};
use crate::lstm::{FittedLstm, Lstm};
use crate::prophet::{FittedProphet, Prophet};
use crate::{Error, Fit, Forecast, Horizon, Level, Ohlcv, Predict, Result};

/// Unfitted parameters of any registered model.
///
/// Serialised with a `"model"` tag and the parameters under `"params"`, e.g.
/// `{"model": "drift", "params": {"window": 2520, "intervals": "volatility"}}`, so a stored spec records every
/// hyper-parameter, the ensemble's members included.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "model", content = "params", rename_all = "lowercase")]
#[non_exhaustive]
pub enum ModelSpec {
    /// Random walk.
    Naive(Naive),
    /// Random walk with drift.
    Drift(Drift),
    /// Error-weighted ensemble of other models.
    Ensemble(Ensemble<ModelSpec>),
    /// Random forest, one per horizon.
    Forest(RandomForest),
    /// Gradient-boosted trees, one booster per horizon.
    Gbm(Gbm),
    /// LSTM on windows of the features, all horizons jointly.
    Lstm(Lstm),
    /// ARIMA of a fixed order on log closes.
    Arima(Arima),
    /// AutoARIMA (KPSS + stepwise AICc search) on log closes.
    AutoArima(AutoArima),
    /// Elastic net, one per horizon.
    ElasticNet(ElasticNet),
    /// Prophet on log closes, anchored to the last close.
    Prophet(Prophet),
    // Model variants: add yours here.
}

impl ModelSpec {
    /// The reference protocol's parameters for `id`, with `seed` for the randomised models.
    ///
    /// # Errors
    /// [`Error::InvalidParameter`] naming the model when it is not available in this build.
    pub fn default_for(id: ModelId, seed: u64) -> Result<ModelSpec> {
        // Model variants: add yours here.
        match id {
            ModelId::Naive => Ok(ModelSpec::Naive(Naive::default())),
            ModelId::Drift => Ok(ModelSpec::Drift(Drift::default())),
            ModelId::Ensemble => Ok(ModelSpec::Ensemble(default_ensemble(seed)?)),
            ModelId::Rf => Ok(ModelSpec::Forest(RandomForest {
                regressor: ForestParams {
                    seed,
                    ..Default::default()
                },
                ..Default::default()
            })),
            ModelId::Gbm => Ok(ModelSpec::Gbm(Gbm {
                regressor: BoosterParams {
                    seed,
                    ..Default::default()
                },
                ..Default::default()
            })),
            ModelId::Lstm => Ok(ModelSpec::Lstm(Lstm {
                seed,
                ..Default::default()
            })),
            // The reference libraries' estimators, with the volatility-scaled intervals the app serves.
            ModelId::Arima111 => Ok(ModelSpec::Arima(Arima {
                intervals: Intervals::Volatility,
                ..Arima::new(ArimaOrder::new(1, 1, 1)?)
            })),
            ModelId::Autoarima => Ok(ModelSpec::AutoArima(AutoArima {
                intervals: Intervals::Volatility,
                ..AutoArima::default()
            })),
            ModelId::Elasticnet => Ok(ModelSpec::ElasticNet(ElasticNet::default())),
            ModelId::Prophet => Ok(ModelSpec::Prophet(Prophet::default())),
            // Reachable again as soon as an id is added before its model.
            #[allow(unreachable_patterns)]
            other => Err(not_available(other)),
        }
    }

    /// The id of the model these parameters belong to.
    pub fn id(&self) -> ModelId {
        // Model variants: add yours here.
        match self {
            ModelSpec::Naive(_) => ModelId::Naive,
            ModelSpec::Drift(_) => ModelId::Drift,
            ModelSpec::Ensemble(_) => ModelId::Ensemble,
            ModelSpec::Forest(_) => ModelId::Rf,
            ModelSpec::Gbm(_) => ModelId::Gbm,
            ModelSpec::Lstm(_) => ModelId::Lstm,
            ModelSpec::Arima(_) => ModelId::Arima111,
            ModelSpec::AutoArima(_) => ModelId::Autoarima,
            ModelSpec::ElasticNet(_) => ModelId::Elasticnet,
            ModelSpec::Prophet(_) => ModelId::Prophet,
        }
    }

    /// Ids whose [`ModelSpec::default_for`] succeeds in this build.
    pub fn available() -> Vec<ModelId> {
        ModelId::all()
            .iter()
            .copied()
            .filter(|&id| ModelSpec::default_for(id, 0).is_ok())
            .collect()
    }
}

/// The ensemble of the random walk (built in) and every other available model with its default
/// parameters, weighted for horizons 1, 2, 5.
fn default_ensemble(seed: u64) -> Result<Ensemble<ModelSpec>> {
    let members: Vec<ModelSpec> = ModelId::all()
        .iter()
        .filter(|&&id| id != ModelId::Ensemble && id != ModelId::Naive)
        .filter_map(|&id| ModelSpec::default_for(id, seed).ok())
        .collect();
    Ensemble::new(
        members,
        ensemble::DEFAULT_LOOKBACK,
        Horizon::standard().to_vec(),
    )
}

fn not_available(id: ModelId) -> Error {
    Error::InvalidParameter {
        name: "model",
        value: id.to_string(),
        reason: "this model is not available in this build",
    }
}

impl Fit for ModelSpec {
    type Fitted = FittedModel;
    fn fit(&self, history: &Ohlcv) -> Result<FittedModel> {
        // Model variants: add yours here.
        Ok(match self {
            ModelSpec::Naive(m) => FittedModel::Naive(m.fit(history)?),
            ModelSpec::Drift(m) => FittedModel::Drift(m.fit(history)?),
            ModelSpec::Ensemble(m) => FittedModel::Ensemble(m.fit(history)?),
            ModelSpec::Forest(m) => FittedModel::Forest(m.fit(history)?),
            ModelSpec::Gbm(m) => FittedModel::Gbm(m.fit(history)?),
            ModelSpec::Lstm(m) => FittedModel::Lstm(m.fit(history)?),
            ModelSpec::Arima(m) => FittedModel::Arima(m.fit(history)?),
            ModelSpec::AutoArima(m) => FittedModel::AutoArima(m.fit(history)?),
            ModelSpec::ElasticNet(m) => FittedModel::ElasticNet(m.fit(history)?),
            ModelSpec::Prophet(m) => FittedModel::Prophet(m.fit(history)?),
        })
    }
}

/// A fitted model of any registered kind.
// One value exists per loaded model, so the size difference between variants costs nothing worth
// a Box indirection in every model's code.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, PartialEq, Serialize, Deserialize)]
// Externally tagged (`{"naive": {...}}`): the stored artifact is bincode, which cannot read the
// adjacently tagged form.
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum FittedModel {
    /// Fitted random walk.
    Naive(FittedNaive),
    /// Fitted random walk with drift.
    Drift(FittedDrift),
    /// Fitted ensemble.
    Ensemble(FittedEnsemble<FittedModel>),
    /// Fitted random forest.
    Forest(FittedRandomForest),
    /// Fitted gradient-boosted trees.
    Gbm(FittedGbm),
    /// Fitted LSTM.
    Lstm(FittedLstm),
    /// Fitted ARIMA.
    Arima(FittedArima),
    /// Fitted AutoARIMA (the chosen model and the search trace).
    AutoArima(FittedAutoArima),
    /// Fitted elastic net.
    ElasticNet(FittedElasticNet),
    /// Fitted Prophet (its curve on a daily grid).
    Prophet(FittedProphet),
    // Model variants: add yours here.
}

impl FittedModel {
    /// The model's name for a person: AutoARIMA names the order it chose (`"ARIMA(0,1,0) with
    /// drift"`), every other model its [`ModelId::label`].
    pub fn label(&self) -> String {
        match self {
            FittedModel::AutoArima(m) => m.label(),
            other => other.id().label().to_string(),
        }
    }

    /// The id of the model this fitted state belongs to.
    pub fn id(&self) -> ModelId {
        // Model variants: add yours here.
        match self {
            FittedModel::Naive(_) => ModelId::Naive,
            FittedModel::Drift(_) => ModelId::Drift,
            FittedModel::Ensemble(_) => ModelId::Ensemble,
            FittedModel::Forest(_) => ModelId::Rf,
            FittedModel::Gbm(_) => ModelId::Gbm,
            FittedModel::Lstm(_) => ModelId::Lstm,
            FittedModel::Arima(_) => ModelId::Arima111,
            FittedModel::AutoArima(_) => ModelId::Autoarima,
            FittedModel::ElasticNet(_) => ModelId::Elasticnet,
            FittedModel::Prophet(_) => ModelId::Prophet,
        }
    }
}

impl Predict for FittedModel {
    fn predict(&self, history: &Ohlcv, horizons: &[Horizon], levels: &[Level]) -> Result<Forecast> {
        // Model variants: add yours here.
        match self {
            FittedModel::Naive(m) => m.predict(history, horizons, levels),
            FittedModel::Drift(m) => m.predict(history, horizons, levels),
            FittedModel::Ensemble(m) => m.predict(history, horizons, levels),
            FittedModel::Forest(m) => m.predict(history, horizons, levels),
            FittedModel::Gbm(m) => m.predict(history, horizons, levels),
            FittedModel::Lstm(m) => m.predict(history, horizons, levels),
            FittedModel::Arima(m) => m.predict(history, horizons, levels),
            FittedModel::AutoArima(m) => m.predict(history, horizons, levels),
            FittedModel::ElasticNet(m) => m.predict(history, horizons, levels),
            FittedModel::Prophet(m) => m.predict(history, horizons, levels),
        }
    }
}

/// A stored fitted model with its id and the artifact format version.
///
/// The stored form ([`Artifact::to_bytes`]) is binary: the 4-byte magic `TCFM`, the format version
/// as a little-endian `u32`, then the model id and fitted state in bincode, deflated. A random
/// forest of the protocol's defaults takes a few MB this way instead of about 34 MB as JSON (the
/// format of version 1, which is no longer read: retrain such models).
#[derive(Debug, PartialEq, Serialize, Deserialize)]
pub struct Artifact {
    /// Format version; [`Artifact::from_bytes`] accepts only [`Artifact::FORMAT_VERSION`].
    pub format_version: u32,
    /// Which model this is.
    pub model: ModelId,
    /// Its fitted state.
    pub fitted: FittedModel,
}

/// What follows the header of a stored artifact.
#[derive(Serialize)]
struct PayloadRef<'a> {
    model: ModelId,
    fitted: &'a FittedModel,
}

#[derive(Deserialize)]
struct Payload {
    model: ModelId,
    fitted: FittedModel,
}

impl Artifact {
    /// The artifact format this build writes and reads (2: binary; 1 was JSON).
    pub const FORMAT_VERSION: u32 = 2;

    /// The first bytes of a stored artifact.
    pub const MAGIC: [u8; 4] = *b"TCFM";

    /// Wraps a fitted model in the current format version.
    pub fn new(model: ModelId, fitted: FittedModel) -> Self {
        Self {
            format_version: Self::FORMAT_VERSION,
            model,
            fitted,
        }
    }

    /// Serialises to the stored binary form (see the type docs).
    ///
    /// # Errors
    /// [`Error::Artifact`] if serialisation fails.
    pub fn to_bytes(&self) -> Result<Vec<u8>> {
        use std::io::Write;
        let payload = bincode::serialize(&PayloadRef {
            model: self.model,
            fitted: &self.fitted,
        })
        .map_err(|e| Error::Artifact(format!("cannot serialise: {e}")))?;
        let mut out = Self::MAGIC.to_vec();
        out.extend_from_slice(&self.format_version.to_le_bytes());
        let mut z = flate2::write::DeflateEncoder::new(out, flate2::Compression::default());
        z.write_all(&payload)
            .and_then(|_| z.finish())
            .map_err(|e| Error::Artifact(format!("cannot compress: {e}")))
    }

    /// Reads an artifact written by [`Artifact::to_bytes`].
    ///
    /// # Errors
    /// [`Error::Artifact`] for bytes that are not an artifact, a JSON artifact of format version 1
    /// (named as such: retrain the model), or a format version other than
    /// [`Artifact::FORMAT_VERSION`]; the version is checked before the model state is decoded, so
    /// an artifact from another format fails with a clear message rather than a decoding error.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        use std::io::Read;
        if bytes.first() == Some(&b'{') {
            return Err(Error::Artifact(
                "a JSON artifact of format version 1, which this build no longer reads \
                 (it reads version 2); retrain the model"
                    .into(),
            ));
        }
        if bytes.len() < 8 || bytes[..4] != Self::MAGIC {
            return Err(Error::Artifact(
                "not a model artifact (no TCFM header)".into(),
            ));
        }
        let version = u32::from_le_bytes([bytes[4], bytes[5], bytes[6], bytes[7]]);
        if version != Self::FORMAT_VERSION {
            return Err(Error::Artifact(format!(
                "unsupported format version {version} (this build reads version {})",
                Self::FORMAT_VERSION
            )));
        }
        let mut payload = Vec::new();
        flate2::read::DeflateDecoder::new(&bytes[8..])
            .read_to_end(&mut payload)
            .map_err(|e| Error::Artifact(format!("corrupt artifact: {e}")))?;
        let p: Payload = bincode::deserialize(&payload)
            .map_err(|e| Error::Artifact(format!("corrupt artifact: {e}")))?;
        Ok(Artifact {
            format_version: version,
            model: p.model,
            fitted: p.fitted,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_round_trips() {
        let h = Ohlcv::from_closes(&[10.0, 11.0, 10.5, 12.0]).unwrap();
        for id in [ModelId::Naive, ModelId::Drift] {
            let fitted = ModelSpec::default_for(id, 0).unwrap().fit(&h).unwrap();
            let a = Artifact::new(id, fitted);
            let back = Artifact::from_bytes(&a.to_bytes().unwrap()).unwrap();
            assert_eq!(back, a);
        }
    }

    #[test]
    fn unknown_artifact_version_is_rejected() {
        let h = Ohlcv::from_closes(&[10.0, 11.0, 10.5]).unwrap();
        let mut a = Artifact::new(
            ModelId::Naive,
            ModelSpec::default_for(ModelId::Naive, 0)
                .unwrap()
                .fit(&h)
                .unwrap(),
        );
        a.format_version = 99;
        let err = Artifact::from_bytes(&a.to_bytes().unwrap()).unwrap_err();
        assert!(matches!(err, Error::Artifact(_)));
        assert!(err.to_string().contains("99"), "{err}");
        assert!(matches!(
            Artifact::from_bytes(b"{]"),
            Err(Error::Artifact(_))
        ));
        assert!(matches!(
            Artifact::from_bytes(b"TCFM\x02\x00\x00\x00garbage"),
            Err(Error::Artifact(_))
        ));
    }

    #[test]
    fn a_json_artifact_of_version_one_is_refused_with_a_clear_error() {
        let old = br#"{"format_version":1,"model":"naive","fitted":{"model":"naive","state":{"window":2520,"sigma":0.01}}}"#;
        let err = Artifact::from_bytes(old).unwrap_err().to_string();
        assert!(
            err.contains("version 1") && err.contains("retrain"),
            "{err}"
        );
    }

    #[test]
    fn spec_id_matches_the_id_it_was_made_for() {
        for id in ModelSpec::available() {
            assert_eq!(ModelSpec::default_for(id, 0).unwrap().id(), id);
        }
        assert!(ModelSpec::available().contains(&ModelId::Naive));
    }

    #[test]
    fn every_spec_round_trips_through_serde_json_with_its_model_tag() {
        for id in ModelSpec::available() {
            let spec = ModelSpec::default_for(id, 3).unwrap();
            let value = serde_json::to_value(&spec).unwrap();
            assert!(
                value["model"].is_string() && value["params"].is_object(),
                "{id}: {value}"
            );
            let back: ModelSpec = serde_json::from_value(value).unwrap();
            assert_eq!(back, spec, "{id}");
        }
        let drift = serde_json::to_value(ModelSpec::Drift(Drift::default())).unwrap();
        assert_eq!(
            drift,
            serde_json::json!({"model": "drift", "params": {"window": 2520, "intervals": "volatility"}})
        );
    }

    #[test]
    fn the_ensemble_spec_records_its_members() {
        let spec = ModelSpec::default_for(ModelId::Ensemble, 0).unwrap();
        let value = serde_json::to_value(&spec).unwrap();
        let members = value["params"]["members"].as_array().unwrap();
        // Every other model but the random walk, which the ensemble has built in.
        assert_eq!(members.len(), ModelSpec::available().len() - 2);
        assert!(members.iter().any(|m| m["model"] == "forest"));
    }
}
