//! Signing in and out of browser sessions.

use std::net::SocketAddr;
use std::time::Instant;

use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use domain::access::Username;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::caller::{Credential, SignedIn, SESSION_COOKIE};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::{auth, AppState};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignIn {
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for SignIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignIn")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The signed-in user and, for a browser session, the CSRF token to send back in the
/// `X-CSRF-Token` header with every state-changing request.
#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    #[schema(value_type = Object)]
    pub user: store::User,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub csrf_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
}

fn session_cookie(state: &AppState, value: &str, max_age: u64) -> Result<HeaderValue, ApiError> {
    let secure = if state.settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    HeaderValue::from_str(&format!(
        "{SESSION_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/; Max-Age={max_age}{secure}"
    ))
    .map_err(ApiError::internal)
}

/// Signs in with a user name and password; sets the session cookie (HttpOnly, SameSite=Strict).
/// A wrong name and a wrong password take the same time and give the same answer. Attempts are
/// limited per account and per address.
#[utoipa::path(post, path = "/session", tag = "session", request_body = SignIn,
    responses((status = 200, body = Me), (status = 401, body = crate::ErrorBody),
        (status = 429, body = crate::ErrorBody)))]
pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    Json(body): Json<SignIn>,
) -> ApiResult<Response> {
    let started = start_session(&state, addr, &body.username, body.password).await?;
    let mut headers = HeaderMap::new();
    headers.insert(header::SET_COOKIE, started.cookie);
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    let me = Me {
        user: started.user,
        csrf_token: Some(started.csrf),
        expires_at: Some(started.expires.to_string()),
    };
    Ok((headers, axum::Json(me)).into_response())
}

/// A session just begun: its user, CSRF token, expiry and the cookie that carries it.
pub(crate) struct Started {
    pub user: store::User,
    pub csrf: String,
    pub expires: jiff::Timestamp,
    pub cookie: HeaderValue,
}

/// Checks a user name and password and opens a session. A wrong name and a wrong password
/// take the same time and give the same answer; attempts are limited per account and per
/// address.
pub(crate) async fn start_session(
    state: &AppState,
    addr: SocketAddr,
    username: &str,
    password: String,
) -> ApiResult<Started> {
    let now = Instant::now();
    let s = &state.settings;
    state
        .limiter
        .attempt(
            &format!("addr:{}", addr.ip()),
            s.sign_in_attempts_per_address,
            now,
        )
        .map_err(ApiError::TooManyAttempts)?;
    let account_key = format!("user:{}", username.to_lowercase());
    state
        .limiter
        .attempt(&account_key, s.sign_in_attempts_per_account, now)
        .map_err(ApiError::TooManyAttempts)?;
    let found = match Username::parse(username) {
        Ok(name) => state.store.user_for_sign_in(&name).await?,
        Err(_) => None,
    };
    let hash = match &found {
        Some((user, hash)) if !user.disabled => hash.clone(),
        _ => state.dummy_hash.as_ref().clone(),
    };
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&hash, &password))
        .await
        .map_err(ApiError::internal)?;
    let user = match found {
        Some((user, _)) if ok && !user.disabled => user,
        _ => return Err(ApiError::BadCredentials),
    };
    state.limiter.clear(&account_key);
    let secret = auth::new_secret("cs_");
    let csrf = auth::new_secret("");
    let lifetime = s.session_lifetime;
    let expires = jiff::Timestamp::now()
        .checked_add(jiff::SignedDuration::from_secs(
            i64::try_from(lifetime.as_secs()).unwrap_or(i64::MAX / 2),
        ))
        .map_err(ApiError::internal)?;
    state
        .store
        .add_session(&auth::digest(&secret), user.id, &csrf, expires)
        .await?;
    Ok(Started {
        user,
        csrf,
        expires,
        cookie: session_cookie(state, &secret, lifetime.as_secs())?,
    })
}

/// Ends a browser session; returns the header that clears its cookie.
pub(crate) async fn end_session(state: &AppState, secret: &str) -> ApiResult<HeaderValue> {
    state.store.delete_session(&auth::digest(secret)).await?;
    session_cookie(state, "", 0)
}

/// Ends the browser session (the cookie is cleared). With an API token, does nothing.
#[utoipa::path(delete, path = "/session", tag = "session",
    responses((status = 204), (status = 401, body = crate::ErrorBody),
        (status = 403, body = crate::ErrorBody)),
    security(("session" = [])))]
pub async fn sign_out(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
) -> ApiResult<Response> {
    let mut headers = HeaderMap::new();
    if let Credential::Session { secret, .. } = &caller.credential {
        headers.insert(header::SET_COOKIE, end_session(&state, secret).await?);
    }
    Ok((StatusCode::NO_CONTENT, headers).into_response())
}

/// Who is signed in.
#[utoipa::path(get, path = "/me", tag = "session",
    responses((status = 200, body = Me), (status = 401, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn me(SignedIn(caller): SignedIn) -> ApiResult<Json<Me>> {
    let csrf_token = match &caller.credential {
        Credential::Session { csrf, .. } => Some(csrf.clone()),
        _ => None,
    };
    let user = caller.signed_in()?.clone();
    Ok(Json(Me {
        user,
        csrf_token,
        expires_at: None,
    }))
}
