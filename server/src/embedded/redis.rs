//! A private Redis server on loopback, for the embedded default and for tests.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};

use super::supervisor::Supervised;
use super::{absolute_dir, find_binary, free_port, secret_string};

/// A running private Redis; stopped on drop. It keeps nothing on disk: Redis is only a cache here.
pub struct EmbeddedRedis {
    process: Supervised,
    port: u16,
    password: String,
}

impl std::fmt::Debug for EmbeddedRedis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EmbeddedRedis")
            .field("port", &self.port)
            .finish()
    }
}

impl EmbeddedRedis {
    /// Starts `redis-server` on a free loopback port and waits until it answers PING.
    #[tracing::instrument(name = "embedded_redis_start", skip_all)]
    pub async fn start(dir: &Path) -> anyhow::Result<Self> {
        let bin = find_binary("redis-server", &[]).context(
            "no `redis-server` on PATH: install Redis (`make setup` does) or set REDIS_URL",
        )?;
        let dir = absolute_dir(dir)?;
        let port = free_port()?;
        let password = secret_string(&dir.join("redis.secret"), 24)?;
        // The password goes in a file only this user reads, not on the command line `ps` shows.
        let conf = dir.join("redis.conf");
        write_private(&conf, &format!("requirepass {password}\n"))?;
        let mut cmd = Command::new(&bin);
        cmd.arg(&conf)
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args(["--daemonize", "no", "--dir"])
            .arg(&dir)
            .args(["--logfile"])
            .arg(dir.join("redis.log"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let process = Supervised::spawn("redis", cmd, libc::SIGTERM)
            .with_context(|| format!("Failed to start {}", bin.display()))?;
        let redis = Self {
            process,
            port,
            password,
        };
        redis.wait_ready(Duration::from_secs(20)).await?;
        tracing::info!(port, "private Redis is up");
        Ok(redis)
    }

    async fn wait_ready(&self, timeout: Duration) -> anyhow::Result<()> {
        let deadline = Instant::now() + timeout;
        let client = ::redis::Client::open(self.url())?;
        loop {
            let attempt = async {
                let mut conn = client.get_multiplexed_async_connection().await?;
                ::redis::cmd("PING").query_async::<String>(&mut conn).await
            };
            match attempt.await {
                Ok(_) => return Ok(()),
                Err(_) if Instant::now() < deadline && self.process.is_running() => {
                    tokio::time::sleep(Duration::from_millis(50)).await
                }
                Err(e) => bail!("private Redis did not come up: {e}"),
            }
        }
    }

    /// The connection URL, password included.
    pub fn url(&self) -> String {
        format!("redis://:{}@127.0.0.1:{}/", self.password, self.port)
    }

    /// The port it listens on.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server and waits for it.
    pub fn stop(mut self) {
        self.process.stop();
    }
}

fn write_private(path: &Path, contents: &str) -> anyhow::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("Failed to write {}", path.display()))?;
    file.write_all(contents.as_bytes())?;
    Ok(())
}
