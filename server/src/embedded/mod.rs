//! The embedded default: private Postgres and Redis server processes on loopback, started when no
//! `DATABASE_URL` / `REDIS_URL` is given and stopped when the app exits.
//!
//! Each server runs as a child process watched by a dedicated thread. The child is started with
//! `PR_SET_PDEATHSIG`, so it shuts down even if the app is killed without a chance to clean up; the
//! signal is tied to the spawning *thread*, which is why that thread lives exactly as long as the
//! child does.

mod postgres;
mod redis;
mod supervisor;

pub use self::postgres::EmbeddedPostgres;
pub use self::redis::EmbeddedRedis;

use std::io::Write;
use std::net::TcpListener;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use anyhow::Context;
use rand::RngCore;

/// The secret kept in `path`, generated on first use: `bytes` random bytes as hex, in a file only
/// this user can read. The embedded default's passwords and signing key live in its data folder so
/// a restart keeps sessions, tokens and the database reachable.
pub fn secret_file(path: &Path, bytes: usize) -> anyhow::Result<Vec<u8>> {
    match std::fs::read_to_string(path) {
        Ok(s) if s.trim().len() >= 32 => return Ok(s.trim().as_bytes().to_vec()),
        Ok(_) => anyhow::bail!("{} is too short to be a secret: remove it", path.display()),
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(e).with_context(|| format!("Failed to read {}", path.display()))
        }
        Err(_) => {}
    }
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut raw = vec![0u8; bytes];
    rand::thread_rng().fill_bytes(&mut raw);
    let secret: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("Failed to create {}", path.display()))?;
    file.write_all(secret.as_bytes())?;
    Ok(secret.into_bytes())
}

/// [`secret_file`] as a string (hex, safe in URLs).
fn secret_string(path: &Path, bytes: usize) -> anyhow::Result<String> {
    Ok(String::from_utf8(secret_file(path, bytes)?)?)
}

/// A free loopback port, chosen by the kernel.
fn free_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

/// Finds an executable on `PATH`, then in the given fallback directories (newest first).
fn find_binary(name: &str, fallback_globs: &[&str]) -> Option<PathBuf> {
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join(name))
            .find(|p| p.is_file())
    });
    on_path.or_else(|| {
        fallback_globs.iter().find_map(|parent| {
            // `parent` holds versioned sub-folders, e.g. /usr/lib/postgresql/{15,16}/bin.
            let mut versions: Vec<PathBuf> = std::fs::read_dir(parent)
                .ok()?
                .filter_map(|e| e.ok().map(|e| e.path()))
                .collect();
            versions.sort();
            versions
                .into_iter()
                .rev()
                .map(|v| v.join("bin").join(name))
                .find(|p| p.is_file())
        })
    })
}

/// Creates `dir` and returns its absolute path.
fn absolute_dir(dir: &Path) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    std::fs::canonicalize(dir)
}
