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
        if !is_utf8_form(&bytes) {
            return Err(ApiError::BadRequest("the form is not UTF-8".into()).into());
        }
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

/// Whether every name and value of a url-encoded body is UTF-8 once decoded. (The form
/// decoder replaces what is not with U+FFFD, which would store text nobody sent.)
fn is_utf8_form(body: &[u8]) -> bool {
    let mut decoded = Vec::with_capacity(body.len());
    for part in body.split(|&b| b == b'&' || b == b'=') {
        decoded.clear();
        let mut i = 0;
        while i < part.len() {
            let hex = |b: u8| (b as char).to_digit(16);
            match (
                part[i],
                part.get(i + 1).copied().and_then(hex),
                part.get(i + 2).copied().and_then(hex),
            ) {
                (b'%', Some(hi), Some(lo)) => {
                    decoded.push((hi * 16 + lo) as u8);
                    i += 3;
                }
                (b, _, _) => {
                    decoded.push(b);
                    i += 1;
                }
            }
        }
        if std::str::from_utf8(&decoded).is_err() {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::is_utf8_form;

    #[test]
    fn a_form_that_is_not_utf8_is_found() {
        assert!(is_utf8_form(b"a=caf%C3%A9&b=x+y&c=%&d=%G1"));
        assert!(!is_utf8_form(b"a=caf%E9"));
        assert!(!is_utf8_form(b"a=caf\xe9"));
        assert!(!is_utf8_form(b"%FF%FE=1"));
    }
}
