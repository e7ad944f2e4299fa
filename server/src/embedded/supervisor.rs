//! One thread per child process: spawns it with a parent-death signal, reports its exit, and stops
//! it on request.

use std::process::{Child, Command};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use std::os::unix::process::CommandExt;

/// A child process owned by its supervising thread.
pub(super) struct Supervised {
    name: &'static str,
    pid: u32,
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Supervised {
    /// Spawns `cmd`. When this process (precisely: the supervising thread) dies, the kernel sends
    /// `stop_signal` to the child, which is the same signal [`Supervised::stop`] sends.
    pub(super) fn spawn(
        name: &'static str,
        mut cmd: Command,
        stop_signal: i32,
    ) -> std::io::Result<Self> {
        // SAFETY: prctl is async-signal-safe and touches no memory of the parent.
        unsafe {
            cmd.pre_exec(move || {
                if libc::prctl(libc::PR_SET_PDEATHSIG, stop_signal as libc::c_ulong) == -1 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let (spawned_tx, spawned_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(format!("supervise-{name}"))
            .spawn(move || {
                let child = match cmd.spawn() {
                    Ok(child) => child,
                    Err(e) => {
                        let _ = spawned_tx.send(Err(e));
                        return;
                    }
                };
                let _ = spawned_tx.send(Ok(child.id()));
                watch(name, child, stop_rx, stop_signal);
            })?;
        let pid = spawned_rx
            .recv()
            .map_err(|_| std::io::Error::other("supervisor thread died"))??;
        Ok(Self {
            name,
            pid,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// Whether the child is still running.
    pub(super) fn is_running(&self) -> bool {
        self.thread.as_ref().is_some_and(|t| !t.is_finished())
    }

    /// Asks the child to shut down and waits for it (SIGKILL after 20 s).
    pub(super) fn stop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        tracing::debug!(name = self.name, pid = self.pid, "child stopped");
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        self.stop();
    }
}

fn watch(name: &'static str, mut child: Child, stop_rx: mpsc::Receiver<()>, signal: i32) {
    loop {
        match stop_rx.recv_timeout(Duration::from_millis(200)) {
            Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
            Err(RecvTimeoutError::Timeout) => {
                if let Ok(Some(status)) = child.try_wait() {
                    tracing::error!(name, %status, "embedded server exited unexpectedly");
                    return;
                }
            }
        }
    }
    // SAFETY: plain kill(2) on our own child's pid.
    unsafe {
        libc::kill(child.id() as libc::pid_t, signal);
    }
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    tracing::warn!(name, "embedded server ignored its stop signal; killing it");
    let _ = child.kill();
    let _ = child.wait();
}
