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

use std::net::TcpListener;
use std::path::{Path, PathBuf};

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
