//! No secret reaches the logs: a full run of the real server at the most verbose log level —
//! sign-in by API and by form, a wrong password, a session, an API token made and used, a
//! database URL with a password — and then a search of everything it printed.
#![expect(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

use std::io::{BufRead, Read, Write};
use std::process::{Command, Stdio};

const EXERCISE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/exercise.json");
const PASSWORD: &str = "Correct-Horse-7731-battery";
const WRONG: &str = "Wrong-Staple-4419-guess";

fn coalition(dir: &std::path::Path, database: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_coalition"));
    c.current_dir(dir)
        .env_remove("COALITION_DATABASE_URL")
        .args(["--database", database]);
    c
}

/// Runs a whole session against `database` with logs at `level`; returns what was printed
/// and the secrets that were in play.
fn run_and_collect(database: &str, level: &str) -> (String, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let out = coalition(d, database)
        .args(["import", "--replace", EXERCISE])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut add = coalition(d, database)
        .args([
            "user",
            "add",
            "secret.tester",
            "--role",
            "planner",
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    add.stdin
        .take()
        .unwrap()
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .unwrap();
    let added = add.wait_with_output().unwrap();
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let mut printed = String::from_utf8_lossy(&added.stdout).into_owned();
    printed.push_str(&String::from_utf8_lossy(&added.stderr));

    let mut child = coalition(d, database)
        .args(["serve", "--bind", "127.0.0.1:0"])
        .env("COALITION_LOG", level)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut first = String::new();
    stdout.read_line(&mut first).unwrap();
    printed.push_str(&first);
    let base = testkit::server_url(&first);
    let mut stderr = child.stderr.take().unwrap();
    let log = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = stderr.read_to_string(&mut s);
        s
    });

    let secrets = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let api = format!("{base}/api/v1");
        let wrong = http
            .post(format!("{api}/session"))
            .json(&serde_json::json!({"username": "secret.tester", "password": WRONG}))
            .send()
            .await
            .unwrap();
        assert_eq!(wrong.status().as_u16(), 401);
        let r = http
            .post(format!("{api}/session"))
            .json(&serde_json::json!({"username": "secret.tester", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
        let cookie = cookie_of(&r);
        let body: serde_json::Value = r.json().await.unwrap();
        let csrf = body["csrf_token"].as_str().unwrap().to_owned();
        let r = http
            .post(format!("{api}/tokens"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .json(&serde_json::json!({"name": "log check"}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        let body: serde_json::Value = r.json().await.unwrap();
        let token = body["secret"].as_str().unwrap().to_owned();
        let me = http
            .get(format!("{api}/me"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status().as_u16(), 200);
        let bad_token = http
            .get(format!("{api}/me"))
            .bearer_auth(format!("{token}x"))
            .send()
            .await
            .unwrap();
        assert_eq!(bad_token.status().as_u16(), 401);
        let form = http
            .post(format!("{base}/sign-in"))
            .form(&[("username", "secret.tester"), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(form.status().as_u16(), 303);
        let form_cookie = cookie_of(&form);
        let bad_form = http
            .post(format!("{base}/sign-in"))
            .form(&[("username", "secret.tester"), ("password", WRONG)])
            .send()
            .await
            .unwrap();
        assert_eq!(bad_form.status().as_u16(), 401);
        let out = http
            .delete(format!("{api}/session"))
            .header("cookie", &cookie)
            .header("x-csrf-token", &csrf)
            .send()
            .await
            .unwrap();
        assert!(out.status().is_success());
        let cookie_value = |c: &str| c.split_once('=').unwrap().1.to_owned();
        vec![
            PASSWORD.to_owned(),
            WRONG.to_owned(),
            token,
            cookie_value(&cookie),
            cookie_value(&form_cookie),
            csrf,
        ]
    });

    assert!(Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap()
        .success());
    child.wait().unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    printed.push_str(&rest);
    printed.push_str(&log.join().unwrap());
    (printed, secrets)
}

/// `name=value` of the cookie a response sets.
fn cookie_of(r: &reqwest::Response) -> String {
    let header = r.headers().get("set-cookie").unwrap().to_str().unwrap();
    header.split(';').next().unwrap().to_owned()
}

fn assert_no_secret(printed: &str, secrets: &[String], level: &str) {
    // The log is real: the requests were logged at this level.
    assert!(
        printed.contains("/api/v1/session") || printed.contains("/sign-in"),
        "nothing was logged at {level}:\n{printed}"
    );
    for secret in secrets {
        assert!(secret.len() >= 16, "a weak probe: {secret}");
        assert!(
            !printed.contains(secret.as_str()),
            "a secret reached the log at {level}: {secret}"
        );
    }
}

#[test]
fn no_password_token_or_session_reaches_the_log_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    for level in ["info", "debug"] {
        let file = dir.path().join(format!("secrets-{level}.db"));
        let database = format!("sqlite://{}", file.display());
        let (printed, secrets) = run_and_collect(&database, level);
        assert_no_secret(&printed, &secrets, level);
    }
}

/// PostgreSQL here trusts local connections, so a URL with a password connects and the
/// password must not appear anywhere either.
#[test]
fn no_database_password_reaches_the_log_on_postgres() {
    let Ok(base) = std::env::var("COALITION_TEST_PG") else {
        eprintln!("skipped: COALITION_TEST_PG is not set, so the PostgreSQL log check did not run");
        return;
    };
    let Some(rest) = base.strip_prefix("postgres://postgres@") else {
        eprintln!("skipped: COALITION_TEST_PG is not postgres://postgres@HOST/DB");
        return;
    };
    let db_password = "Pg-Secret-5581-lantern";
    let name = format!("coalition_secrets_{}", std::process::id());
    let (server, _) = rest.rsplit_once('/').unwrap();
    let admin = |sql: String| {
        let base = base.clone();
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async move {
                use sqlx::Connection;
                let mut c = sqlx::PgConnection::connect(&base).await.unwrap();
                sqlx::query(&sql).execute(&mut c).await.unwrap();
            });
    };
    admin(format!("CREATE DATABASE {name}"));
    let database = format!("postgres://postgres:{db_password}@{server}/{name}");
    let (printed, mut secrets) = run_and_collect(&database, "debug");
    admin(format!("DROP DATABASE {name} WITH (FORCE)"));
    secrets.push(db_password.to_owned());
    assert_no_secret(&printed, &secrets, "debug");
    eprintln!("ran: log check on PostgreSQL");
}
