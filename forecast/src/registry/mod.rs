//! Every model behind one id: [`ModelId`] names a model, [`ModelSpec`] holds its unfitted
//! parameters, [`FittedModel`] its fitted state, and [`Artifact`] is what gets stored.
//!
//! ```
//! use forecast::registry::{Artifact, ModelId, ModelSpec};
//! use forecast::{Fit, Horizon, Ohlcv, Predict};
//!
//! let history = Ohlcv::from_closes(&[10.0, 10.5, 10.2, 10.8, 11.0]).unwrap();
//! let spec = ModelSpec::default_for(ModelId::Drift, 0).unwrap();
//! let artifact = Artifact::new(ModelId::Drift, spec.fit(&history).unwrap());
//! let back = Artifact::from_bytes(&artifact.to_bytes().unwrap()).unwrap();
//! let f = back.fitted.predict(&history, &[Horizon::new(1).unwrap()], &[]).unwrap();
//! assert!(f.steps[0].point > 11.0);
//! ```

mod id;
#[cfg(feature = "models")]
mod models;

pub use id::ModelId;
#[cfg(feature = "models")]
pub use models::{Artifact, FittedModel, ModelSpec};
