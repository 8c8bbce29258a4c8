//! The web UI: server-rendered pages (askama templates) with htmx for partial updates. Every
//! page reads through the store with the caller's releasability, exactly as the API does;
//! forms carry the session's CSRF token in a hidden `_csrf` field.

mod aid;
pub mod assets;
pub mod charts;
mod dashboard;
mod form;
mod ledger;
mod map;
mod monitoring;
mod offers;
mod plan;
mod records;
mod report;
mod session;

use askama::Template;
use axum::http::{header, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::Router;
use store::User;

use crate::caller::{Caller, Credential};
use crate::error::ApiError;
use crate::AppState;

pub use self::form::WebForm;

/// Every UI route: (method, path, who may open it). The UI access test walks this table.
pub const PAGES: &[(&str, &str, &str)] = &[
    ("GET", "/", "anyone"),
    ("GET", "/sign-in", "anyone"),
    ("GET", "/nations", "anyone"),
    ("GET", "/nations/{code}", "anyone"),
    ("GET", "/offers", "anyone"),
    ("GET", "/offers/new", "offer managers"),
    ("GET", "/offers/{id}", "anyone"),
    ("GET", "/requirements", "signed in"),
    ("GET", "/plan", "signed in"),
    ("GET", "/plans/{id}", "signed in"),
    ("GET", "/what-if", "coalition HQ"),
    ("GET", "/map", "anyone"),
    ("GET", "/timeline", "anyone"),
    ("GET", "/commitments/{id}", "anyone"),
    ("GET", "/burden", "signed in"),
    ("GET", "/open-data", "anyone"),
    ("GET", "/monitoring", "signed in"),
    ("GET", "/incidents/{id}", "signed in"),
    ("GET", "/audit", "audit readers"),
    ("GET", "/report", "signed in"),
];

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(dashboard::page))
        .route("/sign-in", get(session::form).post(session::sign_in))
        .route("/sign-out", post(session::sign_out))
        .route("/nations", get(ledger::nations))
        .route("/nations/{code}", get(ledger::nation))
        .route("/offers", get(offers::list).post(offers::create))
        .route("/offers/new", get(offers::new_form))
        .route("/offers/{id}", get(offers::show).post(offers::update))
        .route("/offers/{id}/status", post(offers::change_status))
        .route("/requirements", get(ledger::requirements))
        .route("/plan", get(plan::page).post(plan::run))
        .route("/plan/jobs/{id}", get(plan::job))
        .route("/plans/{id}", get(plan::show))
        .route("/what-if", get(plan::what_if).post(plan::run_what_if))
        .route("/map", get(map::page))
        .route("/map/data.json", get(map::data))
        .route("/timeline", get(records::timeline))
        .route("/commitments/{id}", get(aid::show))
        .route("/commitments/{id}/stages", post(aid::record_stage))
        .route("/burden", get(aid::burden))
        .route("/open-data", get(aid::open_data))
        .route(
            "/monitoring",
            get(monitoring::show).post(monitoring::upload),
        )
        .route("/incidents/{id}", get(monitoring::incident))
        .route("/incidents/{id}/decide", post(monitoring::decide))
        .route("/alerts/ack", post(monitoring::acknowledge))
        .route("/audit", get(records::audit))
        .route("/report", get(report::page))
        .route("/assets/{*path}", get(assets::serve))
}

/// What the page frame shows: title, navigation and who is signed in.
pub struct Chrome {
    pub title: String,
    pub active: &'static str,
    pub user: Option<User>,
    /// The session's CSRF token, for forms.
    pub csrf: String,
}

impl Chrome {
    pub fn new(caller: &Caller, title: impl Into<String>, active: &'static str) -> Self {
        let csrf = match &caller.credential {
            Credential::Session { csrf, .. } => csrf.clone(),
            _ => String::new(),
        };
        Self {
            title: title.into(),
            active,
            user: caller.user.clone(),
            csrf,
        }
    }

    pub fn signed_in(&self) -> bool {
        self.user.is_some()
    }

    pub fn is_hq(&self) -> bool {
        self.user.as_ref().is_some_and(|u| u.role.sees_everything())
    }

    pub fn may_read_audit(&self) -> bool {
        self.user.as_ref().is_some_and(|u| {
            u.role.sees_everything() || u.role == domain::access::Role::NationOfficer
        })
    }

    /// "planner", or "gbr.officer (GBR)".
    pub fn who(&self) -> String {
        match &self.user {
            None => String::new(),
            Some(u) => match &u.nation {
                Some(n) => format!("{} · {} {}", u.username, u.role.as_str(), n),
                None => format!("{} · {}", u.username, u.role.as_str()),
            },
        }
    }

    pub fn nav(&self) -> Vec<(&'static str, &'static str, bool)> {
        let mut items = vec![
            ("/", "Dashboard"),
            ("/nations", "Nations"),
            ("/offers", "Offers"),
        ];
        if self.signed_in() {
            items.push(("/requirements", "Requirements"));
            items.push(("/plan", "Plan"));
        }
        if self.is_hq() {
            items.push(("/what-if", "What-if"));
        }
        items.push(("/map", "Map"));
        items.push(("/timeline", "Timeline"));
        if self.signed_in() {
            items.push(("/burden", "Burden"));
            items.push(("/monitoring", "Monitoring"));
        }
        if self.may_read_audit() {
            items.push(("/audit", "Audit"));
        }
        if self.signed_in() {
            items.push(("/report", "Report"));
        }
        items
            .into_iter()
            .map(|(href, label)| (href, label, href == self.active))
            .collect()
    }
}

/// Renders a template as a page.
pub fn render(t: &impl Template) -> Result<Response, WebError> {
    let body = t.render().map_err(ApiError::internal)?;
    Ok(([(header::CACHE_CONTROL, "no-store")], Html(body)).into_response())
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    chrome: Chrome,
    status: u16,
    code: String,
    message: String,
}

/// An error on a page: signed-out callers are sent to sign in; others see an HTML page with
/// the same status and code the API would give.
#[derive(Debug)]
pub struct WebError(pub ApiError);

impl<E: Into<ApiError>> From<E> for WebError {
    fn from(e: E) -> Self {
        Self(e.into())
    }
}

pub type WebResult<T = Response> = Result<T, WebError>;

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let (status, code) = self.0.status_and_code();
        if matches!(self.0, ApiError::Unauthenticated) {
            return Redirect::to("/sign-in").into_response();
        }
        let message = match &self.0 {
            ApiError::Internal(cause) => {
                tracing::error!(cause = %cause, "internal error");
                "Something went wrong on the server; the cause is in its log.".to_owned()
            }
            other => other.to_string(),
        };
        let page = ErrorPage {
            chrome: Chrome {
                title: format!("{} {}", status.as_u16(), reason(status)),
                active: "",
                user: None,
                csrf: String::new(),
            },
            status: status.as_u16(),
            code: code.to_owned(),
            message,
        };
        match page.render() {
            Ok(html) => (status, Html(html)).into_response(),
            Err(_) => (status, message_only(code)).into_response(),
        }
    }
}

fn message_only(code: &str) -> String {
    format!("error: {code}")
}

fn reason(status: StatusCode) -> &'static str {
    status.canonical_reason().unwrap_or("Error")
}

/// Unknown paths: JSON under `/api/`, an HTML page elsewhere.
pub async fn not_found(uri: Uri) -> Response {
    if uri.path().starts_with("/api/") {
        crate::api::not_found().await.into_response()
    } else {
        WebError(ApiError::NotFound(format!(
            "there is no page at {}",
            uri.path()
        )))
        .into_response()
    }
}

/// Formats a number with thin thousands separators.
pub fn thousands(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// `part / whole` as a whole percentage (100 when nothing is required).
pub fn percent(part: u64, whole: u64) -> u64 {
    part.saturating_mul(100).checked_div(whole).unwrap_or(100)
}
