//! The plan pages: the latest plan with its rotation Gantt, coverage by line and gap table; a
//! run with a progress indicator; and what-if runs compared side by side with the baseline.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use domain::requirement::Requirement;
use planner::{Comparison, Options, Plan};
use serde::Deserialize;
use serde_json::Value;
use store::{Job, PlanRecord, Viewer};

use super::charts::{self, GanttBar, GanttRow, Series};
use super::{render, Chrome, WebForm, WebResult};
use crate::api::plans::{launch, PlanRequest};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::AppState;

/// A kept plan as the caller may see it.
pub struct PlanView {
    pub record: PlanRecord,
    pub plan: Plan,
}

/// Reads a plan file as stored for this viewer: other nations' restricted offers appear as
/// "restricted" with their capability, which the plan type does not carry, so those extra
/// fields are dropped before parsing.
fn parse_plan(body: &str) -> Result<Plan, ApiError> {
    fn strip(v: &mut Value) {
        match v {
            Value::Object(map) => {
                if map.remove("restricted").is_some() {
                    map.remove("capability");
                }
                map.values_mut().for_each(strip);
            }
            Value::Array(items) => items.iter_mut().for_each(strip),
            _ => {}
        }
    }
    let mut v: Value = serde_json::from_str(body).map_err(ApiError::internal)?;
    strip(&mut v);
    Plan::parse(&v.to_string()).map_err(ApiError::internal)
}

pub async fn load(state: &AppState, viewer: &Viewer, id: i64) -> Result<PlanView, ApiError> {
    let (record, body) = state.store.plan(viewer, id).await?;
    Ok(PlanView {
        record,
        plan: parse_plan(&body)?,
    })
}

fn is_baseline(record: &PlanRecord) -> bool {
    serde_json::from_str::<Options>(&record.options).is_ok_and(|o| o == Options::default())
}

/// The newest plan made with the scenario's own assumptions and every offer counted.
pub async fn latest_baseline(
    state: &AppState,
    viewer: &Viewer,
) -> Result<Option<PlanView>, ApiError> {
    let plans = state.store.plans(viewer).await?;
    match plans.iter().find(|p| is_baseline(p)) {
        Some(p) => load(state, viewer, p.id).await.map(Some),
        None => Ok(None),
    }
}

/// Headline numbers of a plan.
pub struct Summary {
    pub required: u64,
    pub covered: u64,
    pub coverage_percent: u64,
    pub gap_percent: String,
}

pub fn summary(plan: &Plan) -> Summary {
    let required: u64 = plan.lines.iter().map(|l| l.required_unit_weeks).sum();
    let covered: u64 = plan.lines.iter().map(|l| l.covered_unit_weeks).sum();
    Summary {
        required,
        covered,
        coverage_percent: super::percent(covered, required),
        gap_percent: format!("{:.1}", plan.gap() * 100.0),
    }
}

/// Gantt rows in scenario order, for requirements that have demand.
pub fn gantt_rows(plan: &Plan, requirements: &[Requirement]) -> Vec<GanttRow> {
    let mut by_req: BTreeMap<&str, Vec<GanttBar>> = BTreeMap::new();
    for t in &plan.tours {
        by_req
            .entry(t.requirement.as_str())
            .or_default()
            .push(GanttBar {
                nation: t.nation.clone(),
                start_week: t.start_week,
                weeks: t.weeks,
                units: t.units,
                title: t.offer.clone(),
            });
    }
    requirements
        .iter()
        .map(|r| {
            let mut bars = by_req.remove(r.id.as_str()).unwrap_or_default();
            bars.sort_by_key(|b| (b.start_week, b.nation.clone()));
            GanttRow {
                label: r.id.to_string(),
                window: (r.from_week, r.to_week),
                bars,
            }
        })
        .collect()
}

/// Required and covered units per week for each mission line.
pub fn line_series(plan: &Plan, requirements: &[Requirement], weeks: u32) -> Vec<Series> {
    let n = weeks as usize;
    let mut lines: BTreeMap<String, Series> = BTreeMap::new();
    let line_of: BTreeMap<&str, String> = requirements
        .iter()
        .map(|r| (r.id.as_str(), r.line.to_string()))
        .collect();
    for r in requirements {
        let s = lines.entry(r.line.to_string()).or_insert_with(|| Series {
            label: r.line.to_string(),
            required: vec![0; n],
            covered: vec![0; n],
        });
        for (w, slot) in s.required.iter_mut().enumerate() {
            *slot += r.demand(w as u32);
        }
    }
    for t in &plan.tours {
        let Some(line) = line_of.get(t.requirement.as_str()) else {
            continue;
        };
        if let Some(s) = lines.get_mut(line) {
            for w in t.start_week..t.start_week.saturating_add(t.weeks) {
                if let Some(slot) = s.covered.get_mut(w as usize) {
                    *slot += t.units;
                }
            }
        }
    }
    lines.into_values().collect()
}

/// A gap as a table row.
pub struct GapRow {
    pub requirement: String,
    pub line: String,
    pub weeks: String,
    pub missing: u32,
    pub weighted: u64,
    pub reasons: Vec<String>,
}

pub fn gap_rows(gaps: &[planner::plan::Gap]) -> Vec<GapRow> {
    let mut rows: Vec<GapRow> = gaps
        .iter()
        .map(|g| GapRow {
            requirement: g.requirement.clone(),
            line: g.line.clone(),
            weeks: format!("{}–{}", g.from_week, g.to_week),
            missing: g.missing,
            weighted: g.weighted,
            reasons: g
                .reasons
                .iter()
                .map(|r| {
                    let code = serde_json::to_value(r.code)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    let mut text = code;
                    if !r.detail.is_empty() {
                        text.push_str(&format!(" ({})", r.detail.join(", ")));
                    }
                    if !r.offers.is_empty() {
                        text.push_str(&format!(" — {}", r.offers.join(", ")));
                    }
                    text
                })
                .collect(),
        })
        .collect();
    rows.sort_by_key(|r| std::cmp::Reverse(r.weighted));
    rows
}

/// Everything a plan page (and the report) draws.
pub struct Drawn {
    pub gantt: String,
    pub coverage: Vec<String>,
    pub gaps: Vec<GapRow>,
}

pub fn draw(plan: &Plan, requirements: &[Requirement], weeks: u32) -> Drawn {
    Drawn {
        gantt: charts::gantt(&gantt_rows(plan, requirements), weeks),
        coverage: line_series(plan, requirements, weeks)
            .iter()
            .map(charts::coverage)
            .collect(),
        gaps: gap_rows(&plan.gaps),
    }
}

async fn weeks(state: &AppState, viewer: &Viewer) -> Result<u32, ApiError> {
    Ok(state
        .store
        .export_scenario(viewer)
        .await?
        .map_or(0, |s| s.weeks()))
}

#[derive(Template)]
#[template(path = "plan.html")]
struct PlanPage {
    chrome: Chrome,
    view: Option<PlanView>,
    summary: Option<Summary>,
    drawn: Option<Drawn>,
    jobs: Vec<Job>,
    may_run: bool,
    marginal: Vec<planner::plan::Marginal>,
}

async fn plan_page(state: &AppState, caller: &Caller, view: Option<PlanView>) -> WebResult {
    let viewer = caller.viewer();
    let requirements = state.store.requirements(&viewer, None).await?;
    let weeks = weeks(state, &viewer).await?;
    let may_run = caller
        .user
        .as_ref()
        .is_some_and(|u| u.role.sees_everything());
    let jobs = if may_run {
        state.store.jobs().await?.into_iter().take(5).collect()
    } else {
        Vec::new()
    };
    let title = match &view {
        Some(v) => format!("Plan {}", v.record.id),
        None => "Plan".to_owned(),
    };
    render(&PlanPage {
        chrome: Chrome::new(caller, title, "/plan"),
        summary: view.as_ref().map(|v| summary(&v.plan)),
        drawn: view.as_ref().map(|v| draw(&v.plan, &requirements, weeks)),
        marginal: view
            .as_ref()
            .map(|v| v.plan.marginal.iter().take(10).cloned().collect())
            .unwrap_or_default(),
        view,
        jobs,
        may_run,
    })
}

pub async fn page(State(state): State<AppState>, caller: Caller) -> WebResult {
    caller.signed_in()?;
    let view = latest_baseline(&state, &caller.viewer()).await?;
    plan_page(&state, &caller, view).await
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> WebResult {
    caller.signed_in()?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("there is no plan {id}")))?;
    let view = load(&state, &caller.viewer(), id).await?;
    plan_page(&state, &caller, Some(view)).await
}

/// A run request from a form: nations to withdraw, assumptions set, minimum status, seconds.
#[derive(Debug)]
pub struct RunForm {
    withdraw: Vec<String>,
    min_status: Option<String>,
    seconds: Option<String>,
    /// `assume.<name>` = `true`, `false` or "" (the scenario's value).
    rest: BTreeMap<String, String>,
}

fn request_from(form: RunForm) -> Result<PlanRequest, ApiError> {
    let seconds = match form.seconds.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(s) => Some(s.parse::<f64>().map_err(|_| {
            ApiError::invalid(
                "invalid_plan_options",
                format!("\"{s}\" is not a number of seconds"),
            )
        })?),
    };
    let mut assume = BTreeMap::new();
    for (k, v) in &form.rest {
        if let Some(name) = k.strip_prefix("assume.") {
            match v.as_str() {
                "true" => {
                    assume.insert(name.to_owned(), true);
                }
                "false" => {
                    assume.insert(name.to_owned(), false);
                }
                _ => {}
            }
        }
    }
    // One requirement may be grown from the form (the API takes any number).
    let mut grow = BTreeMap::new();
    let requirement = form.rest.get("grow_requirement").map(|s| s.trim());
    let units = form.rest.get("grow_units").map(|s| s.trim());
    if let Some(id) = requirement.filter(|s| !s.is_empty()) {
        let units = match units {
            None | Some("") => 0,
            Some(u) => u.parse::<u32>().map_err(|_| {
                ApiError::invalid(
                    "invalid_plan_options",
                    format!("\"{u}\" is not a whole number of extra units"),
                )
            })?,
        };
        if units > 0 {
            grow.insert(id.to_owned(), units);
        }
    }
    Ok(PlanRequest {
        withdraw: form.withdraw,
        assume,
        min_status: form.min_status.filter(|s| !s.is_empty()),
        grow,
        time_limit_seconds: seconds,
        seed: None,
    })
}

/// Form values arrive as `withdraw=GBR&withdraw=FRA`; serde_urlencoded reads repeated keys
/// only into a sequence of pairs, so the form is read from pairs.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct Pairs(Vec<(String, String)>);

impl Pairs {
    fn into_run_form(self) -> RunForm {
        let mut form = RunForm {
            withdraw: Vec::new(),
            min_status: None,
            seconds: None,
            rest: BTreeMap::new(),
        };
        for (k, v) in self.0 {
            match k.as_str() {
                "withdraw" => form.withdraw.push(v),
                "min_status" => form.min_status = Some(v),
                "seconds" => form.seconds = Some(v),
                _ => {
                    form.rest.insert(k, v);
                }
            }
        }
        form
    }
}

pub async fn run(State(state): State<AppState>, f: WebForm<Pairs>) -> WebResult {
    hq(&f.caller)?;
    let request = request_from(f.form.into_run_form())?;
    let job = launch(&state, &f.caller, request).await?;
    Ok(Redirect::to(&format!("/plan/jobs/{}", job.id)).into_response())
}

fn hq(caller: &Caller) -> Result<(), ApiError> {
    let user = caller.signed_in()?;
    if user.role.sees_everything() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "only coalition HQ (planners, administrators) may run the planner".into(),
        ))
    }
}

#[derive(Template)]
#[template(path = "job.html")]
struct JobPage {
    chrome: Chrome,
    job: Job,
    progress: JobProgress,
    then: String,
}

#[derive(Template)]
#[template(path = "job_progress.html")]
struct JobFragment {
    job: Job,
    progress: JobProgress,
    then: String,
}

#[derive(Default)]
struct JobProgress {
    elapsed_s: String,
    unmet: String,
    bound: String,
}

#[derive(Deserialize)]
pub struct JobQuery {
    fragment: Option<String>,
    /// Where to go when done: `plan` (default) or `what-if`.
    then: Option<String>,
}

/// A run's progress; polled by htmx every second, which follows `HX-Redirect` to the result.
pub async fn job(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Query(q): Query<JobQuery>,
) -> WebResult {
    hq(&caller)?;
    let id: i64 = id
        .parse()
        .map_err(|_| ApiError::NotFound(format!("there is no run {id}")))?;
    let job = state.store.job(id).await?;
    let then = if q.then.as_deref() == Some("what-if") {
        "what-if"
    } else {
        "plan"
    };
    let fragment = q.fragment.is_some();
    if let (Some(plan_id), true) = (job.plan_id, fragment) {
        let target = if then == "what-if" {
            format!("/what-if?plan={plan_id}")
        } else {
            format!("/plans/{plan_id}")
        };
        let mut headers = HeaderMap::new();
        if let Ok(v) = target.parse() {
            headers.insert("hx-redirect", v);
        }
        return Ok((headers, "").into_response());
    }
    let p: Value = job
        .progress
        .as_deref()
        .and_then(|s| serde_json::from_str(s).ok())
        .unwrap_or_default();
    let progress = JobProgress {
        elapsed_s: p
            .get("elapsed_ms")
            .and_then(Value::as_u64)
            .map(|ms| format!("{:.1}", ms as f64 / 1000.0))
            .unwrap_or_default(),
        unmet: p
            .get("unmet_weighted")
            .map(ToString::to_string)
            .unwrap_or_default(),
        bound: p.get("bound").map(ToString::to_string).unwrap_or_default(),
    };
    if fragment {
        return render(&JobFragment {
            job,
            progress,
            then: then.to_owned(),
        });
    }
    render(&JobPage {
        chrome: Chrome::new(&caller, format!("Planner run {id}"), "/plan"),
        job,
        progress,
        then: then.to_owned(),
    })
}

#[derive(Template)]
#[template(path = "what_if.html")]
struct WhatIfPage {
    chrome: Chrome,
    nations: Vec<(String, String, bool)>,
    assumptions: Vec<(String, bool, String)>,
    min_status: String,
    /// (id, units required in its base weeks)
    requirements: Vec<(String, u32)>,
    grown: String,
    grown_units: u32,
    baseline: Option<PlanView>,
    variant: Option<PlanView>,
    comparison: Option<Comparison>,
    new_gaps: Vec<GapRow>,
    variant_options: String,
    baseline_summary: Option<Summary>,
    variant_summary: Option<Summary>,
}

#[derive(Deserialize)]
pub struct WhatIfQuery {
    plan: Option<String>,
}

/// What-if: the form (nations out, assumptions flipped, a requirement grown, minimum status)
/// and, once a variant
/// has run, its result beside the baseline.
pub async fn what_if(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<WhatIfQuery>,
) -> WebResult {
    hq(&caller)?;
    let viewer = caller.viewer();
    let scenario = state
        .store
        .export_scenario(&viewer)
        .await?
        .ok_or_else(|| ApiError::NotFound("no scenario has been imported yet".into()))?;
    let variant = match q.plan.as_deref() {
        Some(id) => {
            let id: i64 = id
                .parse()
                .map_err(|_| ApiError::NotFound(format!("there is no plan {id}")))?;
            Some(load(&state, &viewer, id).await?)
        }
        None => None,
    };
    let options = variant
        .as_ref()
        .map(|v| v.plan.options.clone())
        .unwrap_or_default();
    let baseline = latest_baseline(&state, &viewer).await?;
    let comparison = match (&baseline, &variant) {
        (Some(b), Some(v)) => Some(planner::compare(&b.plan, &v.plan)),
        _ => None,
    };
    let contributors: std::collections::BTreeSet<_> =
        scenario.offers().iter().map(|o| o.nation.clone()).collect();
    let nations = scenario
        .nations()
        .iter()
        .filter(|n| contributors.contains(&n.code))
        .map(|n| {
            (
                n.code.to_string(),
                n.name.clone(),
                options.withdraw.contains(&n.code),
            )
        })
        .collect();
    let assumptions = scenario
        .assumptions()
        .iter()
        .map(|(a, default)| {
            let chosen = options
                .assume
                .get(a)
                .map_or(String::new(), ToString::to_string);
            (a.to_string(), *default, chosen)
        })
        .collect();
    let (grown, grown_units) = options
        .grow
        .iter()
        .next()
        .map_or((String::new(), 0), |(id, u)| (id.to_string(), *u));
    let requirements = scenario
        .requirements()
        .iter()
        .map(|r| (r.id.to_string(), r.units))
        .collect();
    render(&WhatIfPage {
        chrome: Chrome::new(&caller, "What-if", "/what-if"),
        requirements,
        grown,
        grown_units,
        nations,
        assumptions,
        min_status: options.min_status.as_str().to_owned(),
        variant_options: variant
            .as_ref()
            .map(|v| describe(&v.plan.options))
            .unwrap_or_default(),
        baseline_summary: baseline.as_ref().map(|b| summary(&b.plan)),
        variant_summary: variant.as_ref().map(|v| summary(&v.plan)),
        new_gaps: comparison
            .as_ref()
            .map(|c| gap_rows(&c.new_gaps))
            .unwrap_or_default(),
        baseline,
        variant,
        comparison,
    })
}

/// "without GBR, FRA; us_backstop = false; offers from confirmed"
pub fn describe(o: &Options) -> String {
    let mut parts = Vec::new();
    if !o.withdraw.is_empty() {
        let list: Vec<String> = o.withdraw.iter().map(ToString::to_string).collect();
        parts.push(format!("without {}", list.join(", ")));
    }
    for (a, v) in &o.assume {
        parts.push(format!("{a} = {v}"));
    }
    for (r, units) in &o.grow {
        parts.push(format!("{r} needs {units} more unit(s) a week"));
    }
    if o.min_status != domain::offer::OfferStatus::Indicated {
        parts.push(format!("offers from {}", o.min_status.as_str()));
    }
    if parts.is_empty() {
        "baseline".to_owned()
    } else {
        parts.join("; ")
    }
}

pub async fn run_what_if(State(state): State<AppState>, f: WebForm<Pairs>) -> WebResult {
    hq(&f.caller)?;
    let request = request_from(f.form.into_run_form())?;
    let job = launch(&state, &f.caller, request).await?;
    Ok(Redirect::to(&format!("/plan/jobs/{}?then=what-if", job.id)).into_response())
}
