use anyhow::Context;
use server::{config::Settings, startup::Application, telemetry};

/// Many small short-lived allocations per request (headers, futures, strings): mimalloc's
/// thread-local free lists serve them faster than glibc's arenas (measured in `make bench-api`).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // A local `.env` is a development convenience; real deployments set the environment.
    let _ = dotenvy::dotenv();
    let settings = Settings::from_env().context("Invalid configuration")?;
    telemetry::init(settings.log_format);
    match std::env::args().nth(1).as_deref() {
        None | Some("serve") => {}
        Some("worker") => {
            // Background jobs only, no HTTP: scale training separately from serving.
            let stopped = server::compose::run_worker_process(settings, shutdown_signal())
                .await
                .context("The worker stopped with an error");
            // Exit now rather than when the runtime drops: a model fit on a blocking thread would
            // hold that until it ends (minutes for an LSTM). Its job is taken over by another
            // worker once its heartbeat stops, as after a crash.
            let code = match stopped {
                Ok(()) => 0,
                Err(e) => {
                    tracing::error!(error = %format!("{e:#}"), "worker stopped");
                    1
                }
            };
            std::process::exit(code);
        }
        Some("migrate") => {
            // Schema only: the app's migrations and the job queue's, then exit (deploy step).
            let url = settings
                .database_url
                .clone()
                .context("`server migrate` needs DATABASE_URL")?;
            let pool =
                server::compose::connect_and_migrate(&url, 2, settings.access.statement_timeout)
                    .await?;
            server::jobs::Jobs::migrate(&pool)
                .await
                .context("Failed to create the job queue's tables")?;
            tracing::info!("database migrated");
            return Ok(());
        }
        Some("import") => {
            let args: Vec<String> = std::env::args().skip(2).collect();
            return server::admin::import::run(&settings, &args).await;
        }
        Some("admin") => {
            let args: Vec<String> = std::env::args().skip(2).collect();
            return server::admin::run(&settings, &args).await;
        }
        Some(other) => {
            anyhow::bail!(
                "unknown command `{other}`; expected `serve` (default), `worker`, `migrate`, `admin` or `import`"
            )
        }
    }
    let app = Application::build(settings)
        .await
        .context("Failed to start Tickercast")?;
    tracing::info!("Tickercast is serving http://{}", app.addr());
    app.run_until_stopped(shutdown_signal()).await
}

/// Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = ctrl_c => {},
        _ = terminate => {},
    }
    tracing::info!("shutting down");
}
