//! Users, their API tokens and browser sessions, and the planner's job records.

use domain::access::{Releasability, Role, Username};
use domain::ids::NationCode;
use serde_json::json;
use sqlx::any::AnyRow;
use sqlx::{AnyPool, Row};

use crate::audit::{self, Change};
use crate::sql::{from_micros, write_tx};
use crate::{Actor, ApiToken, Backend, Job, NewPlan, NewUser, Result, Session, StoreError, User};

const USER_COLUMNS: &str = "u.id, u.username, u.role, u.nation, u.disabled, u.created_at";

fn user(row: &AnyRow) -> Result<User> {
    let corrupt = StoreError::Corrupt;
    Ok(User {
        id: row.try_get("id")?,
        username: Username::parse(&row.try_get::<String, _>("username")?).map_err(corrupt)?,
        role: Role::parse(&row.try_get::<String, _>("role")?).map_err(corrupt)?,
        nation: row
            .try_get::<Option<String>, _>("nation")?
            .map(|n| NationCode::parse(&n))
            .transpose()
            .map_err(corrupt)?,
        disabled: row.try_get::<i64, _>("disabled")? != 0,
        created_at: from_micros(row.try_get("created_at")?)?,
    })
}

/// The audit view of a user: never the password hash.
fn user_json(u: &User) -> serde_json::Value {
    json!({"username": u.username.as_str(), "role": u.role.as_str(),
        "nation": u.nation.as_ref().map(ToString::to_string), "disabled": u.disabled})
}

pub(crate) async fn add_user(
    pool: &AnyPool,
    backend: Backend,
    new: &NewUser,
    actor: &Actor,
) -> Result<User> {
    if new.role == Role::NationOfficer && new.nation.is_none() {
        return Err(StoreError::InvalidChange(
            "a nation officer must be bound to a nation".into(),
        ));
    }
    let mut tx = write_tx(pool, backend).await?;
    let taken: Option<i64> = sqlx::query_scalar("SELECT id FROM users WHERE username = $1")
        .bind(new.username.as_str())
        .fetch_optional(&mut *tx)
        .await?;
    if taken.is_some() {
        return Err(StoreError::Exists {
            kind: "user",
            id: new.username.to_string(),
        });
    }
    if let Some(n) = &new.nation {
        let known: Option<String> = sqlx::query_scalar("SELECT code FROM nations WHERE code = $1")
            .bind(n.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if known.is_none() {
            return Err(StoreError::InvalidChange(format!(
                "unknown nation \"{n}\" (import the scenario first)"
            )));
        }
    }
    let now = jiff::Timestamp::now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO users (username, role, nation, password_hash, disabled, created_at)
         VALUES ($1, $2, $3, $4, 0, $5) RETURNING id",
    )
    .bind(new.username.as_str())
    .bind(new.role.as_str())
    .bind(new.nation.as_ref().map(ToString::to_string))
    .bind(&new.password_hash)
    .bind(now.as_microsecond())
    .fetch_one(&mut *tx)
    .await?;
    let created = User {
        id,
        username: new.username.clone(),
        role: new.role,
        nation: new.nation.clone(),
        disabled: false,
        created_at: from_micros(now.as_microsecond())?,
    };
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "user.add",
            entity_kind: "user",
            entity_id: created.username.as_str(),
            nation: created.nation.as_ref(),
            releasability: Releasability::Nation,
            before: None,
            after: Some(user_json(&created)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(created)
}

pub(crate) async fn users(pool: &AnyPool) -> Result<Vec<User>> {
    let rows = sqlx::query(&format!("SELECT {USER_COLUMNS} FROM users u ORDER BY u.id"))
        .fetch_all(pool)
        .await?;
    rows.iter().map(user).collect()
}

pub(crate) async fn user_for_sign_in(
    pool: &AnyPool,
    name: &Username,
) -> Result<Option<(User, String)>> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS}, u.password_hash FROM users u WHERE u.username = $1"
    ))
    .bind(name.as_str())
    .fetch_optional(pool)
    .await?;
    row.map(|r| Ok((user(&r)?, r.try_get("password_hash")?)))
        .transpose()
}

pub(crate) async fn set_disabled(
    pool: &AnyPool,
    backend: Backend,
    name: &Username,
    disabled: bool,
    actor: &Actor,
) -> Result<User> {
    let mut tx = write_tx(pool, backend).await?;
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM users u WHERE u.username = $1"
    ))
    .bind(name.as_str())
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| StoreError::NotFound {
        kind: "user",
        id: name.to_string(),
    })?;
    let before = user(&row)?;
    sqlx::query("UPDATE users SET disabled = $1 WHERE id = $2")
        .bind(i64::from(disabled))
        .bind(before.id)
        .execute(&mut *tx)
        .await?;
    if disabled {
        sqlx::query("DELETE FROM sessions WHERE user_id = $1")
            .bind(before.id)
            .execute(&mut *tx)
            .await?;
    }
    let after = User {
        disabled,
        ..before.clone()
    };
    audit::record(
        &mut tx,
        actor,
        Change {
            action: if disabled {
                "user.disable"
            } else {
                "user.enable"
            },
            entity_kind: "user",
            entity_id: name.as_str(),
            nation: before.nation.as_ref(),
            releasability: Releasability::Nation,
            before: Some(user_json(&before)),
            after: Some(user_json(&after)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

const TOKEN_COLUMNS: &str = "t.id, u.username, u.nation, t.name, t.created_at, t.revoked_at";

fn token(row: &AnyRow) -> Result<ApiToken> {
    Ok(ApiToken {
        id: row.try_get("id")?,
        username: Username::parse(&row.try_get::<String, _>("username")?)
            .map_err(StoreError::Corrupt)?,
        name: row.try_get("name")?,
        created_at: from_micros(row.try_get("created_at")?)?,
        revoked: row.try_get::<Option<i64>, _>("revoked_at")?.is_some(),
    })
}

fn token_json(t: &ApiToken) -> serde_json::Value {
    json!({"id": t.id, "username": t.username.as_str(), "name": t.name, "revoked": t.revoked})
}

pub(crate) async fn add_token(
    pool: &AnyPool,
    backend: Backend,
    name: &Username,
    label: &str,
    token_hash: &str,
    actor: &Actor,
) -> Result<ApiToken> {
    let mut tx = write_tx(pool, backend).await?;
    let owner = sqlx::query("SELECT id, nation FROM users WHERE username = $1")
        .bind(name.as_str())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            kind: "user",
            id: name.to_string(),
        })?;
    let user_id: i64 = owner.try_get("id")?;
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4)
         RETURNING id",
    )
    .bind(user_id)
    .bind(label)
    .bind(token_hash)
    .bind(jiff::Timestamp::now().as_microsecond())
    .fetch_one(&mut *tx)
    .await?;
    let row = sqlx::query(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1"
    ))
    .bind(id)
    .fetch_one(&mut *tx)
    .await?;
    let t = token(&row)?;
    let nation = row
        .try_get::<Option<String>, _>("nation")?
        .and_then(|n| NationCode::parse(&n).ok());
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "token.add",
            entity_kind: "api_token",
            entity_id: &t.id.to_string(),
            nation: nation.as_ref(),
            releasability: Releasability::Nation,
            before: None,
            after: Some(token_json(&t)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(t)
}

pub(crate) async fn tokens(pool: &AnyPool, name: Option<&Username>) -> Result<Vec<ApiToken>> {
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE ($1 = '' OR u.username = $1) ORDER BY t.id"
    );
    let rows = sqlx::query(&sql)
        .bind(name.map(|n| n.as_str()).unwrap_or_default())
        .fetch_all(pool)
        .await?;
    rows.iter().map(token).collect()
}

pub(crate) async fn revoke_token(
    pool: &AnyPool,
    backend: Backend,
    id: i64,
    actor: &Actor,
) -> Result<ApiToken> {
    let mut tx = write_tx(pool, backend).await?;
    let sql = format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.id = $1"
    );
    let row = sqlx::query(&sql)
        .bind(id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| StoreError::NotFound {
            kind: "api token",
            id: id.to_string(),
        })?;
    let before = token(&row)?;
    let nation = row
        .try_get::<Option<String>, _>("nation")?
        .and_then(|n| NationCode::parse(&n).ok());
    sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL")
        .bind(jiff::Timestamp::now().as_microsecond())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let after = ApiToken {
        revoked: true,
        ..before.clone()
    };
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "token.revoke",
            entity_kind: "api_token",
            entity_id: &id.to_string(),
            nation: nation.as_ref(),
            releasability: Releasability::Nation,
            before: Some(token_json(&before)),
            after: Some(token_json(&after)),
        },
    )
    .await?;
    tx.commit().await?;
    Ok(after)
}

pub(crate) async fn user_by_token(pool: &AnyPool, token_hash: &str) -> Result<Option<User>> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS} FROM api_tokens t JOIN users u ON u.id = t.user_id
         WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled = 0"
    ))
    .bind(token_hash)
    .fetch_optional(pool)
    .await?;
    row.as_ref().map(user).transpose()
}

pub(crate) async fn add_session(
    pool: &AnyPool,
    token_hash: &str,
    user_id: i64,
    csrf: &str,
    expires_at: jiff::Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at)
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(token_hash)
    .bind(user_id)
    .bind(csrf)
    .bind(jiff::Timestamp::now().as_microsecond())
    .bind(expires_at.as_microsecond())
    .execute(pool)
    .await?;
    Ok(())
}

pub(crate) async fn session(
    pool: &AnyPool,
    token_hash: &str,
    now: jiff::Timestamp,
) -> Result<Option<Session>> {
    let row = sqlx::query(&format!(
        "SELECT {USER_COLUMNS}, s.csrf FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled = 0"
    ))
    .bind(token_hash)
    .bind(now.as_microsecond())
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(Session {
            user: user(&r)?,
            csrf: r.try_get("csrf")?,
        })
    })
    .transpose()
}

pub(crate) async fn delete_session(pool: &AnyPool, token_hash: &str) -> Result<()> {
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(token_hash)
        .execute(pool)
        .await?;
    Ok(())
}

const JOB_COLUMNS: &str =
    "id, state, options, requested_by, created_at, updated_at, progress, plan_id, error";

fn job(row: &AnyRow) -> Result<Job> {
    Ok(Job {
        id: row.try_get("id")?,
        state: row.try_get("state")?,
        options: row.try_get("options")?,
        requested_by: row.try_get("requested_by")?,
        created_at: from_micros(row.try_get("created_at")?)?,
        updated_at: from_micros(row.try_get("updated_at")?)?,
        progress: row.try_get("progress")?,
        plan_id: row.try_get("plan_id")?,
        error: row.try_get("error")?,
    })
}

pub(crate) async fn create_job(
    pool: &AnyPool,
    backend: Backend,
    options: &str,
    actor: &Actor,
) -> Result<Job> {
    let mut tx = write_tx(pool, backend).await?;
    let now = jiff::Timestamp::now().as_microsecond();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO plan_jobs (state, options, requested_by, created_at, updated_at)
         VALUES ('queued', $1, $2, $3, $3) RETURNING id",
    )
    .bind(options)
    .bind(&actor.name)
    .bind(now)
    .fetch_one(&mut *tx)
    .await?;
    let options_value: serde_json::Value =
        serde_json::from_str(options).unwrap_or(serde_json::Value::Null);
    audit::record(
        &mut tx,
        actor,
        Change {
            action: "plan_job.create",
            entity_kind: "plan_job",
            entity_id: &id.to_string(),
            nation: None,
            releasability: Releasability::Coalition,
            before: None,
            after: Some(json!({"options": options_value})),
        },
    )
    .await?;
    tx.commit().await?;
    job_by_id(pool, id).await
}

pub(crate) async fn job_by_id(pool: &AnyPool, id: i64) -> Result<Job> {
    let row = sqlx::query(&format!(
        "SELECT {JOB_COLUMNS} FROM plan_jobs WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?
    .ok_or_else(|| StoreError::NotFound {
        kind: "plan job",
        id: id.to_string(),
    })?;
    job(&row)
}

pub(crate) async fn jobs(pool: &AnyPool) -> Result<Vec<Job>> {
    let rows = sqlx::query(&format!(
        "SELECT {JOB_COLUMNS} FROM plan_jobs ORDER BY id DESC"
    ))
    .fetch_all(pool)
    .await?;
    rows.iter().map(job).collect()
}

pub(crate) async fn job_progress(pool: &AnyPool, id: i64, progress: &str) -> Result<()> {
    sqlx::query(
        "UPDATE plan_jobs SET state = 'running', progress = $1, updated_at = $2
         WHERE id = $3 AND state IN ('queued', 'running')",
    )
    .bind(progress)
    .bind(jiff::Timestamp::now().as_microsecond())
    .bind(id)
    .execute(pool)
    .await?;
    Ok(())
}

pub(crate) async fn finish_job(
    pool: &AnyPool,
    backend: Backend,
    id: i64,
    plan: &NewPlan,
    actor: &Actor,
) -> Result<i64> {
    let mut tx = write_tx(pool, backend).await?;
    let now = jiff::Timestamp::now();
    let plan_id = crate::sql::insert_plan(&mut tx, plan, now, actor).await?;
    sqlx::query("UPDATE plan_jobs SET state = 'done', plan_id = $1, updated_at = $2 WHERE id = $3")
        .bind(plan_id)
        .bind(now.as_microsecond())
        .bind(id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(plan_id)
}

pub(crate) async fn fail_job(pool: &AnyPool, id: i64, error: &str) -> Result<()> {
    sqlx::query("UPDATE plan_jobs SET state = 'failed', error = $1, updated_at = $2 WHERE id = $3")
        .bind(error)
        .bind(jiff::Timestamp::now().as_microsecond())
        .bind(id)
        .execute(pool)
        .await?;
    Ok(())
}

pub(crate) async fn fail_interrupted(pool: &AnyPool) -> Result<u64> {
    let done = sqlx::query(
        "UPDATE plan_jobs SET state = 'failed', error = 'interrupted: the server stopped before the run finished', updated_at = $1
         WHERE state IN ('queued', 'running')",
    )
    .bind(jiff::Timestamp::now().as_microsecond())
    .execute(pool)
    .await?;
    Ok(done.rows_affected())
}
