//! One storage story, run on SQLite always and on PostgreSQL when `COALITION_TEST_PG` names a
//! server (each run in a fresh database that is dropped afterwards).
#![expect(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

use domain::access::{Releasability, Role, Username};
use domain::commitment::CommitmentKind;
use domain::ids::{Line, NationCode, OfferId};
use domain::offer::{OfferStatus, StatusChange};
use domain::Scenario;
use store::{
    connect, Actor, AuditEntry, AuditFilter, AuditWindow, Backend, CommitmentFilter, ImportMode,
    NewUser, OfferFilter, SqlStore, Store, StoreError, Viewer,
};

const ALL: &Viewer = &Viewer::Everything;

/// Every audit row the filter matches and the viewer may see, oldest first.
async fn whole_log(store: &dyn Store, viewer: &Viewer, filter: &AuditFilter) -> Vec<AuditEntry> {
    let all = AuditWindow {
        newest_first: false,
        offset: 0,
        limit: u64::MAX,
    };
    store.audit_page(viewer, filter, all).await.unwrap().rows
}

fn actor() -> Actor {
    Actor::new("story")
}

fn scenario() -> Scenario {
    testkit::exercise()
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
    assert!(store.export_scenario(ALL).await.unwrap().is_none());
    assert!(
        store.migrate().await.unwrap().is_empty(),
        "migrations ran twice"
    );

    // Import, then refuse a second import unless replacing.
    let s = scenario();
    let written = store
        .import_scenario(&s, ImportMode::Create, &actor())
        .await
        .unwrap();
    assert!(written > s.offers().len());
    assert!(matches!(
        store
            .import_scenario(&s, ImportMode::Create, &actor())
            .await,
        Err(StoreError::ScenarioExists(_))
    ));
    assert_eq!(
        store.scenario_name().await.unwrap().as_deref(),
        Some(s.name())
    );

    // Export is lossless and byte-for-byte stable.
    let exported = store.export_scenario(ALL).await.unwrap().unwrap();
    assert_eq!(exported, s);
    assert_eq!(exported.to_json_pretty(), s.to_json_pretty());

    // Lists come back in file order.
    assert_eq!(store.nations().await.unwrap(), s.nations());
    assert_eq!(store.capabilities().await.unwrap(), s.capabilities());
    assert_eq!(store.sources(ALL).await.unwrap(), s.sources());
    assert_eq!(
        store.offers(ALL, &OfferFilter::default()).await.unwrap(),
        s.offers()
    );
    assert_eq!(
        store.requirements(ALL, None).await.unwrap(),
        s.requirements()
    );
    assert_eq!(
        store
            .commitments(ALL, &CommitmentFilter::default())
            .await
            .unwrap(),
        s.commitments()
    );

    // Filters.
    let gbr = NationCode::parse("GBR").unwrap();
    let by_nation = store
        .offers(
            ALL,
            &OfferFilter {
                nation: Some(gbr.clone()),
                ..Default::default()
            },
        )
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
        .offers(
            ALL,
            &OfferFilter {
                status: Some(OfferStatus::Indicated),
                ..Default::default()
            },
        )
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
    let land_reqs = store.requirements(ALL, Some(&land)).await.unwrap();
    assert_eq!(
        land_reqs.len(),
        s.requirements().iter().filter(|r| r.line == land).count()
    );
    let statements = store
        .commitments(
            ALL,
            &CommitmentFilter {
                kind: Some(CommitmentKind::Statement),
                nation: Some(gbr.clone()),
                ..Default::default()
            },
        )
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
    let before = store.offer(ALL, &id).await.unwrap();
    assert_eq!(before.value, *target);
    let confirm = change(OfferStatus::Confirmed, "2026-02-01", "2026-02-03T10:00:00Z");
    let after = store
        .record_status_change(&id, confirm.clone(), Some(before.version), &actor())
        .await
        .unwrap();
    assert_eq!(after.value.status, OfferStatus::Confirmed);
    assert_eq!(after.version, before.version + 1);
    assert_eq!(store.offer(ALL, &id).await.unwrap(), after);
    // A stale version is a conflict and changes nothing.
    let deploy = change(OfferStatus::Deployed, "2026-03-01", "2026-03-01T10:00:00Z");
    assert!(matches!(
        store
            .record_status_change(&id, deploy.clone(), Some(before.version), &actor())
            .await,
        Err(StoreError::VersionConflict { .. })
    ));
    // A move backwards is refused.
    let back = change(OfferStatus::Offered, "2026-03-01", "2026-03-01T10:00:00Z");
    assert!(matches!(
        store.record_status_change(&id, back, None, &actor()).await,
        Err(StoreError::InvalidChange(_))
    ));
    assert_eq!(store.offer(ALL, &id).await.unwrap(), after);
    // Unknown offer, unknown source.
    let ghost = OfferId::parse("NO-SUCH-OFFER").unwrap();
    assert!(matches!(
        store.offer(ALL, &ghost).await,
        Err(StoreError::NotFound { .. })
    ));
    let mut sourced = deploy.clone();
    sourced.source = Some(domain::ids::SourceId::parse("NOPE").unwrap());
    assert!(matches!(
        store
            .record_status_change(&id, sourced, None, &actor())
            .await,
        Err(StoreError::InvalidChange(_))
    ));
    store
        .record_status_change(&id, deploy, None, &actor())
        .await
        .unwrap();

    // What did we know, and when?
    let stored = store.offer(ALL, &id).await.unwrap().value;
    let on = "2026-03-05".parse().unwrap();
    let known = |t: &str| domain::offer::status_as_of(&stored.history, on, t.parse().unwrap());
    assert_eq!(known("2026-02-02T00:00:00Z"), None);
    assert_eq!(known("2026-02-10T00:00:00Z"), Some(OfferStatus::Confirmed));
    assert_eq!(known("2026-03-02T00:00:00Z"), Some(OfferStatus::Deployed));

    // The change survives export → replace-import → export.
    let changed = store.export_scenario(ALL).await.unwrap().unwrap();
    assert_ne!(changed, s);
    store
        .import_scenario(&changed, ImportMode::Replace, &actor())
        .await
        .unwrap();
    let again = store.export_scenario(ALL).await.unwrap().unwrap();
    assert_eq!(again.to_json_pretty(), changed.to_json_pretty());
    // Plans are kept, listed newest first, and read back whole.
    assert!(store.plans(ALL).await.unwrap().is_empty());
    let first = store::NewPlan {
        scenario: s.name().to_owned(),
        status: "feasible".into(),
        unmet_weighted: 7600,
        bound: 6900,
        options: "{\"min_status\":\"indicated\"}".into(),
        body: "{\"format\":\"coalition.plan/1\"}".into(),
    };
    let at: jiff::Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
    let id1 = store.save_plan(&first, at, &actor()).await.unwrap();
    let second = store::NewPlan {
        unmet_weighted: 9100,
        ..first.clone()
    };
    let id2 = store.save_plan(&second, at, &actor()).await.unwrap();
    assert!(id2 > id1);
    let listed = store.plans(ALL).await.unwrap();
    assert_eq!(listed.iter().map(|p| p.id).collect::<Vec<_>>(), [id2, id1]);
    let (record, body) = store.plan(ALL, id1).await.unwrap();
    assert_eq!(
        (record.unmet_weighted, record.bound, record.created_at),
        (7600, 6900, at)
    );
    assert_eq!(body, first.body);
    assert!(matches!(
        store.plan(ALL, id2 + 100).await,
        Err(StoreError::NotFound { .. })
    ));

    // Replacing with the original restores it exactly.
    store
        .import_scenario(&s, ImportMode::Replace, &actor())
        .await
        .unwrap();
    assert_eq!(store.export_scenario(ALL).await.unwrap().unwrap(), s);
}

/// Releasability on every read path, users and credentials, and the audit chain (including
/// tampering done directly in the database). Runs after [`story`], on the imported exercise.
async fn access_and_audit(store: &SqlStore) {
    let s = scenario();
    let gbr = NationCode::parse("GBR").unwrap();
    let officer = Viewer::Member {
        nation: Some(gbr.clone()),
    };
    let observer = Viewer::Member { nation: None };
    let all_offers = store.offers(ALL, &OfferFilter::default()).await.unwrap();
    let restricted: Vec<_> = all_offers
        .iter()
        .filter(|o| o.releasability == Releasability::Nation)
        .collect();
    let own = restricted.iter().find(|o| o.nation == gbr).unwrap();
    let other = restricted.iter().find(|o| o.nation != gbr).unwrap();

    // Lists and single reads.
    let seen = store
        .offers(&officer, &OfferFilter::default())
        .await
        .unwrap();
    assert!(seen.iter().any(|o| o.id == own.id));
    assert!(!seen.iter().any(|o| o.id == other.id));
    assert_eq!(
        seen.len(),
        all_offers.len() - restricted.iter().filter(|o| o.nation != gbr).count()
    );
    assert!(store.offer(&officer, &own.id).await.is_ok());
    assert!(matches!(
        store.offer(&officer, &other.id).await,
        Err(StoreError::NotFound { .. })
    ));
    let by_nation = OfferFilter {
        nation: Some(other.nation.clone()),
        ..Default::default()
    };
    assert!(store
        .offers(&observer, &by_nation)
        .await
        .unwrap()
        .iter()
        .all(|o| o.releasability != Releasability::Nation));
    assert!(store
        .offers(&Viewer::Public, &OfferFilter::default())
        .await
        .unwrap()
        .iter()
        .all(|o| o.releasability == Releasability::Public));
    assert!(store
        .requirements(&Viewer::Public, None)
        .await
        .unwrap()
        .is_empty());
    let public_commitments = store
        .commitments(&Viewer::Public, &CommitmentFilter::default())
        .await
        .unwrap();
    assert!(!public_commitments.is_empty());
    assert!(public_commitments
        .iter()
        .all(|c| c.id.as_str().starts_with("PUB-")));
    let march = CommitmentFilter {
        from: Some("2025-03-15".parse().unwrap()),
        to: Some("2025-03-17".parse().unwrap()),
        ..Default::default()
    };
    let dated = store.commitments(ALL, &march).await.unwrap();
    assert!(!dated.is_empty());
    assert!(dated
        .iter()
        .all(|c| c.date.to_string().as_str() >= "2025-03-15"
            && c.date.to_string().as_str() <= "2025-03-17"));

    // Exports: a restricted view is still a valid scenario, without the hidden records.
    let view = store.export_scenario(&officer).await.unwrap().unwrap();
    assert_eq!(view.offers().len(), seen.len());
    let public = store
        .export_scenario(&Viewer::Public)
        .await
        .unwrap()
        .unwrap();
    assert!(public.requirements().is_empty());
    assert!(public
        .sources()
        .iter()
        .all(|x| x.releasability == Releasability::Public));

    // Plans: another nation's restricted offer shows only as a restricted contribution.
    let body = serde_json::json!({"tours": [
        {"offer": other.id.as_str(), "nation": other.nation.as_str(), "requirement": "R", "units": 1},
        {"offer": own.id.as_str(), "nation": "GBR", "requirement": "R", "units": 1}]});
    let plan = store::NewPlan {
        scenario: s.name().to_owned(),
        status: "feasible".into(),
        unmet_weighted: 1,
        bound: 0,
        options: "{}".into(),
        body: body.to_string(),
    };
    let id = store
        .save_plan(&plan, jiff::Timestamp::now(), &actor())
        .await
        .unwrap();
    let (_, full) = store.plan(ALL, id).await.unwrap();
    assert!(full.contains(other.id.as_str()));
    let (_, redacted) = store.plan(&officer, id).await.unwrap();
    assert!(!redacted.contains(other.id.as_str()), "{redacted}");
    assert!(redacted.contains(own.id.as_str()));
    assert!(redacted.contains(other.capability.as_str()));
    assert!(matches!(
        store.plan(&Viewer::Public, id).await,
        Err(StoreError::NotFound { .. })
    ));

    // Users, tokens, sessions.
    let name = Username::parse("gbr.lno").unwrap();
    let new = NewUser {
        username: name.clone(),
        role: Role::NationOfficer,
        nation: Some(gbr.clone()),
        password_hash: "$argon2id$placeholder".into(),
    };
    let user = store.add_user(&new, &actor()).await.unwrap();
    assert!(matches!(
        store.add_user(&new, &actor()).await,
        Err(StoreError::Exists { .. })
    ));
    let unbound = NewUser {
        username: Username::parse("nobody").unwrap(),
        nation: None,
        ..new.clone()
    };
    assert!(matches!(
        store.add_user(&unbound, &actor()).await,
        Err(StoreError::InvalidChange(_))
    ));
    let (found, hash) = store.user_for_sign_in(&name).await.unwrap().unwrap();
    assert_eq!(
        (found.id, hash.as_str()),
        (user.id, "$argon2id$placeholder")
    );
    let token = store
        .add_token(&name, "ci", "hash-1", &actor())
        .await
        .unwrap();
    assert_eq!(
        store.user_by_token("hash-1").await.unwrap().unwrap().id,
        user.id
    );
    assert!(store.user_by_token("hash-2").await.unwrap().is_none());
    let now = jiff::Timestamp::now();
    let later = now
        .checked_add(jiff::SignedDuration::from_hours(1))
        .unwrap();
    store
        .add_session("s-1", user.id, "csrf-1", later)
        .await
        .unwrap();
    assert_eq!(
        store.session("s-1", now).await.unwrap().unwrap().csrf,
        "csrf-1"
    );
    assert!(
        store.session("s-1", later).await.unwrap().is_none(),
        "expired"
    );
    store.revoke_token(token.id, &actor()).await.unwrap();
    assert!(store.user_by_token("hash-1").await.unwrap().is_none());
    store
        .set_user_disabled(&name, true, &actor())
        .await
        .unwrap();
    assert!(
        store.session("s-1", now).await.unwrap().is_none(),
        "disabled users lose their sessions"
    );

    // Jobs: an interrupted run is marked failed.
    let job = store.create_job("{}", &actor()).await.unwrap();
    store
        .job_progress(job.id, "{\"iterations\":1}")
        .await
        .unwrap();
    assert_eq!(store.job(job.id).await.unwrap().state, "running");
    assert_eq!(store.fail_interrupted_jobs().await.unwrap(), 1);
    assert_eq!(store.job(job.id).await.unwrap().state, "failed");

    // The audit log: every change above is on record, visible by releasability.
    let log = whole_log(store, ALL, &AuditFilter::default()).await;
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    for a in [
        "scenario.import",
        "offer.status",
        "plan.save",
        "user.add",
        "token.add",
        "token.revoke",
        "user.disable",
        "plan_job.create",
    ] {
        assert!(actions.contains(&a), "{a} missing from {actions:?}");
    }
    assert!(log.iter().all(|e| e
        .after
        .as_ref()
        .is_none_or(|v| !v.to_string().contains("argon2"))));
    let fra = Viewer::Member {
        nation: NationCode::parse("FRA").ok(),
    };
    let users = AuditFilter {
        entity_kind: Some("user".into()),
        ..Default::default()
    };
    let fra_user = whole_log(store, &fra, &users).await;
    assert!(
        fra_user.is_empty(),
        "FRA sees GBR's user changes: {fra_user:?}"
    );
    // Windows read by the database are slices of the whole filtered log, oldest or newest
    // first, with the filter's total; past the end a window is empty but still counts.
    let everything = AuditFilter::default();
    assert!(log.len() >= 5, "{log:?}");
    assert!(log.windows(2).all(|w| w[0].seq < w[1].seq), "{log:?}");
    let window = |newest_first, offset, limit| AuditWindow {
        newest_first,
        offset,
        limit,
    };
    let second = store
        .audit_page(ALL, &everything, window(false, 2, 3))
        .await
        .unwrap();
    assert_eq!(second.total, log.len() as u64);
    assert_eq!(second.rows, log[2..5].to_vec());
    let newest = store
        .audit_page(ALL, &everything, window(true, 0, 2))
        .await
        .unwrap();
    let mut reversed = log.clone();
    reversed.reverse();
    assert_eq!(newest.rows, reversed[..2].to_vec());
    let past = store
        .audit_page(ALL, &everything, window(false, 10_000, 5))
        .await
        .unwrap();
    assert_eq!((past.total, past.rows.len()), (log.len() as u64, 0));
    let offers = AuditFilter {
        entity_kind: Some("offer".into()),
        ..Default::default()
    };
    let offer_rows: Vec<_> = log
        .iter()
        .filter(|e| e.entity_kind == "offer")
        .cloned()
        .collect();
    let filtered = store
        .audit_page(ALL, &offers, window(false, 1, 100))
        .await
        .unwrap();
    assert!(offer_rows.len() >= 2, "{offer_rows:?}");
    assert_eq!(
        (filtered.total, filtered.rows),
        (offer_rows.len() as u64, offer_rows[1..].to_vec())
    );
    let fra_page = store
        .audit_page(&fra, &users, window(false, 0, 100))
        .await
        .unwrap();
    assert_eq!((fra_page.total, fra_page.rows.len()), (0, 0));
    let report = store.verify_audit().await.unwrap();
    assert_eq!(
        (report.rows, report.broken.clone()),
        (i64::try_from(log.len()).unwrap(), None)
    );

    // Tampering directly in the database is found: an altered row, then a deleted last row.
    sqlx::query("UPDATE audit_log SET actor = 'mallory' WHERE seq = 2")
        .execute(store.pool())
        .await
        .unwrap();
    let report = store.verify_audit().await.unwrap();
    assert_eq!(report.broken.as_ref().map(|b| b.0), Some(2), "{report:?}");
    sqlx::query("UPDATE audit_log SET actor = $1 WHERE seq = 2")
        .bind(&log[1].actor)
        .execute(store.pool())
        .await
        .unwrap();
    assert_eq!(store.verify_audit().await.unwrap().broken, None);
    let last = i64::try_from(log.len()).unwrap();
    sqlx::query(&format!("DELETE FROM audit_log WHERE seq = {last}"))
        .execute(store.pool())
        .await
        .unwrap();
    let report = store.verify_audit().await.unwrap();
    assert_eq!(
        report.broken.as_ref().map(|b| b.0),
        Some(last),
        "{report:?}"
    );
    sqlx::query("DELETE FROM audit_log WHERE seq = 3")
        .execute(store.pool())
        .await
        .unwrap();
    let report = store.verify_audit().await.unwrap();
    assert_eq!(report.broken.as_ref().map(|b| b.0), Some(3), "{report:?}");
}

#[tokio::test]
async fn story_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("story.db").display());
    let store = connect(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Sqlite);
    story(&store).await;
    access_and_audit(&store).await;
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
    assert_eq!(
        store.export_scenario(ALL).await.unwrap().unwrap(),
        scenario()
    );
    aid_ledger(&store).await;
}

/// The aid ledger: single entries with versions, stages recorded in order, batch upserts that
/// are all or nothing, and reference tables.
async fn aid_ledger(store: &SqlStore) {
    use domain::commitment::{CommitmentStatus, Stage};
    use domain::ids::{CommitmentId, SourceId};
    let id = CommitmentId::parse("EX-AID-NLD-WINTER").unwrap();
    let current = store.commitment(ALL, &id).await.unwrap();
    assert_eq!(current.value.status, CommitmentStatus::Committed);
    assert!(matches!(
        store.commitment(&Viewer::Public, &id).await,
        Err(StoreError::NotFound { .. })
    ));
    let stage = |status, date: &str, source: &str| Stage {
        status,
        date: date.parse().unwrap(),
        amount: None,
        note: Some("storage story".into()),
        sources: vec![SourceId::parse(source).unwrap()],
    };
    let v = current.version;
    let next = store
        .record_stage(
            &id,
            stage(CommitmentStatus::Allocated, "2025-11-01", "EX-FSC-2"),
            Some(v),
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(
        (next.version, next.value.status),
        (v + 1, CommitmentStatus::Allocated)
    );
    assert_eq!(
        next.value.stages.len(),
        2,
        "the implied first stage is kept"
    );
    // A stale version, a step back, an unknown source: refused, nothing changes.
    assert!(matches!(
        store
            .record_stage(
                &id,
                stage(CommitmentStatus::Delivered, "2025-12-01", "EX-FSC-2"),
                Some(v),
                &actor()
            )
            .await,
        Err(StoreError::VersionConflict { .. })
    ));
    for bad in [
        stage(CommitmentStatus::Announced, "2025-12-01", "EX-FSC-2"),
        stage(CommitmentStatus::Delivered, "2025-12-01", "NO-SUCH-SOURCE"),
    ] {
        assert!(matches!(
            store.record_stage(&id, bad, None, &actor()).await,
            Err(StoreError::InvalidChange(_))
        ));
    }
    assert_eq!(store.commitment(ALL, &id).await.unwrap(), next);
    let log = whole_log(
        store,
        ALL,
        &AuditFilter {
            entity_id: Some(id.to_string()),
            action: Some("commitment.stage".into()),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(log.len(), 1);

    // A batch: one new entry linking to a replaced one; a bad batch writes nothing.
    let mut replaced = next.value.clone();
    replaced.title = "Winter kit, revised".into();
    let mut added = replaced.clone();
    added.id = CommitmentId::parse("EX-AID-NLD-SPRING").unwrap();
    added.links = vec![domain::commitment::Link {
        rel: domain::commitment::LinkKind::FollowOnTo,
        id: id.clone(),
    }];
    assert_eq!(
        store
            .put_commitments(&[added.clone(), replaced.clone()], &actor())
            .await
            .unwrap(),
        (1, 1)
    );
    let all = store
        .commitments(ALL, &CommitmentFilter::default())
        .await
        .unwrap();
    assert_eq!(all.last().unwrap().id, added.id, "new entries come last");
    assert_eq!(
        store.commitment(ALL, &id).await.unwrap().value.title,
        "Winter kit, revised"
    );
    let mut dangling = added.clone();
    dangling.id = CommitmentId::parse("EX-AID-NLD-AUTUMN").unwrap();
    dangling.links[0].id = CommitmentId::parse("EX-NOTHING").unwrap();
    let mut renamed = replaced.clone();
    renamed.title = "must not be written".into();
    assert!(store
        .put_commitments(&[renamed, dangling], &actor())
        .await
        .is_err());
    assert_eq!(
        store.commitment(ALL, &id).await.unwrap().value.title,
        "Winter kit, revised"
    );
    assert!(store
        .commitment(ALL, &CommitmentId::parse("EX-AID-NLD-AUTUMN").unwrap())
        .await
        .is_err());

    // The monitoring log: appended once per ref, in order, with one audit row per batch.
    use store::Appended;
    let batch = vec![
        ("OBS-1".to_owned(), "{\"a\":1}".to_owned()),
        ("OBS-2".to_owned(), "{\"a\":2}".to_owned()),
    ];
    let first = store
        .append_monitor_log("observation", &batch, &actor())
        .await
        .unwrap();
    assert!(matches!(first.as_slice(), [Appended::New(a), Appended::New(b)] if a < b));
    let again = vec![
        ("OBS-1".to_owned(), "{\"a\":1}".to_owned()),
        ("OBS-2".to_owned(), "{\"a\":9}".to_owned()),
        ("OBS-3".to_owned(), "{\"a\":3}".to_owned()),
    ];
    let second = store
        .append_monitor_log("observation", &again, &actor())
        .await
        .unwrap();
    assert!(matches!(
        second.as_slice(),
        [Appended::Same, Appended::Different, Appended::New(_)]
    ));
    // The same ref under another kind is another entry.
    store
        .append_monitor_log("split", &[("OBS-1".to_owned(), "{}".to_owned())], &actor())
        .await
        .unwrap();
    let log = store.monitor_log(0, usize::MAX).await.unwrap();
    let refs: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e.kind.as_str(), e.reference.as_str()))
        .collect();
    assert_eq!(
        refs,
        [
            ("observation", "OBS-1"),
            ("observation", "OBS-2"),
            ("observation", "OBS-3"),
            ("split", "OBS-1")
        ]
    );
    assert_eq!(
        log[1].body, "{\"a\":2}",
        "a different re-send changes nothing"
    );
    assert_eq!(store.monitor_log(log[2].seq, 10).await.unwrap().len(), 1);
    // A page at a time: the first two, then the two after them.
    let page = |after: i64| {
        let store = &store;
        async move {
            let page = store.monitor_log(after, 2).await.unwrap();
            page.iter().map(|e| e.seq).collect::<Vec<i64>>()
        }
    };
    assert_eq!(page(0).await, [log[0].seq, log[1].seq]);
    assert_eq!(page(log[1].seq).await, [log[2].seq, log[3].seq]);

    // Reference tables.
    assert_eq!(store.reference("fx_rates").await.unwrap(), None);
    store
        .put_reference("fx_rates", "date,currency,rate\n", &actor())
        .await
        .unwrap();
    store
        .put_reference(
            "fx_rates",
            "date,currency,rate\n2025-03-03,GBP,0.8253\n",
            &actor(),
        )
        .await
        .unwrap();
    assert_eq!(
        store.reference("fx_rates").await.unwrap().as_deref(),
        Some("date,currency,rate\n2025-03-03,GBP,0.8253\n")
    );
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
    let (url, name) = testkit::create_database(&base, "story").await;
    let store = connect(&url).await.unwrap();
    assert_eq!(store.backend(), Backend::Postgres);
    story(&store).await;
    access_and_audit(&store).await;
    aid_ledger(&store).await;
    store.close().await;
    testkit::drop_database(&base, &name).await;
    eprintln!("ran: PostgreSQL storage story on database {name} (dropped)");
}
