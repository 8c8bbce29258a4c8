//! Force offers: read by releasability; created and changed by coalition HQ and by the
//! offering nation's officers. Every change carries the version it was based on.

use axum::extract::State;
use axum::http::StatusCode;
use domain::ids::{CapabilityCode, NationCode, OfferId, SourceId};
use domain::offer::{Offer, OfferStatus, StatusChange};
use domain::ParseErrors;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::{parse, Page, PageQuery};
use crate::caller::Caller;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::AppState;

/// An offer with the version to send back when changing it.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionedOffer {
    #[schema(value_type = Object)]
    pub offer: Offer,
    pub version: i64,
}

impl From<store::Versioned<Offer>> for VersionedOffer {
    fn from(v: store::Versioned<Offer>) -> Self {
        Self {
            offer: v.value,
            version: v.version,
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OfferQuery {
    pub nation: Option<String>,
    /// indicated, offered, confirmed, deployed or withdrawn.
    pub status: Option<String>,
    pub capability: Option<String>,
    /// Answer as of this date (YYYY-MM-DD): each offer with the status it had then, counting
    /// only changes recorded by the end of that day; offers not yet made are left out.
    pub as_of: Option<String>,
    pub page: Option<u32>,
    pub per_page: Option<u32>,
}

/// Offers the caller may see, in scenario order.
#[utoipa::path(get, path = "/offers", tag = "offers", params(OfferQuery),
    responses((status = 200, body = Page), (status = 400, body = crate::ErrorBody)))]
pub async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Query(q): Query<OfferQuery>,
) -> ApiResult<Json<Page>> {
    let filter = store::OfferFilter {
        nation: q
            .nation
            .as_deref()
            .map(|n| parse("nation", n, NationCode::parse))
            .transpose()?,
        capability: q
            .capability
            .as_deref()
            .map(|c| parse("capability", c, CapabilityCode::parse))
            .transpose()?,
        status: None,
    };
    let status = q
        .status
        .as_deref()
        .map(|s| parse("status", s, OfferStatus::parse))
        .transpose()?;
    let as_of = q
        .as_of
        .as_deref()
        .map(|d| super::aid::as_of(Some(d)))
        .transpose()?;
    let mut all = state.store.offers(&caller.viewer(), &filter).await?;
    if let Some(day) = as_of {
        let known_at = super::end_of(day);
        all = all
            .into_iter()
            .filter_map(|mut o| {
                o.status = domain::offer::status_as_of(&o.history, day, known_at)?;
                o.history
                    .retain(|h| h.effective <= day && h.recorded_at < known_at);
                Some(o)
            })
            .collect();
    }
    all.retain(|o| status.is_none_or(|s| o.status == s));
    Ok(Json(
        PageQuery {
            page: q.page,
            per_page: q.per_page,
        }
        .apply(all)?,
    ))
}

fn offer_from(body: &Value) -> Result<Offer, ApiError> {
    let mut errs = ParseErrors::default();
    match Offer::from_json(body, "offer", &mut errs) {
        Some(o) if errs.is_empty() => Ok(o),
        _ => Err(ApiError::invalid("invalid_offer", errs.to_string())),
    }
}

/// Adds an offer (in the `coalition.scenario/1` offer shape, without `history`). Its first
/// status is recorded as a status change by the caller, citing the offer's first source.
#[utoipa::path(post, path = "/offers", tag = "offers", request_body = Object,
    responses((status = 201, body = VersionedOffer), (status = 403, body = crate::ErrorBody),
        (status = 409, body = crate::ErrorBody), (status = 422, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    Json(body): Json<Value>,
) -> ApiResult<(StatusCode, Json<VersionedOffer>)> {
    if body.get("history").is_some() {
        return Err(ApiError::invalid(
            "invalid_offer",
            "offer.history: a new offer has no history; its status changes are recorded as they happen",
        ));
    }
    let mut offer = offer_from(&body)?;
    let user = caller.may_manage_offers_of(&offer.nation)?;
    record_creation(&mut offer, user);
    let created = state.store.create_offer(&offer, &caller.actor()).await?;
    Ok((StatusCode::CREATED, Json(created.into())))
}

/// One offer, if the caller may see it.
#[utoipa::path(get, path = "/offers/{id}", tag = "offers",
    params(("id" = String, Path)),
    responses((status = 200, body = VersionedOffer), (status = 404, body = crate::ErrorBody)))]
pub async fn get(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
) -> ApiResult<Json<VersionedOffer>> {
    let id = parse("offer id", &id, OfferId::parse)?;
    Ok(Json(state.store.offer(&caller.viewer(), &id).await?.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OfferUpdate {
    /// The version the change is based on; a stale one is `409 version_conflict`.
    pub version: i64,
    /// The whole offer as it should be (its status and history are kept; change the status
    /// with a status change).
    #[schema(value_type = Object)]
    pub offer: Value,
}

/// Replaces an offer's fields, if `version` is current.
#[utoipa::path(put, path = "/offers/{id}", tag = "offers", params(("id" = String, Path)),
    request_body = OfferUpdate,
    responses((status = 200, body = VersionedOffer), (status = 403, body = crate::ErrorBody),
        (status = 404, body = crate::ErrorBody), (status = 409, body = crate::ErrorBody),
        (status = 422, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn update(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<OfferUpdate>,
) -> ApiResult<Json<VersionedOffer>> {
    let id = parse("offer id", &id, OfferId::parse)?;
    caller.signed_in()?;
    let current = state.store.offer(&caller.viewer(), &id).await?;
    caller.may_manage_offers_of(&current.value.nation)?;
    let mut fields = body.offer;
    if let Value::Object(map) = &mut fields {
        map.remove("history");
    }
    let offer = offer_from(&fields)?;
    if offer.id != id {
        return Err(ApiError::invalid(
            "invalid_offer",
            format!(
                "offer.id: the body is offer \"{}\", the path \"{id}\"",
                offer.id
            ),
        ));
    }
    let updated = state
        .store
        .update_offer(&offer, body.version, &caller.actor())
        .await?;
    Ok(Json(updated.into()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StatusChangeRequest {
    /// The version the change is based on; a stale one is `409 version_conflict`.
    pub version: i64,
    /// indicated, offered, confirmed, deployed or withdrawn.
    pub status: String,
    /// When the change takes effect (YYYY-MM-DD); today when omitted.
    pub effective: Option<String>,
    /// The source that reports the change (required: every status can be traced).
    pub source: String,
    pub note: Option<String>,
}

/// Records a status change with its source, checked against the offer's lifecycle.
#[utoipa::path(post, path = "/offers/{id}/status", tag = "offers", params(("id" = String, Path)),
    request_body = StatusChangeRequest,
    responses((status = 200, body = VersionedOffer), (status = 403, body = crate::ErrorBody),
        (status = 404, body = crate::ErrorBody), (status = 409, body = crate::ErrorBody),
        (status = 422, body = crate::ErrorBody)),
    security(("session" = []), ("token" = [])))]
pub async fn change_status(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    Json(body): Json<StatusChangeRequest>,
) -> ApiResult<Json<VersionedOffer>> {
    let id = parse("offer id", &id, OfferId::parse)?;
    caller.signed_in()?;
    let current = state.store.offer(&caller.viewer(), &id).await?;
    let user = caller.may_manage_offers_of(&current.value.nation)?;
    let status =
        OfferStatus::parse(&body.status).map_err(|e| ApiError::invalid("invalid_status", e))?;
    let source = SourceId::parse(&body.source)
        .map_err(|e| ApiError::invalid("invalid_source", format!("source: {e}")))?;
    let now = super::now();
    let effective = match body.effective.as_deref() {
        Some(d) => d.parse().map_err(|_| {
            ApiError::invalid(
                "invalid_date",
                format!("effective: \"{d}\" is not a date (YYYY-MM-DD)"),
            )
        })?,
        None => now.to_zoned(jiff::tz::TimeZone::UTC).date(),
    };
    let change = StatusChange {
        status,
        effective,
        recorded_at: now,
        recorded_by: user.username.to_string(),
        source: Some(source),
        note: body.note,
    };
    let updated = state
        .store
        .record_status_change(&id, change, Some(body.version), &caller.actor())
        .await?;
    Ok(Json(updated.into()))
}

/// Opens a new offer's status history with the status it was created in, on its first source.
pub(crate) fn record_creation(offer: &mut Offer, by: &store::User) {
    let now = super::now();
    offer.history.push(StatusChange {
        status: offer.status,
        effective: now.to_zoned(jiff::tz::TimeZone::UTC).date(),
        recorded_at: now,
        recorded_by: by.username.to_string(),
        source: offer.sources.first().cloned(),
        note: Some("offer created".into()),
    });
}
