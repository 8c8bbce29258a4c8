//! One storage story, run on SQLite always and on PostgreSQL when `COALITION_TEST_PG` names a
//! server (each run in a fresh database that is dropped afterwards).
#![expect(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

use domain::commitment::CommitmentKind;
use domain::ids::{Line, NationCode, OfferId};
use domain::offer::{OfferStatus, StatusChange};
use domain::Scenario;
use sqlx::Connection;
use store::{connect, Backend, CommitmentFilter, ImportMode, OfferFilter, Store, StoreError};

fn scenario() -> Scenario {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../data/exercise.json"
    ))
    .unwrap();
    Scenario::parse(&text).unwrap()
}

fn change(status: OfferStatus, effective: &str, recorded: &str) -> StatusChange {
    StatusChange {
        status,
        effective: effective.parse().unwrap(),
        recorded_at: recorded.parse().unwrap(),
        recorded_by: "story".into(),
        source: None,
        note: Some("storage story".into()),
    }
}

async fn story(store: &dyn Store) {
    // Empty database.
    assert_eq!(store.scenario_name().await.unwrap(), None);
    assert!(store.export_scenario().await.unwrap().is_none());
    assert!(
        store.migrate().await.unwrap().is_empty(),
        "migrations ran twice"
    );

    // Import, then refuse a second import unless replacing.
    let s = scenario();
    let written = store.import_scenario(&s, ImportMode::Create).await.unwrap();
    assert!(written > s.offers().len());
    assert!(matches!(
        store.import_scenario(&s, ImportMode::Create).await,
        Err(StoreError::ScenarioExists(_))
    ));
    assert_eq!(
        store.scenario_name().await.unwrap().as_deref(),
        Some(s.name())
    );

    // Export is lossless and byte-for-byte stable.
    let exported = store.export_scenario().await.unwrap().unwrap();
    assert_eq!(exported, s);
    assert_eq!(exported.to_json_pretty(), s.to_json_pretty());

    // Lists come back in file order.
    assert_eq!(store.nations().await.unwrap(), s.nations());
    assert_eq!(store.capabilities().await.unwrap(), s.capabilities());
    assert_eq!(store.sources().await.unwrap(), s.sources());
    assert_eq!(
        store.offers(&OfferFilter::default()).await.unwrap(),
        s.offers()
    );
    assert_eq!(store.requirements(None).await.unwrap(), s.requirements());
    assert_eq!(
        store
            .commitments(&CommitmentFilter::default())
            .await
            .unwrap(),
        s.commitments()
    );

    // Filters.
    let gbr = NationCode::parse("GBR").unwrap();
    let by_nation = store
        .offers(&OfferFilter {
            nation: Some(gbr.clone()),
            ..Default::default()
        })
        .await
        .unwrap();
    let expected: Vec<_> = s
        .offers()
        .iter()
        .filter(|o| o.nation == gbr)
        .cloned()
        .collect();
    assert!(!expected.is_empty());
    assert_eq!(by_nation, expected);
    let indicated = store
        .offers(&OfferFilter {
            status: Some(OfferStatus::Indicated),
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(
        indicated.len(),
        s.offers()
            .iter()
            .filter(|o| o.status == OfferStatus::Indicated)
            .count()
    );
    let land = Line::parse("land").unwrap();
    let land_reqs = store.requirements(Some(&land)).await.unwrap();
    assert_eq!(
        land_reqs.len(),
        s.requirements().iter().filter(|r| r.line == land).count()
    );
    let statements = store
        .commitments(&CommitmentFilter {
            kind: Some(CommitmentKind::Statement),
            nation: Some(gbr.clone()),
        })
        .await
        .unwrap();
    assert!(!statements.is_empty());
    assert!(statements
        .iter()
        .all(|c| c.kind == CommitmentKind::Statement && c.nation == gbr));

    // Status changes: checked against the lifecycle, versioned, and kept bi-temporally.
    let target = s
        .offers()
        .iter()
        .find(|o| o.status == OfferStatus::Offered && o.history.is_empty())
        .unwrap();
    let id = target.id.clone();
    let before = store.offer(&id).await.unwrap();
    assert_eq!(before.value, *target);
    let confirm = change(OfferStatus::Confirmed, "2026-02-01", "2026-02-03T10:00:00Z");
    let after = store
        .record_status_change(&id, confirm.clone(), Some(before.version))
        .await
        .unwrap();
    assert_eq!(after.value.status, OfferStatus::Confirmed);
    assert_eq!(after.version, before.version + 1);
    assert_eq!(store.offer(&id).await.unwrap(), after);
    // A stale version is a conflict and changes nothing.
    let deploy = change(OfferStatus::Deployed, "2026-03-01", "2026-03-01T10:00:00Z");
    assert!(matches!(
        store
            .record_status_change(&id, deploy.clone(), Some(before.version))
            .await,
        Err(StoreError::VersionConflict { .. })
    ));
    // A move backwards is refused.
    let back = change(OfferStatus::Offered, "2026-03-01", "2026-03-01T10:00:00Z");
    assert!(matches!(
        store.record_status_change(&id, back, None).await,
        Err(StoreError::InvalidChange(_))
    ));
    assert_eq!(store.offer(&id).await.unwrap(), after);
    // Unknown offer, unknown source.
    let ghost = OfferId::parse("NO-SUCH-OFFER").unwrap();
    assert!(matches!(
        store.offer(&ghost).await,
        Err(StoreError::NotFound { .. })
    ));
    let mut sourced = deploy.clone();
    sourced.source = Some(domain::ids::SourceId::parse("NOPE").unwrap());
    assert!(matches!(
        store.record_status_change(&id, sourced, None).await,
        Err(StoreError::InvalidChange(_))
    ));
    store.record_status_change(&id, deploy, None).await.unwrap();

    // What did we know, and when?
    let stored = store.offer(&id).await.unwrap().value;
    let on = "2026-03-05".parse().unwrap();
    let known = |t: &str| domain::offer::status_as_of(&stored.history, on, t.parse().unwrap());
    assert_eq!(known("2026-02-02T00:00:00Z"), None);
    assert_eq!(known("2026-02-10T00:00:00Z"), Some(OfferStatus::Confirmed));
    assert_eq!(known("2026-03-02T00:00:00Z"), Some(OfferStatus::Deployed));

    // The change survives export → replace-import → export.
    let changed = store.export_scenario().await.unwrap().unwrap();
    assert_ne!(changed, s);
    store
        .import_scenario(&changed, ImportMode::Replace)
        .await
        .unwrap();
    let again = store.export_scenario().await.unwrap().unwrap();
    assert_eq!(again.to_json_pretty(), changed.to_json_pretty());
    // Plans are kept, listed newest first, and read back whole.
    assert!(store.plans().await.unwrap().is_empty());
    let first = store::NewPlan {
        scenario: s.name().to_owned(),
        status: "feasible".into(),
        unmet_weighted: 7600,
        bound: 6900,
        options: "{\"min_status\":\"indicated\"}".into(),
        body: "{\"format\":\"coalition.plan/1\"}".into(),
    };
    let at: jiff::Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
    let id1 = store.save_plan(&first, at).await.unwrap();
    let second = store::NewPlan {
        unmet_weighted: 9100,
        ..first.clone()
    };
    let id2 = store.save_plan(&second, at).await.unwrap();
    assert!(id2 > id1);
    let listed = store.plans().await.unwrap();
    assert_eq!(listed.iter().map(|p| p.id).collect::<Vec<_>>(), [id2, id1]);
    let (record, body) = store.plan(id1).await.unwrap();
    assert_eq!(
        (record.unmet_weighted, record.bound, record.created_at),
        (7600, 6900, at)
    );
    assert_eq!(body, first.body);
    assert!(matches!(
        store.plan(id2 + 100).await,
        Err(StoreError::NotFound { .. })
    ));

    // Replacing with the original restores it exactly.
    store
        .import_scenario(&s, ImportMode::Replace)
        .await
        .unwrap();
    assert_eq!(store.export_scenario().await.unwrap().unwrap(), s);
}

#[tokio::test]
async fn story_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("story.db").display());
    let store = connect(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    story(&store).await;
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(store.pool())
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    store.close().await;
    // Reopening runs no migration again and finds the data.
    let store = connect(&url).await.unwrap();
    assert!(store.migrate().await.unwrap().is_empty());
    assert_eq!(store.export_scenario().await.unwrap().unwrap(), scenario());
}

#[tokio::test]
async fn a_malformed_sqlite_url_creates_no_file() {
    let dir = tempfile::tempdir().unwrap();
    for url in [
        format!("sqlite:{}", dir.path().join("a.db").display()),
        format!("sqlite://{}?mode=ro", dir.path().join("b.db").display()),
        format!("sqlite://{}/missing/c.db", dir.path().display()),
        format!("sqlit://{}", dir.path().join("d.db").display()),
    ] {
        assert!(
            matches!(connect(&url).await, Err(StoreError::InvalidUrl(_))),
            "{url}"
        );
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[tokio::test]
async fn story_on_postgres() {
    let Ok(base) = std::env::var("COALITION_TEST_PG") else {
        eprintln!(
            "skipped: COALITION_TEST_PG is not set, so the PostgreSQL storage story did not run"
        );
        return;
    };
    let name = format!(
        "coalition_story_{}_{}",
        std::process::id(),
        jiff::Timestamp::now().as_microsecond()
    );
    let mut admin = sqlx::PgConnection::connect(&base).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    let (prefix, _) = base.rsplit_once('/').unwrap();
    let store = connect(&format!("{prefix}/{name}")).await.unwrap();
    assert_eq!(store.backend(), Backend::Postgres);
    story(&store).await;
    store.close().await;
    sqlx::query(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .execute(&mut admin)
        .await
        .unwrap();
    eprintln!("ran: PostgreSQL storage story on database {name} (dropped)");
}
