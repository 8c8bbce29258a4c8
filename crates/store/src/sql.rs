//! The SQL implementation of [`Store`], shared by SQLite and PostgreSQL through sqlx's `Any`
//! driver. Both backends take the same statements (`$n` parameters, portable types); what
//! differs between them (connection set-up, migrations) is chosen by [`Backend`].

use async_trait::async_trait;
use domain::capability::Capability;
use domain::commitment::Commitment;
use domain::ids::{Line, OfferId};
use domain::nation::Nation;
use domain::offer::{Offer, StatusChange};
use domain::requirement::Requirement;
use domain::source::Source;
use domain::{ParseErrors, Scenario};
use serde_json::{Map, Value};
use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Executor, Row};

use crate::{
    migrate, Backend, CommitmentFilter, DatabaseUrl, ImportMode, NewPlan, OfferFilter, PlanRecord,
    Result, Store, StoreError, Versioned,
};

#[derive(Debug, Clone)]
pub struct SqlStore {
    pool: AnyPool,
    backend: Backend,
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

fn from_micros(us: i64) -> Result<jiff::Timestamp> {
    jiff::Timestamp::from_microsecond(us).map_err(|e| StoreError::Corrupt(e.to_string()))
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

    pub async fn close(&self) {
        self.pool.close().await;
    }

    /// A transaction for reading several tables as of one moment (on PostgreSQL, repeatable
    /// read; SQLite transactions are snapshots already).
    async fn read_tx(&self) -> Result<sqlx::Transaction<'static, sqlx::Any>> {
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

/// Offers matching `filter` (all when empty): a `WHERE` clause over the `offers` table and its
/// arguments, shared by the offer query and the history query so they select the same offers.
fn offer_filter(filter: &OfferFilter) -> (String, Vec<String>) {
    let mut clause = String::from("1 = 1");
    let mut args: Vec<String> = Vec::new();
    let mut add = |column: &str, value: Option<String>| {
        if let Some(v) = value {
            args.push(v);
            clause.push_str(&format!(" AND o.{column} = ${}", args.len()));
        }
    };
    add("nation", filter.nation.as_ref().map(ToString::to_string));
    add(
        "capability",
        filter.capability.as_ref().map(ToString::to_string),
    );
    add("status", filter.status.map(|s| s.as_str().to_owned()));
    (clause, args)
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

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn migrate(&self) -> Result<Vec<String>> {
        migrate::run(&self.pool, self.backend).await
    }

    async fn import_scenario(&self, s: &Scenario, mode: ImportMode) -> Result<usize> {
        let mut tx = self.pool.begin().await?;
        let existing: Option<String> = sqlx::query_scalar("SELECT name FROM scenario WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?;
        if let Some(name) = existing {
            if mode == ImportMode::Create {
                return Err(StoreError::ScenarioExists(name));
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
            sqlx::query("INSERT INTO sources (id, seq, published, body) VALUES ($1, $2, $3, $4)")
                .bind(src.id.as_str())
                .bind(seq(i))
                .bind(src.published.to_string())
                .bind(to_json(src)?)
                .execute(&mut *tx)
                .await?;
        }
        for (i, o) in s.offers().iter().enumerate() {
            sqlx::query(
                "INSERT INTO offers (id, seq, nation, capability, status, version, body)
                 VALUES ($1, $2, $3, $4, $5, 1, $6)",
            )
            .bind(o.id.as_str())
            .bind(seq(i))
            .bind(o.nation.as_str())
            .bind(o.capability.as_str())
            .bind(o.status.as_str())
            .bind(offer_body(o)?)
            .execute(&mut *tx)
            .await?;
            for (j, c) in o.history.iter().enumerate() {
                insert_change(&mut tx, o.id.as_str(), seq(j), c).await?;
                written += 1;
            }
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
                "INSERT INTO commitments (id, seq, kind, nation, status, date, body)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(c.id.as_str())
            .bind(seq(i))
            .bind(c.kind.as_str())
            .bind(c.nation.as_str())
            .bind(c.status.as_str())
            .bind(c.date.to_string())
            .bind(to_json(c)?)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        written += s.nations().len()
            + s.capabilities().len()
            + s.sources().len()
            + s.offers().len()
            + s.requirements().len()
            + s.commitments().len();
        Ok(written)
    }

    async fn export_scenario(&self) -> Result<Option<Scenario>> {
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
        let lists = [
            ("nations", "SELECT body FROM nations ORDER BY seq"),
            ("capabilities", "SELECT body FROM capabilities ORDER BY seq"),
            ("sources", "SELECT body FROM sources ORDER BY seq"),
            ("offers", "SELECT body FROM offers ORDER BY seq"),
            ("requirements", "SELECT body FROM requirements ORDER BY seq"),
            ("commitments", "SELECT body FROM commitments ORDER BY seq"),
        ];
        for (key, sql) in lists {
            let bodies: Vec<String> = sqlx::query_scalar(sql).fetch_all(&mut *tx).await?;
            let items = bodies
                .iter()
                .map(|b| serde_json::from_str(b))
                .collect::<Result<Vec<Value>, _>>()
                .map_err(|e| StoreError::Corrupt(format!("{key}: {e}")))?;
            doc.insert(key.to_owned(), Value::Array(items));
        }
        // Offers' histories live in their own table; `history` is the last key of an offer, so
        // appending it keeps the canonical order. The whole document is validated once, below.
        let mut histories = histories(&mut tx, "1 = 1", &[]).await?;
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

    async fn sources(&self) -> Result<Vec<Source>> {
        let bodies = self.bodies("SELECT body FROM sources ORDER BY seq").await?;
        bodies
            .iter()
            .map(|b| parse_body(b, "source", Source::from_json))
            .collect()
    }

    async fn offers(&self, filter: &OfferFilter) -> Result<Vec<Offer>> {
        let (clause, args) = offer_filter(filter);
        let mut tx = self.read_tx().await?;
        let sql = format!("SELECT o.id, o.body FROM offers o WHERE {clause} ORDER BY o.seq");
        let mut q = sqlx::query(&sql);
        for a in &args {
            q = q.bind(a.as_str());
        }
        let rows = q.fetch_all(&mut *tx).await?;
        let mut histories = histories(&mut tx, &clause, &args).await?;
        tx.commit().await?;
        rows.iter()
            .map(|row| {
                let id: String = row.try_get("id")?;
                let body: String = row.try_get("body")?;
                offer_from(&body, histories.remove(&id).unwrap_or_default())
            })
            .collect()
    }

    async fn offer(&self, id: &OfferId) -> Result<Versioned<Offer>> {
        let mut tx = self.read_tx().await?;
        let (body, version) = offer_row(&mut tx, id).await?;
        let history = history_of(&mut tx, id).await?;
        tx.commit().await?;
        Ok(Versioned {
            value: offer_from(&body, history)?,
            version,
        })
    }

    async fn record_status_change(
        &self,
        id: &OfferId,
        change: StatusChange,
        expected_version: Option<i64>,
    ) -> Result<Versioned<Offer>> {
        let mut tx = self.pool.begin().await?;
        let (body, version) = offer_row(&mut tx, id).await?;
        if let Some(expected) = expected_version.filter(|e| *e != version) {
            return Err(StoreError::VersionConflict {
                kind: "offer",
                id: id.to_string(),
                expected,
                found: version,
            });
        }
        if let Some(src) = &change.source {
            let known: Option<String> = sqlx::query_scalar("SELECT id FROM sources WHERE id = $1")
                .bind(src.as_str())
                .fetch_optional(&mut *tx)
                .await?;
            if known.is_none() {
                return Err(StoreError::InvalidChange(format!(
                    "unknown source \"{src}\""
                )));
            }
        }
        let history = history_of(&mut tx, id).await?;
        let mut offer = offer_from(&body, history)?;
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
        if updated.rows_affected() != 1 {
            return Err(StoreError::VersionConflict {
                kind: "offer",
                id: id.to_string(),
                expected: version,
                found: version + 1,
            });
        }
        insert_change(&mut tx, id.as_str(), seq(offer.history.len() - 1), &change).await?;
        tx.commit().await?;
        Ok(Versioned {
            value: offer,
            version: version + 1,
        })
    }

    async fn requirements(&self, line: Option<&Line>) -> Result<Vec<Requirement>> {
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

    async fn commitments(&self, filter: &CommitmentFilter) -> Result<Vec<Commitment>> {
        let bodies: Vec<String> = sqlx::query_scalar(
            "SELECT body FROM commitments
             WHERE ($1 = '' OR nation = $1) AND ($2 = '' OR kind = $2) ORDER BY seq",
        )
        .bind(
            filter
                .nation
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
        )
        .bind(
            filter
                .kind
                .map(|k| k.as_str().to_owned())
                .unwrap_or_default(),
        )
        .fetch_all(&self.pool)
        .await?;
        bodies
            .iter()
            .map(|b| parse_body(b, "commitment", Commitment::from_json))
            .collect()
    }

    async fn save_plan(&self, p: &NewPlan, at: jiff::Timestamp) -> Result<i64> {
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
        .fetch_one(&self.pool)
        .await?;
        Ok(id)
    }

    async fn plans(&self) -> Result<Vec<PlanRecord>> {
        let rows = sqlx::query(&format!(
            "SELECT {PLAN_COLUMNS} FROM plans ORDER BY id DESC"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(plan_from_row).collect()
    }

    async fn plan(&self, id: i64) -> Result<(PlanRecord, String)> {
        let row = sqlx::query(&format!(
            "SELECT {PLAN_COLUMNS}, body FROM plans WHERE id = $1"
        ))
        .bind(id)
        .fetch_optional(&self.pool)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            kind: "plan",
            id: id.to_string(),
        })?;
        Ok((plan_from_row(&row)?, row.try_get("body")?))
    }
}
