//! `server admin …`: account administration from the command line, for the operator of a fresh
//! install (who has no administrator yet to do it through the API).
//!
//! ```text
//! server admin grant USERNAME        make an account an administrator (admin role and tier)
//! server admin tier USERNAME TIER    set an account's tier: free, pro or admin
//! ```
//!
//! It works on `DATABASE_URL`, or on the embedded default's database: the running one (beside
//! `make run`), or started for the command.

pub mod import;

use anyhow::{bail, Context};
use app::domain::{Role, Tier};

use crate::accounts::store;
use crate::config::Settings;
use crate::embedded::EmbeddedPostgres;
use crate::startup::EMBEDDED_DB;

const USAGE: &str =
    "usage: server admin grant USERNAME | server admin tier USERNAME free|pro|admin";

/// The database an operator command works on: `DATABASE_URL`, or the embedded default's (the
/// running cluster, or one started for the command and returned so it can be stopped).
pub async fn operator_pool(
    settings: &Settings,
) -> anyhow::Result<(sqlx::PgPool, Option<EmbeddedPostgres>)> {
    let mut own_cluster = None;
    let url = match (
        &settings.database_url,
        EmbeddedPostgres::running_url(&settings.data_dir, EMBEDDED_DB),
    ) {
        (Some(url), _) => url.clone(),
        (None, Some(url)) => url,
        (None, None) => {
            let pg = EmbeddedPostgres::start(&settings.data_dir, true)
                .await
                .context("Failed to start the embedded Postgres (or set DATABASE_URL)")?;
            pg.ensure_database(EMBEDDED_DB).await?;
            let url = pg.url(EMBEDDED_DB);
            own_cluster = Some(pg);
            url
        }
    };
    let pool =
        crate::compose::connect_and_migrate(&url, 2, settings.access.statement_timeout).await?;
    Ok((pool, own_cluster))
}

/// Runs `server admin ARGS…`.
pub async fn run(settings: &Settings, args: &[String]) -> anyhow::Result<()> {
    let (username, role, tier) = match args {
        [cmd, user] if cmd == "grant" => (user, Some(Role::Admin), Tier::Admin),
        [cmd, user, tier] if cmd == "tier" => (
            user,
            None,
            tier.parse::<Tier>()
                .map_err(|e| anyhow::anyhow!("{e}; {USAGE}"))?,
        ),
        _ => bail!(USAGE),
    };
    let (pool, own_cluster) = operator_pool(settings).await?;
    let result = async {
        let Some(user) = store::find_user(&pool, username).await? else {
            bail!("there is no account named `{username}`: register it on the site first");
        };
        let role = match role {
            Some(r) => r,
            None => store::standing(&pool, user.id)
                .await?
                .map_or(Role::User, |s| s.role),
        };
        store::set_standing(&pool, username, role, tier).await?;
        println!("{}: role {role}, tier {tier}", user.username);
        Ok(())
    }
    .await;
    pool.close().await;
    if let Some(pg) = own_cluster {
        pg.stop();
    }
    result
}
