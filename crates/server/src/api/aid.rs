//! The aid and finance ledger: entries with their stages in EUR, recording the next stage,
//! CSV import and export in the Kiel tracker's layout, the public open-data view, exchange
//! rates, country figures and burden sharing.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use domain::burden::CountryFacts;
use domain::commitment::{Commitment, CommitmentStatus, Money, Stage};
use domain::ids::{CommitmentId, Currency, SourceId};
use domain::read::ParseErrors;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use store::Viewer;
use utoipa::{IntoParams, ToSchema};

use super::parse;
use crate::aid::{self, StageView};
use crate::caller::{Caller, Hq, SignedIn};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// The date to answer for (YYYY-MM-DD); today when left out.
    pub as_of: Option<String>,
}

pub(crate) fn as_of(q: Option<&str>) -> Result<jiff::civil::Date, ApiError> {
    match q.map(str::trim).filter(|s| !s.is_empty()) {
        Some(d) => d.parse().map_err(|_| {
            ApiError::BadRequest(format!("as_of: \"{d}\" is not a date (YYYY-MM-DD)"))
        }),
        None => Ok(jiff::Zoned::now().date()),
    }
}

/// Burden sharing as of a date: forces (personnel-weeks planned in the newest baseline plan,
/// and offered by status) and aid and finance in EUR per nation, per head, as a share of GDP
/// and defence spending, against each nation's share of GDP; Europe and the others.
#[utoipa::path(get, path = "/burden-sharing", tag = "aid", params(AsOfQuery),
    responses((status = 200, body = Object), (status = 400, body = crate::ErrorBody),
        (status = 422, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn burden_sharing(
    State(state): State<AppState>,
    SignedIn(caller): SignedIn,
    Query(q): Query<AsOfQuery>,
) -> ApiResult<Json<aid::BurdenReport>> {
    let day = as_of(q.as_of.as_deref())?;
    Ok(Json(
        aid::burden_report(state.store.as_ref(), &caller.viewer(), day).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RateQuery {
    /// ISO 4217 code, e.g. GBP.
    pub currency: Option<String>,
    /// On or after (YYYY-MM-DD).
    pub from: Option<String>,
    /// On or before (YYYY-MM-DD).
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Rate {
    pub date: String,
    pub currency: String,
    /// Units of the currency per 1 EUR.
    pub per_eur: String,
}

/// Exchange rates to the euro (the shipped ECB reference rates with any imported ones).
#[utoipa::path(get, path = "/fx-rates", tag = "aid", params(RateQuery),
    responses((status = 200, body = [Rate]), (status = 400, body = crate::ErrorBody)))]
pub async fn rates(
    State(state): State<AppState>,
    Query(q): Query<RateQuery>,
) -> ApiResult<Json<Vec<Rate>>> {
    let currency = q
        .currency
        .as_deref()
        .map(|c| parse("currency", c, Currency::parse))
        .transpose()?;
    let day = |what: &str, s: Option<&str>| -> Result<Option<jiff::civil::Date>, ApiError> {
        s.map(|d| {
            d.parse()
                .map_err(|_| ApiError::BadRequest(format!("{what}: \"{d}\" is not a date")))
        })
        .transpose()
    };
    let (from, to) = (day("from", q.from.as_deref())?, day("to", q.to.as_deref())?);
    let table = aid::rates(state.store.as_ref()).await?;
    Ok(Json(
        table
            .iter()
            .filter(|(c, d, _)| {
                currency.as_ref().is_none_or(|x| x == *c)
                    && from.is_none_or(|f| **d >= f)
                    && to.is_none_or(|t| **d <= t)
            })
            .map(|(c, d, r)| Rate {
                date: d.to_string(),
                currency: c.to_string(),
                per_eur: r.as_str().to_owned(),
            })
            .collect(),
    ))
}

/// A CSV file sent as JSON.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CsvUpload {
    pub csv: String,
}

/// Adds exchange rates from CSV: the ECB's layout (`Date,USD,JPY,…`) or `date,currency,rate`.
#[utoipa::path(post, path = "/fx-rates", tag = "aid", request_body = CsvUpload,
    responses((status = 200, body = Object), (status = 403, body = crate::ErrorBody),
        (status = 422, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn import_rates(
    State(state): State<AppState>,
    Hq(caller): Hq,
    Json(body): Json<CsvUpload>,
) -> ApiResult<Json<Value>> {
    let (read, kept) = aid::import_rates(state.store.as_ref(), &body.csv, &caller.actor()).await?;
    Ok(Json(
        serde_json::json!({"read": read, "imported_rates": kept}),
    ))
}

/// Reference figures per country (population, GDP, defence spending), each with its year and
/// source.
#[utoipa::path(get, path = "/countries", tag = "aid",
    responses((status = 200, body = [Object])))]
pub async fn countries(State(state): State<AppState>) -> ApiResult<Json<Vec<CountryFacts>>> {
    Ok(Json(aid::countries(state.store.as_ref()).await?))
}

/// Replaces the reference figures with a CSV in `data/countries.csv`'s layout.
#[utoipa::path(put, path = "/countries", tag = "aid", request_body = CsvUpload,
    responses((status = 200, body = Object), (status = 403, body = crate::ErrorBody),
        (status = 422, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn import_countries(
    State(state): State<AppState>,
    Hq(caller): Hq,
    Json(body): Json<CsvUpload>,
) -> ApiResult<Json<Value>> {
    let n = aid::import_countries(state.store.as_ref(), &body.csv, &caller.actor()).await?;
    Ok(Json(serde_json::json!({"countries": n})))
}

/// An entry with its version and each stage in EUR with the rate used.
#[derive(Debug, Serialize, ToSchema)]
pub struct CommitmentView {
    #[schema(value_type = Object)]
    pub commitment: Commitment,
    pub version: i64,
    #[schema(value_type = [Object])]
    pub stages: Vec<StageView>,
}

/// One ledger entry, if the caller may see it.
#[utoipa::path(get, path = "/commitments/{id}", tag = "aid", params(("id" = String, Path)),
    responses((status = 200, body = CommitmentView), (status = 404, body = crate::ErrorBody)))]
pub async fn commitment(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<CommitmentView>> {
    let id = parse("commitment id", &id, CommitmentId::parse)?;
    let found = state.store.commitment(&caller.viewer(), &id).await?;
    let rates = aid::rates(state.store.as_ref()).await?;
    Ok(Json(CommitmentView {
        stages: aid::stage_views(&found.value, &rates),
        commitment: found.value,
        version: found.version,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct StageRequest {
    /// The version read; a stale one gets 409.
    pub version: Option<i64>,
    pub status: String,
    /// YYYY-MM-DD.
    pub date: String,
    /// The source that reports it (required).
    pub source: String,
    pub note: Option<String>,
    /// The value at this stage when it differs from the entry's, e.g. `{"value": "118500000",
    /// "currency": "EUR"}`.
    #[schema(value_type = Object)]
    pub amount: Option<Value>,
}

/// Records the entry's next stage (announced → committed → allocated/contracted →
/// delivered/disbursed, or cancelled), with its date and source.
#[utoipa::path(post, path = "/commitments/{id}/stages", tag = "aid", params(("id" = String, Path)),
    request_body = StageRequest,
    responses((status = 200, body = CommitmentView), (status = 403, body = crate::ErrorBody),
        (status = 404, body = crate::ErrorBody), (status = 409, body = crate::ErrorBody),
        (status = 422, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn record_stage(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<StageRequest>,
) -> ApiResult<Json<CommitmentView>> {
    let id = parse("commitment id", &id, CommitmentId::parse)?;
    caller.signed_in()?;
    let current = state.store.commitment(&caller.viewer(), &id).await?;
    caller.may_manage_offers_of(&current.value.nation)?;
    let stage = stage_from(
        body.status.as_str(),
        &body.date,
        &body.source,
        body.note,
        body.amount.as_ref(),
    )?;
    let updated = state
        .store
        .record_stage(&id, stage, body.version, &caller.actor())
        .await?;
    let rates = aid::rates(state.store.as_ref()).await?;
    Ok(Json(CommitmentView {
        stages: aid::stage_views(&updated.value, &rates),
        commitment: updated.value,
        version: updated.version,
    }))
}

/// A stage from request fields; every mistake is a 422 with its own code.
pub(crate) fn stage_from(
    status: &str,
    date: &str,
    source: &str,
    note: Option<String>,
    amount: Option<&Value>,
) -> Result<Stage, ApiError> {
    let status = CommitmentStatus::ALL
        .iter()
        .find(|(w, _)| *w == status.trim())
        .map(|(_, s)| *s)
        .ok_or_else(|| {
            ApiError::invalid("invalid_status", format!("\"{status}\" is not a status"))
        })?;
    let date = date.trim().parse().map_err(|_| {
        ApiError::invalid(
            "invalid_date",
            format!("date: \"{date}\" is not a date (YYYY-MM-DD)"),
        )
    })?;
    if source.trim().is_empty() {
        return Err(ApiError::invalid(
            "invalid_source",
            "a stage needs its source",
        ));
    }
    let source = SourceId::parse(source.trim())
        .map_err(|e| ApiError::invalid("invalid_source", format!("source: {e}")))?;
    let amount = match amount {
        None | Some(Value::Null) => None,
        Some(v) => {
            let mut errs = ParseErrors::default();
            match Money::from_json(v, "amount", &mut errs) {
                Some(m) if errs.is_empty() => Some(m),
                _ => return Err(ApiError::invalid("invalid_amount", errs.to_string())),
            }
        }
    };
    Ok(Stage {
        status,
        date,
        amount,
        note: note.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty()),
        sources: vec![source],
    })
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ExportQuery {
    /// `kiel` (CSV, one row per stage; the default) or `json`.
    pub format: Option<String>,
}

fn export(all: &[Commitment], format: Option<&str>) -> Result<Response, ApiError> {
    match format.unwrap_or("kiel") {
        "kiel" | "csv" => {
            let text =
                domain::kiel::to_csv(all).map_err(|e| ApiError::invalid("not_representable", e))?;
            Ok((
                [
                    (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
                    (
                        header::CONTENT_DISPOSITION,
                        "attachment; filename=\"commitments.csv\"",
                    ),
                ],
                text,
            )
                .into_response())
        }
        "json" => Ok(Json(all.to_vec()).into_response()),
        other => Err(ApiError::BadRequest(format!(
            "format: \"{other}\" is not kiel or json"
        ))),
    }
}

/// The aid and finance entries the caller may see, as CSV in the Kiel tracker's layout or as
/// JSON.
#[utoipa::path(get, path = "/commitments/export", tag = "aid", params(ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 400, body = crate::ErrorBody)))]
pub async fn export_commitments(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    let all = money_entries(&state, &caller.viewer()).await?;
    export(&all, q.format.as_deref())
}

/// Open data: the public aid and finance entries only, whoever asks.
#[utoipa::path(get, path = "/open-data/commitments", tag = "aid", params(ExportQuery),
    responses((status = 200, content_type = "text/csv", body = String),
        (status = 400, body = crate::ErrorBody)))]
pub async fn open_data(
    State(state): State<AppState>,
    Query(q): Query<ExportQuery>,
) -> ApiResult<Response> {
    let all = money_entries(&state, &Viewer::Public).await?;
    export(&all, q.format.as_deref())
}

pub(crate) async fn money_entries(
    state: &AppState,
    viewer: &Viewer,
) -> Result<Vec<Commitment>, ApiError> {
    Ok(state
        .store
        .commitments(viewer, &store::CommitmentFilter::default())
        .await?
        .into_iter()
        .filter(Commitment::is_aid_or_finance)
        .collect())
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImportRequest {
    /// CSV in the Kiel tracker's layout, as `GET /commitments/export` writes it.
    pub csv: Option<String>,
    /// Or entries as JSON, in the scenario format's `commitments` shape.
    #[schema(value_type = [Object])]
    pub commitments: Option<Vec<Value>>,
}

/// Adds or replaces aid and finance entries (matched by id), checked against the whole ledger;
/// all or nothing.
#[utoipa::path(post, path = "/commitments/import", tag = "aid", request_body = ImportRequest,
    responses((status = 200, body = Object), (status = 403, body = crate::ErrorBody),
        (status = 422, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn import_commitments(
    State(state): State<AppState>,
    Hq(caller): Hq,
    Json(body): Json<ImportRequest>,
) -> ApiResult<Json<Value>> {
    let incoming = match (body.csv, body.commitments) {
        (Some(csv), None) => domain::kiel::from_csv(&csv)
            .map_err(|errs| ApiError::invalid("invalid_csv", errs.to_string()))?,
        (None, Some(items)) => {
            let mut errs = ParseErrors::default();
            let parsed: Vec<Commitment> = items
                .iter()
                .enumerate()
                .filter_map(|(i, v)| {
                    Commitment::from_json(v, &format!("commitments[{i}]"), &mut errs)
                })
                .collect();
            if !errs.is_empty() {
                return Err(ApiError::invalid("invalid_commitment", errs.to_string()));
            }
            parsed
        }
        _ => {
            return Err(ApiError::invalid(
                "invalid_import",
                "send either csv or commitments",
            ))
        }
    };
    let (added, replaced) =
        aid::import_commitments(state.store.as_ref(), incoming, &caller.actor()).await?;
    Ok(Json(
        serde_json::json!({"added": added, "replaced": replaced}),
    ))
}
