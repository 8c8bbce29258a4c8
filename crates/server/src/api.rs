//! Handlers, grouped by resource. Each one: extract → authorise → parse → one store call (one
//! transaction) → respond.

pub mod aid;
pub mod audit;
pub mod ledger;
pub mod meta;
pub mod monitoring;
pub mod offers;
pub mod plans;
pub mod scenario;
pub mod session;
pub mod users;

use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

pub const MAX_PER_PAGE: u32 = 500;

/// Pagination: `page` from 1, `per_page` up to 500 (default 100).
#[derive(Debug, Clone, Copy, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// One page of a list, with the total the filters match.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page {
    #[schema(value_type = Vec<Object>)]
    pub items: Vec<Value>,
    pub total: usize,
    pub page: u32,
    pub per_page: u32,
}

impl PageQuery {
    /// The page, the page size and how many items come before the page; `400 bad_request`
    /// when out of range.
    pub fn window(&self) -> Result<(u32, u32, u64), ApiError> {
        let page = self.page.unwrap_or(1);
        let per_page = self.per_page.unwrap_or(100);
        if page == 0 || per_page == 0 || per_page > MAX_PER_PAGE {
            return Err(ApiError::BadRequest(format!(
                "page starts at 1 and per_page is 1 to {MAX_PER_PAGE}"
            )));
        }
        Ok((page, per_page, u64::from(page - 1) * u64::from(per_page)))
    }

    pub fn apply<T: Serialize>(self, all: Vec<T>) -> Result<Page, ApiError> {
        self.apply_with(all, Ok)
    }

    /// As [`PageQuery::apply`] over light keys (ids, heads), writing out only the page's items
    /// with `write`.
    pub fn apply_with<K, T: Serialize>(
        self,
        all: Vec<K>,
        write: impl FnMut(K) -> Result<T, ApiError>,
    ) -> Result<Page, ApiError> {
        let (page, per_page, skip) = self.window()?;
        let total = all.len();
        let skip = usize::try_from(skip).unwrap_or(usize::MAX);
        let items = all
            .into_iter()
            .skip(skip)
            .take(per_page as usize)
            .map(write)
            .collect::<Result<Vec<T>, _>>()?;
        Page::of(items, total, page, per_page)
    }
}

impl Page {
    /// A page of `items` (already cut) out of `total`.
    pub fn of<T: Serialize>(
        items: impl IntoIterator<Item = T>,
        total: usize,
        page: u32,
        per_page: u32,
    ) -> Result<Page, ApiError> {
        Ok(Page {
            items: items
                .into_iter()
                .map(|item| serde_json::to_value(item).map_err(ApiError::internal))
                .collect::<Result<_, _>>()?,
            total,
            page,
            per_page,
        })
    }
}

/// Parses an identifier from a path or query, as `400 bad_request` when malformed.
pub fn parse<T>(
    what: &str,
    s: &str,
    parse: impl FnOnce(&str) -> Result<T, String>,
) -> Result<T, ApiError> {
    parse(s).map_err(|e| ApiError::BadRequest(format!("{what}: {e}")))
}

/// The end of `day` (UTC): what was recorded by then was known on that day.
pub fn end_of(day: jiff::civil::Date) -> jiff::Timestamp {
    day.tomorrow()
        .ok()
        .and_then(|d| d.to_zoned(jiff::tz::TimeZone::UTC).ok())
        .map_or(jiff::Timestamp::MAX, |z| z.timestamp())
}

/// The current time, to the microsecond the store keeps.
pub fn now() -> jiff::Timestamp {
    let t = jiff::Timestamp::now();
    jiff::Timestamp::from_microsecond(t.as_microsecond()).unwrap_or(t)
}

pub async fn not_found() -> ApiError {
    ApiError::NotFound("no such route".into())
}

pub async fn method_not_allowed() -> Response {
    (
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        axum::Json(crate::ErrorBody {
            error: "method_not_allowed".into(),
            message: "this route does not take that method".into(),
        }),
    )
        .into_response()
}

pub fn panicked(_: Box<dyn std::any::Any + Send + 'static>) -> Response {
    ApiError::internal("a handler panicked").into_response()
}
