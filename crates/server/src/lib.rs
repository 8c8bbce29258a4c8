//! Coalition's HTTP server: the JSON API under `/api/v1`, sign-in, per-nation access control
//! and planner jobs. A library: [`build`] binds the listener (port 0 allowed) and returns an
//! [`Application`] that serves until a shutdown signal.

pub mod aid;
mod api;
pub mod auth;
mod caller;
pub mod demo;
mod error;
mod extract;
pub mod jobs;
pub mod monitoring;
pub mod routes;
mod settings;
pub mod web;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::http::{header, HeaderName, HeaderValue};
use axum::Router;
use store::Store;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;

pub use crate::caller::{CSRF_HEADER, SESSION_COOKIE};
pub use crate::error::{ApiError, ErrorBody};
pub use crate::routes::{Access, Route, ROUTES};
pub use crate::settings::Settings;

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub settings: Arc<Settings>,
    limiter: Arc<auth::Limiter>,
    dummy_hash: Arc<String>,
    jobs: jobs::Runner,
    pub monitoring: monitoring::Monitoring,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error(transparent)]
    Auth(#[from] auth::AuthError),
}

/// A bound, ready server.
pub struct Application {
    listener: tokio::net::TcpListener,
    router: Router,
    state: AppState,
}

/// Connects to the database (running migrations), marks planner runs a previous process left
/// unfinished as failed, and binds the listener.
pub async fn build(settings: Settings) -> Result<Application, StartError> {
    let store = store::connect(&settings.database_url).await?;
    build_with_store(settings, Arc::new(store)).await
}

pub async fn build_with_store(
    settings: Settings,
    store: Arc<dyn Store>,
) -> Result<Application, StartError> {
    let interrupted = store.fail_interrupted_jobs().await?;
    if interrupted > 0 {
        tracing::warn!(
            interrupted,
            "planner runs left unfinished were marked failed"
        );
    }
    let dummy_hash = tokio::task::spawn_blocking(auth::dummy_hash)
        .await
        .map_err(|e| auth::AuthError::Hash(e.to_string()))??;
    let listener = tokio::net::TcpListener::bind(settings.bind)
        .await
        .map_err(|source| StartError::Bind {
            addr: settings.bind,
            source,
        })?;
    let state = AppState {
        store,
        limiter: Arc::new(auth::Limiter::new(settings.sign_in_window)),
        settings: Arc::new(settings),
        dummy_hash: Arc::new(dummy_hash),
        jobs: jobs::Runner::default(),
        monitoring: monitoring::Monitoring::default(),
    };
    let router = router(state.clone());
    Ok(Application {
        listener,
        router,
        state,
    })
}

/// The whole HTTP surface with its layers: request ids, body limit, security headers, and a
/// last-resort 500 for a panic.
pub fn router(state: AppState) -> Router {
    let (api, _) = routes::api_router().split_for_parts();
    let limit = state.settings.max_body_bytes;
    let request_id = HeaderName::from_static(caller::REQUEST_ID_HEADER);
    Router::new()
        .nest("/api/v1", api)
        .merge(web::router())
        .fallback(web::not_found)
        .method_not_allowed_fallback(api::method_not_allowed)
        .with_state(state)
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(access_log())
        .layer(PropagateRequestIdLayer::new(request_id.clone()))
        .layer(SetRequestIdLayer::new(request_id, MakeRequestUuid))
        .layer(SetResponseHeaderLayer::overriding(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; script-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'",
            ),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
        .layer(CatchPanicLayer::custom(api::panicked))
}

/// One log line per request at info: method, path (never the query string), request id,
/// status and latency. Headers and bodies, which carry passwords, tokens and cookies, are never
/// logged.
fn access_log() -> tower_http::trace::TraceLayer<
    tower_http::classify::SharedClassifier<tower_http::classify::ServerErrorsAsFailures>,
    impl Fn(&axum::http::Request<axum::body::Body>) -> tracing::Span + Clone,
> {
    use tower_http::trace::{DefaultOnResponse, TraceLayer};
    TraceLayer::new_for_http()
        .make_span_with(|req: &axum::http::Request<axum::body::Body>| {
            let id = req
                .headers()
                .get(caller::REQUEST_ID_HEADER)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("-");
            tracing::info_span!("request", method = %req.method(), path = %req.uri().path(), id = %id)
        })
        .on_response(
            DefaultOnResponse::new()
                .level(tracing::Level::INFO)
                .latency_unit(tower_http::LatencyUnit::Millis),
        )
}

/// The OpenAPI document, as served at `/api/v1/openapi.json` and committed in `docs/`.
pub fn openapi_json() -> String {
    let (_, doc) = routes::api_router().split_for_parts();
    doc.to_pretty_json().unwrap_or_default()
}

impl Application {
    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .unwrap_or_else(|_| SocketAddr::from(([127, 0, 0, 1], 0)))
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` completes; then stops accepting, lets in-flight requests finish,
    /// stops planner runs (they are marked failed, to be run again) and closes the database.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let Application {
            listener,
            router,
            state,
        } = self;
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let publisher = state.settings.nats_url.clone().map(|url| {
            monitoring::spawn_publisher(
                state.clone(),
                url,
                state.settings.alert_subject.clone(),
                state.settings.alert_interval,
            )
        });
        axum::serve(listener, service)
            .with_graceful_shutdown(shutdown)
            .await?;
        if let Some(p) = publisher {
            p.abort();
        }
        state
            .jobs
            .stop(state.store.as_ref(), Duration::from_secs(10))
            .await;
        Ok(())
    }

    /// Serves until SIGINT or SIGTERM.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(shutdown_signal()).await
    }
}

/// Completes on SIGINT (Ctrl-C) or, on Unix, SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = term => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// A stage from its parts, checked as the API checks it (for the command line).
pub fn api_stage(
    status: &str,
    date: &str,
    source: &str,
    note: Option<String>,
) -> Result<domain::commitment::Stage, impl std::error::Error + Send + Sync + 'static> {
    api::aid::stage_from(status, date, source, note, None)
}
