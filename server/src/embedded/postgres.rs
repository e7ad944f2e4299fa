//! A private Postgres cluster in a data folder, for the embedded default and for tests.

use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection};

use super::supervisor::Supervised;
use super::{absolute_dir, find_binary, free_port, secret_string};

/// Who may connect how: the Unix socket lives in the cluster's own mode-700 folder, so only its
/// owner reaches it (that is how the password is set); TCP, loopback only, needs the password.
const PG_HBA: &str = "\
# Written by Tickercast on every start of the embedded cluster.
local all all trust
host  all all 127.0.0.1/32 scram-sha-256
";

const PG_FALLBACK: &[&str] = &["/usr/lib/postgresql"];

/// A running private Postgres server; stopped (fast shutdown) on drop.
pub struct EmbeddedPostgres {
    process: Supervised,
    port: u16,
    data_dir: PathBuf,
    password: String,
}

impl std::fmt::Debug for EmbeddedPostgres {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedPostgres")
            .field("port", &self.port)
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

impl EmbeddedPostgres {
    /// Starts (creating on first use) a cluster in `dir` on a free loopback port, and waits until it
    /// accepts connections. `durable = false` turns off fsync: for throw-away test clusters only.
    #[tracing::instrument(name = "embedded_postgres_start", skip_all, fields(dir = %dir.display()))]
    pub async fn start(dir: &Path, durable: bool) -> anyhow::Result<Self> {
        let postgres = find_binary("postgres", PG_FALLBACK).context(
            "no `postgres` binary found on PATH or in /usr/lib/postgresql/*/bin: install PostgreSQL \
             (`make setup` does) or set DATABASE_URL",
        )?;
        let initdb = postgres.with_file_name("initdb");
        sweep_orphaned_fallbacks(&std::env::temp_dir());
        let data_dir = cluster_dir(dir)?;
        let owner = postgres_owner()?;
        let password = secret_string(&absolute_dir(dir)?.join("postgres.secret"), 24)?;

        if !data_dir.join("PG_VERSION").exists() {
            tracing::info!(dir = %data_dir.display(), "initialising a private Postgres cluster");
            std::fs::create_dir_all(&data_dir)?;
            if let Some((uid, gid)) = owner {
                std::os::unix::fs::chown(&data_dir, Some(uid), Some(gid))
                    .context("Failed to hand the data folder to the postgres user")?;
            }
            let mut cmd = Command::new(&initdb);
            cmd.args(["-D"])
                .arg(&data_dir)
                .args([
                    "-U",
                    "postgres",
                    "--auth-local=trust",
                    "--auth-host=scram-sha-256",
                    "-E",
                    "UTF8",
                    "--no-instructions",
                ])
                .stdin(Stdio::null());
            as_owner(&mut cmd, owner);
            let out = cmd
                .output()
                .with_context(|| format!("Failed to run {}", initdb.display()))?;
            if !out.status.success() {
                bail!(
                    "initdb failed ({}): {}",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
        }

        // Rewritten each start: clusters made before passwords existed get the same rules.
        std::fs::write(data_dir.join("pg_hba.conf"), PG_HBA)
            .context("Failed to write the cluster's pg_hba.conf")?;

        let port = free_port()?;
        let mut cmd = Command::new(&postgres);
        cmd.arg("-D")
            .arg(&data_dir)
            .args(["-p", &port.to_string(), "-h", "127.0.0.1", "-k"])
            .arg(&data_dir)
            .args(["-c", "max_connections=200", "-c", "shared_buffers=64MB"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(dir.join("postgres.log"))?,
            ));
        if !durable {
            cmd.args([
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ]);
        }
        as_owner(&mut cmd, owner);
        // SIGINT = "fast shutdown": roll back open transactions, write a checkpoint, exit.
        let process = Supervised::spawn("postgres", cmd, libc::SIGINT)
            .with_context(|| format!("Failed to start {}", postgres.display()))?;
        let pg = Self {
            process,
            port,
            data_dir,
            password,
        };
        let mut conn = pg.wait_ready(Duration::from_secs(60)).await?;
        // Hex only, so it cannot break out of the literal; a statement, so it cannot be bound.
        sqlx::query(&format!("alter role postgres password '{}'", pg.password))
            .execute(&mut conn)
            .await
            .context("Failed to set the private cluster's password")?;
        let _ = conn.close().await;
        tracing::info!(port, "private Postgres is up");
        Ok(pg)
    }

    /// Waits until the server answers on its Unix socket, and returns that connection.
    async fn wait_ready(&self, timeout: Duration) -> anyhow::Result<PgConnection> {
        let deadline = Instant::now() + timeout;
        let socket = PgConnectOptions::new()
            .socket(&self.data_dir)
            .port(self.port)
            .username("postgres")
            .database("postgres");
        loop {
            match PgConnection::connect_with(&socket).await {
                Ok(conn) => return Ok(conn),
                Err(e) if Instant::now() < deadline && self.process.is_running() => {
                    tracing::trace!(error = %e, "waiting for Postgres");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                Err(e) => {
                    bail!(
                        "private Postgres did not come up (see {}): {e}",
                        self.data_dir
                            .parent()
                            .unwrap_or(&self.data_dir)
                            .join("postgres.log")
                            .display()
                    )
                }
            }
        }
    }

    /// The URL of database `db` on the cluster in `dir` if a server is running on it now (e.g. the
    /// app's own, for `server admin` beside a running `make run`).
    pub fn running_url(dir: &Path, db: &str) -> Option<String> {
        let port = running_port(&cluster_dir(dir).ok()?)?;
        let password =
            std::fs::read_to_string(absolute_dir(dir).ok()?.join("postgres.secret")).ok()?;
        Some(format!(
            "postgres://postgres:{}@127.0.0.1:{port}/{db}",
            password.trim()
        ))
    }

    /// A connection URL for database `db` on this server.
    pub fn url(&self, db: &str) -> String {
        format!(
            "postgres://postgres:{}@127.0.0.1:{}/{db}",
            self.password, self.port
        )
    }

    /// Creates database `db` unless it exists.
    pub async fn ensure_database(&self, db: &str) -> anyhow::Result<()> {
        let mut conn = PgConnection::connect(&self.url("postgres")).await?;
        let exists: bool =
            sqlx::query_scalar("select exists(select 1 from pg_database where datname = $1)")
                .bind(db)
                .fetch_one(&mut conn)
                .await?;
        if !exists {
            // Identifiers cannot be bound as parameters; `db` is our own constant or a generated name.
            sqlx::query(&format!("create database \"{}\"", db.replace('"', "")))
                .execute(&mut conn)
                .await
                .with_context(|| format!("Failed to create database {db}"))?;
        }
        Ok(())
    }

    /// Stops the server (fast shutdown) and waits for it.
    pub fn stop(mut self) {
        self.process.stop();
    }
}

/// Postgres refuses to run as root; when we are root the cluster belongs to the `postgres` user.
fn postgres_owner() -> anyhow::Result<Option<(u32, u32)>> {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(None);
    }
    let passwd = std::fs::read_to_string("/etc/passwd").context("Failed to read /etc/passwd")?;
    passwd
        .lines()
        .find_map(|line| {
            let f: Vec<&str> = line.split(':').collect();
            (f.first() == Some(&"postgres") && f.len() > 3)
                .then(|| Some((f[2].parse().ok()?, f[3].parse().ok()?)))
                .flatten()
        })
        .map(Some)
        .context("running as root but there is no `postgres` user to run the private cluster as")
}

fn as_owner(cmd: &mut Command, owner: Option<(u32, u32)>) {
    use std::os::unix::process::CommandExt;
    if let Some((uid, gid)) = owner {
        cmd.uid(uid).gid(gid).env("HOME", "/tmp");
    }
}

/// The cluster lives in `dir/postgres`, unless the postgres user (when we run as root) could not
/// reach it — e.g. a checkout under a mode-700 home folder — in which case it moves to a folder
/// under the system temp dir named after `dir`, and says so.
fn cluster_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    let dir = absolute_dir(dir)?;
    let preferred = dir.join("postgres");
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 || traversable_by_others(&dir) {
        return Ok(preferred);
    }
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    dir.hash(&mut h);
    let fallback = std::env::temp_dir().join(format!("{FALLBACK_PREFIX}{:016x}", h.finish()));
    tracing::warn!(
        wanted = %preferred.display(),
        using = %fallback.display(),
        "the postgres user cannot reach the data folder; keeping the cluster elsewhere"
    );
    std::fs::create_dir_all(&fallback)?;
    let owner = fallback.join(OWNER_FILE);
    if !owner.exists() {
        std::fs::write(&owner, dir.as_os_str().as_bytes())?;
    }
    Ok(fallback.join("postgres"))
}

/// How the folders [`cluster_dir`] falls back to are named, under the system temp dir.
const FALLBACK_PREFIX: &str = "tickercast-pg-";
/// The file in such a folder naming the data folder it belongs to.
const OWNER_FILE: &str = "owner";

/// The port of the Postgres running on `data_dir` now, if one is.
fn running_port(data_dir: &Path) -> Option<u16> {
    // postmaster.pid: pid, data dir, start time, port, socket dir, listen address, …
    let pid_file = std::fs::read_to_string(data_dir.join("postmaster.pid")).ok()?;
    let mut lines = pid_file.lines();
    let pid: i32 = lines.next()?.trim().parse().ok()?;
    let port: u16 = lines.nth(2)?.trim().parse().ok()?;
    // SAFETY: signal 0 only asks whether the process exists.
    (unsafe { libc::kill(pid, 0) } == 0).then_some(port)
}

/// Removes the fallback folders under `temp` whose data folder is gone and whose Postgres no
/// longer runs. A temporary data folder (a test run's, a benchmark's) is deleted by whoever made
/// it, who knows nothing of the cluster kept for it elsewhere; without this each such run would
/// leave one behind.
fn sweep_orphaned_fallbacks(temp: &Path) {
    let Ok(entries) = std::fs::read_dir(temp) else {
        return;
    };
    for entry in entries.flatten() {
        if !entry
            .file_name()
            .as_bytes()
            .starts_with(FALLBACK_PREFIX.as_bytes())
        {
            continue;
        }
        let folder = entry.path();
        // Folders of older versions name no owner: left alone.
        let Ok(owner) = std::fs::read(folder.join(OWNER_FILE)) else {
            continue;
        };
        let owner = PathBuf::from(std::ffi::OsString::from_vec(owner));
        if owner.exists() || running_port(&folder.join("postgres")).is_some() {
            continue;
        }
        match std::fs::remove_dir_all(&folder) {
            Ok(()) => tracing::info!(folder = %folder.display(), owner = %owner.display(),
                "removed the Postgres folder of a data folder that is gone"),
            Err(e) => tracing::warn!(folder = %folder.display(), error = %e,
                "could not remove the Postgres folder of a data folder that is gone"),
        }
    }
}

fn traversable_by_others(dir: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    dir.ancestors().all(|p| {
        std::fs::metadata(p)
            .map(|m| m.permissions().mode() & 0o001 != 0)
            .unwrap_or(false)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_fallbacks_whose_data_folder_is_gone_are_swept() {
        let temp = std::env::temp_dir().join(format!("tc-sweep-{}", std::process::id()));
        let kept_data = temp.join("a-data-folder");
        std::fs::create_dir_all(&kept_data).unwrap();
        let fallback = |name: &str, owner: Option<&Path>| {
            let folder = temp.join(format!("{FALLBACK_PREFIX}{name}"));
            std::fs::create_dir_all(folder.join("postgres")).unwrap();
            if let Some(owner) = owner {
                std::fs::write(folder.join(OWNER_FILE), owner.as_os_str().as_bytes()).unwrap();
            }
            folder
        };
        let orphan = fallback("orphan", Some(&temp.join("deleted-by-its-test")));
        let owned = fallback("owned", Some(&kept_data));
        let unnamed = fallback("unnamed", None);
        let unrelated = temp.join("some-other-folder");
        std::fs::create_dir_all(&unrelated).unwrap();

        sweep_orphaned_fallbacks(&temp);

        assert!(!orphan.exists(), "its data folder is gone");
        assert!(owned.exists(), "its data folder is still there");
        assert!(unnamed.exists(), "no owner named: not ours to judge");
        assert!(unrelated.exists());
        std::fs::remove_dir_all(temp).unwrap();
    }
}
