//! Who is calling: authentication is an extractor, authorisation a type. Handlers name the
//! guard they need ([`SignedIn`], [`Hq`], [`Admin`]) or take a [`Caller`] that may be signed
//! out and read with its [`Caller::viewer`].

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{header, Method};
use domain::access::Role;
use domain::ids::NationCode;
use store::{Actor, User, Viewer};

use crate::auth;
use crate::error::ApiError;
use crate::AppState;

pub const SESSION_COOKIE: &str = "coalition_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
pub const REQUEST_ID_HEADER: &str = "x-request-id";

/// How the caller proved who they are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credential {
    None,
    /// A browser session: the cookie's secret (for sign-out) and its CSRF token.
    Session {
        secret: String,
        csrf: String,
    },
    Token,
}

/// The caller, signed in or not.
#[derive(Debug, Clone)]
pub struct Caller {
    pub user: Option<User>,
    pub credential: Credential,
    /// The request's id, recorded with any change it makes.
    pub request_id: Option<String>,
}

impl Caller {
    /// What this caller may read.
    pub fn viewer(&self) -> Viewer {
        match &self.user {
            None => Viewer::Public,
            Some(u) => Viewer::of(u.role, u.nation.as_ref()),
        }
    }

    pub fn actor(&self) -> Actor {
        Actor {
            name: self
                .user
                .as_ref()
                .map_or_else(|| "anonymous".to_owned(), |u| u.username.to_string()),
            source_ref: self.request_id.clone(),
        }
    }

    pub fn signed_in(&self) -> Result<&User, ApiError> {
        self.user.as_ref().ok_or(ApiError::Unauthenticated)
    }

    /// May this caller acknowledge alerts? Anyone signed in but observers.
    pub fn may_acknowledge_alerts(&self) -> Result<&User, ApiError> {
        let user = self.signed_in()?;
        if user.role == Role::Observer {
            return Err(ApiError::Forbidden(
                "observers may not acknowledge alerts".into(),
            ));
        }
        Ok(user)
    }

    /// May this caller change the offers of `nation`? Coalition HQ may change any; a nation
    /// officer only their own nation's.
    pub fn may_manage_offers_of(&self, nation: &NationCode) -> Result<&User, ApiError> {
        let user = self.signed_in()?;
        match user.role {
            Role::Admin | Role::Planner => Ok(user),
            Role::NationOfficer if user.nation.as_ref() == Some(nation) => Ok(user),
            Role::NationOfficer => Err(ApiError::Forbidden(format!(
                "a nation officer may change only their own nation's offers, not {nation}'s"
            ))),
            _ => Err(ApiError::Forbidden(format!(
                "the {} role cannot change offers",
                user.role.as_str()
            ))),
        }
    }
}

fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Where a state-changing request from a browser session carries its CSRF token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CsrfCheck {
    /// In the `X-CSRF-Token` header (the JSON API): checked here.
    Header,
    /// In the form body's `_csrf` field (web UI forms): the form extractor checks it after
    /// reading the body, and rejects the request when it is wrong.
    InForm,
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        identify(parts, state, CsrfCheck::Header).await
    }
}

/// Who is calling, from the bearer token or the session cookie.
pub async fn identify(
    parts: &mut Parts,
    state: &AppState,
    csrf_check: CsrfCheck,
) -> Result<Caller, ApiError> {
    if let Some(cached) = parts.extensions.get::<Caller>() {
        return Ok(cached.clone());
    }
    let request_id = parts
        .headers
        .get(REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bearer = parts
        .headers
        .get(header::AUTHORIZATION)
        .map(|v| v.to_str().unwrap_or_default().to_owned());
    let caller = if let Some(value) = bearer {
        // A token that does not work is an error, never a silent downgrade to signed out.
        let secret = value
            .strip_prefix("Bearer ")
            .ok_or(ApiError::Unauthenticated)?;
        let user = state
            .store
            .user_by_token(&auth::digest(secret.trim()))
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        Caller {
            user: Some(user),
            credential: Credential::Token,
            request_id,
        }
    } else if let Some(secret) = cookie(parts, SESSION_COOKIE) {
        match state
            .store
            .session(&auth::digest(secret), jiff::Timestamp::now())
            .await?
        {
            Some(session) => {
                if csrf_check == CsrfCheck::Header && !is_safe(&parts.method) {
                    let sent = parts
                        .headers
                        .get(CSRF_HEADER)
                        .and_then(|v| v.to_str().ok())
                        .unwrap_or_default();
                    if !auth::same(sent, &session.csrf) {
                        return Err(ApiError::Csrf);
                    }
                }
                Caller {
                    user: Some(session.user),
                    credential: Credential::Session {
                        secret: secret.to_owned(),
                        csrf: session.csrf,
                    },
                    request_id,
                }
            }
            // An expired or unknown session reads as signed out.
            None => Caller {
                user: None,
                credential: Credential::None,
                request_id,
            },
        }
    } else {
        Caller {
            user: None,
            credential: Credential::None,
            request_id,
        }
    };
    parts.extensions.insert(caller.clone());
    Ok(caller)
}

/// Any signed-in user.
#[derive(Debug, Clone)]
pub struct SignedIn(pub Caller);

/// Coalition HQ: planners and administrators.
#[derive(Debug, Clone)]
pub struct Hq(pub Caller);

/// Administrators.
#[derive(Debug, Clone)]
pub struct Admin(pub Caller);

/// Those who report and correlate observations: monitors, planners and administrators.
#[derive(Debug, Clone)]
pub struct MonitorRole(pub Caller);

impl FromRequestParts<AppState> for MonitorRole {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        guard(
            caller,
            &[Role::Admin, Role::Planner, Role::Monitor],
            "only monitors and coalition HQ may record observations",
        )
        .map(Self)
    }
}

fn guard(caller: Caller, allowed: &[Role], what: &str) -> Result<Caller, ApiError> {
    let role = caller.signed_in()?.role;
    if allowed.contains(&role) {
        Ok(caller)
    } else {
        Err(ApiError::Forbidden(format!(
            "{what}; the {} role may not",
            role.as_str()
        )))
    }
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        caller.signed_in()?;
        Ok(Self(caller))
    }
}

impl FromRequestParts<AppState> for Hq {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        guard(
            caller,
            &[Role::Admin, Role::Planner],
            "only coalition HQ (planners, administrators) may do this",
        )
        .map(Self)
    }
}

impl FromRequestParts<AppState> for Admin {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = Caller::from_request_parts(parts, state).await?;
        guard(caller, &[Role::Admin], "only administrators may do this").map(Self)
    }
}
