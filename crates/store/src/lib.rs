//! Coalition's storage: one [`Store`] trait, with SQLite (embedded, the default) and PostgreSQL
//! (multi-user deployments) behind it. The backend is chosen once, from the URL, by [`connect`].

mod access;
mod audit;
pub mod backup;
mod migrate;
mod sql;
mod url;
mod users;

use async_trait::async_trait;
use domain::access::{Releasability, Role, Username};
use domain::capability::Capability;
use domain::commitment::{Commitment, CommitmentKind, Stage};
use domain::ids::{CapabilityCode, CommitmentId, Line, NationCode, OfferId};
use domain::nation::Nation;
use domain::offer::{Offer, OfferStatus, StatusChange};
use domain::requirement::Requirement;
use domain::source::Source;
use domain::Scenario;

pub use crate::audit::{AuditEntry, AuditFilter, AuditPage, AuditReport, AuditWindow};
pub use crate::sql::SqlStore;
pub use crate::url::{redact, Backend, DatabaseUrl};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("invalid database URL: {0}")]
    InvalidUrl(String),
    #[error("database error: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration {version} ({name}) {reason}")]
    Migration {
        version: i64,
        name: String,
        reason: String,
    },
    #[error(
        "the database already holds the scenario \"{0}\"; import with replace to overwrite it"
    )]
    ScenarioExists(String),
    #[error("the database holds no scenario yet; import one first")]
    NoScenario,
    #[error("{kind} \"{id}\" not found")]
    NotFound { kind: &'static str, id: String },
    #[error("{0}")]
    InvalidChange(String),
    #[error(
        "{kind} \"{id}\" was changed by someone else (expected version {expected}, found {found})"
    )]
    VersionConflict {
        kind: &'static str,
        id: String,
        expected: i64,
        found: i64,
    },
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
    #[error("{kind} \"{id}\" already exists")]
    Exists { kind: &'static str, id: String },
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What to do when importing into a database that already holds a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Refuse with [`StoreError::ScenarioExists`].
    Create,
    /// Replace everything in one transaction.
    Replace,
}

/// Who is reading. Every query that returns ledger records takes one and returns only the
/// records the viewer may see; a record the viewer may not see is reported as not found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Viewer {
    /// Signed out: public records only.
    Public,
    /// A signed-in member of the coalition: public and coalition records, and the restricted
    /// records of `nation` when the member is bound to one.
    Member { nation: Option<NationCode> },
    /// Coalition HQ (planners, administrators) and the local command line: every record.
    Everything,
}

impl Viewer {
    /// What a user with this role, bound to `nation`, may see.
    pub fn of(role: Role, nation: Option<&NationCode>) -> Self {
        if role.sees_everything() {
            Viewer::Everything
        } else {
            Viewer::Member {
                nation: nation.cloned(),
            }
        }
    }

    /// Whether a record owned by `owner` with this releasability is visible.
    pub fn sees(&self, releasability: Releasability, owner: Option<&NationCode>) -> bool {
        match (self, releasability) {
            (Viewer::Everything, _) | (_, Releasability::Public) => true,
            (Viewer::Public, _) => false,
            (Viewer::Member { .. }, Releasability::Coalition) => true,
            (Viewer::Member { nation }, Releasability::Nation) => {
                nation.is_some() && nation.as_ref() == owner
            }
        }
    }
}

/// Who makes a change, for the audit row written with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// The user name, or `cli:<os user>` for the local command line.
    pub name: String,
    /// The request's reference (e.g. its request id), if any.
    pub source_ref: Option<String>,
}

impl Actor {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            source_ref: None,
        }
    }
}

/// A user account; the password hash never leaves the store except for sign-in.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct User {
    pub id: i64,
    pub username: Username,
    pub role: Role,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nation: Option<NationCode>,
    pub disabled: bool,
    #[serde(serialize_with = "serialize_timestamp")]
    pub created_at: jiff::Timestamp,
}

fn serialize_timestamp<S: serde::Serializer>(t: &jiff::Timestamp, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(t)
}

/// A user to create. `password_hash` is a PHC string (Argon2id), never a password.
#[derive(Clone, PartialEq, Eq)]
pub struct NewUser {
    pub username: Username,
    pub role: Role,
    pub nation: Option<NationCode>,
    pub password_hash: String,
}

impl std::fmt::Debug for NewUser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUser")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("nation", &self.nation)
            .finish_non_exhaustive()
    }
}

/// An API token's record; the secret itself is shown once, when it is made, and never stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub username: Username,
    pub name: String,
    #[serde(serialize_with = "serialize_timestamp")]
    pub created_at: jiff::Timestamp,
    pub revoked: bool,
}

/// A browser session found by its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub user: User,
    pub csrf: String,
}

/// A planner run requested through the API.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Job {
    pub id: i64,
    /// `queued`, `running`, `done` or `failed`.
    pub state: String,
    /// The options the run was asked for, as JSON.
    pub options: String,
    pub requested_by: String,
    #[serde(serialize_with = "serialize_timestamp")]
    pub created_at: jiff::Timestamp,
    #[serde(serialize_with = "serialize_timestamp")]
    pub updated_at: jiff::Timestamp,
    /// The latest progress report, as JSON.
    pub progress: Option<String>,
    pub plan_id: Option<i64>,
    pub error: Option<String>,
}

/// Filters for listing offers; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct OfferFilter {
    pub nation: Option<NationCode>,
    pub capability: Option<CapabilityCode>,
    pub status: Option<OfferStatus>,
}

#[derive(Debug, Clone, Default)]
pub struct CommitmentFilter {
    pub nation: Option<NationCode>,
    pub kind: Option<CommitmentKind>,
    /// Commitments dated on or after this day.
    pub from: Option<jiff::civil::Date>,
    /// Commitments dated on or before this day.
    pub to: Option<jiff::civil::Date>,
}

/// An offer with its optimistic-concurrency version.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: i64,
}

/// What became of one monitoring log entry offered for appending.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Appended {
    New(i64),
    /// Already logged with the same body: nothing written.
    Same,
    /// Already logged with another body: refused.
    Different,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MonitorEntry {
    pub seq: i64,
    pub kind: String,
    pub reference: String,
    pub body: String,
    pub recorded_at: jiff::Timestamp,
    pub recorded_by: String,
}

/// A plan to keep: its summary and the whole plan file (`coalition.plan/1` JSON). The store
/// does not read plan files; the planner and the binary own their meaning.
#[derive(Debug, Clone, PartialEq)]
pub struct NewPlan {
    pub scenario: String,
    pub status: String,
    pub unmet_weighted: i64,
    pub bound: i64,
    /// The options the plan was made under, as JSON.
    pub options: String,
    pub body: String,
}

/// A kept plan's summary.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanRecord {
    pub id: i64,
    pub created_at: jiff::Timestamp,
    pub scenario: String,
    pub status: String,
    pub unmet_weighted: i64,
    pub bound: i64,
    pub options: String,
}

/// The storage trait. Every method is one transaction; every change writes its audit row in
/// that transaction.
#[async_trait]
pub trait Store: Send + Sync {
    fn backend(&self) -> Backend;
    /// Runs pending migrations (also done by [`connect`]).
    async fn migrate(&self) -> Result<Vec<String>>;
    /// Imports a whole scenario; returns the number of records written.
    async fn import_scenario(
        &self,
        scenario: &Scenario,
        mode: ImportMode,
        actor: &Actor,
    ) -> Result<usize>;
    /// Exports what the viewer may see of the stored scenario, in the canonical form; `None`
    /// when there is none. References to sources the viewer may not see are left out.
    async fn export_scenario(&self, viewer: &Viewer) -> Result<Option<Scenario>>;
    /// The name of the stored scenario, if any.
    async fn scenario_name(&self) -> Result<Option<String>>;
    /// Nations and capabilities are reference data: public.
    async fn nations(&self) -> Result<Vec<Nation>>;
    async fn capabilities(&self) -> Result<Vec<Capability>>;
    async fn sources(&self, viewer: &Viewer) -> Result<Vec<Source>>;
    async fn offers(&self, viewer: &Viewer, filter: &OfferFilter) -> Result<Vec<Offer>>;
    async fn offer(&self, viewer: &Viewer, id: &OfferId) -> Result<Versioned<Offer>>;
    /// Adds a new offer (its nation, capability and sources must exist).
    async fn create_offer(&self, offer: &Offer, actor: &Actor) -> Result<Versioned<Offer>>;
    /// Replaces an offer's fields (not its status or history), if `expected_version` is current.
    async fn update_offer(
        &self,
        offer: &Offer,
        expected_version: i64,
        actor: &Actor,
    ) -> Result<Versioned<Offer>>;
    /// Appends a status change after checking it against the offer's history; fails with
    /// [`StoreError::VersionConflict`] if `expected_version` is given and stale.
    async fn record_status_change(
        &self,
        id: &OfferId,
        change: StatusChange,
        expected_version: Option<i64>,
        actor: &Actor,
    ) -> Result<Versioned<Offer>>;
    /// The statement of requirements is coalition-internal: a public viewer gets none.
    async fn requirements(&self, viewer: &Viewer, line: Option<&Line>) -> Result<Vec<Requirement>>;
    async fn commitments(
        &self,
        viewer: &Viewer,
        filter: &CommitmentFilter,
    ) -> Result<Vec<Commitment>>;
    /// One commitment with its version; `NotFound` when the viewer may not see it.
    async fn commitment(&self, viewer: &Viewer, id: &CommitmentId)
        -> Result<Versioned<Commitment>>;
    /// Adds new commitments and replaces existing ones (matched by id), each with its audit
    /// row, all in one transaction; returns (added, replaced). Nations, recipients and sources
    /// must exist.
    async fn put_commitments(
        &self,
        commitments: &[Commitment],
        actor: &Actor,
    ) -> Result<(usize, usize)>;
    /// Records a commitment's next stage, checked against the ones before; fails with
    /// [`StoreError::VersionConflict`] if `expected_version` is given and stale.
    async fn record_stage(
        &self,
        id: &CommitmentId,
        stage: Stage,
        expected_version: Option<i64>,
        actor: &Actor,
    ) -> Result<Versioned<Commitment>>;
    /// Appends monitoring log entries of one kind (`observation`, `effort`, `split`, `merge`)
    /// in one transaction. An entry whose `ref` is already logged for that kind is not written
    /// again: [`Appended::Same`] if its body is the same, [`Appended::Different`] if not. One
    /// audit row records the batch.
    async fn append_monitor_log(
        &self,
        kind: &str,
        entries: &[(String, String)],
        actor: &Actor,
    ) -> Result<Vec<Appended>>;
    /// The first `limit` entries of the monitoring log after `after_seq`, in order (a caller
    /// catching up reads it a page at a time, so the whole log is never in memory at once).
    async fn monitor_log(&self, after_seq: i64, limit: usize) -> Result<Vec<MonitorEntry>>;
    /// A reference table (exchange rates, country figures) as the CSV it was imported from.
    async fn reference(&self, name: &str) -> Result<Option<String>>;
    /// Replaces a reference table, with its audit row.
    async fn put_reference(&self, name: &str, csv: &str, actor: &Actor) -> Result<()>;
    /// Keeps a plan, recorded at `at`; returns its id.
    async fn save_plan(&self, plan: &NewPlan, at: jiff::Timestamp, actor: &Actor) -> Result<i64>;
    /// Kept plans, newest first (none for a public viewer).
    async fn plans(&self, viewer: &Viewer) -> Result<Vec<PlanRecord>>;
    /// One kept plan with its plan file, in which every offer the viewer may not see is shown
    /// only as a restricted contribution: its capability and size, never its details.
    async fn plan(&self, viewer: &Viewer, id: i64) -> Result<(PlanRecord, String)>;

    async fn add_user(&self, user: &NewUser, actor: &Actor) -> Result<User>;
    async fn users(&self) -> Result<Vec<User>>;
    /// A user and the stored password hash, for sign-in.
    async fn user_for_sign_in(&self, username: &Username) -> Result<Option<(User, String)>>;
    async fn set_user_disabled(
        &self,
        username: &Username,
        disabled: bool,
        actor: &Actor,
    ) -> Result<User>;
    /// Keeps a new API token's hash for `username`.
    async fn add_token(
        &self,
        username: &Username,
        name: &str,
        token_hash: &str,
        actor: &Actor,
    ) -> Result<ApiToken>;
    /// Tokens, of one user or of all.
    async fn tokens(&self, username: Option<&Username>) -> Result<Vec<ApiToken>>;
    async fn revoke_token(&self, id: i64, actor: &Actor) -> Result<ApiToken>;
    /// The enabled user holding an unrevoked token with this hash.
    async fn user_by_token(&self, token_hash: &str) -> Result<Option<User>>;
    async fn add_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_at: jiff::Timestamp,
    ) -> Result<()>;
    /// The unexpired session of an enabled user with this hash.
    async fn session(&self, token_hash: &str, now: jiff::Timestamp) -> Result<Option<Session>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    /// One window of the audit rows the viewer may see, read and counted by the database.
    async fn audit_page(
        &self,
        viewer: &Viewer,
        filter: &AuditFilter,
        window: AuditWindow,
    ) -> Result<AuditPage>;
    /// Re-computes the hash chain; reports the first broken link.
    async fn verify_audit(&self) -> Result<AuditReport>;

    async fn create_job(&self, options: &str, actor: &Actor) -> Result<Job>;
    async fn job(&self, id: i64) -> Result<Job>;
    async fn jobs(&self) -> Result<Vec<Job>>;
    async fn job_progress(&self, id: i64, progress: &str) -> Result<()>;
    /// Keeps the job's plan and marks it done, in one transaction; returns the plan's id.
    async fn finish_job(&self, id: i64, plan: &NewPlan, actor: &Actor) -> Result<i64>;
    async fn fail_job(&self, id: i64, error: &str) -> Result<()>;
    /// Marks jobs left queued or running by a stopped server as failed; returns how many.
    async fn fail_interrupted_jobs(&self) -> Result<u64>;
}

/// Connects to the database the URL names, creating the SQLite file when needed, and runs
/// migrations. An unknown scheme or a malformed URL is an error and creates nothing.
pub async fn connect(url: &str) -> Result<SqlStore> {
    let url = DatabaseUrl::parse(url)?;
    let store = SqlStore::open(&url).await?;
    store.migrate().await?;
    Ok(store)
}
