//! Offers: a filterable, sortable table; each offer with its status history and sources; forms
//! to add and edit offers and to record status changes (each with its source) for the roles
//! allowed. The forms go through the same checks and store calls as the API.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use domain::access::Role;
use domain::ids::{CapabilityCode, NationCode, OfferId, SourceId};
use domain::offer::{Offer, OfferStatus, StatusChange};
use domain::ParseErrors;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use super::{render, Chrome, WebForm, WebResult};
use crate::caller::Caller;
use crate::error::ApiError;
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    nation: Option<String>,
    status: Option<String>,
    capability: Option<String>,
    line: Option<String>,
    sort: Option<String>,
}

#[derive(Template)]
#[template(path = "offers.html")]
struct OffersPage {
    chrome: Chrome,
    offers: Vec<Offer>,
    q: ListQuery,
    nations: Vec<String>,
    capabilities: Vec<String>,
    lines: Vec<String>,
    may_add: bool,
}

fn nonempty(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

fn bad(what: &str, e: String) -> ApiError {
    ApiError::BadRequest(format!("{what}: {e}"))
}

pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ListQuery>,
) -> WebResult {
    let viewer = caller.viewer();
    let filter = store::OfferFilter {
        nation: nonempty(&q.nation)
            .map(|n| NationCode::parse(n).map_err(|e| bad("nation", e)))
            .transpose()?,
        capability: nonempty(&q.capability)
            .map(|c| CapabilityCode::parse(c).map_err(|e| bad("capability", e)))
            .transpose()?,
        status: nonempty(&q.status)
            .map(|s| OfferStatus::parse(s).map_err(|e| bad("status", e)))
            .transpose()?,
    };
    let mut offers = state.store.offers(&viewer, &filter).await?;
    let requirements = if caller.user.is_some() {
        state.store.requirements(&viewer, None).await?
    } else {
        Vec::new()
    };
    if let Some(line) = nonempty(&q.line) {
        let caps: Vec<&str> = requirements
            .iter()
            .filter(|r| r.line.as_str() == line)
            .map(|r| r.capability.as_str())
            .collect();
        offers.retain(|o| caps.contains(&o.capability.as_str()));
    }
    match q.sort.as_deref() {
        Some("nation") => offers.sort_by(|a, b| a.nation.cmp(&b.nation).then(a.id.cmp(&b.id))),
        Some("capability") => {
            offers.sort_by(|a, b| a.capability.cmp(&b.capability).then(a.id.cmp(&b.id)));
        }
        Some("units") => offers.sort_by(|a, b| b.units.cmp(&a.units).then(a.id.cmp(&b.id))),
        Some("status") => offers.sort_by(|a, b| a.status.cmp(&b.status).then(a.id.cmp(&b.id))),
        _ => offers.sort_by(|a, b| a.id.cmp(&b.id)),
    }
    let nations = state
        .store
        .nations()
        .await?
        .into_iter()
        .map(|n| n.code.to_string())
        .collect();
    let capabilities = state
        .store
        .capabilities()
        .await?
        .into_iter()
        .map(|c| c.code.to_string())
        .collect();
    let mut lines: Vec<String> = requirements.iter().map(|r| r.line.to_string()).collect();
    lines.sort();
    lines.dedup();
    render(&OffersPage {
        may_add: may_add(&caller),
        chrome: Chrome::new(&caller, "Offers", "/offers"),
        offers,
        q,
        nations,
        capabilities,
        lines,
    })
}

fn may_add(caller: &Caller) -> bool {
    caller.user.as_ref().is_some_and(|u| {
        matches!(u.role, Role::Admin | Role::Planner)
            || (u.role == Role::NationOfficer && u.nation.is_some())
    })
}

/// The offer form's fields, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct OfferForm {
    #[serde(default)]
    id: String,
    #[serde(default)]
    nation: String,
    #[serde(default)]
    capability: String,
    #[serde(default)]
    units: String,
    #[serde(default)]
    from_week: String,
    #[serde(default)]
    to_week: String,
    #[serde(default)]
    notice_weeks: String,
    #[serde(default)]
    tour_weeks: String,
    #[serde(default)]
    dwell_weeks: String,
    #[serde(default)]
    regions: String,
    #[serde(default)]
    roe: String,
    #[serde(default)]
    requires: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    cost_per_unit_week: String,
    #[serde(default)]
    sources: String,
    #[serde(default)]
    notes: String,
    #[serde(default)]
    releasability: String,
    #[serde(default)]
    version: String,
}

impl OfferForm {
    fn from_offer(o: &Offer, version: i64) -> Self {
        let list = |v: Vec<String>| v.join(", ");
        Self {
            id: o.id.to_string(),
            nation: o.nation.to_string(),
            capability: o.capability.to_string(),
            units: o.units.to_string(),
            from_week: o.from_week.to_string(),
            to_week: o.to_week.to_string(),
            notice_weeks: o.notice_weeks.to_string(),
            tour_weeks: o.tour_weeks.to_string(),
            dwell_weeks: o.dwell_weeks.to_string(),
            regions: o
                .regions
                .as_ref()
                .map(|r| list(r.iter().map(ToString::to_string).collect()))
                .unwrap_or_default(),
            roe: o.roe.as_str().to_owned(),
            requires: list(o.requires.iter().map(ToString::to_string).collect()),
            status: o.status.as_str().to_owned(),
            cost_per_unit_week: o.cost_per_unit_week.to_string(),
            sources: list(o.sources.iter().map(ToString::to_string).collect()),
            notes: o.notes.clone().unwrap_or_default(),
            releasability: o.releasability.as_str().to_owned(),
            version: version.to_string(),
        }
    }

    /// The offer the form describes, or every problem with it by field.
    fn to_offer(&self) -> Result<Offer, BTreeMap<String, String>> {
        let mut errors = BTreeMap::new();
        let mut v = Map::new();
        let text = |s: &str| Value::from(s.trim());
        v.insert("id".into(), text(&self.id));
        v.insert("nation".into(), text(&self.nation));
        v.insert("capability".into(), text(&self.capability));
        for (name, value) in [
            ("units", &self.units),
            ("from_week", &self.from_week),
            ("to_week", &self.to_week),
            ("notice_weeks", &self.notice_weeks),
            ("tour_weeks", &self.tour_weeks),
            ("dwell_weeks", &self.dwell_weeks),
        ] {
            match value.trim().parse::<u64>() {
                Ok(n) => {
                    v.insert(name.into(), Value::from(n));
                }
                Err(_) => {
                    errors.insert(name.to_owned(), "must be a whole number".to_owned());
                }
            }
        }
        match self.cost_per_unit_week.trim().parse::<f64>() {
            Ok(n) if n.is_finite() => {
                v.insert("cost_per_unit_week".into(), json!(n));
            }
            _ => {
                errors.insert("cost_per_unit_week".into(), "must be a number".into());
            }
        }
        let list = |s: &str| -> Vec<Value> {
            s.split(',')
                .map(str::trim)
                .filter(|x| !x.is_empty())
                .map(Value::from)
                .collect()
        };
        if !self.regions.trim().is_empty() {
            v.insert("regions".into(), Value::Array(list(&self.regions)));
        }
        if !self.requires.trim().is_empty() {
            v.insert("requires".into(), Value::Array(list(&self.requires)));
        }
        if !self.sources.trim().is_empty() {
            v.insert("sources".into(), Value::Array(list(&self.sources)));
        }
        v.insert("roe".into(), text(&self.roe));
        v.insert("status".into(), text(&self.status));
        if !self.notes.trim().is_empty() {
            v.insert("notes".into(), text(&self.notes));
        }
        if !self.releasability.trim().is_empty() {
            v.insert("releasability".into(), text(&self.releasability));
        }
        let mut errs = ParseErrors::default();
        let offer = Offer::from_json(&Value::Object(v), "offer", &mut errs);
        for e in errs.iter() {
            let field = e
                .path
                .strip_prefix("offer.")
                .unwrap_or(&e.path)
                .split(['.', '['])
                .next()
                .unwrap_or_default()
                .to_owned();
            errors.entry(field).or_insert_with(|| e.message.clone());
        }
        match offer {
            Some(o) if errors.is_empty() => Ok(o),
            _ => Err(errors),
        }
    }
}

#[derive(Template)]
#[template(path = "offer.html")]
struct OfferPage {
    chrome: Chrome,
    offer: Option<Offer>,
    form: OfferForm,
    errors: BTreeMap<String, String>,
    may_edit: bool,
    status_error: Option<String>,
    sources: Vec<(String, String)>,
    nations: Vec<String>,
    capabilities: Vec<String>,
    statuses: Vec<&'static str>,
}

impl OfferPage {
    fn error(&self, field: &str) -> String {
        self.errors.get(field).cloned().unwrap_or_default()
    }
}

async fn offer_page(
    state: &AppState,
    caller: &Caller,
    offer: Option<Offer>,
    form: OfferForm,
    errors: BTreeMap<String, String>,
    status_error: Option<String>,
) -> WebResult<OfferPage> {
    let viewer = caller.viewer();
    let sources = state
        .store
        .sources(&viewer)
        .await?
        .into_iter()
        .map(|s| (s.id.to_string(), s.title))
        .collect();
    let may_edit = match &offer {
        Some(o) => caller.may_manage_offers_of(&o.nation).is_ok(),
        None => may_add(caller),
    };
    let nations = match caller.user.as_ref() {
        Some(u) if u.role == Role::NationOfficer => {
            u.nation.iter().map(ToString::to_string).collect()
        }
        _ => state
            .store
            .nations()
            .await?
            .into_iter()
            .map(|n| n.code.to_string())
            .collect(),
    };
    let capabilities = state
        .store
        .capabilities()
        .await?
        .into_iter()
        .map(|c| c.code.to_string())
        .collect();
    let title = match &offer {
        Some(o) => format!("Offer {}", o.id),
        None => "New offer".to_owned(),
    };
    Ok(OfferPage {
        chrome: Chrome::new(caller, title, "/offers"),
        offer,
        form,
        errors,
        may_edit,
        status_error,
        sources,
        nations,
        capabilities,
        statuses: vec!["indicated", "offered", "confirmed", "deployed", "withdrawn"],
    })
}

fn offer_id(id: &str) -> Result<OfferId, ApiError> {
    OfferId::parse(id).map_err(|_| ApiError::NotFound(format!("there is no offer {id}")))
}

pub async fn show(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> WebResult {
    let id = offer_id(&id)?;
    let current = state.store.offer(&caller.viewer(), &id).await?;
    let form = OfferForm::from_offer(&current.value, current.version);
    let page = offer_page(
        &state,
        &caller,
        Some(current.value),
        form,
        BTreeMap::new(),
        None,
    )
    .await?;
    render(&page)
}

pub async fn new_form(State(state): State<AppState>, caller: Caller) -> WebResult {
    caller.signed_in()?;
    if !may_add(&caller) {
        return Err(ApiError::Forbidden("your role cannot add offers".into()).into());
    }
    let form = OfferForm {
        nation: caller
            .user
            .as_ref()
            .and_then(|u| u.nation.as_ref())
            .map(ToString::to_string)
            .unwrap_or_default(),
        roe: "self_defence".into(),
        status: "indicated".into(),
        from_week: "0".into(),
        notice_weeks: "0".into(),
        dwell_weeks: "0".into(),
        releasability: "coalition".into(),
        ..OfferForm::default()
    };
    render(&offer_page(&state, &caller, None, form, BTreeMap::new(), None).await?)
}

pub async fn create(State(state): State<AppState>, f: WebForm<OfferForm>) -> WebResult {
    let caller = f.caller;
    let mut offer = match f.form.to_offer() {
        Ok(o) => o,
        Err(errors) => {
            let page = offer_page(&state, &caller, None, f.form, errors, None).await?;
            return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
        }
    };
    let user = caller.may_manage_offers_of(&offer.nation)?.clone();
    crate::api::offers::record_creation(&mut offer, &user);
    match state.store.create_offer(&offer, &caller.actor()).await {
        Ok(created) => Ok(Redirect::to(&format!("/offers/{}", created.value.id)).into_response()),
        Err(e) => {
            let e = ApiError::from(e);
            let mut errors = BTreeMap::new();
            errors.insert("id".to_owned(), e.to_string());
            let page = offer_page(&state, &caller, None, f.form, errors, None).await?;
            Ok((e.status_and_code().0, render(&page)?).into_response())
        }
    }
}

pub async fn update(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: WebForm<OfferForm>,
) -> WebResult {
    let caller = f.caller;
    let id = offer_id(&id)?;
    let current = state.store.offer(&caller.viewer(), &id).await?;
    caller.may_manage_offers_of(&current.value.nation)?;
    let mut form = f.form;
    form.id = id.to_string();
    form.status = current.value.status.as_str().to_owned();
    let version: i64 = form.version.trim().parse().unwrap_or(-1);
    let result = match form.to_offer() {
        Ok(offer) => state
            .store
            .update_offer(&offer, version, &caller.actor())
            .await
            .map_err(|e| {
                let e = ApiError::from(e);
                let mut errors = BTreeMap::new();
                errors.insert("form".to_owned(), e.to_string());
                (e.status_and_code().0, errors)
            }),
        Err(errors) => Err((StatusCode::UNPROCESSABLE_ENTITY, errors)),
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/offers/{id}")).into_response()),
        Err((status, errors)) => {
            let page = offer_page(&state, &caller, Some(current.value), form, errors, None).await?;
            Ok((status, render(&page)?).into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct StatusForm {
    #[serde(default)]
    version: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    effective: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    note: String,
}

pub async fn change_status(
    State(state): State<AppState>,
    Path(id): Path<String>,
    f: WebForm<StatusForm>,
) -> WebResult {
    let caller = f.caller;
    let id = offer_id(&id)?;
    let current = state.store.offer(&caller.viewer(), &id).await?;
    let user = caller.may_manage_offers_of(&current.value.nation)?.clone();
    let form = f.form;
    let checked = (|| -> Result<StatusChange, String> {
        let status = OfferStatus::parse(form.status.trim())?;
        if form.source.trim().is_empty() {
            return Err("a status change needs its source".into());
        }
        let source = SourceId::parse(form.source.trim())?;
        let now = crate::api::now();
        let effective = if form.effective.trim().is_empty() {
            now.to_zoned(jiff::tz::TimeZone::UTC).date()
        } else {
            form.effective
                .trim()
                .parse()
                .map_err(|_| format!("\"{}\" is not a date (YYYY-MM-DD)", form.effective))?
        };
        Ok(StatusChange {
            status,
            effective,
            recorded_at: now,
            recorded_by: user.username.to_string(),
            source: Some(source),
            note: Some(form.note.trim().to_owned()).filter(|n| !n.is_empty()),
        })
    })();
    let version: i64 = form.version.trim().parse().unwrap_or(-1);
    let outcome = match checked {
        Ok(change) => state
            .store
            .record_status_change(&id, change, Some(version), &caller.actor())
            .await
            .map_err(|e| {
                let e = ApiError::from(e);
                (e.status_and_code().0, e.to_string())
            }),
        Err(m) => Err((StatusCode::UNPROCESSABLE_ENTITY, m)),
    };
    match outcome {
        Ok(_) => Ok(Redirect::to(&format!("/offers/{id}")).into_response()),
        Err((status, message)) => {
            let form = OfferForm::from_offer(&current.value, current.version);
            let page = offer_page(
                &state,
                &caller,
                Some(current.value),
                form,
                BTreeMap::new(),
                Some(message),
            )
            .await?;
            Ok((status, render(&page)?).into_response())
        }
    }
}
