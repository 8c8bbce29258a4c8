//! Reference data and the ledger's read side: nations, capabilities, sources, requirements and
//! commitments. Answers hold only what the caller may see.

use axum::extract::State;
use domain::commitment::CommitmentKind;
use domain::ids::{Line, NationCode};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{parse, Page, PageQuery};
use crate::caller::{Caller, SignedIn};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::AppState;

/// The nations of the scenario (public reference data).
#[utoipa::path(get, path = "/nations", tag = "ledger", params(PageQuery),
    responses((status = 200, body = Page)))]
pub async fn nations(
    State(state): State<AppState>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page>> {
    Ok(Json(page.apply(state.store.nations().await?)?))
}

/// One nation, with the offers and commitments the caller may see.
#[utoipa::path(get, path = "/nations/{code}", tag = "ledger",
    params(("code" = String, Path, description = "ISO 3166-1 alpha-3")),
    responses((status = 200, body = Object), (status = 404, body = crate::ErrorBody)))]
pub async fn nation(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> ApiResult<Json<serde_json::Value>> {
    let code = parse("nation", &code, NationCode::parse)?;
    let nation = find_nation(&state, &code).await?;
    let viewer = caller.viewer();
    let offers = state
        .store
        .offers(
            &viewer,
            &store::OfferFilter {
                nation: Some(code.clone()),
                ..Default::default()
            },
        )
        .await?;
    let commitments = state
        .store
        .commitments(
            &viewer,
            &store::CommitmentFilter {
                nation: Some(code),
                ..Default::default()
            },
        )
        .await?;
    Ok(Json(
        serde_json::json!({"nation": nation, "offers": offers, "commitments": commitments}),
    ))
}

/// The capability catalogue (public reference data).
#[utoipa::path(get, path = "/capabilities", tag = "ledger", params(PageQuery),
    responses((status = 200, body = Page)))]
pub async fn capabilities(
    State(state): State<AppState>,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page>> {
    Ok(Json(page.apply(state.store.capabilities().await?)?))
}

/// Sources the caller may see.
#[utoipa::path(get, path = "/sources", tag = "ledger", params(PageQuery),
    responses((status = 200, body = Page)))]
pub async fn sources(
    State(state): State<AppState>,
    caller: Caller,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page>> {
    Ok(Json(
        page.apply(state.store.sources(&caller.viewer()).await?)?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RequirementQuery {
    /// Mission line, e.g. `land`.
    pub line: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// The statement of requirements (signed-in users).
#[utoipa::path(get, path = "/requirements", tag = "ledger", params(RequirementQuery),
    responses((status = 200, body = Page), (status = 401, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn requirements(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(q): Query<RequirementQuery>,
) -> ApiResult<Json<Page>> {
    let line = q
        .line
        .as_deref()
        .map(|l| parse("line", l, Line::parse))
        .transpose()?;
    let all = state
        .store
        .requirements(&caller.viewer(), line.as_ref())
        .await?;
    Ok(Json(
        PageQuery {
            page: q.page,
            per_page: q.per_page,
        }
        .apply(all)?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommitmentQuery {
    pub nation: Option<String>,
    /// aid, finance, sanction, guarantee, statement or meeting.
    pub kind: Option<String>,
    /// Dated on or after (YYYY-MM-DD).
    pub from: Option<String>,
    /// Dated on or before (YYYY-MM-DD).
    pub to: Option<String>,
    /// Answer as of this date (YYYY-MM-DD): entries that existed then, each with the status
    /// and stages it had on that date.
    pub as_of: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

fn date(what: &str, s: &str) -> Result<jiff::civil::Date, ApiError> {
    s.parse()
        .map_err(|_| ApiError::BadRequest(format!("{what}: \"{s}\" is not a date (YYYY-MM-DD)")))
}

/// Commitments (aid, finance, sanctions, statements, meetings) the caller may see.
#[utoipa::path(get, path = "/commitments", tag = "ledger", params(CommitmentQuery),
    responses((status = 200, body = Page), (status = 400, body = crate::ErrorBody)))]
pub async fn commitments(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<CommitmentQuery>,
) -> ApiResult<Json<Page>> {
    let filter = store::CommitmentFilter {
        nation: q
            .nation
            .as_deref()
            .map(|n| parse("nation", n, NationCode::parse))
            .transpose()?,
        kind: q
            .kind
            .as_deref()
            .map(|k| {
                parse("kind", k, |k| {
                    domain::read::one_of(CommitmentKind::ALL)(&serde_json::Value::from(k))
                })
            })
            .transpose()?,
        from: q.from.as_deref().map(|d| date("from", d)).transpose()?,
        to: q.to.as_deref().map(|d| date("to", d)).transpose()?,
    };
    let mut all = state.store.commitments(&caller.viewer(), &filter).await?;
    if let Some(day) = q.as_of.as_deref() {
        let day = super::aid::as_of(Some(day))?;
        all = all
            .into_iter()
            .filter_map(|mut c| {
                let stage = c.stage_as_of(day)?;
                c.status = stage.status;
                c.stages.retain(|s| s.date <= day);
                Some(c)
            })
            .collect();
    }
    Ok(Json(
        PageQuery {
            page: q.page,
            per_page: q.per_page,
        }
        .apply(all)?,
    ))
}

/// The nation with this code, or `404 not_found`.
pub(crate) async fn find_nation(
    state: &AppState,
    code: &NationCode,
) -> Result<domain::nation::Nation, ApiError> {
    state
        .store
        .nations()
        .await?
        .into_iter()
        .find(|n| &n.code == code)
        .ok_or_else(|| ApiError::NotFound(format!("nation \"{code}\" not found")))
}
