//! The dashboard: coalition size, pledged against required by line, the current plan's
//! coverage and largest gaps, recent changes.

use std::collections::{BTreeMap, BTreeSet};

use askama::Template;
use axum::extract::State;
use domain::offer::{Offer, OfferStatus};
use domain::requirement::Requirement;

use super::charts::{self, Bar};
use super::plan::{gap_rows, latest_baseline, summary, GapRow, Summary};
use super::{render, Chrome, WebResult};
use crate::caller::Caller;
use crate::AppState;

/// (id, summary, level, due, overdue)
type AlertRow = (String, String, String, String, bool);

#[derive(Template)]
#[template(path = "dashboard.html")]
struct Dashboard {
    chrome: Chrome,
    scenario: Option<String>,
    nations_by_status: Vec<(String, usize)>,
    contributing: usize,
    offers: usize,
    pledged_chart: String,
    plan_id: Option<i64>,
    plan_summary: Option<Summary>,
    gaps: Vec<GapRow>,
    changes: Vec<Change>,
    /// Open alerts, for signed-in viewers.
    alerts: Option<Vec<AlertRow>>,
    /// Everyone signed in but observers may acknowledge them.
    may_acknowledge: bool,
}

pub struct Change {
    pub at: String,
    pub offer: String,
    pub nation: String,
    pub status: String,
    pub source: String,
    pub by: String,
}

/// Each contributing nation counted once, at the firmest status of its offers (withdrawn only
/// when every offer is withdrawn).
pub fn nations_by_status(offers: &[Offer]) -> Vec<(String, usize)> {
    let mut best: BTreeMap<String, OfferStatus> = BTreeMap::new();
    for o in offers {
        let rank = |s: OfferStatus| {
            if s == OfferStatus::Withdrawn {
                0
            } else {
                s as u8 + 1
            }
        };
        let e = best.entry(o.nation.to_string()).or_insert(o.status);
        if rank(o.status) > rank(*e) {
            *e = o.status;
        }
    }
    let order = [
        OfferStatus::Deployed,
        OfferStatus::Confirmed,
        OfferStatus::Offered,
        OfferStatus::Indicated,
        OfferStatus::Withdrawn,
    ];
    order
        .iter()
        .map(|s| {
            (
                s.as_str().to_owned(),
                best.values().filter(|b| *b == s).count(),
            )
        })
        .collect()
}

/// Per mission line: units pledged in the line's capabilities (offers not withdrawn) against
/// the line's peak weekly requirement.
pub fn pledged_by_line(offers: &[Offer], requirements: &[Requirement], weeks: u32) -> Vec<Bar> {
    let mut caps: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for r in requirements {
        caps.entry(r.line.to_string())
            .or_default()
            .insert(r.capability.to_string());
    }
    caps.into_iter()
        .map(|(line, caps)| {
            let pledged = offers
                .iter()
                .filter(|o| o.status != OfferStatus::Withdrawn)
                .filter(|o| caps.contains(o.capability.as_str()))
                .map(|o| u64::from(o.units))
                .sum();
            let peak = (0..weeks)
                .map(|w| {
                    requirements
                        .iter()
                        .filter(|r| r.line.as_str() == line)
                        .map(|r| u64::from(r.demand(w)))
                        .sum::<u64>()
                })
                .max()
                .unwrap_or(0);
            Bar {
                label: line,
                value: pledged,
                reference: Some(peak),
            }
        })
        .collect()
}

pub async fn page(State(state): State<AppState>, caller: Caller) -> WebResult {
    let viewer = caller.viewer();
    let offers = state
        .store
        .offers(&viewer, &store::OfferFilter::default())
        .await?;
    let scenario = state.store.export_scenario(&viewer).await?;
    let weeks = scenario.as_ref().map_or(0, domain::Scenario::weeks);
    let (pledged_chart, plan) = if caller.user.is_some() {
        let requirements = state.store.requirements(&viewer, None).await?;
        let bars = pledged_by_line(&offers, &requirements, weeks);
        (
            charts::bars("Units pledged against peak units required, by line", &bars),
            latest_baseline(&state, &viewer).await?,
        )
    } else {
        (String::new(), None)
    };
    let mut changes: Vec<(jiff::Timestamp, Change)> = offers
        .iter()
        .flat_map(|o| {
            o.history.iter().map(move |h| {
                (
                    h.recorded_at,
                    Change {
                        at: h.recorded_at.strftime("%Y-%m-%d %H:%M").to_string(),
                        offer: o.id.to_string(),
                        nation: o.nation.to_string(),
                        status: h.status.as_str().to_owned(),
                        source: h
                            .source
                            .as_ref()
                            .map(ToString::to_string)
                            .unwrap_or_default(),
                        by: h.recorded_by.clone(),
                    },
                )
            })
        })
        .collect();
    changes.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.offer.cmp(&b.1.offer)));
    let changes: Vec<Change> = changes.into_iter().take(10).map(|(_, c)| c).collect();
    let contributing = offers
        .iter()
        .map(|o| o.nation.clone())
        .collect::<BTreeSet<_>>()
        .len();
    let alerts = if caller.signed_in().is_ok() {
        let st = state.monitoring.sync(&state.store).await?;
        let open = st
            .standings(&caller.viewer(), jiff::Timestamp::now())
            .into_iter()
            .filter(|s| s.acknowledged.is_none());
        Some(
            open.take(10)
                .map(|s| {
                    (
                        s.alert.id.clone(),
                        s.alert.summary.clone(),
                        s.level_name.clone(),
                        s.due.map(|d| d.to_string()).unwrap_or_default(),
                        s.overdue,
                    )
                })
                .collect(),
        )
    } else {
        None
    };
    render(&Dashboard {
        alerts,
        may_acknowledge: caller.may_acknowledge_alerts().is_ok(),
        chrome: Chrome::new(&caller, "Dashboard", "/"),
        scenario: scenario.as_ref().map(|s| s.name().to_owned()),
        nations_by_status: nations_by_status(&offers),
        contributing,
        offers: offers.len(),
        pledged_chart,
        plan_id: plan.as_ref().map(|p| p.record.id),
        plan_summary: plan.as_ref().map(|p| summary(&p.plan)),
        gaps: plan
            .as_ref()
            .map(|p| gap_rows(&p.plan.gaps).into_iter().take(5).collect())
            .unwrap_or_default(),
        changes,
    })
}
