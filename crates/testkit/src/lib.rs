//! Support the test suites share (a dev-dependency only): scratch PostgreSQL databases created
//! and dropped by each test, the address a started `coalition serve` prints, and the exercise
//! scenario. A failure here is a failed test, so it panics with what went wrong.
#![expect(clippy::unwrap_used, reason = "test support: a panic is a failed test")]

use sqlx::Connection;

/// Creates an empty database on the PostgreSQL server of `base` (a URL naming any database on
/// it), named `coalition_<purpose>_<process>_<microseconds>`; returns its URL and its name.
pub async fn create_database(base: &str, purpose: &str) -> (String, String) {
    let name = format!(
        "coalition_{purpose}_{}_{}",
        std::process::id(),
        jiff::Timestamp::now().as_microsecond()
    );
    let mut admin = sqlx::PgConnection::connect(base).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    admin.close().await.unwrap();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    (format!("{prefix}/{name}"), name)
}

/// Drops a database [`create_database`] made, even with connections still open.
pub async fn drop_database(base: &str, name: &str) {
    let mut admin = sqlx::PgConnection::connect(base).await.unwrap();
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
}

/// The address (`http://host:port`, no trailing slash) in the first line `coalition serve`
/// prints.
pub fn server_url(first_line: &str) -> String {
    first_line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no address in the server's first line: {first_line:?}"))
        .trim_end_matches('/')
        .to_owned()
}

/// The text of the exercise scenario shipped in `data/exercise.json`.
pub fn exercise_text() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/exercise.json"
    ))
    .unwrap()
}

/// The exercise scenario shipped in `data/exercise.json`.
pub fn exercise() -> domain::Scenario {
    domain::Scenario::parse(&exercise_text()).unwrap()
}
