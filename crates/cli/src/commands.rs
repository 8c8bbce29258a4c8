//! One function per command; each returns the exit code.

mod aid;
mod db;
mod monitor;
mod offer;
mod plan;
mod scenario;
mod serve;
mod user;

use std::process::ExitCode;

use anyhow::Context;
use store::{SqlStore, Store};

use crate::args::{Args, Command, DbCommand};
use crate::output::Out;

/// The actor for changes made from the local command line: `cli:` and the operating-system user.
pub fn cli_actor() -> store::Actor {
    let user = std::env::var("USER").unwrap_or_else(|_| "unknown".into());
    store::Actor::new(format!("cli:{user}"))
}

pub async fn run(args: Args) -> anyhow::Result<ExitCode> {
    let out = Out {
        quiet: args.quiet,
        json: args.json,
    };
    match args.command {
        Command::Validate { file } => scenario::validate(&file, out),
        Command::Demo { serve, no_serve } => {
            let store = open(&args.database, out).await?;
            scenario::demo(&store, &args.database, out).await?;
            serve::demo_users(&store, out).await?;
            if no_serve {
                return Ok(ExitCode::SUCCESS);
            }
            out.say("");
            serve::serve(store, &serve, &args.database, out).await
        }
        Command::Serve(serve) => {
            let store = open(&args.database, out).await?;
            serve::serve(store, &serve, &args.database, out).await
        }
        Command::User(cmd) => user::run(&open(&args.database, out).await?, cmd, out).await,
        Command::Audit(cmd) => user::audit(&open(&args.database, out).await?, cmd, out).await,
        Command::Openapi => {
            crate::output::print(&format!("{}\n", server::openapi_json()));
            Ok(ExitCode::SUCCESS)
        }
        Command::Import { file, replace } => {
            scenario::import(&open(&args.database, out).await?, &file, replace, out).await
        }
        Command::Export { output } => {
            scenario::export(&open(&args.database, out).await?, output.as_deref(), out).await
        }
        Command::Summary => scenario::summary(&open(&args.database, out).await?, out).await,
        Command::Plan(plan_args) => plan::run(plan_args, &args.database, out).await,
        Command::Resilience {
            scenario,
            options,
            time_limit,
        } => {
            plan::resilience(
                scenario.as_deref(),
                &options,
                time_limit,
                &args.database,
                out,
            )
            .await
        }
        Command::Generate { size, seed, output } => {
            plan::generate(&size, seed, output.as_deref(), out)
        }
        Command::Offer(cmd) => offer::run(&open(&args.database, out).await?, cmd, out).await,
        Command::Aid(cmd) => aid::run(&open(&args.database, out).await?, cmd, out).await,
        Command::Monitor(cmd) => monitor::run(&open(&args.database, out).await?, cmd, out).await,
        Command::Db(DbCommand::Migrate) => {
            let store = open(&args.database, out).await?;
            let applied = store.migrate().await?;
            out.say(format!("{}: database is up to date", store.backend()));
            out.json(
                &serde_json::json!({"backend": store.backend().to_string(), "applied": applied}),
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Db(DbCommand::Copy { from, to }) => {
            let from = from.unwrap_or(args.database);
            db::copy(&open(&from, out).await?, &to, out).await
        }
        Command::Backup { file } => db::backup(&open(&args.database, out).await?, &file, out).await,
        Command::Restore { file } => db::restore(&args.database, &file, out).await,
    }
}

/// Connects and migrates, with a spinner; the URL's password never appears in messages.
async fn open(url: &str, out: Out) -> anyhow::Result<SqlStore> {
    let spinner = out.spinner("opening the database");
    let store = store::connect(url).await;
    spinner.finish_and_clear();
    store.with_context(|| format!("cannot open {}", store::redact(url)))
}

/// Cores this process may use.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}
