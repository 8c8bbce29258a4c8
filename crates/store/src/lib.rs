//! Coalition's storage: one [`Store`] trait, with SQLite (embedded, the default) and PostgreSQL
//! (multi-user deployments) behind it. The backend is chosen once, from the URL, by [`connect`].

mod migrate;
mod sql;
mod url;

use async_trait::async_trait;
use domain::capability::Capability;
use domain::commitment::{Commitment, CommitmentKind};
use domain::ids::{CapabilityCode, Line, NationCode, OfferId};
use domain::nation::Nation;
use domain::offer::{Offer, OfferStatus, StatusChange};
use domain::requirement::Requirement;
use domain::source::Source;
use domain::Scenario;

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
}

/// An offer with its optimistic-concurrency version.
#[derive(Debug, Clone, PartialEq)]
pub struct Versioned<T> {
    pub value: T,
    pub version: i64,
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

/// The storage trait. Every method is one transaction.
#[async_trait]
pub trait Store: Send + Sync {
    fn backend(&self) -> Backend;
    /// Runs pending migrations (also done by [`connect`]).
    async fn migrate(&self) -> Result<Vec<String>>;
    /// Imports a whole scenario; returns the number of records written.
    async fn import_scenario(&self, scenario: &Scenario, mode: ImportMode) -> Result<usize>;
    /// Exports the stored scenario in the canonical form; `None` when there is none.
    async fn export_scenario(&self) -> Result<Option<Scenario>>;
    /// The name of the stored scenario, if any.
    async fn scenario_name(&self) -> Result<Option<String>>;
    async fn nations(&self) -> Result<Vec<Nation>>;
    async fn capabilities(&self) -> Result<Vec<Capability>>;
    async fn sources(&self) -> Result<Vec<Source>>;
    async fn offers(&self, filter: &OfferFilter) -> Result<Vec<Offer>>;
    async fn offer(&self, id: &OfferId) -> Result<Versioned<Offer>>;
    /// Appends a status change after checking it against the offer's history; fails with
    /// [`StoreError::VersionConflict`] if `expected_version` is given and stale.
    async fn record_status_change(
        &self,
        id: &OfferId,
        change: StatusChange,
        expected_version: Option<i64>,
    ) -> Result<Versioned<Offer>>;
    async fn requirements(&self, line: Option<&Line>) -> Result<Vec<Requirement>>;
    async fn commitments(&self, filter: &CommitmentFilter) -> Result<Vec<Commitment>>;
    /// Keeps a plan, recorded at `at`; returns its id.
    async fn save_plan(&self, plan: &NewPlan, at: jiff::Timestamp) -> Result<i64>;
    /// Kept plans, newest first.
    async fn plans(&self) -> Result<Vec<PlanRecord>>;
    /// One kept plan with its plan file.
    async fn plan(&self, id: i64) -> Result<(PlanRecord, String)>;
}

/// Connects to the database the URL names, creating the SQLite file when needed, and runs
/// migrations. An unknown scheme or a malformed URL is an error and creates nothing.
pub async fn connect(url: &str) -> Result<SqlStore> {
    let url = DatabaseUrl::parse(url)?;
    let store = SqlStore::open(&url).await?;
    store.migrate().await?;
    Ok(store)
}
