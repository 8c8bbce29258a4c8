//! Server settings, passed in by the binary (defaults, then file/environment/flags there).

use std::net::SocketAddr;
use std::time::Duration;

/// Everything the server needs to start. Holds no secret: the database URL's password, if
/// any, is redacted by [`Settings`]'s `Debug`.
#[derive(Clone)]
pub struct Settings {
    /// Address to listen on; port 0 picks a free port.
    pub bind: SocketAddr,
    /// `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// Mark cookies `Secure` (set when served over HTTPS, directly or behind a proxy).
    pub secure_cookies: bool,
    /// How long a browser session lasts.
    pub session_lifetime: Duration,
    /// Largest request body accepted, in bytes.
    pub max_body_bytes: usize,
    /// Sign-in attempts allowed per account and per address within [`Self::sign_in_window`].
    pub sign_in_attempts_per_account: u32,
    pub sign_in_attempts_per_address: u32,
    pub sign_in_window: Duration,
    /// Longest planner run the API accepts, in seconds.
    pub max_plan_seconds: f64,
    /// NATS server to publish alerts to (`nats://host:4222`); none: alerts are only served.
    pub nats_url: Option<String>,
    /// Subject prefix for alerts; the ladder level is appended (`coalition.alerts.hq`).
    pub alert_subject: String,
    /// How often alerts and their escalation are checked for publishing.
    pub alert_interval: Duration,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://coalition.db".into(),
            secure_cookies: false,
            session_lifetime: Duration::from_secs(12 * 3600),
            max_body_bytes: 8 * 1024 * 1024,
            sign_in_attempts_per_account: 5,
            sign_in_attempts_per_address: 30,
            sign_in_window: Duration::from_secs(15 * 60),
            max_plan_seconds: 600.0,
            nats_url: None,
            alert_subject: "coalition.alerts".into(),
            alert_interval: Duration::from_secs(10),
        }
    }
}

impl std::fmt::Debug for Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Settings")
            .field("bind", &self.bind)
            .field("database_url", &store::redact(&self.database_url))
            .field("secure_cookies", &self.secure_cookies)
            .field("session_lifetime", &self.session_lifetime)
            .field("max_body_bytes", &self.max_body_bytes)
            .finish_non_exhaustive()
    }
}
