//! `coalition serve` and the serving half of `coalition demo`.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use domain::access::{Role, Username};
use store::{SqlStore, Store};

use crate::args::ServeArgs;
use crate::output::Out;

fn settings(args: &ServeArgs, url: &str) -> server::Settings {
    server::Settings {
        bind: args.bind,
        database_url: url.to_owned(),
        secure_cookies: args.secure_cookies,
        ..server::Settings::default()
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("COALITION_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Serves `store` until SIGINT/SIGTERM.
pub async fn serve(
    store: SqlStore,
    args: &ServeArgs,
    url: &str,
    out: Out,
) -> anyhow::Result<ExitCode> {
    init_logging();
    let app = server::build_with_store(settings(args, url), Arc::new(store))
        .await
        .context("cannot start the server")?;
    let addr = app.local_addr();
    out.say(format!("Coalition is serving on http://{addr}/ (API: http://{addr}/api/v1/, OpenAPI: http://{addr}/api/v1/openapi.json)"));
    out.say("Stop with Ctrl-C.");
    out.json(&serde_json::json!({"listening": format!("http://{addr}/")}));
    app.run_until_stopped().await.context("server stopped")?;
    out.say("stopped");
    Ok(ExitCode::SUCCESS)
}

/// The demo's users: one per role, and officers of two nations. Made only when the database
/// has no user; their random passwords are printed this once.
const DEMO_USERS: &[(&str, Role, Option<&str>)] = &[
    ("admin", Role::Admin, None),
    ("planner", Role::Planner, None),
    ("gbr.officer", Role::NationOfficer, Some("GBR")),
    ("fra.officer", Role::NationOfficer, Some("FRA")),
    ("monitor", Role::Monitor, None),
    ("observer", Role::Observer, None),
];

pub async fn demo_users(store: &SqlStore, out: Out) -> anyhow::Result<()> {
    if !store.users().await?.is_empty() {
        out.say(
            "Demo sign-ins were printed when they were made (`coalition user add` makes more).",
        );
        return Ok(());
    }
    let mut lines = Vec::new();
    for (name, role, nation) in DEMO_USERS {
        let password = server::auth::new_secret("")[..20].to_owned();
        let hash = {
            let p = password.clone();
            tokio::task::spawn_blocking(move || server::auth::hash_password(&p)).await??
        };
        let user = store::NewUser {
            username: Username::parse(name).map_err(anyhow::Error::msg)?,
            role: *role,
            nation: nation
                .map(domain::ids::NationCode::parse)
                .transpose()
                .map_err(anyhow::Error::msg)?,
            password_hash: hash,
        };
        store.add_user(&user, &super::cli_actor()).await?;
        lines.push(format!("  {name:<12} {password}  ({})", role.as_str()));
    }
    out.say("Demo sign-ins (shown once; keep them):");
    for l in &lines {
        out.say(l);
    }
    Ok(())
}
