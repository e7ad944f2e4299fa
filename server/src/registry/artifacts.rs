//! Where fitted models are kept: gzip-compressed JSON artifacts in an object store (a local folder
//! by default, an S3-compatible bucket when configured), each with a SHA-256 checksum that is
//! verified on every load.

use std::io::{Read, Write};
use std::path::Path as FsPath;
use std::sync::Arc;

use flate2::read::GzDecoder;
use flate2::write::GzEncoder;
use flate2::Compression;
use forecast::registry::Artifact;
use object_store::local::LocalFileSystem;
use object_store::path::Path;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::RegistryError;

/// A stored artifact: where it is, its checksum and its compressed size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredArtifact {
    /// Object key, relative to the store's root.
    pub key: String,
    /// Hex SHA-256 of the stored (compressed) bytes.
    pub sha256: String,
    /// Stored (compressed) size in bytes.
    pub bytes: i64,
}

/// The artifact store.
#[derive(Clone)]
pub struct ArtifactStore {
    store: Arc<dyn ObjectStore>,
    description: String,
}

impl std::fmt::Debug for ArtifactStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.description)
    }
}

impl ArtifactStore {
    /// `url` = `s3://bucket/prefix` (credentials and endpoint from the usual `AWS_*` variables) or
    /// `file:///abs/dir`; `None` = the folder `default_dir`, created if missing.
    pub fn open(url: Option<&str>, default_dir: &FsPath) -> Result<Self, RegistryError> {
        let bad = |reason: String| RegistryError::Store(format!("ARTIFACT_STORE_URL: {reason}"));
        match url {
            None => Self::local(default_dir),
            Some(url) => {
                if let Some(dir) = url.strip_prefix("file://") {
                    return Self::local(FsPath::new(dir));
                }
                let Some(rest) = url.strip_prefix("s3://") else {
                    return Err(bad("expected s3://bucket/prefix or file:///dir".into()));
                };
                let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
                if bucket.is_empty() {
                    return Err(bad("the bucket name is missing".into()));
                }
                let s3 = object_store::aws::AmazonS3Builder::from_env()
                    .with_bucket_name(bucket)
                    .build()
                    .map_err(|e| bad(e.to_string()))?;
                let prefix = prefix.trim_matches('/');
                let store: Arc<dyn ObjectStore> = if prefix.is_empty() {
                    Arc::new(s3)
                } else {
                    Arc::new(PrefixStore::new(s3, prefix))
                };
                Ok(Self {
                    store,
                    description: format!("s3://{bucket}/{prefix}"),
                })
            }
        }
    }

    fn local(dir: &FsPath) -> Result<Self, RegistryError> {
        std::fs::create_dir_all(dir)
            .map_err(|e| RegistryError::Store(format!("cannot create {}: {e}", dir.display())))?;
        let fs = LocalFileSystem::new_with_prefix(dir)
            .map_err(|e| RegistryError::Store(e.to_string()))?;
        Ok(Self {
            store: Arc::new(fs),
            description: format!("local folder {}", dir.display()),
        })
    }

    /// Compresses and writes `artifact` under `key`. The bytes go to a temporary key first and are
    /// then renamed, so a reader (or a crash) never sees a half-written object under `key`.
    pub async fn put(
        &self,
        key: &str,
        artifact: &Artifact,
    ) -> Result<StoredArtifact, RegistryError> {
        let json = artifact
            .to_bytes()
            .map_err(|e| RegistryError::Artifact(e.to_string()))?;
        let compressed = crate::telemetry::spawn_blocking_in_span(move || gzip(&json))
            .await
            .map_err(|e| RegistryError::Artifact(format!("compression stopped: {e}")))??;
        let sha256 = hex_sha256(&compressed);
        let bytes = compressed.len() as i64;
        let tmp = Path::from(format!("tmp/{}.partial", Uuid::new_v4()));
        let dest = Path::from(key);
        self.store
            .put(&tmp, PutPayload::from(compressed))
            .await
            .map_err(|e| RegistryError::Store(e.to_string()))?;
        if let Err(e) = self.store.rename(&tmp, &dest).await {
            let _ = self.store.delete(&tmp).await;
            return Err(RegistryError::Store(e.to_string()));
        }
        Ok(StoredArtifact {
            key: key.to_owned(),
            sha256,
            bytes,
        })
    }

    /// Reads the artifact under `key`, checks it against `sha256` and decodes it.
    pub async fn load(&self, key: &str, sha256: &str) -> Result<Artifact, RegistryError> {
        let data = self
            .store
            .get(&Path::from(key))
            .await
            .map_err(|e| RegistryError::Store(format!("{key}: {e}")))?
            .bytes()
            .await
            .map_err(|e| RegistryError::Store(format!("{key}: {e}")))?;
        let actual = hex_sha256(&data);
        if actual != sha256 {
            return Err(RegistryError::Checksum {
                key: key.to_owned(),
                expected: sha256.to_owned(),
                actual,
            });
        }
        crate::telemetry::spawn_blocking_in_span(move || {
            let json = gunzip(&data)?;
            Artifact::from_bytes(&json).map_err(|e| RegistryError::Artifact(e.to_string()))
        })
        .await
        .map_err(|e| RegistryError::Artifact(format!("decoding stopped: {e}")))?
    }

    /// Overwrites the object under `key` with `bytes` as they are (operators' repairs and tests
    /// of the checksum check).
    pub async fn overwrite_raw(&self, key: &str, bytes: Vec<u8>) -> Result<(), RegistryError> {
        self.store
            .put(&Path::from(key), PutPayload::from(bytes))
            .await
            .map(|_| ())
            .map_err(|e| RegistryError::Store(e.to_string()))
    }
}

fn gzip(data: &[u8]) -> Result<Vec<u8>, RegistryError> {
    let mut enc = GzEncoder::new(Vec::with_capacity(data.len() / 4), Compression::default());
    enc.write_all(data)
        .and_then(|_| enc.finish())
        .map_err(|e| RegistryError::Artifact(format!("cannot compress: {e}")))
}

fn gunzip(data: &[u8]) -> Result<Vec<u8>, RegistryError> {
    let mut out = Vec::new();
    GzDecoder::new(data)
        .read_to_end(&mut out)
        .map_err(|e| RegistryError::Artifact(format!("not a gzip artifact: {e}")))?;
    Ok(out)
}

/// Lower-case hex SHA-256.
pub fn hex_sha256(data: &[u8]) -> String {
    Sha256::digest(data)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use forecast::registry::{ModelId, ModelSpec};
    use forecast::{Fit, Ohlcv};

    fn drift_artifact() -> Artifact {
        let h = Ohlcv::from_closes(&[10.0, 10.5, 10.2, 10.8, 11.0]).unwrap();
        let spec = ModelSpec::default_for(ModelId::Drift, 0).unwrap();
        Artifact::new(ModelId::Drift, spec.fit(&h).unwrap())
    }

    #[tokio::test]
    async fn an_artifact_round_trips_through_the_local_store_compressed() {
        let dir = std::env::temp_dir().join(format!("tc-artifacts-{}", Uuid::new_v4()));
        let store = ArtifactStore::open(None, &dir).unwrap();
        let a = drift_artifact();
        let stored = store.put("AAPL/drift/x.json.gz", &a).await.unwrap();
        assert_eq!(stored.sha256.len(), 64);
        let on_disk = std::fs::read(dir.join("AAPL/drift/x.json.gz")).unwrap();
        assert_eq!(on_disk.len() as i64, stored.bytes);
        assert_eq!(&on_disk[..2], &[0x1f, 0x8b], "gzip magic");
        assert_eq!(store.load(&stored.key, &stored.sha256).await.unwrap(), a);
        // No temporary object is left behind.
        let tmp = dir.join("tmp");
        assert!(!tmp.exists() || std::fs::read_dir(tmp).unwrap().next().is_none());
        let _ = std::fs::remove_dir_all(dir);
    }

    #[tokio::test]
    async fn a_changed_artifact_fails_its_checksum_with_a_clear_error() {
        let dir = std::env::temp_dir().join(format!("tc-artifacts-{}", Uuid::new_v4()));
        let store = ArtifactStore::open(None, &dir).unwrap();
        let stored = store.put("k.json.gz", &drift_artifact()).await.unwrap();
        store
            .overwrite_raw("k.json.gz", b"tampered".to_vec())
            .await
            .unwrap();
        let err = store.load(&stored.key, &stored.sha256).await.unwrap_err();
        assert!(matches!(err, RegistryError::Checksum { .. }), "{err}");
        assert!(err.to_string().contains("checksum"), "{err}");
        let _ = std::fs::remove_dir_all(dir);
    }

    #[test]
    fn an_unknown_store_url_is_refused() {
        let dir = std::env::temp_dir();
        assert!(ArtifactStore::open(Some("ftp://x/y"), &dir).is_err());
        assert!(ArtifactStore::open(Some("s3:///prefix"), &dir).is_err());
    }
}
