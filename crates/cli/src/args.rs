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
    /// Load the exercise scenario and demo users (unless the database holds them), show the
    /// summary, and serve the web API until Ctrl-C.
    Demo {
        #[command(flatten)]
        serve: ServeArgs,
        /// Load the data and show the summary, but do not serve.
        #[arg(long)]
        no_serve: bool,
    },
    /// Serve the HTTP API until SIGINT or SIGTERM.
    Serve(ServeArgs),
    /// Users and their API tokens.
    #[command(subcommand)]
    User(UserCommand),
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Print the API's OpenAPI document (the one served at /api/v1/openapi.json).
    Openapi,
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
    /// Ceasefire monitoring: observations in, incidents and daily sector reports out.
    #[command(subcommand)]
    Monitor(MonitorCommand),
    /// Aid and finance: entries and their stages, CSV in the Kiel tracker's layout, exchange
    /// rates, country figures, burden sharing.
    #[command(subcommand)]
    Aid(AidCommand),
    /// Plan force sourcing and rotation (see `coalition plan --help`).
    Plan(PlanArgs),
    /// Re-plan with each nation withdrawn in turn and each assumption flipped; rank the losses.
    Resilience {
        /// Scenario file; the stored scenario when omitted.
        scenario: Option<PathBuf>,
        #[command(flatten)]
        options: PlanOptions,
        /// Seconds allowed for each re-plan.
        #[arg(long, default_value_t = 1.5)]
        time_limit: f64,
    },
    /// Write a seeded synthetic instance (sizes: tiny, test, small, large) for tests and benchmarks.
    Generate {
        size: String,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Database maintenance.
    #[command(subcommand)]
    Db(DbCommand),
    /// Write a consistent backup of the database (while the server runs) to FILE, in the
    /// portable `coalition.backup/1` form that restores into SQLite or PostgreSQL.
    Backup { file: PathBuf },
    /// Restore a backup into the database named by --database, which must be new or empty;
    /// all or nothing. The audit chain is verified afterwards.
    Restore { file: PathBuf },
}

#[derive(Debug, Subcommand)]
pub enum MonitorCommand {
    /// Record observations from a file: CSV (Coalition's columns or an ACLED export), Cursor-on-
    /// Target XML (.xml, .cot) or a JSON list. Bad rows are listed; good rows are kept.
    Ingest { file: PathBuf },
    /// Replace the monitoring sectors with a GeoJSON FeatureCollection.
    Sectors { file: PathBuf },
    /// Correlate a CSV of observations in memory, without the database (for benchmarks), kind
    /// by kind on every core: prints the counts and time; writes each observation's incident
    /// with --assignments.
    Correlate {
        file: PathBuf,
        #[arg(long)]
        assignments: Option<PathBuf>,
    },
    /// List incidents (newest first).
    Incidents {
        #[arg(long)]
        kind: Option<String>,
        #[arg(long, default_value_t = 50)]
        limit: usize,
    },
    /// The daily sector report for a day (the period ending at 19:30 Kyiv time).
    Report {
        /// YYYY-MM-DD; the current reporting day when omitted.
        #[arg(long)]
        date: Option<String>,
        /// Print CSV instead of a table.
        #[arg(long)]
        csv: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AidCommand {
    /// Write the aid and finance entries as CSV in the Kiel tracker's layout (or JSON).
    Export {
        /// kiel (CSV, one row per stage) or json.
        #[arg(long, default_value = "kiel")]
        format: String,
        /// Write to this file instead of stdout.
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
    /// Add or replace entries (matched by id) from CSV in that layout, or a JSON list; all or
    /// nothing.
    Import { file: PathBuf },
    /// One entry with each stage in EUR and the rate used.
    Show { id: String },
    /// Record an entry's next stage, with its date and source.
    Stage {
        id: String,
        /// announced, committed, allocated, delivered or cancelled (for aid and finance).
        status: String,
        /// YYYY-MM-DD.
        #[arg(long)]
        date: String,
        /// Id of the source that reports it.
        #[arg(long)]
        source: String,
        #[arg(long)]
        note: Option<String>,
    },
    /// Add exchange rates from CSV (the ECB's layout, or date,currency,rate).
    Rates { file: PathBuf },
    /// Replace the country figures with a CSV in data/countries.csv's layout.
    Countries { file: PathBuf },
    /// Burden sharing as of a date (today when omitted).
    Burden {
        #[arg(long)]
        as_of: Option<String>,
    },
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

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address to listen on.
    #[arg(long, env = "COALITION_BIND", default_value = "127.0.0.1:8080")]
    pub bind: std::net::SocketAddr,
    /// Mark session cookies Secure (when served over HTTPS, directly or behind a proxy).
    #[arg(long, env = "COALITION_SECURE_COOKIES")]
    pub secure_cookies: bool,
    /// Publish monitoring alerts to this NATS server (e.g. nats://127.0.0.1:4222).
    #[arg(long, env = "COALITION_NATS_URL")]
    pub nats: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Add a user. The password is read from stdin with --password-stdin; otherwise a random
    /// one is made and printed once.
    Add {
        username: String,
        /// admin, planner, nation_officer, monitor or observer.
        #[arg(long)]
        role: String,
        /// The nation a nation officer serves (ISO 3166-1 alpha-3).
        #[arg(long)]
        nation: Option<String>,
        #[arg(long)]
        password_stdin: bool,
    },
    /// List users.
    List,
    /// Disable a user: their sessions end and their tokens stop working.
    Disable { username: String },
    /// Enable a disabled user.
    Enable { username: String },
    /// Make an API token for a user; the secret is printed once.
    Token {
        username: String,
        /// What the token is for.
        #[arg(long, default_value = "cli")]
        name: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// Re-compute the audit log's hash chain; exit code 1 and the first broken link if any row
    /// was altered or deleted.
    Verify,
}

#[derive(Debug, Subcommand)]
pub enum DbCommand {
    /// Apply pending migrations (they also run at start-up).
    Migrate,
    /// Copy a whole deployment into a new, empty database (e.g. from the embedded SQLite file
    /// to PostgreSQL), in one snapshot and one transaction; the audit chain is verified after.
    Copy {
        /// Database to copy from; --database when omitted.
        #[arg(long)]
        from: Option<String>,
        /// Database to copy into: new or empty.
        #[arg(long)]
        to: String,
    },
}

/// `coalition plan [SCENARIO] [options]`, or `coalition plan verify|compare …`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true, subcommand_negates_reqs = true)]
pub struct PlanArgs {
    #[command(subcommand)]
    pub action: Option<PlanAction>,
    /// Scenario file; the stored scenario when omitted.
    pub scenario: Option<PathBuf>,
    #[command(flatten)]
    pub options: PlanOptions,
    /// Stop searching after this many seconds.
    #[arg(long, default_value_t = 30.0)]
    pub time_limit: f64,
    /// Seed for the search (plans are reproducible for a seed when no time limit intervenes).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Threads to search on (default: every core); components of the problem are dealt out to
    /// them.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub threads: Option<u16>,
    /// Write the plan (coalition.plan/1 JSON) to this file.
    #[arg(short, long)]
    pub output: Option<PathBuf>,
    /// Keep the plan in the database (see `coalition plan list`).
    #[arg(long)]
    pub save: bool,
}

#[derive(Debug, Subcommand)]
pub enum PlanAction {
    /// Re-check a plan against its scenario, independently of the solver (exit 1 on violations).
    Verify {
        scenario: PathBuf,
        plan: PathBuf,
        /// Options to check under; the plan's own options when none are given.
        #[command(flatten)]
        options: PlanOptions,
    },
    /// Compare two plans (e.g. a what-if against the baseline).
    Compare { baseline: PathBuf, other: PathBuf },
    /// List the plans kept in the database, newest first.
    List,
    /// Show a kept plan's summary, or write its file with -o.
    Show {
        id: i64,
        #[arg(short, long)]
        output: Option<PathBuf>,
    },
}

/// What-if options shared by the planning commands.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PlanOptions {
    /// Nations to remove, e.g. GBR,FRA.
    #[arg(long, value_name = "NATIONS")]
    pub withdraw: Option<String>,
    /// Override an assumption, e.g. us_backstop=false (repeatable).
    #[arg(long, value_name = "NAME=BOOL")]
    pub assume: Vec<String>,
    /// Ignore offers below this status (indicated < offered < confirmed < deployed).
    #[arg(long, value_name = "STATUS")]
    pub min_status: Option<String>,
    /// Grow a requirement by extra units each week of its window, e.g. LAND-KYIV-1=2
    /// (repeatable).
    #[arg(long, value_name = "REQUIREMENT=UNITS")]
    pub grow: Vec<String>,
}

impl PlanOptions {
    pub fn is_empty(&self) -> bool {
        self.withdraw.is_none()
            && self.assume.is_empty()
            && self.min_status.is_none()
            && self.grow.is_empty()
    }
}
