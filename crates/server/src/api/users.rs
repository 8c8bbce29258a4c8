//! Users (administrators) and API tokens (each user their own; administrators all).

use axum::extract::State;
use axum::http::StatusCode;
use domain::access::{Role, Username};
use domain::ids::NationCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{parse, Page, PageQuery};
use crate::caller::{Admin, SignedIn};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::{auth, AppState};

/// Users.
#[utoipa::path(get, path = "/users", tag = "users", params(PageQuery),
    responses((status = 200, body = Page), (status = 403, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn list(
    State(state): State<AppState>,
    Admin(_admin): Admin,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page>> {
    Ok(Json(page.apply(state.store.users().await?)?))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    pub username: String,
    /// admin, planner, nation_officer, monitor or observer.
    pub role: String,
    /// Required for a nation officer.
    pub nation: Option<String>,
    /// At least 12 characters.
    pub password: String,
}

impl std::fmt::Debug for NewUserRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("NewUserRequest")
            .field("username", &self.username)
            .field("role", &self.role)
            .field("nation", &self.nation)
            .finish_non_exhaustive()
    }
}

/// Adds a user.
#[utoipa::path(post, path = "/users", tag = "users", request_body = NewUserRequest,
    responses((status = 201, body = Object), (status = 409, body = crate::ErrorBody),
        (status = 422, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn add(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Json(body): Json<NewUserRequest>,
) -> ApiResult<(StatusCode, Json<store::User>)> {
    let invalid = |m: String| ApiError::invalid("invalid_user", m);
    let username = Username::parse(&body.username).map_err(invalid)?;
    let role = Role::parse(&body.role).map_err(invalid)?;
    let nation = body
        .nation
        .as_deref()
        .map(NationCode::parse)
        .transpose()
        .map_err(invalid)?;
    let password = body.password;
    let password_hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(ApiError::internal)?
        .map_err(|e| match e {
            auth::AuthError::WeakPassword => ApiError::invalid("weak_password", e.to_string()),
            other => ApiError::internal(other),
        })?;
    let user = state
        .store
        .add_user(
            &store::NewUser {
                username,
                role,
                nation,
                password_hash,
            },
            &caller.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(user)))
}

async fn set_disabled(
    state: &AppState,
    caller: &crate::caller::Caller,
    username: &str,
    disabled: bool,
) -> ApiResult<Json<store::User>> {
    let name = parse("user name", username, Username::parse)?;
    if disabled && caller.user.as_ref().is_some_and(|u| u.username == name) {
        return Err(ApiError::Conflict(
            "an administrator cannot disable their own account".into(),
        ));
    }
    Ok(Json(
        state
            .store
            .set_user_disabled(&name, disabled, &caller.actor())
            .await?,
    ))
}

/// Disables a user: their sessions end and their tokens stop working.
#[utoipa::path(post, path = "/users/{username}/disable", tag = "users",
    params(("username" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn disable(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(username): Path<String>,
) -> ApiResult<Json<store::User>> {
    set_disabled(&state, &caller, &username, true).await
}

/// Enables a disabled user.
#[utoipa::path(post, path = "/users/{username}/enable", tag = "users",
    params(("username" = String, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn enable(
    State(state): State<AppState>,
    Admin(caller): Admin,
    Path(username): Path<String>,
) -> ApiResult<Json<store::User>> {
    set_disabled(&state, &caller, &username, false).await
}

/// API tokens: the caller's own, or every user's for an administrator.
#[utoipa::path(get, path = "/tokens", tag = "users", params(PageQuery),
    responses((status = 200, body = Page)),
    security(("session" = []), ("token" = [])))]
pub async fn tokens(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Page>> {
    let user = caller.signed_in()?;
    let whose = (user.role != Role::Admin).then_some(&user.username);
    Ok(Json(page.apply(state.store.tokens(whose).await?)?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    /// What the token is for, e.g. `ingest script`.
    pub name: String,
}

/// A new token: the secret is in this answer only; keep it.
#[derive(Debug, Serialize, ToSchema)]
pub struct NewToken {
    #[schema(value_type = Object)]
    pub token: store::ApiToken,
    /// Send as `Authorization: Bearer <secret>`.
    pub secret: String,
}

/// Makes an API token for the caller.
#[utoipa::path(post, path = "/tokens", tag = "users", request_body = NewTokenRequest,
    responses((status = 201, body = NewToken), (status = 422, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn add_token(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Json(body): Json<NewTokenRequest>,
) -> ApiResult<(StatusCode, Json<NewToken>)> {
    let name = body.name.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "invalid_token_name",
            "name: 1 to 100 characters, none of them control characters",
        ));
    }
    let user = caller.signed_in()?;
    let secret = auth::new_secret("coa_");
    let token = state
        .store
        .add_token(
            &user.username,
            name,
            &auth::digest(&secret),
            &caller.actor(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(NewToken { token, secret })))
}

/// Revokes a token: the caller's own, or any for an administrator.
#[utoipa::path(delete, path = "/tokens/{id}", tag = "users", params(("id" = i64, Path)),
    responses((status = 200, body = Object), (status = 404, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn revoke_token(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Json<store::ApiToken>> {
    let id = parse("token id", &id, |s| {
        s.parse::<i64>().map_err(|e| e.to_string())
    })?;
    let user = caller.signed_in()?;
    let whose = (user.role != Role::Admin).then_some(&user.username);
    // Another user's token is not found, not forbidden: its existence is not the caller's business.
    if !state.store.tokens(whose).await?.iter().any(|t| t.id == id) {
        return Err(ApiError::NotFound(format!("api token \"{id}\" not found")));
    }
    Ok(Json(state.store.revoke_token(id, &caller.actor()).await?))
}
