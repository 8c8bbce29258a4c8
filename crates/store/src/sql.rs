//! The SQL implementation of [`Store`], shared by SQLite and PostgreSQL through sqlx's `Any`
//! driver. Both backends take the same statements (`$n` parameters, portable types); what
//! differs between them (connection set-up, migrations) is chosen by [`Backend`].

use async_trait::async_trait;
use domain::capability::Capability;
use domain::commitment::{Commitment, Stage};
use domain::ids::{CommitmentId, Line, OfferId};
use domain::nation::Nation;
use domain::offer::{Offer, StatusChange};
use domain::requirement::Requirement;
use domain::source::Source;
use domain::{ParseErrors, Scenario};
use serde_json::{Map, Value};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

use crate::access::{redact_plan, Where};
use crate::audit::{self, Change};
use crate::{
    migrate, users, Actor, ApiToken, Appended, AuditFilter, AuditPage, AuditReport, AuditWindow,
    Backend, CommitmentFilter, DatabaseUrl, ImportMode, Job, MonitorEntry, NewPlan, NewUser,
    OfferFilter, PlanRecord, Result, Session, Store, StoreError, User, Versioned, Viewer,
};
use domain::access::{Releasability, Username};

#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
}

/// Fails with [`StoreError::VersionConflict`] unless `found` is the version the caller read.
fn check_version(kind: &'static str, id: &str, expected: Option<i64>, found: i64) -> Result<()> {
    match expected {
        Some(expected) if expected != found => Err(StoreError::VersionConflict {
            kind,
            id: id.to_owned(),
            expected,
            found,
        }),
        _ => Ok(()),
    }
}

/// An `UPDATE … WHERE version = $n` that touched no row lost a race to another writer.
fn check_updated(kind: &'static str, id: &str, rows: u64, version: i64) -> Result<()> {
    if rows == 1 {
        Ok(())
    } else {
        Err(StoreError::VersionConflict {
            kind,
            id: id.to_owned(),
            expected: version,
            found: version + 1,
        })
    }
}

fn json_error(e: serde_json::Error) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn to_json<T: serde::Serialize>(v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn parse_body<T>(
    body: &str,
    what: &str,
    read: impl FnOnce(&Value, &str, &mut ParseErrors) -> Option<T>,
) -> Result<T> {
    let v: Value =
        serde_json::from_str(body).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))?;
    let mut errs = ParseErrors::default();
    match read(&v, what, &mut errs) {
        Some(t) if errs.is_empty() => Ok(t),
        _ => Err(StoreError::Corrupt(errs.to_string())),
    }
}

fn micros(t: jiff::Timestamp) -> i64 {
    t.as_microsecond()
}

pub(crate) fn from_micros(us: i64) -> Result<jiff::Timestamp> {
    jiff::Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// A transaction that will write. On SQLite it takes the write lock at once (`BEGIN
/// IMMEDIATE`), so that concurrent writers wait for each other instead of failing when a read
/// transaction tries to become a write one.
pub(crate) async fn write_tx(
    pool: &AnyPool,
    backend: Backend,
) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
    Ok(match backend {
        Backend::Sqlite => pool.begin_with("BEGIN IMMEDIATE").await?,
        Backend::Postgres => pool.begin().await?,
    })
}

/// Index of a list item for `seq` columns.
fn seq(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
}

impl SqlStore {
    pub(crate) async fn open(url: &DatabaseUrl) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = url.backend();
        let pool = match url {
            DatabaseUrl::Sqlite { path } => {
                AnyPoolOptions::new()
                    // An in-memory database lives and dies with its one connection.
                    .max_connections(if path.is_some() { 4 } else { 1 })
                    .after_connect(|conn, _| {
                        Box::pin(async move {
                            for pragma in [
                                "PRAGMA journal_mode = WAL",
                                "PRAGMA synchronous = NORMAL",
                                "PRAGMA foreign_keys = ON",
                                "PRAGMA busy_timeout = 5000",
                                // Statement journals (a multi-row insert keeps one to undo
                                // itself) in memory rather than in temporary files.
                                "PRAGMA temp_store = MEMORY",
                                // 32 MiB of pages per connection (the default is 2 MiB):
                                // the monitoring log's id index outgrows a small cache within
                                // a few hundred thousand observations, and each insert then
                                // reads its pages back from the file.
                                "PRAGMA cache_size = -32768",
                            ] {
                                conn.execute(pragma).await?;
                            }
                            Ok(())
                        })
                    })
                    .connect(&url.driver_url())
                    .await?
            }
            DatabaseUrl::Postgres { .. } => {
                AnyPoolOptions::new()
                    .max_connections(8)
                    .connect(&url.driver_url())
                    .await?
            }
        };
        Ok(Self { pool, backend })
    }

    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A transaction for reading several tables as of one moment (on PostgreSQL, repeatable
    /// read; SQLite transactions are snapshots already).
    pub(crate) async fn read_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
        let mut tx = self.pool.begin().await?;
        if self.backend == Backend::Postgres {
            sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
                .execute(&mut *tx)
                .await?;
        }
        Ok(tx)
    }

    /// Bodies from one of the entity tables, in file order (one statement, so one snapshot).
    async fn bodies(&self, sql: &str) -> Result<Vec<String>> {
        Ok(sqlx::query_scalar(sql).fetch_all(&self.pool).await?)
    }
}

/// Offers matching `filter` that `viewer` may see: a `WHERE` clause over the `offers` table
/// (alias `o`), shared by the offer query and the history query so they select the same offers.
fn offer_filter(viewer: &Viewer, filter: &OfferFilter) -> Where {
    let mut w = Where::new();
    w.eq("o.nation", filter.nation.as_ref().map(ToString::to_string))
        .eq(
            "o.capability",
            filter.capability.as_ref().map(ToString::to_string),
        )
        .eq("o.status", filter.status.map(|s| s.as_str().to_owned()))
        .visible(viewer, "o.releasability", "o.nation");
    w
}

/// Status histories of the offers the clause selects, by offer id.
async fn histories(
    conn: &mut sqlx::AnyConnection,
    clause: &str,
    args: &[String],
) -> Result<std::collections::HashMap<String, Vec<StatusChange>>> {
    let sql = format!(
        "SELECT h.offer_id, h.status, h.effective, h.recorded_at, h.recorded_by, h.source_id, h.note
         FROM offer_status_changes h JOIN offers o ON o.id = h.offer_id
         WHERE {clause} ORDER BY h.offer_id, h.seq"
    );
    let mut q = sqlx::query(&sql);
    for a in args {
        q = q.bind(a.as_str());
    }
    let mut out: std::collections::HashMap<String, Vec<StatusChange>> = Default::default();
    for row in q.fetch_all(&mut *conn).await? {
        let id: String = row.try_get("offer_id")?;
        out.entry(id).or_default().push(change_from_row(&row)?);
    }
    Ok(out)
}

/// One offer's body and version, or `NotFound`.
async fn offer_row(conn: &mut sqlx::AnyConnection, id: &OfferId) -> Result<(String, i64)> {
    let row = sqlx::query("SELECT body, version FROM offers WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            kind: "offer",
            id: id.to_string(),
        })?;
    Ok((row.try_get("body")?, row.try_get("version")?))
}

async fn commitment_row(
    conn: &mut sqlx::AnyConnection,
    id: &CommitmentId,
) -> Result<(Commitment, i64)> {
    let row = sqlx::query("SELECT body, version FROM commitments WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            kind: "commitment",
            id: id.to_string(),
        })?;
    let body: String = row.try_get("body")?;
    Ok((
        parse_body(&body, "commitment", Commitment::from_json)?,
        row.try_get("version")?,
    ))
}

/// Fails unless a commitment's nation, recipient and sources exist.
async fn check_commitment_refs(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    c: &Commitment,
) -> Result<()> {
    check_exists(tx, "nations", "code", c.nation.as_str(), "nation").await?;
    if let Some(r) = &c.recipient {
        check_exists(tx, "nations", "code", r.as_str(), "nation").await?;
    }
    check_sources(
        tx,
        c.sources
            .iter()
            .chain(c.stages.iter().flat_map(|s| s.sources.iter())),
    )
    .await?;
    Ok(())
}

/// One offer's history in recorded order.
async fn history_of(conn: &mut sqlx::AnyConnection, id: &OfferId) -> Result<Vec<StatusChange>> {
    let (clause, args) = ("o.id = $1", [id.to_string()]);
    Ok(histories(conn, clause, &args)
        .await?
        .remove(id.as_str())
        .unwrap_or_default())
}

fn change_from_row(row: &AnyRow) -> Result<StatusChange> {
    let status: String = row.try_get("status")?;
    let effective: String = row.try_get("effective")?;
    Ok(StatusChange {
        status: domain::offer::OfferStatus::parse(&status).map_err(StoreError::Corrupt)?,
        effective: effective
            .parse()
            .map_err(|e: jiff::Error| StoreError::Corrupt(e.to_string()))?,
        recorded_at: from_micros(row.try_get("recorded_at")?)?,
        recorded_by: row.try_get("recorded_by")?,
        source: row
            .try_get::<Option<String>, _>("source_id")?
            .map(|s| domain::ids::SourceId::parse(&s))
            .transpose()
            .map_err(StoreError::Corrupt)?,
        note: row.try_get("note")?,
    })
}

fn plan_from_row(row: &AnyRow) -> Result<PlanRecord> {
    Ok(PlanRecord {
        id: row.try_get("id")?,
        created_at: from_micros(row.try_get("created_at")?)?,
        scenario: row.try_get("scenario")?,
        status: row.try_get("status")?,
        unmet_weighted: row.try_get("unmet_weighted")?,
        bound: row.try_get("bound")?,
        options: row.try_get("options")?,
    })
}

const PLAN_COLUMNS: &str = "id, created_at, scenario, status, unmet_weighted, bound, options";

fn offer_from(body: &str, history: Vec<StatusChange>) -> Result<Offer> {
    let mut offer = parse_body(body, "offer", Offer::from_json)?;
    offer.history = history;
    Ok(offer)
}

/// An offer's stored body: everything but its history, which has its own table.
fn offer_body(o: &Offer) -> Result<String> {
    let mut bare = o.clone();
    bare.history.clear();
    to_json(&bare)
}

async fn insert_change(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    offer: &str,
    seq_no: i64,
    c: &StatusChange,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO offer_status_changes
         (offer_id, seq, status, effective, recorded_at, recorded_by, source_id, note)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(offer)
    .bind(seq_no)
    .bind(c.status.as_str())
    .bind(c.effective.to_string())
    .bind(micros(c.recorded_at))
    .bind(&c.recorded_by)
    .bind(c.source.as_ref().map(ToString::to_string))
    .bind(&c.note)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

const DELETE_ALL: &[&str] = &[
    "DELETE FROM offer_status_changes",
    "DELETE FROM offers",
    "DELETE FROM requirements",
    "DELETE FROM commitments",
    "DELETE FROM sources",
    "DELETE FROM capabilities",
    "DELETE FROM nations",
    "DELETE FROM scenario",
];

async fn insert_offer(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    o: &Offer,
    seq_no: i64,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO offers (id, seq, nation, capability, status, version, releasability, body)
         VALUES ($1, $2, $3, $4, $5, 1, $6, $7)",
    )
    .bind(o.id.as_str())
    .bind(seq_no)
    .bind(o.nation.as_str())
    .bind(o.capability.as_str())
    .bind(o.status.as_str())
    .bind(o.releasability.as_str())
    .bind(offer_body(o)?)
    .execute(&mut **tx)
    .await?;
    for (j, c) in o.history.iter().enumerate() {
        insert_change(tx, o.id.as_str(), seq(j), c).await?;
    }
    Ok(())
}

/// The audit view of an offer: its whole record.
fn offer_json(o: &Offer) -> Result<Value> {
    serde_json::to_value(o).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Fails unless every named source exists.
async fn check_sources(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    sources: impl Iterator<Item = &domain::ids::SourceId>,
) -> Result<()> {
    for src in sources {
        let known: Option<String> = sqlx::query_scalar("SELECT id FROM sources WHERE id = $1")
            .bind(src.as_str())
            .fetch_optional(&mut **tx)
            .await?;
        if known.is_none() {
            return Err(StoreError::InvalidChange(format!(
                "unknown source \"{src}\""
            )));
        }
    }
    Ok(())
}

/// Fails unless the row `key` exists in `table`.
async fn check_exists(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    table: &str,
    column: &str,
    key: &str,
    what: &str,
) -> Result<()> {
    let sql = format!("SELECT {column} FROM {table} WHERE {column} = $1");
    let found: Option<String> = sqlx::query_scalar(&sql)
        .bind(key)
        .fetch_optional(&mut **tx)
        .await?;
    if found.is_none() {
        return Err(StoreError::InvalidChange(format!(
            "unknown {what} \"{key}\""
        )));
    }
    Ok(())
}

pub(crate) async fn insert_plan(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    p: &NewPlan,
    at: jiff::Timestamp,
    actor: &Actor,
) -> Result<i64> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO plans (created_at, scenario, status, unmet_weighted, bound, options, body)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
    )
    .bind(micros(at))
    .bind(&p.scenario)
    .bind(&p.status)
    .bind(p.unmet_weighted)
    .bind(p.bound)
    .bind(&p.options)
    .bind(&p.body)
    .fetch_one(&mut **tx)
    .await?;
    let options: Value = serde_json::from_str(&p.options).unwrap_or(Value::Null);
    audit::record(
        tx,
        actor,
        Change {
            action: "plan.save",
            entity_kind: "plan",
            entity_id: &id.to_string(),
            nation: None,
            releasability: Releasability::Coalition,
            before: None,
            after: Some(
                serde_json::json!({"scenario": p.scenario, "status": p.status,
                "unmet_weighted": p.unmet_weighted, "bound": p.bound, "options": options}),
            ),
        },
    )
    .await?;
    Ok(id)
}

/// Drops references to records the viewer may not see (sources, linked entries), so a
/// restricted view is still a valid scenario.
fn drop_hidden_sources(doc: &mut Map<String, Value>, visible: &std::collections::HashSet<String>) {
    let keep = |v: &Value| v.as_str().is_some_and(|s| visible.contains(s));
    for list in ["offers", "commitments"] {
        let Some(Value::Array(items)) = doc.get_mut(list) else {
            continue;
        };
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            if let Some(Value::Array(srcs)) = item.get_mut("sources") {
                srcs.retain(keep);
                if srcs.is_empty() {
                    item.remove("sources");
                }
            }
            if let Some(Value::Array(history)) = item.get_mut("history") {
                for change in history.iter_mut().filter_map(Value::as_object_mut) {
                    if change.get("source").is_some_and(|s| !keep(s)) {
                        change.remove("source");
                    }
                }
            }
            if let Some(Value::Array(stages)) = item.get_mut("stages") {
                for stage in stages.iter_mut().filter_map(Value::as_object_mut) {
                    if let Some(Value::Array(srcs)) = stage.get_mut("sources") {
                        srcs.retain(keep);
                        if srcs.is_empty() {
                            stage.remove("sources");
                        }
                    }
                }
            }
        }
    }
    // A visible entry may link to one the viewer may not see: the link goes with it.
    let entries: std::collections::HashSet<String> = match doc.get("commitments") {
        Some(Value::Array(items)) => items
            .iter()
            .filter_map(|c| c.get("id").and_then(Value::as_str).map(str::to_owned))
            .collect(),
        _ => Default::default(),
    };
    if let Some(Value::Array(items)) = doc.get_mut("commitments") {
        for item in items.iter_mut().filter_map(Value::as_object_mut) {
            if let Some(Value::Array(links)) = item.get_mut("links") {
                links.retain(|l| {
                    l.get("id")
                        .and_then(Value::as_str)
                        .is_some_and(|id| entries.contains(id))
                });
                if links.is_empty() {
                    item.remove("links");
                }
            }
        }
    }
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn migrate(&self) -> Result<Vec<String>> {
        migrate::run(&self.pool, self.backend).await
    }

    async fn import_scenario(
        &self,
        s: &Scenario,
        mode: ImportMode,
        actor: &Actor,
    ) -> Result<usize> {
        let mut tx = write_tx(&self.pool, self.backend).await?;
        let existing: Option<String> = sqlx::query_scalar("SELECT name FROM scenario WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(name) = &existing {
            if mode == ImportMode::Create {
                return Err(StoreError::ScenarioExists(name.clone()));
            }
            for stmt in DELETE_ALL {
                sqlx::query(stmt).execute(&mut *tx).await?;
            }
        }
        // Top-level fields other than the lists.
        let mut head: Map<String, Value> = match s.to_value() {
            Value::Object(m) => m,
            _ => return Err(StoreError::Corrupt("scenario is not an object".into())),
        };
        for list in [
            "nations",
            "capabilities",
            "sources",
            "offers",
            "requirements",
            "commitments",
        ] {
            head.remove(list);
        }
        let now = jiff::Timestamp::now();
        sqlx::query("INSERT INTO scenario (id, name, body, imported_at) VALUES (1, $1, $2, $3)")
            .bind(s.name())
            .bind(to_json(&head)?)
            .bind(micros(now))
            .execute(&mut *tx)
            .await?;
        let mut written = 1;
        for (i, n) in s.nations().iter().enumerate() {
            sqlx::query("INSERT INTO nations (code, seq, name, body) VALUES ($1, $2, $3, $4)")
                .bind(n.code.as_str())
                .bind(seq(i))
                .bind(&n.name)
                .bind(to_json(n)?)
                .execute(&mut *tx)
                .await?;
        }
        for (i, c) in s.capabilities().iter().enumerate() {
            sqlx::query(
                "INSERT INTO capabilities (code, seq, domain, body) VALUES ($1, $2, $3, $4)",
            )
            .bind(c.code.as_str())
            .bind(seq(i))
            .bind(to_json(&c.domain)?.trim_matches('"').to_owned())
            .bind(to_json(c)?)
            .execute(&mut *tx)
            .await?;
        }
        for (i, src) in s.sources().iter().enumerate() {
            sqlx::query(
                "INSERT INTO sources (id, seq, published, releasability, body)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(src.id.as_str())
            .bind(seq(i))
            .bind(src.published.to_string())
            .bind(src.releasability.as_str())
            .bind(to_json(src)?)
            .execute(&mut *tx)
            .await?;
        }
        for (i, o) in s.offers().iter().enumerate() {
            insert_offer(&mut tx, o, seq(i)).await?;
            written += o.history.len();
        }
        for (i, r) in s.requirements().iter().enumerate() {
            sqlx::query(
                "INSERT INTO requirements (id, seq, line, capability, region, body)
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(r.id.as_str())
            .bind(seq(i))
            .bind(r.line.as_str())
            .bind(r.capability.as_str())
            .bind(r.region.as_str())
            .bind(to_json(r)?)
            .execute(&mut *tx)
            .await?;
        }
        for (i, c) in s.commitments().iter().enumerate() {
            sqlx::query(
                "INSERT INTO commitments (id, seq, kind, nation, status, date, releasability, body)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            )
            .bind(c.id.as_str())
            .bind(seq(i))
            .bind(c.kind.as_str())
            .bind(c.nation.as_str())
            .bind(c.status.as_str())
            .bind(c.date.to_string())
            .bind(c.releasability.as_str())
            .bind(to_json(c)?)
            .execute(&mut *tx)
            .await?;
        }
        written += s.nations().len()
            + s.capabilities().len()
            + s.sources().len()
            + s.offers().len()
            + s.requirements().len()
            + s.commitments().len();
        audit::record(
            &mut tx,
            actor,
            Change {
                action: if existing.is_some() {
                    "scenario.replace"
                } else {
                    "scenario.import"
                },
                entity_kind: "scenario",
                entity_id: s.name(),
                nation: None,
                releasability: Releasability::Coalition,
                before: existing.map(|name| serde_json::json!({"name": name})),
                after: Some(serde_json::json!({"name": s.name(), "records": written,
                    "offers": s.offers().len(), "requirements": s.requirements().len(),
                    "commitments": s.commitments().len()})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(written)
    }

    async fn export_scenario(&self, viewer: &Viewer) -> Result<Option<Scenario>> {
        let mut tx = self.read_tx().await?;
        let Some(head): Option<String> =
            sqlx::query_scalar("SELECT body FROM scenario WHERE id = 1")
                .fetch_optional(&mut *tx)
                .await?
        else {
            return Ok(None);
        };
        let mut doc: Map<String, Value> = serde_json::from_str(&head)
            .map_err(|e| StoreError::Corrupt(format!("scenario: {e}")))?;
        let mut sources = Where::new();
        sources.visible(viewer, "releasability", "NULL");
        let mut offers = Where::new();
        offers.visible(viewer, "o.releasability", "o.nation");
        let mut commitments = Where::new();
        commitments.visible(viewer, "releasability", "nation");
        let requirements = if *viewer == Viewer::Public {
            "1 = 0"
        } else {
            "1 = 1"
        };
        let lists = [
            (
                "nations",
                "SELECT body FROM nations ORDER BY seq".to_owned(),
                None,
            ),
            (
                "capabilities",
                "SELECT body FROM capabilities ORDER BY seq".to_owned(),
                None,
            ),
            (
                "sources",
                format!(
                    "SELECT body FROM sources WHERE {} ORDER BY seq",
                    sources.clause
                ),
                Some(&sources),
            ),
            (
                "offers",
                format!(
                    "SELECT o.body FROM offers o WHERE {} ORDER BY o.seq",
                    offers.clause
                ),
                Some(&offers),
            ),
            (
                "requirements",
                format!("SELECT body FROM requirements WHERE {requirements} ORDER BY seq"),
                None,
            ),
            (
                "commitments",
                format!(
                    "SELECT body FROM commitments WHERE {} ORDER BY seq",
                    commitments.clause
                ),
                Some(&commitments),
            ),
        ];
        for (key, sql, filter) in &lists {
            let q = sqlx::query_scalar(sql);
            let q = match filter {
                Some(w) => w.args.iter().fold(q, |q, a| q.bind(a.as_str())),
                None => q,
            };
            let bodies: Vec<String> = q.fetch_all(&mut *tx).await?;
            let items = bodies
                .iter()
                .map(|b| serde_json::from_str(b))
                .collect::<Result<Vec<Value>, _>>()
                .map_err(|e| StoreError::Corrupt(format!("{key}: {e}")))?;
            doc.insert((*key).to_owned(), Value::Array(items));
        }
        // Offers' histories live in their own table; `history` is the last key of an offer, so
        // appending it keeps the canonical order. The whole document is validated once, below.
        let mut histories = histories(&mut tx, &offers.clause, &offers.args).await?;
        if let Some(Value::Array(offers)) = doc.get_mut("offers") {
            for offer in offers {
                let id = offer
                    .get("id")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_owned();
                if let (Some(history), Value::Object(map)) = (histories.remove(&id), offer) {
                    let value = serde_json::to_value(history)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    map.insert("history".to_owned(), value);
                }
            }
        }
        tx.commit().await?;
        if *viewer != Viewer::Everything {
            let visible = match doc.get("sources") {
                Some(Value::Array(s)) => s
                    .iter()
                    .filter_map(|s| s.get("id").and_then(Value::as_str).map(str::to_owned))
                    .collect(),
                _ => Default::default(),
            };
            drop_hidden_sources(&mut doc, &visible);
        }
        Scenario::from_value(&Value::Object(doc))
            .map(Some)
            .map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    async fn scenario_name(&self) -> Result<Option<String>> {
        Ok(sqlx::query_scalar("SELECT name FROM scenario WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?)
    }

    async fn nations(&self) -> Result<Vec<Nation>> {
        let bodies = self.bodies("SELECT body FROM nations ORDER BY seq").await?;
        bodies
            .iter()
            .map(|b| parse_body(b, "nation", Nation::from_json))
            .collect()
    }

    async fn capabilities(&self) -> Result<Vec<Capability>> {
        let bodies = self
            .bodies("SELECT body FROM capabilities ORDER BY seq")
            .await?;
        bodies
            .iter()
            .map(|b| parse_body(b, "capability", Capability::from_json))
            .collect()
    }

    async fn sources(&self, viewer: &Viewer) -> Result<Vec<Source>> {
        let mut w = Where::new();
        w.visible(viewer, "releasability", "NULL");
        let sql = format!("SELECT body FROM sources WHERE {} ORDER BY seq", w.clause);
        let q = w
            .args
            .iter()
            .fold(sqlx::query_scalar(&sql), |q, a| q.bind(a.as_str()));
        let bodies: Vec<String> = q.fetch_all(&self.pool).await?;
        bodies
            .iter()
            .map(|b| parse_body(b, "source", Source::from_json))
            .collect()
    }

    async fn offers(&self, viewer: &Viewer, filter: &OfferFilter) -> Result<Vec<Offer>> {
        let w = offer_filter(viewer, filter);
        let mut tx = self.read_tx().await?;
        let sql = format!(
            "SELECT o.id, o.body FROM offers o WHERE {} ORDER BY o.seq",
            w.clause
        );
        let rows = w.bind(sqlx::query(&sql)).fetch_all(&mut *tx).await?;
        let mut histories = histories(&mut tx, &w.clause, &w.args).await?;
        tx.commit().await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                let body: String = row.try_get("body")?;
                offer_from(&body, histories.remove(&id).unwrap_or_default())
            })
            .collect()
    }

    async fn offer(&self, viewer: &Viewer, id: &OfferId) -> Result<Versioned<Offer>> {
        let mut tx = self.read_tx().await?;
        let (body, version) = offer_row(&mut tx, id).await?;
        let history = history_of(&mut tx, id).await?;
        tx.commit().await?;
        let offer = offer_from(&body, history)?;
        // A record the viewer may not see does not exist for them.
        if !viewer.sees(offer.releasability, Some(&offer.nation)) {
            return Err(StoreError::NotFound {
                kind: "offer",
                id: id.to_string(),
            });
        }
        Ok(Versioned {
            value: offer,
            version,
        })
    }

    async fn create_offer(&self, offer: &Offer, actor: &Actor) -> Result<Versioned<Offer>> {
        let mut tx = write_tx(&self.pool, self.backend).await?;
        let taken: Option<String> = sqlx::query_scalar("SELECT id FROM offers WHERE id = $1")
            .bind(offer.id.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(StoreError::Exists {
                kind: "offer",
                id: offer.id.to_string(),
            });
        }
        check_exists(&mut tx, "nations", "code", offer.nation.as_str(), "nation").await?;
        check_exists(
            &mut tx,
            "capabilities",
            "code",
            offer.capability.as_str(),
            "capability",
        )
        .await?;
        check_sources(
            &mut tx,
            offer
                .sources
                .iter()
                .chain(offer.history.iter().filter_map(|c| c.source.as_ref())),
        )
        .await?;
        let next: Option<i64> = sqlx::query_scalar("SELECT MAX(seq) FROM offers")
            .fetch_one(&mut *tx)
            .await?;
        insert_offer(&mut tx, offer, next.map_or(0, |s| s + 1)).await?;
        audit::record(
            &mut tx,
            actor,
            Change {
                action: "offer.create",
                entity_kind: "offer",
                entity_id: offer.id.as_str(),
                nation: Some(&offer.nation),
                releasability: offer.releasability,
                before: None,
                after: Some(offer_json(offer)?),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Versioned {
            value: offer.clone(),
            version: 1,
        })
    }

    async fn update_offer(
        &self,
        offer: &Offer,
        expected_version: i64,
        actor: &Actor,
    ) -> Result<Versioned<Offer>> {
        let mut tx = write_tx(&self.pool, self.backend).await?;
        let (body, version) = offer_row(&mut tx, &offer.id).await?;
        check_version("offer", offer.id.as_str(), Some(expected_version), version)?;
        let history = history_of(&mut tx, &offer.id).await?;
        let before = offer_from(&body, history)?;
        if offer.nation != before.nation {
            return Err(StoreError::InvalidChange(
                "an offer's nation cannot change; withdraw it and make a new offer".into(),
            ));
        }
        if offer.status != before.status {
            return Err(StoreError::InvalidChange(
                "an offer's status changes through a status change, with its source".into(),
            ));
        }
        check_exists(
            &mut tx,
            "capabilities",
            "code",
            offer.capability.as_str(),
            "capability",
        )
        .await?;
        check_sources(&mut tx, offer.sources.iter()).await?;
        let after = Offer {
            history: before.history.clone(),
            ..offer.clone()
        };
        let updated = sqlx::query(
            "UPDATE offers SET capability = $1, releasability = $2, version = version + 1, body = $3
             WHERE id = $4 AND version = $5",
        )
        .bind(after.capability.as_str())
        .bind(after.releasability.as_str())
        .bind(offer_body(&after)?)
        .bind(after.id.as_str())
        .bind(version)
        .execute(&mut *tx)
        .await?;
        check_updated("offer", offer.id.as_str(), updated.rows_affected(), version)?;
        audit::record(
            &mut tx,
            actor,
            Change {
                action: "offer.update",
                entity_kind: "offer",
                entity_id: after.id.as_str(),
                nation: Some(&after.nation),
                // The stricter of the two, so the row is no more visible than either version.
                releasability: before.releasability.max(after.releasability),
                before: Some(offer_json(&before)?),
                after: Some(offer_json(&after)?),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Versioned {
            value: after,
            version: version + 1,
        })
    }

    async fn record_status_change(
        &self,
        id: &OfferId,
        change: StatusChange,
        expected_version: Option<i64>,
        actor: &Actor,
    ) -> Result<Versioned<Offer>> {
        let mut tx = write_tx(&self.pool, self.backend).await?;
        // Take the offer's row lock before reading it and its history: on PostgreSQL each read
        // of a read-committed transaction sees the latest commit, so without the lock a
        // concurrent change committed between the two reads would be judged as this one's
        // starting point (422) instead of a stale version (409). SQLite holds the write lock.
        sqlx::query("UPDATE offers SET version = version WHERE id = $1")
            .bind(id.as_str())
            .execute(&mut *tx)
            .await?;
        let (body, version) = offer_row(&mut tx, id).await?;
        check_version("offer", id.as_str(), expected_version, version)?;
        check_sources(&mut tx, change.source.iter()).await?;
        let history = history_of(&mut tx, id).await?;
        let mut offer = offer_from(&body, history)?;
        let before_status = offer.status;
        offer
            .apply_change(change.clone())
            .map_err(StoreError::InvalidChange)?;
        // Compare-and-set on the version: a concurrent writer makes this update touch no row.
        let updated = sqlx::query(
            "UPDATE offers SET status = $1, version = version + 1, body = $2 WHERE id = $3 AND version = $4",
        )
        .bind(offer.status.as_str())
        .bind(offer_body(&offer)?)
        .bind(id.as_str())
        .bind(version)
        .execute(&mut *tx)
        .await?;
        check_updated("offer", id.as_str(), updated.rows_affected(), version)?;
        insert_change(&mut tx, id.as_str(), seq(offer.history.len() - 1), &change).await?;
        let change_json =
            serde_json::to_value(&change).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        audit::record(
            &mut tx,
            actor,
            Change {
                action: "offer.status",
                entity_kind: "offer",
                entity_id: id.as_str(),
                nation: Some(&offer.nation),
                releasability: offer.releasability,
                before: Some(serde_json::json!({"status": before_status.as_str(), "version": version})),
                after: Some(serde_json::json!({"status": offer.status.as_str(), "version": version + 1, "change": change_json})),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Versioned {
            value: offer,
            version: version + 1,
        })
    }

    async fn requirements(&self, viewer: &Viewer, line: Option<&Line>) -> Result<Vec<Requirement>> {
        if *viewer == Viewer::Public {
            return Ok(Vec::new());
        }
        let bodies: Vec<String> = match line {
            Some(l) => {
                sqlx::query_scalar("SELECT body FROM requirements WHERE line = $1 ORDER BY seq")
                    .bind(l.as_str())
                    .fetch_all(&self.pool)
                    .await?
            }
            None => {
                self.bodies("SELECT body FROM requirements ORDER BY seq")
                    .await?
            }
        };
        bodies
            .iter()
            .map(|b| parse_body(b, "requirement", Requirement::from_json))
            .collect()
    }

    async fn commitments(&self, viewer: &Viewer, f: &CommitmentFilter) -> Result<Vec<Commitment>> {
        let mut w = Where::new();
        w.eq("nation", f.nation.as_ref().map(ToString::to_string))
            .eq("kind", f.kind.map(|k| k.as_str().to_owned()))
            .cmp("date", ">=", f.from.map(|d| d.to_string()))
            .cmp("date", "<=", f.to.map(|d| d.to_string()))
            .visible(viewer, "releasability", "nation");
        let sql = format!(
            "SELECT body FROM commitments WHERE {} ORDER BY seq",
            w.clause
        );
        let q = w
            .args
            .iter()
            .fold(sqlx::query_scalar(&sql), |q, a| q.bind(a.as_str()));
        let bodies: Vec<String> = q.fetch_all(&self.pool).await?;
        bodies
            .iter()
            .map(|b| parse_body(b, "commitment", Commitment::from_json))
            .collect()
    }

    async fn commitment(
        &self,
        viewer: &Viewer,
        id: &CommitmentId,
    ) -> Result<Versioned<Commitment>> {
        let mut tx = self.read_tx().await?;
        let found = commitment_row(&mut tx, id).await;
        tx.commit().await?;
        let (c, version) = found?;
        if !viewer.sees(c.releasability, Some(&c.nation)) {
            return Err(StoreError::NotFound {
                kind: "commitment",
                id: id.to_string(),
            });
        }
        Ok(Versioned { value: c, version })
    }

    async fn put_commitments(&self, cs: &[Commitment], actor: &Actor) -> Result<(usize, usize)> {
        let mut tx = write_tx(&self.pool, self.backend).await?;
        let (mut added, mut replaced) = (0, 0);
        for c in cs {
            check_commitment_refs(&mut tx, c).await?;
            let before = match commitment_row(&mut tx, &c.id).await {
                Ok(found) => Some(found),
                Err(StoreError::NotFound { .. }) => None,
                Err(e) => return Err(e),
            };
            match &before {
                Some(_) => {
                    sqlx::query(
                        "UPDATE commitments SET kind = $1, nation = $2, status = $3, date = $4,
                         releasability = $5, body = $6, version = version + 1 WHERE id = $7",
                    )
                    .bind(c.kind.as_str())
                    .bind(c.nation.as_str())
                    .bind(c.status.as_str())
                    .bind(c.date.to_string())
                    .bind(c.releasability.as_str())
                    .bind(to_json(c)?)
                    .bind(c.id.as_str())
                    .execute(&mut *tx)
                    .await?;
                    replaced += 1;
                }
                None => {
                    let next: i64 =
                        sqlx::query_scalar("SELECT COALESCE(MAX(seq), -1) + 1 FROM commitments")
                            .fetch_one(&mut *tx)
                            .await?;
                    sqlx::query(
                        "INSERT INTO commitments (id, seq, kind, nation, status, date, releasability, body)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(c.id.as_str())
                    .bind(next)
                    .bind(c.kind.as_str())
                    .bind(c.nation.as_str())
                    .bind(c.status.as_str())
                    .bind(c.date.to_string())
                    .bind(c.releasability.as_str())
                    .bind(to_json(c)?)
                    .execute(&mut *tx)
                    .await?;
                    added += 1;
                }
            }
            let old = before.as_ref().map(|(b, _)| b);
            audit::record(
                &mut tx,
                actor,
                Change {
                    action: if old.is_some() {
                        "commitment.replace"
                    } else {
                        "commitment.create"
                    },
                    entity_kind: "commitment",
                    entity_id: c.id.as_str(),
                    nation: Some(&c.nation),
                    releasability: old
                        .map_or(c.releasability, |b| b.releasability.max(c.releasability)),
                    before: old
                        .map(serde_json::to_value)
                        .transpose()
                        .map_err(json_error)?,
                    after: Some(serde_json::to_value(c).map_err(json_error)?),
                },
            )
            .await?;
        }
        // Links are checked once every entry is in, so a batch may link within itself.
        for link in cs.iter().flat_map(|c| c.links.iter()) {
            check_exists(&mut tx, "commitments", "id", link.id.as_str(), "commitment").await?;
        }
        tx.commit().await?;
        Ok((added, replaced))
    }

    async fn record_stage(
        &self,
        id: &CommitmentId,
        stage: Stage,
        expected_version: Option<i64>,
        actor: &Actor,
    ) -> Result<Versioned<Commitment>> {
        let mut tx = write_tx(&self.pool, self.backend).await?;
        let (before, version) = commitment_row(&mut tx, id).await?;
        check_version("commitment", id.as_str(), expected_version, version)?;
        check_sources(&mut tx, stage.sources.iter()).await?;
        let mut after = before.clone();
        after.advance(stage).map_err(StoreError::InvalidChange)?;
        let updated = sqlx::query(
            "UPDATE commitments SET status = $1, body = $2, version = version + 1
             WHERE id = $3 AND version = $4",
        )
        .bind(after.status.as_str())
        .bind(to_json(&after)?)
        .bind(id.as_str())
        .bind(version)
        .execute(&mut *tx)
        .await?;
        check_updated("commitment", id.as_str(), updated.rows_affected(), version)?;
        audit::record(
            &mut tx,
            actor,
            Change {
                action: "commitment.stage",
                entity_kind: "commitment",
                entity_id: id.as_str(),
                nation: Some(&after.nation),
                releasability: after.releasability,
                before: Some(serde_json::to_value(&before).map_err(json_error)?),
                after: Some(serde_json::to_value(&after).map_err(json_error)?),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Versioned {
            value: after,
            version: version + 1,
        })
    }

    async fn append_monitor_log(
        &self,
        kind: &str,
        entries: &[(String, String)],
        actor: &Actor,
    ) -> Result<Vec<Appended>> {
        // Rows per statement: two parameters a row, well inside both backends' limits.
        const ROWS: usize = 400;
        let mut tx = write_tx(&self.pool, self.backend).await?;
        if self.backend == Backend::Postgres {
            // Appenders take turns, so sequence numbers become visible in order and a reader
            // catching up after `seq` never skips one still being committed. (SQLite's write
            // transactions already take turns.)
            sqlx::query("LOCK TABLE monitor_log IN SHARE ROW EXCLUSIVE MODE")
                .execute(&mut *tx)
                .await?;
        }
        let now = jiff::Timestamp::now().as_microsecond();
        // New rows go in a few statements; a reference already logged is left as it is.
        let mut new: std::collections::HashMap<String, i64> = Default::default();
        for chunk in entries.chunks(ROWS) {
            let mut sql = String::from(
                "INSERT INTO monitor_log (kind, ref, body, recorded_at, recorded_by) VALUES ",
            );
            for i in 0..chunk.len() {
                let n = 4 + 2 * i;
                let sep = if i == 0 { "" } else { ", " };
                sql.push_str(&format!("{sep}($1, ${n}, ${}, $2, $3)", n + 1));
            }
            sql.push_str(" ON CONFLICT (kind, ref) DO NOTHING RETURNING seq, ref");
            let mut query = sqlx::query(&sql)
                .bind(kind)
                .bind(now)
                .bind(actor.name.as_str());
            for (reference, body) in chunk {
                query = query.bind(reference.as_str()).bind(body.as_str());
            }
            for row in query.fetch_all(&mut *tx).await? {
                new.insert(row.try_get("ref")?, row.try_get("seq")?);
            }
        }
        let written = new.len();
        // The bodies already logged under the other references, in one query a chunk.
        let older: Vec<&str> = entries
            .iter()
            .map(|(r, _)| r.as_str())
            .filter(|r| !new.contains_key(*r))
            .collect();
        let mut known: std::collections::HashMap<String, String> = Default::default();
        for chunk in older.chunks(ROWS) {
            let marks: Vec<String> = (0..chunk.len()).map(|i| format!("${}", i + 2)).collect();
            let sql = format!(
                "SELECT ref, body FROM monitor_log WHERE kind = $1 AND ref IN ({})",
                marks.join(", ")
            );
            let mut query = sqlx::query(&sql).bind(kind);
            for reference in chunk {
                query = query.bind(*reference);
            }
            for row in query.fetch_all(&mut *tx).await? {
                known.insert(row.try_get("ref")?, row.try_get("body")?);
            }
        }
        // An entry is new the first time its reference is offered; after that (or when it was
        // logged before) it is compared with the body that was logged.
        let mut offered: std::collections::HashMap<&str, &str> = Default::default();
        let mut out = Vec::with_capacity(entries.len());
        for (reference, body) in entries {
            if let Some(seq) = new.remove(reference) {
                out.push(Appended::New(seq));
                offered.insert(reference, body);
                continue;
            }
            let logged = offered
                .get(reference.as_str())
                .copied()
                .or_else(|| known.get(reference).map(String::as_str));
            out.push(match logged {
                Some(b) if b == body => Appended::Same,
                Some(_) => Appended::Different,
                None => {
                    return Err(StoreError::Corrupt(format!(
                        "monitoring log entry {kind} {reference} was neither written nor found"
                    )))
                }
            });
        }
        if written > 0 {
            let refs: Vec<&str> = entries.iter().map(|(r, _)| r.as_str()).take(20).collect();
            audit::record(
                &mut tx,
                actor,
                Change {
                    action: "monitor.append",
                    entity_kind: kind,
                    entity_id: refs.first().copied().unwrap_or(""),
                    nation: None,
                    releasability: Releasability::Coalition,
                    before: None,
                    after: Some(serde_json::json!({"written": written, "refs": refs})),
                },
            )
            .await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn monitor_log(&self, after_seq: i64, limit: usize) -> Result<Vec<MonitorEntry>> {
        let rows = sqlx::query(
            "SELECT seq, kind, ref, body, recorded_at, recorded_by FROM monitor_log
             WHERE seq > $1 ORDER BY seq LIMIT $2",
        )
        .bind(after_seq)
        .bind(i64::try_from(limit).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                let at: i64 = r.try_get("recorded_at")?;
                Ok(MonitorEntry {
                    seq: r.try_get("seq")?,
                    kind: r.try_get("kind")?,
                    reference: r.try_get("ref")?,
                    body: r.try_get("body")?,
                    recorded_at: jiff::Timestamp::from_microsecond(at)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    recorded_by: r.try_get("recorded_by")?,
                })
            })
            .collect()
    }

    async fn reference(&self, name: &str) -> Result<Option<String>> {
        Ok(
            sqlx::query_scalar("SELECT body FROM reference_data WHERE name = $1")
                .bind(name)
                .fetch_optional(&self.pool)
                .await?,
        )
    }

    async fn put_reference(&self, name: &str, csv: &str, actor: &Actor) -> Result<()> {
        let mut tx = write_tx(&self.pool, self.backend).await?;
        let before: Option<String> =
            sqlx::query_scalar("SELECT body FROM reference_data WHERE name = $1")
                .bind(name)
                .fetch_optional(&mut *tx)
                .await?;
        let now = jiff::Timestamp::now().as_microsecond();
        sqlx::query("DELETE FROM reference_data WHERE name = $1")
            .bind(name)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO reference_data (name, body, updated_at, updated_by) VALUES ($1, $2, $3, $4)",
        )
        .bind(name)
        .bind(csv)
        .bind(now)
        .bind(actor.name.as_str())
        .execute(&mut *tx)
        .await?;
        let size = |b: &str| serde_json::json!({"lines": b.lines().count(), "bytes": b.len()});
        audit::record(
            &mut tx,
            actor,
            Change {
                action: "reference.replace",
                entity_kind: "reference",
                entity_id: name,
                nation: None,
                releasability: Releasability::Public,
                before: before.as_deref().map(size),
                after: Some(size(csv)),
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn save_plan(&self, p: &NewPlan, at: jiff::Timestamp, actor: &Actor) -> Result<i64> {
        let mut tx = write_tx(&self.pool, self.backend).await?;
        let id = insert_plan(&mut tx, p, at, actor).await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn plans(&self, viewer: &Viewer) -> Result<Vec<PlanRecord>> {
        if *viewer == Viewer::Public {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(&format!(
            "SELECT {PLAN_COLUMNS} FROM plans ORDER BY id DESC"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(plan_from_row).collect()
    }

    async fn plan(&self, viewer: &Viewer, id: i64) -> Result<(PlanRecord, String)> {
        let not_found = || StoreError::NotFound {
            kind: "plan",
            id: id.to_string(),
        };
        if *viewer == Viewer::Public {
            return Err(not_found());
        }
        let mut tx = self.read_tx().await?;
        let row = sqlx::query(&format!(
            "SELECT {PLAN_COLUMNS}, body FROM plans WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(not_found)?;
        let record = plan_from_row(&row)?;
        let body: String = row.try_get("body")?;
        if *viewer == Viewer::Everything {
            tx.commit().await?;
            return Ok((record, body));
        }
        // Offers the viewer may see; any other offer in the plan (including one no longer in
        // the ledger) is shown as a restricted contribution.
        let mut w = Where::new();
        w.visible(viewer, "o.releasability", "o.nation");
        let sql = format!("SELECT o.id FROM offers o WHERE {}", w.clause);
        let q = w
            .args
            .iter()
            .fold(sqlx::query_scalar(&sql), |q, a| q.bind(a.as_str()));
        let visible: std::collections::HashSet<String> =
            q.fetch_all(&mut *tx).await?.into_iter().collect();
        let caps: std::collections::HashMap<String, String> =
            sqlx::query("SELECT id, capability FROM offers")
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("capability")?)))
                .collect::<Result<_>>()?;
        tx.commit().await?;
        let mut plan: Value =
            serde_json::from_str(&body).map_err(|e| StoreError::Corrupt(format!("plan: {e}")))?;
        let hidden = |offer: &str| {
            (!visible.contains(offer) && offer != crate::access::RESTRICTED)
                .then(|| caps.get(offer).cloned().unwrap_or_else(|| "unknown".into()))
        };
        redact_plan(&mut plan, &hidden);
        Ok((record, to_json(&plan)?))
    }

    async fn add_user(&self, user: &NewUser, actor: &Actor) -> Result<User> {
        users::add_user(&self.pool, self.backend, user, actor).await
    }

    async fn users(&self) -> Result<Vec<User>> {
        users::users(&self.pool).await
    }

    async fn user_for_sign_in(&self, username: &Username) -> Result<Option<(User, String)>> {
        users::user_for_sign_in(&self.pool, username).await
    }

    async fn set_user_disabled(
        &self,
        username: &Username,
        disabled: bool,
        actor: &Actor,
    ) -> Result<User> {
        users::set_disabled(&self.pool, self.backend, username, disabled, actor).await
    }

    async fn add_token(
        &self,
        username: &Username,
        name: &str,
        token_hash: &str,
        actor: &Actor,
    ) -> Result<ApiToken> {
        users::add_token(&self.pool, self.backend, username, name, token_hash, actor).await
    }

    async fn tokens(&self, username: Option<&Username>) -> Result<Vec<ApiToken>> {
        users::tokens(&self.pool, username).await
    }

    async fn revoke_token(&self, id: i64, actor: &Actor) -> Result<ApiToken> {
        users::revoke_token(&self.pool, self.backend, id, actor).await
    }

    async fn user_by_token(&self, token_hash: &str) -> Result<Option<User>> {
        users::user_by_token(&self.pool, token_hash).await
    }

    async fn add_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf: &str,
        expires_at: jiff::Timestamp,
    ) -> Result<()> {
        users::add_session(&self.pool, token_hash, user_id, csrf, expires_at).await
    }

    async fn session(&self, token_hash: &str, now: jiff::Timestamp) -> Result<Option<Session>> {
        users::session(&self.pool, token_hash, now).await
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        users::delete_session(&self.pool, token_hash).await
    }

    async fn audit_page(
        &self,
        viewer: &Viewer,
        filter: &AuditFilter,
        window: AuditWindow,
    ) -> Result<AuditPage> {
        let mut tx = self.read_tx().await?;
        let page = audit::page(&mut tx, viewer, filter, window).await?;
        tx.commit().await?;
        Ok(page)
    }

    async fn verify_audit(&self) -> Result<AuditReport> {
        audit::verify(&self.pool).await
    }

    async fn create_job(&self, options: &str, actor: &Actor) -> Result<Job> {
        users::create_job(&self.pool, self.backend, options, actor).await
    }

    async fn job(&self, id: i64) -> Result<Job> {
        users::job_by_id(&self.pool, id).await
    }

    async fn jobs(&self) -> Result<Vec<Job>> {
        users::jobs(&self.pool).await
    }

    async fn job_progress(&self, id: i64, progress: &str) -> Result<()> {
        users::job_progress(&self.pool, id, progress).await
    }

    async fn finish_job(&self, id: i64, plan: &NewPlan, actor: &Actor) -> Result<i64> {
        users::finish_job(&self.pool, self.backend, id, plan, actor).await
    }

    async fn fail_job(&self, id: i64, error: &str) -> Result<()> {
        users::fail_job(&self.pool, id, error).await
    }

    async fn fail_interrupted_jobs(&self) -> Result<u64> {
        users::fail_interrupted(&self.pool).await
    }
}
