//! A flood of logins does not exhaust memory: each password check takes 19 MiB of argon2 memory,
//! and only `AUTH_MAX_CONCURRENT_HASHES` run at once; the rest wait briefly or are told to retry.
//! Its own test binary, so the process's memory high-water mark is this test's alone.

#[allow(dead_code)]
#[path = "api/kit.rs"]
mod kit;

use kit::{spawn_app_with, Options, TestApp};

/// The stated bound on how much the process may grow under the flood.
/// Four hashes at 19 MiB each, plus room for the requests themselves.
const BOUND_MIB: u64 = 128;
const LOGINS: usize = 200;

/// The process's peak resident memory so far, in KiB.
fn high_water_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_hundred_concurrent_logins_stay_within_the_memory_bound() {
    // Every login from its own address (behind a trusted proxy), so the per-address throttle
    // does not turn them away before they reach the password check.
    let app = spawn_app_with(Options {
        env: vec![
            ("TRUSTED_PROXIES".into(), "127.0.0.1/32".into()),
            ("AUTH_MAX_CONCURRENT_HASHES".into(), "4".into()),
            (
                "API_LIMIT_ANONYMOUS".into(),
                "100000/min,1000000/day".into(),
            ),
        ],
        ..Options::default()
    })
    .await;
    app.register("flooded").await;
    let before = high_water_kib();

    let app = std::sync::Arc::new(app);
    // One client for all (a client per request would measure the clients).
    let client = TestApp::fresh_client();
    let started = std::time::Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..LOGINS {
        let (app, client) = (app.clone(), client.clone());
        tasks.spawn(async move {
            client
                .post(format!("{}/api/login", app.address))
                .header("Origin", &app.address)
                .header("X-Forwarded-For", format!("10.{}.{}.1", i / 250, i % 250))
                .form(&[
                    ("username", format!("nobody{i}")),
                    ("password", "wrong password!".into()),
                ])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        });
    }
    let mut counts = std::collections::BTreeMap::new();
    while let Some(status) = tasks.join_next().await {
        *counts.entry(status.unwrap()).or_insert(0) += 1;
    }
    let grew_mib = high_water_kib().saturating_sub(before) / 1024;
    println!(
        "{LOGINS} concurrent logins in {:.1} s: statuses {counts:?}; peak memory grew {grew_mib} MiB \
         (bound {BOUND_MIB} MiB; unbounded would need {} MiB of argon2 memory)",
        started.elapsed().as_secs_f64(),
        LOGINS * 19
    );
    assert!(
        counts.keys().all(|s| [401, 429, 503].contains(s)),
        "wrong password, throttled or busy, never a failure: {counts:?}"
    );
    assert!(
        counts.get(&401).copied().unwrap_or(0) > 0,
        "some were checked"
    );
    assert!(grew_mib < BOUND_MIB, "grew {grew_mib} MiB");
}
