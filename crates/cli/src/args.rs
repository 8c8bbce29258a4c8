//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand};

/// Coalition: plan and coordinate a multinational coalition guaranteeing a ceasefire.
#[derive(Debug, Parser)]
#[command(name = "coalition", version, about)]
pub struct Args {
    /// Database URL: sqlite://FILE (embedded, the default) or postgres://USER@HOST/DB.
    #[arg(
        long,
        global = true,
        env = "COALITION_DATABASE_URL",
        default_value = "sqlite://coalition.db",
        hide_env_values = true
    )]
    pub database: String,
    /// Print nothing but errors.
    #[arg(long, short, global = true)]
    pub quiet: bool,
    /// Print machine-readable JSON on stdout.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Load the exercise scenario into the database (unless it holds one) and show its summary.
    Demo,
    /// Check a scenario file and list every mistake with its JSON path (exit code 2 if any).
    Validate { file: PathBuf },
    /// Import a scenario file into the database.
    Import {
        file: PathBuf,
        /// Replace the scenario the database already holds.
        #[arg(long)]
        replace: bool,
    },
    /// Export the stored scenario in the canonical file form.
    Export {
        /// Write to this file instead of stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Summarise the stored scenario: nations, offers by status, requirements by line.
    Summary,
    /// Force offers in the ledger.
    #[command(subcommand)]
    Offer(OfferCommand),
    /// Database maintenance.
    #[command(subcommand)]
    Db(DbCommand),
}

#[derive(Debug, Subcommand)]
pub enum OfferCommand {
    /// List offers, optionally filtered.
    List {
        #[arg(long)]
        nation: Option<String>,
        #[arg(long)]
        capability: Option<String>,
        #[arg(long)]
        status: Option<String>,
    },
    /// Show one offer with its status history.
    Show { id: String },
    /// Record a status change (indicated, offered, confirmed, deployed, withdrawn).
    SetStatus {
        id: String,
        status: String,
        /// Date the change takes effect (YYYY-MM-DD); today (UTC) when omitted.
        #[arg(long)]
        effective: Option<String>,
        /// Who records the change.
        #[arg(long = "by")]
        recorded_by: String,
        /// Id of the source that reports the change.
        #[arg(long)]
        source: Option<String>,
        #[arg(long)]
        note: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply pending migrations (they also run at start-up).
    Migrate,
}
