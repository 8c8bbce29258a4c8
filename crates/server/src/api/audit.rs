//! The audit log: read by administrators, planners, and nation officers (their own nation's
//! rows); its chain verified by administrators.

use axum::extract::State;
use domain::access::Role;
use serde::Deserialize;
use utoipa::IntoParams;

use super::Page;
use crate::caller::{Admin, SignedIn};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// e.g. `offer`, `user`, `scenario`, `plan`.
    pub entity_kind: Option<String>,
    pub entity_id: Option<String>,
    pub actor: Option<String>,
    /// e.g. `offer.status`.
    pub action: Option<String>,
    /// RFC 3339 time, inclusive.
    pub since: Option<String>,
    /// RFC 3339 time, inclusive.
    pub until: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

fn time(what: &str, s: &str) -> Result<jiff::Timestamp, ApiError> {
    s.parse()
        .map_err(|_| ApiError::BadRequest(format!("{what}: \"{s}\" is not an RFC 3339 time")))
}

/// A text filter: no stored value holds a control character (and PostgreSQL cannot compare
/// with a NUL at all), so one is a mistake.
fn text(what: &str, s: Option<String>) -> Result<Option<String>, ApiError> {
    match s {
        Some(s) if s.chars().any(char::is_control) => Err(ApiError::BadRequest(format!(
            "{what}: control characters are not allowed"
        ))),
        other => Ok(other),
    }
}

/// Audit rows, oldest first, each with who, when, what, before/after and its hash.
#[utoipa::path(get, path = "/audit", tag = "audit", params(AuditQuery),
    responses((status = 200, body = Page), (status = 403, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn log(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(q): Query<AuditQuery>,
) -> ApiResult<Json<Page>> {
    let role = caller.signed_in()?.role;
    if !matches!(role, Role::Admin | Role::Planner | Role::NationOfficer) {
        return Err(ApiError::Forbidden(format!(
            "the {} role may not read the audit log",
            role.as_str()
        )));
    }
    let filter = store::AuditFilter {
        entity_kind: text("entity_kind", q.entity_kind)?,
        entity_id: text("entity_id", q.entity_id)?,
        actor: text("actor", q.actor)?,
        action: text("action", q.action)?,
        since: q.since.as_deref().map(|s| time("since", s)).transpose()?,
        until: q.until.as_deref().map(|s| time("until", s)).transpose()?,
    };
    let (page, per_page, skip) = super::PageQuery {
        page: q.page,
        per_page: q.per_page,
    }
    .window()?;
    // The database sorts, skips and counts: only the page's rows are read.
    let found = state
        .store
        .audit_page(
            &caller.viewer(),
            &filter,
            store::AuditWindow {
                newest_first: false,
                offset: skip,
                limit: u64::from(per_page),
            },
        )
        .await?;
    Ok(Json(super::Page::of(
        found.rows,
        usize::try_from(found.total).unwrap_or(usize::MAX),
        page,
        per_page,
    )?))
}

/// Re-computes the audit chain and reports the first broken link, if any.
#[utoipa::path(get, path = "/audit/verify", tag = "audit",
    responses((status = 200, body = Object), (status = 403, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn verify(
    State(state): State<AppState>,
    Admin(_admin): Admin,
) -> ApiResult<Json<store::AuditReport>> {
    Ok(Json(state.store.verify_audit().await?))
}
