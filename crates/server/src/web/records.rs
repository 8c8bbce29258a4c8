//! Sources and timeline with an "as of" date, and the audit log.

use std::collections::BTreeSet;

use askama::Template;
use axum::extract::{Query, State};
use domain::access::Role;
use domain::offer::{status_as_of, OfferStatus};
use serde::Deserialize;
use store::{AuditEntry, AuditFilter};

use super::{render, Chrome, WebResult};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct AsOfQuery {
    pub as_of: Option<String>,
}

pub struct Event {
    pub date: String,
    pub kind: String,
    pub title: String,
    pub who: String,
    pub sources: String,
    pub link: String,
}

#[derive(Template)]
#[template(path = "timeline.html")]
struct TimelinePage {
    chrome: Chrome,
    as_of: String,
    events: Vec<Event>,
    nations_as_of: usize,
    offers_as_of: usize,
    sources: Vec<domain::source::Source>,
}

/// Parses `YYYY-MM-DD`; empty means no cut-off.
pub fn parse_as_of(s: Option<&str>) -> Result<Option<jiff::civil::Date>, ApiError> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(d) => d.parse().map(Some).map_err(|_| {
            ApiError::BadRequest(format!("as_of: \"{d}\" is not a date (YYYY-MM-DD)"))
        }),
    }
}

/// The end of `date` (UTC): what was recorded by then was known on that date.
pub fn end_of(date: jiff::civil::Date) -> jiff::Timestamp {
    crate::api::end_of(date)
}

pub async fn timeline(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AsOfQuery>,
) -> WebResult {
    let viewer = caller.viewer();
    let as_of = parse_as_of(q.as_of.as_deref())?;
    let known_at = as_of.map_or(jiff::Timestamp::MAX, end_of);
    let on = as_of.unwrap_or(jiff::civil::Date::MAX);
    let in_range = |d: jiff::civil::Date| as_of.is_none_or(|a| d <= a);
    let mut events = Vec::new();
    let commitments = state
        .store
        .commitments(&viewer, &store::CommitmentFilter::default())
        .await?;
    // One event per stage of each entry (an entry without stages has one: its status on its
    // date, on its sources).
    for c in &commitments {
        for stage in c.history() {
            if in_range(stage.date) {
                events.push(Event {
                    date: stage.date.to_string(),
                    kind: format!("{} {}", c.kind.as_str(), stage.status.as_str()),
                    title: c.title.clone(),
                    who: c.nation.to_string(),
                    sources: stage
                        .sources
                        .iter()
                        .map(ToString::to_string)
                        .collect::<Vec<_>>()
                        .join(" "),
                    link: format!("/commitments/{}", c.id),
                });
            }
        }
    }
    let offers = state
        .store
        .offers(&viewer, &store::OfferFilter::default())
        .await?;
    let mut nations = BTreeSet::new();
    let mut offers_as_of = 0;
    for o in &offers {
        for h in &o.history {
            if in_range(h.effective) && h.recorded_at < known_at {
                events.push(Event {
                    date: h.effective.to_string(),
                    kind: format!("offer {}", h.status.as_str()),
                    title: format!("{} {} × {}", o.id, o.units, o.capability),
                    who: o.nation.to_string(),
                    sources: h
                        .source
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    link: format!("/offers/{}", o.id),
                });
            }
        }
        let status = status_as_of(&o.history, on, known_at);
        if status.is_some_and(|s| s != OfferStatus::Withdrawn) {
            offers_as_of += 1;
            nations.insert(o.nation.clone());
        }
    }
    events.sort_by(|a, b| b.date.cmp(&a.date).then(a.title.cmp(&b.title)));
    let sources = state
        .store
        .sources(&viewer)
        .await?
        .into_iter()
        .filter(|s| in_range(s.published))
        .collect();
    render(&TimelinePage {
        chrome: Chrome::new(&caller, "Sources and timeline", "/timeline"),
        as_of: as_of.map(|d| d.to_string()).unwrap_or_default(),
        events,
        nations_as_of: nations.len(),
        offers_as_of,
        sources,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct AuditQuery {
    entity: Option<String>,
    actor: Option<String>,
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    chrome: Chrome,
    rows: Vec<AuditEntry>,
    entity: String,
    actor: String,
    verified: Option<store::AuditReport>,
}

pub async fn audit(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AuditQuery>,
) -> WebResult {
    let role = caller.signed_in()?.role;
    if !matches!(role, Role::Admin | Role::Planner | Role::NationOfficer) {
        return Err(ApiError::Forbidden(format!(
            "the {} role may not read the audit log",
            role.as_str()
        ))
        .into());
    }
    let entity = q.entity.unwrap_or_default();
    let actor = q.actor.unwrap_or_default();
    let filter = AuditFilter {
        entity_id: Some(entity.trim().to_owned()).filter(|s| !s.is_empty()),
        actor: Some(actor.trim().to_owned()).filter(|s| !s.is_empty()),
        ..AuditFilter::default()
    };
    // The newest 200, read as such.
    let rows = state
        .store
        .audit_page(
            &caller.viewer(),
            &filter,
            store::AuditWindow {
                newest_first: true,
                offset: 0,
                limit: 200,
            },
        )
        .await?
        .rows;
    let verified = if role == Role::Admin {
        Some(state.store.verify_audit().await?)
    } else {
        None
    };
    render(&AuditPage {
        chrome: Chrome::new(&caller, "Audit log", "/audit"),
        rows,
        entity,
        actor,
        verified,
    })
}
