//! Backups, restores and moves between databases: what goes in comes out row for row, on
//! SQLite always and into PostgreSQL when `COALITION_TEST_PG` names a server.
#![expect(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

use domain::access::{Role, Username};
use domain::ids::NationCode;
use domain::Scenario;
use sqlx::Connection;
use store::backup::{self, carried, NOT_CARRIED};
use store::{connect, Actor, ImportMode, NewUser, SqlStore, Store, Viewer};

fn actor() -> Actor {
    Actor::new("backup-test")
}

fn scenario() -> Scenario {
    testkit::exercise()
}

fn sqlite_url(dir: &tempfile::TempDir, name: &str) -> String {
    format!("sqlite://{}", dir.path().join(name).display())
}

/// A database with something in every kind of table, NULLs included.
async fn filled(store: &SqlStore) {
    store
        .import_scenario(&scenario(), ImportMode::Create, &actor())
        .await
        .unwrap();
    let user = NewUser {
        username: Username::parse("gbr-officer").unwrap(),
        role: Role::NationOfficer,
        nation: Some(NationCode::parse("GBR").unwrap()),
        password_hash: "$argon2id$not-a-real-hash".into(),
    };
    store.add_user(&user, &actor()).await.unwrap();
    let token = store
        .add_token(&user.username, "scripts", "hash-1", &actor())
        .await
        .unwrap();
    store.revoke_token(token.id, &actor()).await.unwrap();
    store
        .add_token(&user.username, "live", "hash-2", &actor())
        .await
        .unwrap();
    let job = store.create_job("{}", &actor()).await.unwrap();
    store.fail_job(job.id, "stopped").await.unwrap();
    let entries: Vec<(String, String)> = (0..450)
        .map(|i| {
            (
                format!("obs-{i}"),
                format!("{{\"n\":{i},\"text\":\"é \\\"quoted\\\"\"}}"),
            )
        })
        .collect();
    store
        .append_monitor_log("observation", &entries, &actor())
        .await
        .unwrap();
    store
        .put_reference("countries", "code,name\nGBR,United Kingdom\n", &actor())
        .await
        .unwrap();
}

async fn backup_text(store: &SqlStore) -> String {
    let mut out = Vec::new();
    backup::backup(store, &mut out).await.unwrap();
    String::from_utf8(out).unwrap()
}

/// The rows of a backup: every line but the header (which names the time and the source
/// backend) and the end line (whose checksum covers the header).
fn rows(text: &str) -> Vec<&str> {
    let lines: Vec<&str> = text.lines().collect();
    lines[1..lines.len() - 1].to_vec()
}

async fn assert_same_deployment(a: &SqlStore, b: &SqlStore) {
    assert_eq!(rows(&backup_text(a).await), rows(&backup_text(b).await));
    let all = &Viewer::Everything;
    assert_eq!(
        a.export_scenario(all).await.unwrap(),
        b.export_scenario(all).await.unwrap()
    );
    let audit = b.verify_audit().await.unwrap();
    assert!(audit.broken.is_none(), "{audit:?}");
    assert_eq!(audit, a.verify_audit().await.unwrap());
}

/// After a restore, new rows get fresh ids (PostgreSQL's sequences were moved on).
async fn keeps_working(store: &SqlStore) {
    let job = store
        .create_job("{\"after\":true}", &actor())
        .await
        .unwrap();
    assert!(job.id > 1, "job id {} reused", job.id);
    let seq = store
        .append_monitor_log("observation", &[("after".into(), "{}".into())], &actor())
        .await
        .unwrap();
    assert!(
        matches!(seq[0], store::Appended::New(s) if s > 450),
        "{seq:?}"
    );
    assert!(store.verify_audit().await.unwrap().broken.is_none());
}

#[tokio::test]
async fn a_backup_restores_row_for_row_and_the_restored_database_keeps_working() {
    let dir = tempfile::tempdir().unwrap();
    let a = connect(&sqlite_url(&dir, "a.db")).await.unwrap();
    filled(&a).await;
    let text = backup_text(&a).await;
    let (b, summary) = backup::restore(&sqlite_url(&dir, "b.db"), text.as_bytes())
        .await
        .unwrap();
    assert_eq!(summary.rows(), rows(&text).len() as u64);
    assert!(summary
        .tables
        .iter()
        .any(|(t, n)| t == "monitor_log" && *n == 450));
    assert_same_deployment(&a, &b).await;
    keeps_working(&b).await;
}

#[tokio::test]
async fn a_damaged_backup_or_a_used_target_is_refused_and_nothing_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let a = connect(&sqlite_url(&dir, "a.db")).await.unwrap();
    filled(&a).await;
    let text = backup_text(&a).await;
    let lines: Vec<&str> = text.lines().collect();

    let truncated = lines[..lines.len() / 2].join("\n");
    let edited = text.replacen("gbr-officer", "gbr-0fficer", 1);
    let dropped_row = [&lines[..5], &lines[6..]].concat().join("\n");
    let not_a_backup = "{\"format\":\"something/1\"}\n".to_owned();
    for (i, (what, bad)) in [
        ("truncated", truncated),
        ("edited", edited),
        ("a row dropped", dropped_row),
        ("another format", not_a_backup),
        ("empty", String::new()),
    ]
    .into_iter()
    .enumerate()
    {
        let url = sqlite_url(&dir, &format!("bad-{i}.db"));
        let err = backup::restore(&url, bad.as_bytes()).await;
        assert!(err.is_err(), "{what}: restored");
        let target = connect(&url).await.unwrap();
        assert_eq!(target.scenario_name().await.unwrap(), None, "{what}");
        assert!(target.users().await.unwrap().is_empty(), "{what}");
    }

    // A database that holds anything is never a restore target.
    let err = backup::restore(&sqlite_url(&dir, "a.db"), text.as_bytes())
        .await
        .map(|_| ())
        .unwrap_err();
    assert!(err.to_string().contains("not empty"), "{err}");
}

#[tokio::test]
async fn a_backup_taken_while_others_write_is_consistent() {
    let dir = tempfile::tempdir().unwrap();
    let url = sqlite_url(&dir, "busy.db");
    let a = connect(&url).await.unwrap();
    filled(&a).await;
    let writer = {
        let url = url.clone();
        tokio::spawn(async move {
            let w = connect(&url).await.unwrap();
            for i in 0..40 {
                let batch: Vec<(String, String)> = (0..50)
                    .map(|j| (format!("busy-{i}-{j}"), "{}".to_owned()))
                    .collect();
                w.append_monitor_log("observation", &batch, &actor())
                    .await
                    .unwrap();
                w.create_job("{}", &actor()).await.unwrap();
            }
        })
    };
    let mut texts = Vec::new();
    for _ in 0..5 {
        texts.push(backup_text(&a).await);
    }
    writer.await.unwrap();
    for (i, text) in texts.iter().enumerate() {
        let (b, _) = backup::restore(&sqlite_url(&dir, &format!("r{i}.db")), text.as_bytes())
            .await
            .unwrap();
        let audit = b.verify_audit().await.unwrap();
        assert!(audit.broken.is_none(), "backup {i}: {audit:?}");
        // Every batch of observations is whole: the writer's transactions are never split.
        let n = rows(text)
            .iter()
            .filter(|l| l.starts_with("[\"monitor_log\""))
            .count();
        assert_eq!(
            (n - 450) % 50,
            0,
            "backup {i} holds a partial batch ({n} log rows)"
        );
    }
}

/// The backup carries every table and column of the schema but the ones it leaves out on
/// purpose; a migration that adds one without teaching the backup fails here.
async fn assert_backup_covers_schema(store: &SqlStore, tables: Vec<(String, String)>) {
    let mut expected: Vec<(String, String)> = carried()
        .into_iter()
        .flat_map(|(t, cols)| cols.into_iter().map(move |c| (t.to_owned(), c.to_owned())))
        .collect();
    let mut found: Vec<(String, String)> = tables
        .into_iter()
        .filter(|(t, _)| !NOT_CARRIED.contains(&t.as_str()) && t != "sqlite_sequence")
        .collect();
    expected.sort();
    found.sort();
    assert_eq!(found, expected, "on {}", store.backend());
}

#[tokio::test]
async fn the_backup_covers_every_table_and_column_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let a = connect(&sqlite_url(&dir, "a.db")).await.unwrap();
    let tables: Vec<String> =
        sqlx::query_scalar("SELECT name FROM sqlite_master WHERE type = 'table'")
            .fetch_all(a.pool())
            .await
            .unwrap();
    let mut columns = Vec::new();
    for t in tables {
        let names: Vec<String> =
            sqlx::query_scalar(&format!("SELECT name FROM pragma_table_info('{t}')"))
                .fetch_all(a.pool())
                .await
                .unwrap();
        columns.extend(names.into_iter().map(|c| (t.clone(), c)));
    }
    assert_backup_covers_schema(&a, columns).await;
}

#[tokio::test]
async fn a_deployment_moves_from_sqlite_to_postgres() {
    let Ok(base) = std::env::var("COALITION_TEST_PG") else {
        eprintln!("skipped: COALITION_TEST_PG is not set, so the move to PostgreSQL did not run");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let a = connect(&sqlite_url(&dir, "a.db")).await.unwrap();
    filled(&a).await;

    let mut urls = Vec::new();
    let mut names = Vec::new();
    for purpose in ["copy", "restore"] {
        let (url, name) = testkit::create_database(&base, purpose).await;
        urls.push(url);
        names.push(name);
    }

    // db copy: SQLite → PostgreSQL, compared row for row.
    let (copied, _) = backup::copy(&a, &urls[0]).await.unwrap();
    assert_same_deployment(&a, &copied).await;
    // The copied database's own schema, from PostgreSQL's catalogue.
    let mut conn = sqlx::PgConnection::connect(&urls[0]).await.unwrap();
    let columns = sqlx::query_as::<_, (String, String)>(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = current_schema()",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    assert_backup_covers_schema(&copied, columns).await;
    keeps_working(&copied).await;

    // A SQLite backup restores into PostgreSQL too.
    let text = backup_text(&a).await;
    let (restored, _) = backup::restore(&urls[1], text.as_bytes()).await.unwrap();
    assert_same_deployment(&a, &restored).await;
    keeps_working(&restored).await;
    // And the copy is not a restore target any more.
    assert!(backup::copy(&a, &urls[0]).await.is_err());

    copied.close().await;
    restored.close().await;
    for name in &names {
        testkit::drop_database(&base, name).await;
    }
    eprintln!("ran: move from SQLite to PostgreSQL, and a restore into PostgreSQL");
}
