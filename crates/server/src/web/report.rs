//! The printable "Force generation status report" as of a date: coalition size, offers by
//! status, the newest baseline plan made by then with its charts and gaps. HTML with print
//! styles; the charts are the same SVG as on the plan page.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::extract::{Query, State};
use domain::offer::{status_as_of, OfferStatus};

use super::plan::{draw, load, summary, Drawn, PlanView, Summary};
use super::records::{end_of, parse_as_of, AsOfQuery};
use super::{render, Chrome, WebResult};
use crate::caller::Caller;
use crate::AppState;

#[derive(Template)]
#[template(path = "report.html")]
struct ReportPage {
    chrome: Chrome,
    as_of: String,
    scenario: String,
    exercise: bool,
    nations: usize,
    by_status: Vec<(String, usize, u32)>,
    plan: Option<PlanView>,
    summary: Option<Summary>,
    drawn: Option<Drawn>,
    prepared_for: String,
}

pub async fn page(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<AsOfQuery>,
) -> WebResult {
    let user = caller.signed_in()?.clone();
    let viewer = caller.viewer();
    let today = jiff::Zoned::now().date();
    let as_of = parse_as_of(q.as_of.as_deref())?.unwrap_or(today);
    let known_at = end_of(as_of);
    let scenario = state.store.export_scenario(&viewer).await?;
    let offers = state
        .store
        .offers(&viewer, &store::OfferFilter::default())
        .await?;
    let mut counts: BTreeMap<OfferStatus, (usize, u32)> = BTreeMap::new();
    let mut nations = BTreeSet::new();
    for o in &offers {
        if let Some(s) = status_as_of(&o.history, as_of, known_at) {
            let e = counts.entry(s).or_default();
            e.0 += 1;
            e.1 += o.units;
            if s != OfferStatus::Withdrawn {
                nations.insert(o.nation.clone());
            }
        }
    }
    let by_status = counts
        .into_iter()
        .rev()
        .map(|(s, (n, u))| (s.as_str().to_owned(), n, u))
        .collect();
    let record = state.store.plans(&viewer).await?.into_iter().find(|p| {
        p.created_at < known_at
            && serde_json::from_str::<planner::Options>(&p.options)
                .is_ok_and(|o| o == planner::Options::default())
    });
    let plan = match record {
        Some(r) => Some(load(&state, &viewer, r.id).await?),
        None => None,
    };
    let requirements = state.store.requirements(&viewer, None).await?;
    let weeks = scenario.as_ref().map_or(0, domain::Scenario::weeks);
    render(&ReportPage {
        chrome: Chrome::new(
            &caller,
            format!("Force generation status report, {as_of}"),
            "/report",
        ),
        as_of: as_of.to_string(),
        scenario: scenario
            .as_ref()
            .map(|s| s.name().to_owned())
            .unwrap_or_default(),
        exercise: scenario.as_ref().is_some_and(domain::Scenario::exercise),
        nations: nations.len(),
        by_status,
        summary: plan.as_ref().map(|p| summary(&p.plan)),
        drawn: plan.as_ref().map(|p| draw(&p.plan, &requirements, weeks)),
        plan,
        prepared_for: match &user.nation {
            Some(n) => format!("{} ({}, {})", user.username, user.role.as_str(), n),
            None => format!("{} ({})", user.username, user.role.as_str()),
        },
    })
}
