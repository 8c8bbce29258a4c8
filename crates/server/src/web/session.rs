//! Signing in and out from the browser.

use std::net::SocketAddr;

use askama::Template;
use axum::body::Bytes;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use super::{render, Chrome, WebForm, WebResult};
use crate::api::session::{end_session, start_session};
use crate::caller::{Caller, Credential};
use crate::error::ApiError;
use crate::AppState;

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    chrome: Chrome,
    username: String,
    error: Option<String>,
}

pub async fn form(caller: Caller) -> WebResult {
    if caller.user.is_some() {
        return Ok(Redirect::to("/").into_response());
    }
    render(&SignInPage {
        chrome: Chrome::new(&caller, "Sign in", "/sign-in"),
        username: String::new(),
        error: None,
    })
}

#[derive(Deserialize)]
struct Credentials {
    username: String,
    password: String,
}

pub async fn sign_in(
    State(state): State<AppState>,
    ConnectInfo(addr): ConnectInfo<SocketAddr>,
    caller: Caller,
    body: Bytes,
) -> WebResult {
    let creds: Credentials = serde_urlencoded::from_bytes(&body)
        .map_err(|e| ApiError::BadRequest(format!("the form could not be read: {e}")))?;
    match start_session(&state, addr, &creds.username, creds.password).await {
        Ok(started) => {
            let mut headers = HeaderMap::new();
            headers.insert(header::SET_COOKIE, started.cookie);
            Ok((headers, Redirect::to("/")).into_response())
        }
        Err(e @ (ApiError::BadCredentials | ApiError::TooManyAttempts(_))) => {
            let status = e.status_and_code().0;
            let page = render(&SignInPage {
                chrome: Chrome::new(&caller, "Sign in", "/sign-in"),
                username: creds.username,
                error: Some(e.to_string()),
            })?;
            Ok((status, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct Nothing {}

pub async fn sign_out(State(state): State<AppState>, f: WebForm<Nothing>) -> WebResult {
    let mut headers = HeaderMap::new();
    if let Credential::Session { secret, .. } = &f.caller.credential {
        headers.insert(header::SET_COOKIE, end_session(&state, secret).await?);
    }
    headers.insert(header::LOCATION, HeaderValue::from_static("/"));
    Ok((StatusCode::SEE_OTHER, headers).into_response())
}
