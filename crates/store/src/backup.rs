//! Backups and moves between databases, in one portable form: `coalition.backup/1`.
//!
//! A backup is JSON Lines: a header naming the schema version and, per table, its columns and
//! row count; then one line per row (`["table", [values…]]`), tables in dependency order; then
//! an end line with the row count and the SHA-256 of every line before it, so a truncated or
//! edited file is refused. Every value is an integer, a string or null — the only column types
//! the schema uses — so the same file restores into SQLite or PostgreSQL.
//!
//! Reading happens in one snapshot transaction (repeatable read on PostgreSQL, a WAL snapshot
//! on SQLite), so a backup taken while the server writes is consistent. Loading happens in one
//! transaction into an empty database, so a failed restore leaves nothing behind. Sessions are
//! not carried: after a restore or a move, people sign in again.

use std::io::{BufRead, Write};

use async_trait::async_trait;
use futures_util::TryStreamExt;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::sql::write_tx;
use crate::{migrate, Backend, DatabaseUrl, Result, SqlStore, StoreError};

/// The first line's `format`.
pub const FORMAT: &str = "coalition.backup/1";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Type {
    Int,
    Text,
}

/// A table as the backup knows it: columns with their types, the key it is read in order of,
/// and the identity column PostgreSQL generates (restored as is, then the sequence moved on).
struct Table {
    name: &'static str,
    columns: &'static [(&'static str, Type)],
    key: &'static str,
    identity: Option<&'static str>,
}

use Type::{Int as I, Text as T};

/// Every table but `sessions` and `schema_migrations`, parents before children.
const TABLES: &[Table] = &[
    Table {
        name: "scenario",
        columns: &[("id", I), ("name", T), ("body", T), ("imported_at", I)],
        key: "id",
        identity: None,
    },
    Table {
        name: "nations",
        columns: &[("code", T), ("seq", I), ("name", T), ("body", T)],
        key: "code",
        identity: None,
    },
    Table {
        name: "capabilities",
        columns: &[("code", T), ("seq", I), ("domain", T), ("body", T)],
        key: "code",
        identity: None,
    },
    Table {
        name: "sources",
        columns: &[
            ("id", T),
            ("seq", I),
            ("published", T),
            ("body", T),
            ("releasability", T),
        ],
        key: "id",
        identity: None,
    },
    Table {
        name: "offers",
        columns: &[
            ("id", T),
            ("seq", I),
            ("nation", T),
            ("capability", T),
            ("status", T),
            ("version", I),
            ("body", T),
            ("releasability", T),
        ],
        key: "id",
        identity: None,
    },
    Table {
        name: "offer_status_changes",
        columns: &[
            ("offer_id", T),
            ("seq", I),
            ("status", T),
            ("effective", T),
            ("recorded_at", I),
            ("recorded_by", T),
            ("source_id", T),
            ("note", T),
        ],
        key: "offer_id, seq",
        identity: None,
    },
    Table {
        name: "requirements",
        columns: &[
            ("id", T),
            ("seq", I),
            ("line", T),
            ("capability", T),
            ("region", T),
            ("body", T),
        ],
        key: "id",
        identity: None,
    },
    Table {
        name: "commitments",
        columns: &[
            ("id", T),
            ("seq", I),
            ("kind", T),
            ("nation", T),
            ("status", T),
            ("date", T),
            ("body", T),
            ("releasability", T),
            ("version", I),
        ],
        key: "id",
        identity: None,
    },
    Table {
        name: "plans",
        columns: &[
            ("id", I),
            ("created_at", I),
            ("scenario", T),
            ("status", T),
            ("unmet_weighted", I),
            ("bound", I),
            ("options", T),
            ("body", T),
        ],
        key: "id",
        identity: Some("id"),
    },
    Table {
        name: "users",
        columns: &[
            ("id", I),
            ("username", T),
            ("role", T),
            ("nation", T),
            ("password_hash", T),
            ("disabled", I),
            ("created_at", I),
        ],
        key: "id",
        identity: Some("id"),
    },
    Table {
        name: "api_tokens",
        columns: &[
            ("id", I),
            ("user_id", I),
            ("name", T),
            ("token_hash", T),
            ("created_at", I),
            ("revoked_at", I),
        ],
        key: "id",
        identity: Some("id"),
    },
    Table {
        name: "audit_log",
        columns: &[
            ("seq", I),
            ("at", I),
            ("actor", T),
            ("action", T),
            ("entity_kind", T),
            ("entity_id", T),
            ("nation", T),
            ("releasability", T),
            ("before_value", T),
            ("after_value", T),
            ("source_ref", T),
            ("prev_hash", T),
            ("hash", T),
        ],
        key: "seq",
        identity: None,
    },
    Table {
        name: "audit_head",
        columns: &[("id", I), ("seq", I), ("hash", T)],
        key: "id",
        identity: None,
    },
    Table {
        name: "plan_jobs",
        columns: &[
            ("id", I),
            ("state", T),
            ("options", T),
            ("requested_by", T),
            ("created_at", I),
            ("updated_at", I),
            ("progress", T),
            ("plan_id", I),
            ("error", T),
        ],
        key: "id",
        identity: Some("id"),
    },
    Table {
        name: "reference_data",
        columns: &[
            ("name", T),
            ("body", T),
            ("updated_at", I),
            ("updated_by", T),
        ],
        key: "name",
        identity: None,
    },
    Table {
        name: "monitor_log",
        columns: &[
            ("seq", I),
            ("kind", T),
            ("ref", T),
            ("body", T),
            ("recorded_at", I),
            ("recorded_by", T),
        ],
        key: "seq",
        identity: Some("seq"),
    },
];

/// Tables the backup leaves out on purpose.
pub const NOT_CARRIED: &[&str] = &["sessions", "schema_migrations"];

/// Every table and column the backup carries, for the test that holds it to the schema.
pub fn carried() -> Vec<(&'static str, Vec<&'static str>)> {
    TABLES
        .iter()
        .map(|t| (t.name, t.columns.iter().map(|c| c.0).collect()))
        .collect()
}

/// One stored value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
enum Value {
    Int(i64),
    Text(String),
    Null,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct TableHeader {
    name: String,
    columns: Vec<String>,
    rows: u64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Header {
    format: String,
    schema_version: i64,
    made_at: String,
    from: String,
    tables: Vec<TableHeader>,
}

#[derive(Debug, Serialize, Deserialize)]
struct End {
    rows: u64,
    sha256: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct EndLine {
    end: End,
}

/// What a backup, restore or copy carried: rows per table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub schema_version: i64,
    pub tables: Vec<(String, u64)>,
}

impl Summary {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|t| t.1).sum()
    }

    fn of(header: &Header) -> Self {
        Self {
            schema_version: header.schema_version,
            tables: header
                .tables
                .iter()
                .map(|t| (t.name.clone(), t.rows))
                .collect(),
        }
    }
}

/// Where rows read from a database or a file go.
#[async_trait]
trait Sink: Send {
    async fn begin(&mut self, header: &Header) -> Result<()>;
    async fn rows(&mut self, table: &TableHeader, rows: Vec<Vec<Value>>) -> Result<()>;
    async fn finish(self) -> Result<()>;
}

/// Rows per insert or per read batch.
const BATCH: usize = 200;

fn spec(name: &str) -> Result<&'static Table> {
    TABLES
        .iter()
        .find(|t| t.name == name)
        .ok_or_else(|| StoreError::Corrupt(format!("the backup names an unknown table \"{name}\"")))
}

/// Reads every carried table of `store` in one snapshot and feeds `sink`.
async fn read_db<S: Sink>(store: &SqlStore, sink: &mut S) -> Result<Header> {
    let mut tx = store.read_tx().await?;
    let schema_version: i64 =
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(version) FROM schema_migrations")
            .fetch_one(&mut *tx)
            .await?
            .unwrap_or(0);
    if schema_version != migrate::latest(store.backend()) {
        return Err(StoreError::InvalidChange(format!(
            "the database is at schema version {schema_version}, this build's is {}: run `coalition db migrate` first",
            migrate::latest(store.backend())
        )));
    }
    let mut tables = Vec::with_capacity(TABLES.len());
    for t in TABLES {
        let rows: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}", t.name))
            .fetch_one(&mut *tx)
            .await?;
        tables.push(TableHeader {
            name: t.name.to_owned(),
            columns: t.columns.iter().map(|c| c.0.to_owned()).collect(),
            rows: u64::try_from(rows).unwrap_or(0),
        });
    }
    let header = Header {
        format: FORMAT.to_owned(),
        schema_version,
        made_at: jiff::Timestamp::now().to_string(),
        from: store.backend().to_string(),
        tables,
    };
    sink.begin(&header).await?;
    for (t, th) in TABLES.iter().zip(&header.tables) {
        let names: Vec<&str> = t.columns.iter().map(|c| c.0).collect();
        let sql = format!(
            "SELECT {} FROM {} ORDER BY {}",
            names.join(", "),
            t.name,
            t.key
        );
        let mut stream = sqlx::query(&sql).fetch(&mut *tx);
        let mut batch = Vec::with_capacity(BATCH);
        let mut seen = 0u64;
        while let Some(row) = stream.try_next().await? {
            let mut values = Vec::with_capacity(t.columns.len());
            for (i, (_, ty)) in t.columns.iter().enumerate() {
                values.push(match ty {
                    Type::Int => row
                        .try_get::<Option<i64>, _>(i)?
                        .map_or(Value::Null, Value::Int),
                    Type::Text => row
                        .try_get::<Option<String>, _>(i)?
                        .map_or(Value::Null, Value::Text),
                });
            }
            batch.push(values);
            seen += 1;
            if batch.len() == BATCH {
                sink.rows(th, std::mem::take(&mut batch)).await?;
            }
        }
        drop(stream);
        if !batch.is_empty() {
            sink.rows(th, batch).await?;
        }
        if seen != th.rows {
            // Cannot happen inside one snapshot; refuse rather than write an inconsistent file.
            return Err(StoreError::Corrupt(format!(
                "{} changed while it was read ({} rows counted, {seen} read)",
                t.name, th.rows
            )));
        }
    }
    tx.rollback().await?;
    Ok(header)
}

/// Writes the backup lines, hashing as it goes.
struct FileSink<W: Write + Send> {
    out: W,
    hash: Sha256,
    rows: u64,
}

impl<W: Write + Send> FileSink<W> {
    fn line(&mut self, line: &str) -> Result<()> {
        let io =
            |e: std::io::Error| StoreError::InvalidChange(format!("cannot write the backup: {e}"));
        self.out.write_all(line.as_bytes()).map_err(io)?;
        self.out.write_all(b"\n").map_err(io)?;
        self.hash.update(line.as_bytes());
        self.hash.update(b"\n");
        Ok(())
    }
}

fn to_json<T: Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[async_trait]
impl<W: Write + Send> Sink for FileSink<W> {
    async fn begin(&mut self, header: &Header) -> Result<()> {
        self.line(&to_json(header)?)
    }

    async fn rows(&mut self, table: &TableHeader, rows: Vec<Vec<Value>>) -> Result<()> {
        for row in rows {
            self.line(&to_json(&(&table.name, row))?)?;
            self.rows += 1;
        }
        Ok(())
    }

    async fn finish(mut self) -> Result<()> {
        let end = EndLine {
            end: End {
                rows: self.rows,
                sha256: hex(&self.hash.clone().finalize()),
            },
        };
        let line = to_json(&end)?;
        self.out
            .write_all(format!("{line}\n").as_bytes())
            .and_then(|()| self.out.flush())
            .map_err(|e| StoreError::InvalidChange(format!("cannot write the backup: {e}")))
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Inserts into an empty database in one transaction.
struct DbSink {
    tx: sqlx::Transaction<'static, sqlx::Any>,
    backend: Backend,
}

impl DbSink {
    /// Opens `url` for a restore of a backup made at `version`: the database must be empty;
    /// its schema is brought to that version (later migrations run after the load).
    async fn open(url: &str, version: i64) -> Result<(SqlStore, Self)> {
        let store = SqlStore::open(&DatabaseUrl::parse(url)?).await?;
        migrate::run_to(store.pool(), store.backend(), 0).await?;
        let applied = migrate::applied(store.pool()).await?;
        let latest = migrate::latest(store.backend());
        if version > latest {
            return Err(StoreError::InvalidChange(format!(
                "the backup is of schema version {version}, newer than this build's ({latest}); restore it with a newer Coalition"
            )));
        }
        if applied > version {
            return Err(StoreError::InvalidChange(format!(
                "{} already has schema version {applied}; restore into a new, empty database",
                crate::redact(url)
            )));
        }
        migrate::run_to(store.pool(), store.backend(), version).await?;
        let mut tx = write_tx(store.pool(), store.backend()).await?;
        for t in TABLES {
            let exists = if store.backend() == Backend::Postgres {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = $1",
                )
            } else {
                sqlx::query_scalar::<_, i64>(
                    "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = $1",
                )
            }
            .bind(t.name)
            .fetch_one(&mut *tx)
            .await?;
            if exists == 0 {
                continue;
            }
            let filter = if t.name == "audit_head" {
                " WHERE seq <> 0"
            } else {
                ""
            };
            let n: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {}{filter}", t.name))
                .fetch_one(&mut *tx)
                .await?;
            if n > 0 {
                return Err(StoreError::InvalidChange(format!(
                    "{} is not empty ({} holds {n} rows); restore into a new, empty database",
                    crate::redact(url),
                    t.name
                )));
            }
        }
        sqlx::query("DELETE FROM audit_head")
            .execute(&mut *tx)
            .await?;
        let backend = store.backend();
        Ok((store, Self { tx, backend }))
    }
}

#[async_trait]
impl Sink for DbSink {
    async fn begin(&mut self, _header: &Header) -> Result<()> {
        Ok(())
    }

    async fn rows(&mut self, table: &TableHeader, rows: Vec<Vec<Value>>) -> Result<()> {
        let t = spec(&table.name)?;
        let mut types = Vec::with_capacity(table.columns.len());
        for c in &table.columns {
            let ty = t
                .columns
                .iter()
                .find(|k| k.0 == c)
                .map(|k| k.1)
                .ok_or_else(|| {
                    StoreError::Corrupt(format!(
                        "the backup names an unknown column {}.{c}",
                        t.name
                    ))
                })?;
            types.push(ty);
        }
        let overriding = if self.backend == Backend::Postgres && t.identity.is_some() {
            " OVERRIDING SYSTEM VALUE"
        } else {
            ""
        };
        for chunk in rows.chunks(BATCH) {
            let mut sql = format!(
                "INSERT INTO {} ({}){overriding} VALUES ",
                t.name,
                table.columns.join(", ")
            );
            let mut n = 0;
            for (r, row) in chunk.iter().enumerate() {
                if row.len() != types.len() {
                    return Err(StoreError::Corrupt(format!(
                        "a {} row has {} values for {} columns",
                        t.name,
                        row.len(),
                        types.len()
                    )));
                }
                sql.push_str(if r == 0 { "(" } else { ", (" });
                for c in 0..row.len() {
                    n += 1;
                    sql.push_str(&if c == 0 {
                        format!("${n}")
                    } else {
                        format!(", ${n}")
                    });
                }
                sql.push(')');
            }
            let mut q = sqlx::query(&sql);
            for row in chunk {
                for (v, ty) in row.iter().zip(&types) {
                    q = match (v, ty) {
                        (Value::Int(i), Type::Int) => q.bind(*i),
                        (Value::Text(s), Type::Text) => q.bind(s.clone()),
                        (Value::Null, Type::Int) => q.bind(None::<i64>),
                        (Value::Null, Type::Text) => q.bind(None::<String>),
                        _ => {
                            return Err(StoreError::Corrupt(format!(
                                "a {} value has the wrong type: {v:?}",
                                t.name
                            )))
                        }
                    };
                }
            }
            q.execute(&mut *self.tx).await?;
        }
        Ok(())
    }

    async fn finish(mut self) -> Result<()> {
        if self.backend == Backend::Postgres {
            for t in TABLES {
                if let Some(col) = t.identity {
                    sqlx::query(&format!(
                        "SELECT setval(pg_get_serial_sequence('{0}', '{col}'), COALESCE(MAX({col}), 0) + 1, false) FROM {0}",
                        t.name
                    ))
                    .execute(&mut *self.tx)
                    .await?;
                }
            }
        }
        self.tx.commit().await?;
        Ok(())
    }
}

/// Writes a consistent backup of `store` to `out`, while others go on writing.
pub async fn backup(store: &SqlStore, out: impl Write + Send) -> Result<Summary> {
    let mut sink = FileSink {
        out,
        hash: Sha256::new(),
        rows: 0,
    };
    let header = read_db(store, &mut sink).await?;
    sink.finish().await?;
    Ok(Summary::of(&header))
}

fn bad(n: usize, why: String) -> StoreError {
    StoreError::Corrupt(format!(
        "backup line {}: {why}; nothing was restored",
        n + 1
    ))
}

/// Ends the current table of a restore: its rows must number what the header says.
async fn close_table(
    header: &Header,
    current: &mut usize,
    in_table: &mut u64,
    batch: &mut Vec<Vec<Value>>,
    sink: &mut DbSink,
    line: usize,
) -> Result<()> {
    let Some(th) = header.tables.get(*current) else {
        return Ok(());
    };
    if *in_table != th.rows {
        return Err(bad(
            line,
            format!(
                "{} has {in_table} rows, the header says {}",
                th.name, th.rows
            ),
        ));
    }
    sink.rows(th, std::mem::take(batch)).await?;
    *current += 1;
    *in_table = 0;
    Ok(())
}

/// Restores a backup into the empty database at `url`, all or nothing, then applies any
/// migrations newer than the backup. Returns the store, open and up to date.
pub async fn restore(url: &str, input: impl BufRead + Send) -> Result<(SqlStore, Summary)> {
    let mut lines = input.lines().enumerate();
    let mut hash = Sha256::new();
    let (n, first) = lines
        .next()
        .ok_or_else(|| StoreError::Corrupt("the backup is empty".into()))?;
    let first = first.map_err(|e| bad(n, e.to_string()))?;
    let header: Header =
        serde_json::from_str(&first).map_err(|e| bad(n, format!("not a {FORMAT} header ({e})")))?;
    if header.format != FORMAT {
        return Err(bad(
            n,
            format!("format is {}, expected {FORMAT}", header.format),
        ));
    }
    for th in &header.tables {
        spec(&th.name)?;
    }
    hash.update(first.as_bytes());
    hash.update(b"\n");
    let (store, mut sink) = DbSink::open(url, header.schema_version).await?;
    let mut current = 0usize;
    let mut in_table = 0u64;
    let mut batch: Vec<Vec<Value>> = Vec::new();
    let mut total = 0u64;
    let mut end = None;
    for (n, line) in lines.by_ref() {
        let line = line.map_err(|e| bad(n, e.to_string()))?;
        if line.starts_with("{\"end\"") {
            let e: EndLine = serde_json::from_str(&line).map_err(|e| bad(n, e.to_string()))?;
            end = Some((n, e.end));
            break;
        }
        hash.update(line.as_bytes());
        hash.update(b"\n");
        let (name, row): (String, Vec<Value>) =
            serde_json::from_str(&line).map_err(|e| bad(n, format!("not a row ({e})")))?;
        while header.tables.get(current).is_some_and(|t| t.name != name) {
            close_table(
                &header,
                &mut current,
                &mut in_table,
                &mut batch,
                &mut sink,
                n,
            )
            .await?;
        }
        let Some(th) = header.tables.get(current) else {
            return Err(bad(n, format!("a row of {name} out of order")));
        };
        batch.push(row);
        in_table += 1;
        total += 1;
        if batch.len() == BATCH {
            sink.rows(th, std::mem::take(&mut batch)).await?;
        }
    }
    let Some((n, end)) = end else {
        return Err(StoreError::Corrupt(
            "the backup is truncated: it has no end line; nothing was restored".into(),
        ));
    };
    if lines.next().is_some() {
        return Err(bad(n + 1, "text after the end line".into()));
    }
    while current < header.tables.len() {
        close_table(
            &header,
            &mut current,
            &mut in_table,
            &mut batch,
            &mut sink,
            n,
        )
        .await?;
    }
    if end.rows != total || end.sha256 != hex(&hash.finalize()) {
        return Err(bad(
            n,
            "the checksum does not match: the backup was changed or damaged".into(),
        ));
    }
    sink.finish().await?;
    migrate::run(store.pool(), store.backend()).await?;
    Ok((store, Summary::of(&header)))
}

/// Copies every carried table from `from` into the empty database at `to`, in one snapshot
/// and one transaction.
pub async fn copy(from: &SqlStore, to: &str) -> Result<(SqlStore, Summary)> {
    let version = migrate::latest(from.backend());
    let (store, mut sink) = DbSink::open(to, version).await?;
    let header = read_db(from, &mut sink).await?;
    sink.finish().await?;
    migrate::run(store.pool(), store.backend()).await?;
    Ok((store, Summary::of(&header)))
}
