//! The audit log: one row per change, written in the change's transaction, each row's hash
//! covering its fields and the previous row's hash. `audit_head` keeps the last link, so that
//! deleting the newest rows is detected as well as altering or deleting any other.

use domain::access::Releasability;
use domain::ids::NationCode;
use serde::Serialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::access::Where;
use crate::{Actor, Result, StoreError, Viewer};

const GENESIS: &str = "genesis";

/// One audit row as read back.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    #[serde(serialize_with = "crate::serialize_timestamp")]
    pub at: jiff::Timestamp,
    pub actor: String,
    pub action: String,
    pub entity_kind: String,
    pub entity_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nation: Option<String>,
    pub releasability: String,
    pub before: Option<Value>,
    pub after: Option<Value>,
    pub source_ref: Option<String>,
    pub hash: String,
}

/// Filters for reading the audit log; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity_kind: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub since: Option<jiff::Timestamp>,
    pub until: Option<jiff::Timestamp>,
}

/// The outcome of re-computing the chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditReport {
    /// Rows checked.
    pub rows: i64,
    /// The last link's hash, worth recording outside the database.
    pub head: String,
    /// The first broken link, if any: the row's sequence number and what is wrong.
    pub broken: Option<(i64, String)>,
}

/// A change to record.
pub(crate) struct Change<'a> {
    pub action: &'a str,
    pub entity_kind: &'a str,
    pub entity_id: &'a str,
    pub nation: Option<&'a NationCode>,
    pub releasability: Releasability,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// The hash of a row: SHA-256 over a JSON array of its fields and the previous hash.
#[expect(
    clippy::too_many_arguments,
    reason = "one argument per hashed column, named at the call"
)]
fn row_hash(
    seq: i64,
    at: i64,
    actor: &str,
    action: &str,
    kind: &str,
    id: &str,
    nation: Option<&str>,
    releasability: &str,
    before: Option<&str>,
    after: Option<&str>,
    source_ref: Option<&str>,
    prev: &str,
) -> String {
    let fields = json!([
        seq,
        at,
        actor,
        action,
        kind,
        id,
        nation,
        releasability,
        before,
        after,
        source_ref,
        prev
    ]);
    let digest = Sha256::digest(fields.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends the audit row for `change` inside `tx`. Taking the head row's lock first serialises
/// writers, so the chain has one order.
pub(crate) async fn record(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    actor: &Actor,
    change: Change<'_>,
) -> Result<()> {
    let head = sqlx::query("UPDATE audit_head SET seq = seq + 1 WHERE id = 1 RETURNING seq, hash")
        .fetch_one(&mut **tx)
        .await?;
    let seq: i64 = head.try_get("seq")?;
    let prev: String = head.try_get("hash")?;
    let at = jiff::Timestamp::now().as_microsecond();
    let before = change.before.map(|v| v.to_string());
    let after = change.after.map(|v| v.to_string());
    let nation = change.nation.map(ToString::to_string);
    let hash = row_hash(
        seq,
        at,
        &actor.name,
        change.action,
        change.entity_kind,
        change.entity_id,
        nation.as_deref(),
        change.releasability.as_str(),
        before.as_deref(),
        after.as_deref(),
        actor.source_ref.as_deref(),
        &prev,
    );
    sqlx::query(
        "INSERT INTO audit_log (seq, at, actor, action, entity_kind, entity_id, nation,
         releasability, before_value, after_value, source_ref, prev_hash, hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
    )
    .bind(seq)
    .bind(at)
    .bind(&actor.name)
    .bind(change.action)
    .bind(change.entity_kind)
    .bind(change.entity_id)
    .bind(nation)
    .bind(change.releasability.as_str())
    .bind(before)
    .bind(after)
    .bind(&actor.source_ref)
    .bind(&prev)
    .bind(&hash)
    .execute(&mut **tx)
    .await?;
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&hash)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

const COLUMNS: &str = "seq, at, actor, action, entity_kind, entity_id, nation, releasability,
    before_value, after_value, source_ref, prev_hash, hash";

fn json_column(row: &AnyRow, column: &str) -> Result<Option<Value>> {
    row.try_get::<Option<String>, _>(column)?
        .map(|s| serde_json::from_str(&s))
        .transpose()
        .map_err(|e| StoreError::Corrupt(format!("audit {column}: {e}")))
}

fn entry(row: &AnyRow) -> Result<AuditEntry> {
    Ok(AuditEntry {
        seq: row.try_get("seq")?,
        at: crate::sql::from_micros(row.try_get("at")?)?,
        actor: row.try_get("actor")?,
        action: row.try_get("action")?,
        entity_kind: row.try_get("entity_kind")?,
        entity_id: row.try_get("entity_id")?,
        nation: row.try_get("nation")?,
        releasability: row.try_get("releasability")?,
        before: json_column(row, "before_value")?,
        after: json_column(row, "after_value")?,
        source_ref: row.try_get("source_ref")?,
        hash: row.try_get("hash")?,
    })
}

/// The filter as a `WHERE` clause over the rows `viewer` may see.
fn filtered(viewer: &Viewer, f: &crate::AuditFilter) -> Where {
    let mut w = Where::new();
    w.eq("entity_kind", f.entity_kind.clone())
        .eq("entity_id", f.entity_id.clone())
        .eq("actor", f.actor.clone())
        .eq("action", f.action.clone())
        .visible(viewer, "releasability", "nation");
    // Times are integers; compare them as such.
    if let Some(t) = f.since {
        w.clause
            .push_str(&format!(" AND at >= {}", t.as_microsecond()));
    }
    if let Some(t) = f.until {
        w.clause
            .push_str(&format!(" AND at <= {}", t.as_microsecond()));
    }
    w
}

/// Which rows of the filtered log to read: oldest or newest first, how many to skip and how
/// many to return.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditWindow {
    pub newest_first: bool,
    pub offset: u64,
    pub limit: u64,
}

/// One window of the filtered log, and how many rows the filter matches in all.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditPage {
    pub total: u64,
    pub rows: Vec<AuditEntry>,
}

/// Reads only the window's rows (the database sorts, skips and counts), in `tx`: one snapshot
/// (`SqlStore::read_tx`), so that the total and the rows agree.
pub(crate) async fn page(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    viewer: &Viewer,
    f: &crate::AuditFilter,
    window: AuditWindow,
) -> Result<AuditPage> {
    let w = filtered(viewer, f);
    let order = if window.newest_first { "DESC" } else { "ASC" };
    let limit = i64::try_from(window.limit).unwrap_or(i64::MAX);
    let offset = i64::try_from(window.offset).unwrap_or(i64::MAX);
    // Counted apart: a window count over the rows would make the database read every
    // matching row, values and all, to return a page of them.
    let count = format!(
        "SELECT COUNT(*) AS matching FROM audit_log WHERE {}",
        w.clause
    );
    let total: i64 = w
        .bind(sqlx::query(&count))
        .fetch_one(&mut **tx)
        .await?
        .try_get("matching")?;
    let sql = format!(
        "SELECT {COLUMNS} FROM audit_log WHERE {} ORDER BY seq {order} LIMIT {limit} OFFSET {offset}",
        w.clause
    );
    let rows = w.bind(sqlx::query(&sql)).fetch_all(&mut **tx).await?;
    Ok(AuditPage {
        total: u64::try_from(total).unwrap_or(0),
        rows: rows.iter().map(entry).collect::<Result<_>>()?,
    })
}

pub(crate) async fn verify(pool: &sqlx::AnyPool) -> Result<AuditReport> {
    use futures_util::TryStreamExt;
    let mut tx = pool.begin().await?;
    // Row by row as the database sends them: a long log is never held whole. Rows after a
    // broken link are counted, not checked.
    let sql = format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq");
    let mut rows = sqlx::query(&sql).fetch(&mut *tx);
    let mut prev = GENESIS.to_owned();
    let mut broken = None;
    let mut checked: i64 = 0;
    while let Some(row) = rows.try_next().await? {
        let expected_seq = checked + 1;
        checked = expected_seq;
        if broken.is_some() {
            continue;
        }
        let seq: i64 = row.try_get("seq")?;
        let prev_hash: String = row.try_get("prev_hash")?;
        let hash: String = row.try_get("hash")?;
        let text = |c: &str| row.try_get::<Option<String>, _>(c);
        let computed = row_hash(
            seq,
            row.try_get("at")?,
            &row.try_get::<String, _>("actor")?,
            &row.try_get::<String, _>("action")?,
            &row.try_get::<String, _>("entity_kind")?,
            &row.try_get::<String, _>("entity_id")?,
            text("nation")?.as_deref(),
            &row.try_get::<String, _>("releasability")?,
            text("before_value")?.as_deref(),
            text("after_value")?.as_deref(),
            text("source_ref")?.as_deref(),
            &prev_hash,
        );
        let problem = if seq != expected_seq {
            Some(format!("row {expected_seq} is missing (next row is {seq})"))
        } else if prev_hash != prev {
            Some("its previous-hash does not match the row before it".to_owned())
        } else if computed != hash {
            Some("its contents do not match its hash (the row was altered)".to_owned())
        } else {
            None
        };
        match problem {
            Some(p) => broken = Some((seq.min(expected_seq), p)),
            None => prev = hash,
        }
    }
    drop(rows);
    let head = sqlx::query("SELECT seq, hash FROM audit_head WHERE id = 1")
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    let (head_seq, head_hash): (i64, String) = (head.try_get("seq")?, head.try_get("hash")?);
    if broken.is_none() && (head_seq != checked || head_hash != prev) {
        broken = Some((
            checked + 1,
            format!("the chain's head says row {head_seq} is the last, but the log ends at row {checked} (rows were deleted or the head was altered)"),
        ));
    }
    Ok(AuditReport {
        rows: checked,
        head: head_hash,
        broken,
    })
}
