//! The black-box API suite: one test binary, a real server per test, on SQLite and (when
//! `COALITION_TEST_PG` is set) PostgreSQL.
#![expect(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

mod aid;
mod alerts;
mod flows;
mod helpers;
mod hostile;
mod matrix;
mod monitoring;
mod ui;
