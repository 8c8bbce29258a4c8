//! Form posts from the web UI. The extractor identifies the caller without the API's CSRF
//! header check, reads the url-encoded body, and then checks the body's `_csrf` field against
//! the session: a form without the right token changes nothing.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::caller::{identify, Caller, Credential, CsrfCheck};
use crate::error::ApiError;
use crate::AppState;

/// A signed-in caller's form, with its CSRF token checked.
pub struct WebForm<T> {
    pub caller: Caller,
    pub form: T,
}

impl<T: DeserializeOwned> FromRequest<AppState> for WebForm<T> {
    type Rejection = super::WebError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, Self::Rejection> {
        let (mut parts, body) = req.into_parts();
        let caller = identify(&mut parts, state, CsrfCheck::InForm).await?;
        let Credential::Session { csrf, .. } = &caller.credential else {
            return Err(ApiError::Unauthenticated.into());
        };
        let req = Request::from_parts(parts, body);
        let bytes = Bytes::from_request(req, state).await.map_err(|r| {
            if r.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::TooLarge(0)
            } else {
                ApiError::BadRequest(r.body_text())
            }
        })?;
        let fields: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| ApiError::BadRequest(format!("the form could not be read: {e}")))?;
        let sent = fields
            .iter()
            .find(|(k, _)| k == "_csrf")
            .map(|(_, v)| v.as_str())
            .unwrap_or_default();
        if !crate::auth::same(sent, csrf) {
            return Err(ApiError::Csrf.into());
        }
        let form = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| ApiError::BadRequest(format!("the form could not be read: {e}")))?;
        Ok(Self { caller, form })
    }
}
