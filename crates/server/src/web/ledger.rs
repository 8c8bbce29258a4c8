//! Nations (list and detail) and the statement of requirements.

use askama::Template;
use axum::extract::{Path, Query, State};
use domain::commitment::Commitment;
use domain::ids::NationCode;
use domain::nation::Nation;
use domain::offer::{Offer, OfferStatus};
use domain::requirement::Requirement;
use serde::Deserialize;

use super::{render, Chrome, WebResult};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::AppState;

pub struct NationRow {
    pub nation: Nation,
    pub offers: usize,
    pub units: u32,
    pub firmest: String,
}

#[derive(Template)]
#[template(path = "nations.html")]
struct NationsPage {
    chrome: Chrome,
    rows: Vec<NationRow>,
}

fn firmest(offers: &[&Offer]) -> String {
    offers
        .iter()
        .map(|o| o.status)
        .filter(|s| *s != OfferStatus::Withdrawn)
        .max()
        .map_or_else(
            || {
                if offers.is_empty() {
                    "—".to_owned()
                } else {
                    "withdrawn".to_owned()
                }
            },
            |s| s.as_str().to_owned(),
        )
}

pub async fn nations(State(state): State<AppState>, caller: Caller) -> WebResult {
    let offers = state
        .store
        .offers(&caller.viewer(), &store::OfferFilter::default())
        .await?;
    let rows = state
        .store
        .nations()
        .await?
        .into_iter()
        .map(|n| {
            let mine: Vec<&Offer> = offers.iter().filter(|o| o.nation == n.code).collect();
            NationRow {
                offers: mine.len(),
                units: mine
                    .iter()
                    .filter(|o| o.status != OfferStatus::Withdrawn)
                    .map(|o| o.units)
                    .sum(),
                firmest: firmest(&mine),
                nation: n,
            }
        })
        .collect();
    render(&NationsPage {
        chrome: Chrome::new(&caller, "Nations", "/nations"),
        rows,
    })
}

#[derive(Template)]
#[template(path = "nation.html")]
struct NationPage {
    chrome: Chrome,
    nation: Nation,
    offers: Vec<Offer>,
    statements: Vec<Commitment>,
    others: Vec<Commitment>,
    /// This nation's burden-sharing row today, for signed-in viewers; or why there is none.
    burden: Option<Result<domain::burden::NationShare, String>>,
}

pub async fn nation(
    State(state): State<AppState>,
    caller: Caller,
    Path(code): Path<String>,
) -> WebResult {
    let viewer = caller.viewer();
    let code = NationCode::parse(&code)
        .map_err(|_| ApiError::NotFound(format!("there is no nation {code}")))?;
    let nation = crate::api::ledger::find_nation(&state, &code).await?;
    let offers = state
        .store
        .offers(
            &viewer,
            &store::OfferFilter {
                nation: Some(code.clone()),
                ..store::OfferFilter::default()
            },
        )
        .await?;
    let mut commitments = state
        .store
        .commitments(
            &viewer,
            &store::CommitmentFilter {
                nation: Some(code),
                ..store::CommitmentFilter::default()
            },
        )
        .await?;
    commitments.sort_by_key(|c| c.date);
    let (statements, others) = commitments
        .into_iter()
        .partition(|c| c.kind.as_str() == "statement" || c.kind.as_str() == "meeting");
    let burden = if caller.signed_in().is_ok() {
        let today = jiff::Zoned::now().date();
        Some(
            match crate::aid::burden_report(state.store.as_ref(), &viewer, today).await {
                Ok(r) => r
                    .burden
                    .nations
                    .into_iter()
                    .find(|n| n.nation == nation.code)
                    .ok_or_else(|| "no offers or aid recorded".to_owned()),
                Err(e) => Err(e.to_string()),
            },
        )
    } else {
        None
    };
    render(&NationPage {
        burden,
        chrome: Chrome::new(
            &caller,
            format!("{} ({})", nation.name, nation.code),
            "/nations",
        ),
        nation,
        offers,
        statements,
        others,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct RequirementQuery {
    line: Option<String>,
}

#[derive(Template)]
#[template(path = "requirements.html")]
struct RequirementsPage {
    chrome: Chrome,
    requirements: Vec<Requirement>,
    lines: Vec<String>,
    line: String,
}

pub async fn requirements(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<RequirementQuery>,
) -> WebResult {
    caller.signed_in()?;
    let all = state.store.requirements(&caller.viewer(), None).await?;
    let mut lines: Vec<String> = all.iter().map(|r| r.line.to_string()).collect();
    lines.sort();
    lines.dedup();
    let line = q.line.unwrap_or_default();
    let requirements = all
        .into_iter()
        .filter(|r| line.is_empty() || r.line.as_str() == line)
        .collect();
    render(&RequirementsPage {
        chrome: Chrome::new(&caller, "Requirements", "/requirements"),
        requirements,
        lines,
        line,
    })
}
