//! The route table: every API route with the access rule it enforces. The router is built
//! from the handlers' OpenAPI annotations, and the access-matrix test checks that the table,
//! the OpenAPI document and the handlers' behaviour agree.

use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::api;
use crate::AppState;

/// Who may call a route. Answers are always filtered by the caller's releasability too.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Anyone, signed in or not; signed-out callers see public records only.
    Anyone,
    /// Any signed-in user.
    SignedIn,
    /// Administrators, planners, and nation officers for their own nation's records.
    OfferManager,
    /// Administrators, planners and nation officers (who see their own nation's rows).
    AuditReader,
    /// Coalition HQ: administrators and planners.
    Hq,
    /// Monitors, planners and administrators.
    Monitor,
    /// Everyone signed in but observers (who acknowledge alerts).
    Responder,
    /// Administrators.
    Admin,
}

#[derive(Debug, Clone, Copy)]
pub struct Route {
    pub method: &'static str,
    /// The path under `/api/v1`, with `{parameters}`.
    pub path: &'static str,
    pub access: Access,
}

const fn r(method: &'static str, path: &'static str, access: Access) -> Route {
    Route {
        method,
        path,
        access,
    }
}

pub const ROUTES: &[Route] = &[
    r("GET", "/health", Access::Anyone),
    r("GET", "/openapi.json", Access::Anyone),
    r("POST", "/session", Access::Anyone),
    r("DELETE", "/session", Access::SignedIn),
    r("GET", "/me", Access::SignedIn),
    r("GET", "/nations", Access::Anyone),
    r("GET", "/nations/{code}", Access::Anyone),
    r("GET", "/capabilities", Access::Anyone),
    r("GET", "/sources", Access::Anyone),
    r("GET", "/requirements", Access::SignedIn),
    r("GET", "/commitments", Access::Anyone),
    r("GET", "/commitments/export", Access::Anyone),
    r("POST", "/commitments/import", Access::Hq),
    r("GET", "/commitments/{id}", Access::Anyone),
    r("POST", "/commitments/{id}/stages", Access::OfferManager),
    r("GET", "/open-data/commitments", Access::Anyone),
    r("GET", "/fx-rates", Access::Anyone),
    r("POST", "/fx-rates", Access::Hq),
    r("GET", "/countries", Access::Anyone),
    r("PUT", "/countries", Access::Hq),
    r("GET", "/burden-sharing", Access::SignedIn),
    r("POST", "/observations", Access::Monitor),
    r("GET", "/incidents", Access::SignedIn),
    r("GET", "/incidents/{id}", Access::SignedIn),
    r("POST", "/incidents/{id}/split", Access::Monitor),
    r("POST", "/incidents/{id}/merge", Access::Monitor),
    r("POST", "/effort", Access::Monitor),
    r("GET", "/sectors", Access::SignedIn),
    r("PUT", "/sectors", Access::Hq),
    r("GET", "/reports/daily", Access::SignedIn),
    r("GET", "/open-data/reports/daily", Access::Anyone),
    r("GET", "/alerts", Access::SignedIn),
    r("POST", "/alerts/{id}/ack", Access::Responder),
    r("GET", "/alert-rules", Access::SignedIn),
    r("PUT", "/alert-rules", Access::Hq),
    r("GET", "/offers", Access::Anyone),
    r("POST", "/offers", Access::OfferManager),
    r("GET", "/offers/{id}", Access::Anyone),
    r("PUT", "/offers/{id}", Access::OfferManager),
    r("POST", "/offers/{id}/status", Access::OfferManager),
    r("GET", "/scenario", Access::Anyone),
    r("PUT", "/scenario", Access::Hq),
    r("GET", "/plans", Access::SignedIn),
    r("GET", "/plans/{id}", Access::SignedIn),
    r("GET", "/plan-jobs", Access::Hq),
    r("POST", "/plan-jobs", Access::Hq),
    r("GET", "/plan-jobs/{id}", Access::Hq),
    r("GET", "/audit", Access::AuditReader),
    r("GET", "/audit/verify", Access::Admin),
    r("GET", "/users", Access::Admin),
    r("POST", "/users", Access::Admin),
    r("POST", "/users/{username}/disable", Access::Admin),
    r("POST", "/users/{username}/enable", Access::Admin),
    r("GET", "/tokens", Access::SignedIn),
    r("POST", "/tokens", Access::SignedIn),
    r("DELETE", "/tokens/{id}", Access::SignedIn),
];

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Coalition API",
        description = "Commitments, force offers, requirements and plans of a multinational coalition guaranteeing a ceasefire. Every answer is filtered by the caller's releasability. Errors are `{\"error\": code, \"message\": text}`.",
        license(name = "Apache-2.0")
    ),
    servers((url = "/api/v1")),
    components(schemas(crate::error::ErrorBody)),
    modifiers(&Security)
)]
struct ApiDoc;

struct Security;

impl utoipa::Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{
            ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme,
        };
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::SESSION_COOKIE))),
        );
    }
}

/// Every API route, with its OpenAPI description.
pub fn api_router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(api::meta::health))
        .routes(routes!(api::meta::openapi))
        .routes(routes!(api::session::sign_in, api::session::sign_out))
        .routes(routes!(api::session::me))
        .routes(routes!(api::ledger::nations))
        .routes(routes!(api::ledger::nation))
        .routes(routes!(api::ledger::capabilities))
        .routes(routes!(api::ledger::sources))
        .routes(routes!(api::ledger::requirements))
        .routes(routes!(api::ledger::commitments))
        .routes(routes!(api::aid::export_commitments))
        .routes(routes!(api::aid::import_commitments))
        .routes(routes!(api::aid::commitment))
        .routes(routes!(api::aid::record_stage))
        .routes(routes!(api::aid::open_data))
        .routes(routes!(api::aid::rates, api::aid::import_rates))
        .routes(routes!(api::aid::countries, api::aid::import_countries))
        .routes(routes!(api::aid::burden_sharing))
        .routes(routes!(api::monitoring::ingest))
        .routes(routes!(api::monitoring::incidents))
        .routes(routes!(api::monitoring::incident))
        .routes(routes!(api::monitoring::split))
        .routes(routes!(api::monitoring::merge))
        .routes(routes!(api::monitoring::effort))
        .routes(routes!(
            api::monitoring::sectors,
            api::monitoring::put_sectors
        ))
        .routes(routes!(api::monitoring::daily_report))
        .routes(routes!(api::monitoring::public_report))
        .routes(routes!(api::monitoring::alerts))
        .routes(routes!(api::monitoring::acknowledge))
        .routes(routes!(
            api::monitoring::alert_rules,
            api::monitoring::put_alert_rules
        ))
        .routes(routes!(api::offers::list, api::offers::create))
        .routes(routes!(api::offers::get, api::offers::update))
        .routes(routes!(api::offers::change_status))
        .routes(routes!(api::scenario::export, api::scenario::import))
        .routes(routes!(api::plans::list))
        .routes(routes!(api::plans::get))
        .routes(routes!(api::plans::jobs, api::plans::start_job))
        .routes(routes!(api::plans::job))
        .routes(routes!(api::audit::log))
        .routes(routes!(api::audit::verify))
        .routes(routes!(api::users::list, api::users::add))
        .routes(routes!(api::users::disable))
        .routes(routes!(api::users::enable))
        .routes(routes!(api::users::tokens, api::users::add_token))
        .routes(routes!(api::users::revoke_token))
}
