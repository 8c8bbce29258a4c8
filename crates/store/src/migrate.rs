//! Migrations: embedded SQL per backend, applied in order, each in its own transaction, and
//! never edited after they land (a changed checksum stops start-up).

use sha2::{Digest, Sha256};
use sqlx::AnyPool;

use crate::{Backend, StoreError};

struct Migration {
    version: i64,
    name: &'static str,
    sql: &'static str,
}

const SQLITE: &[Migration] = &[
    Migration {
        version: 1,
        name: "ledger",
        sql: include_str!("../migrations/sqlite/0001_ledger.sql"),
    },
    Migration {
        version: 2,
        name: "plans",
        sql: include_str!("../migrations/sqlite/0002_plans.sql"),
    },
    Migration {
        version: 3,
        name: "access_audit",
        sql: include_str!("../migrations/sqlite/0003_access_audit.sql"),
    },
    Migration {
        version: 4,
        name: "aid_ledger",
        sql: include_str!("../migrations/sqlite/0004_aid_ledger.sql"),
    },
    Migration {
        version: 5,
        name: "monitoring",
        sql: include_str!("../migrations/sqlite/0005_monitoring.sql"),
    },
];

const POSTGRES: &[Migration] = &[
    Migration {
        version: 1,
        name: "ledger",
        sql: include_str!("../migrations/postgres/0001_ledger.sql"),
    },
    Migration {
        version: 2,
        name: "plans",
        sql: include_str!("../migrations/postgres/0002_plans.sql"),
    },
    Migration {
        version: 3,
        name: "access_audit",
        sql: include_str!("../migrations/postgres/0003_access_audit.sql"),
    },
    Migration {
        version: 4,
        name: "aid_ledger",
        sql: include_str!("../migrations/postgres/0004_aid_ledger.sql"),
    },
    Migration {
        version: 5,
        name: "monitoring",
        sql: include_str!("../migrations/postgres/0005_monitoring.sql"),
    },
];

fn checksum(sql: &str) -> String {
    Sha256::digest(sql.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Splits a migration into statements (our migrations hold no `;` inside literals or bodies).
fn statements(sql: &str) -> impl Iterator<Item = String> + '_ {
    sql.split(';').filter_map(|s| {
        let body: String = s
            .lines()
            .filter(|l| !l.trim_start().starts_with("--"))
            .collect::<Vec<_>>()
            .join("\n");
        (!body.trim().is_empty()).then_some(body)
    })
}

/// Applies pending migrations; returns the names of those applied now.
pub(crate) async fn run(pool: &AnyPool, backend: Backend) -> Result<Vec<String>, StoreError> {
    run_to(pool, backend, i64::MAX).await
}

/// The newest schema version this build knows.
pub(crate) fn latest(backend: Backend) -> i64 {
    migrations(backend).last().map_or(0, |m| m.version)
}

/// The newest schema version applied to the database (0 for an empty one).
pub(crate) async fn applied(pool: &AnyPool) -> Result<i64, StoreError> {
    Ok(
        sqlx::query_scalar::<_, Option<i64>>("SELECT MAX(version) FROM schema_migrations")
            .fetch_one(pool)
            .await?
            .unwrap_or(0),
    )
}

fn migrations(backend: Backend) -> &'static [Migration] {
    match backend {
        Backend::Sqlite => SQLITE,
        Backend::Postgres => POSTGRES,
    }
}

/// Applies pending migrations up to and including `version` (a restore brings an older
/// backup's schema to where it was, loads it, then applies the rest).
pub(crate) async fn run_to(
    pool: &AnyPool,
    backend: Backend,
    version: i64,
) -> Result<Vec<String>, StoreError> {
    sqlx::query(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
            version BIGINT PRIMARY KEY, name TEXT NOT NULL, checksum TEXT NOT NULL)",
    )
    .execute(pool)
    .await?;
    let mut applied = Vec::new();
    for m in migrations(backend).iter().filter(|m| m.version <= version) {
        let mut tx = pool.begin().await?;
        let found: Option<String> =
            sqlx::query_scalar("SELECT checksum FROM schema_migrations WHERE version = $1")
                .bind(m.version)
                .fetch_optional(&mut *tx)
                .await?;
        let sum = checksum(m.sql);
        match found {
            Some(existing) if existing == sum => continue,
            Some(_) => return Err(StoreError::Migration {
                version: m.version,
                name: m.name.to_owned(),
                reason:
                    "differs from the one applied to this database; migrations must not be edited"
                        .into(),
            }),
            None => {}
        }
        for stmt in statements(m.sql) {
            sqlx::query(&stmt)
                .execute(&mut *tx)
                .await
                .map_err(|e| StoreError::Migration {
                    version: m.version,
                    name: m.name.to_owned(),
                    reason: format!("failed: {e}"),
                })?;
        }
        sqlx::query("INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)")
            .bind(m.version)
            .bind(m.name)
            .bind(sum)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        applied.push(format!("{:04}_{}", m.version, m.name));
    }
    Ok(applied)
}
