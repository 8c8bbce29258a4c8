//! `coalition serve` and the serving half of `coalition demo`.

use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use store::{SqlStore, Store};

use crate::args::ServeArgs;
use crate::output::Out;

fn settings(args: &ServeArgs, url: &str) -> server::Settings {
    server::Settings {
        bind: args.bind,
        database_url: url.to_owned(),
        secure_cookies: args.secure_cookies,
        nats_url: args.nats.clone(),
        ..server::Settings::default()
    }
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("COALITION_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
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

/// Adds the demo users when the database has none; their random passwords are printed this
/// once.
pub async fn demo_users(store: &SqlStore, out: Out) -> anyhow::Result<()> {
    if !store.users().await?.is_empty() {
        out.say(
            "Demo sign-ins were printed when they were made (`coalition user add` makes more).",
        );
        return Ok(());
    }
    let added = server::demo::add_users(store, &super::cli_actor(), |_| {
        server::auth::new_secret("")[..20].to_owned()
    })
    .await?;
    out.say("Demo sign-ins (shown once; keep them):");
    for (name, role, password) in added {
        out.say(format!("  {name:<12} {password}  ({})", role.as_str()));
    }
    Ok(())
}
