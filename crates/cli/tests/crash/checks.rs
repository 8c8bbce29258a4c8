//! The checks: after the kill, with the server down (integrity, audit chain), and after the
//! restart, before anything new is written (every acknowledged write there, nothing half
//! applied, planner runs settled, a new run completes).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use sqlx::{Connection, Row};

use crate::process::Database;
use crate::writers::{Batch, Client, Ledger, Outcome, Sent};
use crate::{LIFECYCLE, OFFER_NATION};

#[derive(Debug, Default)]
pub struct Tally {
    pub checks: u64,
    pub in_flight_applied: u64,
    pub in_flight_not_applied: u64,
}

impl Tally {
    pub fn check(&mut self, ok: bool, what: impl FnOnce() -> String) {
        assert!(ok, "{}", what());
        self.checks += 1;
    }
}

/// Checks made while the server is down, straight after the kill.
pub async fn after_kill(db: &Database, tally: &mut Tally) {
    if db.sqlite_file.is_some() {
        let mut conn = db.connect().await;
        let rows = sqlx::query("PRAGMA integrity_check")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        let result: Vec<String> = rows.iter().map(|r| r.get::<String, _>(0)).collect();
        tally.check(result == ["ok"], || {
            format!("PRAGMA integrity_check: {result:?}")
        });
        let dangling = sqlx::query("PRAGMA foreign_key_check")
            .fetch_all(&mut conn)
            .await
            .unwrap();
        tally.check(dangling.is_empty(), || {
            format!("PRAGMA foreign_key_check: {} rows", dangling.len())
        });
        conn.close().await.unwrap();
    }
    let out = db.command(&["--json", "audit", "verify"]).output().unwrap();
    let report: Value = serde_json::from_slice(&out.stdout).unwrap_or(Value::Null);
    tally.check(out.status.success() && report["broken"].is_null(), || {
        format!(
            "audit verify: {report} {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
}

pub fn strings(rows: &[sqlx::any::AnyRow], col: &str) -> Vec<String> {
    rows.iter().map(|r| r.get::<String, _>(col)).collect()
}

/// All or nothing for a batch; everything for an acknowledged one.
pub fn check_batches(what: &str, batches: &[Batch], present: &HashSet<String>, tally: &mut Tally) {
    for b in batches {
        let found = b.ids.iter().filter(|id| present.contains(*id)).count();
        match &b.outcome {
            Outcome::Acknowledged => tally.check(found == b.ids.len(), || {
                format!(
                    "{what}: acknowledged batch {:?}… has {found} of {} in the database",
                    b.ids[0],
                    b.ids.len()
                )
            }),
            Outcome::InFlight => {
                tally.check(found == 0 || found == b.ids.len(), || {
                    format!(
                        "{what}: batch {:?}… in flight at the kill is half applied: {found} of {}",
                        b.ids[0],
                        b.ids.len()
                    )
                });
            }
            Outcome::Refused(why) => panic!("{what}: refused: {why}"),
        }
    }
}

/// Checks made after the restart, before anything new is written.
pub async fn after_restart(db: &Database, ledger: &mut Ledger, tally: &mut Tally) {
    let mut conn = db.connect().await;

    // Observations.
    let rows = sqlx::query("SELECT ref FROM monitor_log WHERE kind = 'observation'")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let present: HashSet<String> = strings(&rows, "ref").into_iter().collect();
    check_batches("observations", &ledger.observations, &present, tally);

    // Aid entries, each with its one audit row.
    let rows = sqlx::query("SELECT id FROM commitments WHERE id LIKE 'AID-%'")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let present: HashSet<String> = strings(&rows, "id").into_iter().collect();
    check_batches("aid entries", &ledger.aid, &present, tally);
    let rows = sqlx::query(
        "SELECT entity_kind, entity_id FROM audit_log WHERE entity_id LIKE 'AID-%' OR entity_id LIKE 'CR-%'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut audited: HashMap<(String, String), i64> = HashMap::new();
    for r in &rows {
        *audited
            .entry((r.get("entity_kind"), r.get("entity_id")))
            .or_default() += 1;
    }
    for id in &present {
        let n = audited.get(&("commitment".to_owned(), id.clone())).copied();
        tally.check(n == Some(1), || {
            format!("aid entry {id} has {n:?} audit rows")
        });
    }

    // Offers: the version, the history and the audit rows agree, and match what was answered.
    let rows = sqlx::query("SELECT id, status, version FROM offers WHERE id LIKE 'CR-%'")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let offers: HashMap<String, (String, i64)> = rows
        .iter()
        .map(|r| (r.get("id"), (r.get("status"), r.get("version"))))
        .collect();
    let rows = sqlx::query(
        "SELECT offer_id, seq, status FROM offer_status_changes WHERE offer_id LIKE 'CR-%'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut history: HashMap<String, BTreeMap<i64, String>> = HashMap::new();
    for r in &rows {
        history
            .entry(r.get("offer_id"))
            .or_default()
            .insert(r.get("seq"), r.get("status"));
    }
    for (id, track) in &mut ledger.offers {
        let (status, version) = offers.get(id).cloned().unwrap_or_default();
        let changes = history.get(id).cloned().unwrap_or_default();
        let audit_rows = audited
            .get(&("offer".to_owned(), id.clone()))
            .copied()
            .unwrap_or(0);
        tally.check(
            version == track.acknowledged || Some(version) == track.in_flight,
            || {
                format!(
                    "offer {id}: version {version} in the database, {} acknowledged, {:?} in flight",
                    track.acknowledged, track.in_flight
                )
            },
        );
        let expected: Vec<&str> = LIFECYCLE[..version as usize].to_vec();
        let recorded: Vec<&str> = changes.values().map(String::as_str).collect();
        tally.check(
            recorded == expected
                && audit_rows == version
                && (version == 0 || status == LIFECYCLE[version as usize - 1]),
            || {
                format!(
                    "offer {id} is half applied: version {version}, status {status:?}, history {recorded:?}, {audit_rows} audit rows"
                )
            },
        );
        if let Some(v) = track.in_flight.take() {
            if version == v {
                tally.in_flight_applied += 1;
            } else {
                tally.in_flight_not_applied += 1;
            }
            track.acknowledged = version;
        }
    }

    // Planner runs: none left queued or running; a finished one has its plan; the ones the
    // kill interrupted are marked failed and say why.
    let rows = sqlx::query(
        "SELECT j.id, j.state, j.error, j.plan_id, p.id AS plan FROM plan_jobs j LEFT JOIN plans p ON p.id = j.plan_id",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    let mut jobs: HashMap<i64, (String, Option<String>)> = HashMap::new();
    for r in &rows {
        let (id, state): (i64, String) = (r.get("id"), r.get("state"));
        let error: Option<String> = r.get("error");
        let plan_id: Option<i64> = r.get("plan_id");
        let plan: Option<i64> = r.get("plan");
        let ok = match state.as_str() {
            "failed" => error.is_some(),
            "done" => plan_id.is_some() && plan == plan_id,
            _ => false,
        };
        tally.check(ok, || {
            format!("planner run {id} after the restart: {state}, error {error:?}, plan {plan_id:?}/{plan:?}")
        });
        jobs.insert(id, (state, error));
    }
    for id in &ledger.jobs {
        let job = jobs.get(id);
        tally.check(
            job.is_some_and(|(s, e)| {
                s == "failed" && e.as_deref().is_some_and(|e| e.starts_with("interrupted"))
            }),
            || format!("planner run {id}, running at a kill: {job:?}"),
        );
    }
    for id in &ledger.reruns {
        let job = jobs.get(id);
        tally.check(job.is_some_and(|(s, _)| s == "done"), || {
            format!("planner run {id}, done before a kill: {job:?}")
        });
    }
    // Runs nobody was told about: as many as were in flight at most.
    let unknown: Vec<i64> = jobs
        .keys()
        .filter(|id| {
            !ledger.jobs.contains(id)
                && !ledger.reruns.contains(id)
                && !ledger.jobs_found.contains(id)
        })
        .copied()
        .collect();
    tally.check(unknown.len() as u64 <= ledger.jobs_lost, || {
        format!(
            "planner runs {unknown:?} in the database, but {} starts were in flight",
            ledger.jobs_lost
        )
    });
    tally.in_flight_applied += unknown.len() as u64;
    tally.in_flight_not_applied += ledger.jobs_lost - unknown.len() as u64;
    ledger.jobs_found.extend(unknown);
    ledger.jobs_lost = 0;
    conn.close().await.unwrap();
}

/// Settles the batches in flight at the kill: counts whether each was applied, and keeps only
/// the applied ones (as acknowledged) so that later cycles check they stay.
pub async fn settle_in_flight(db: &Database, ledger: &mut Ledger, tally: &mut Tally) {
    let mut conn = db.connect().await;
    let rows = sqlx::query(
        "SELECT ref AS id FROM monitor_log WHERE kind = 'observation' AND ref LIKE 'OB-%' UNION ALL SELECT id FROM commitments WHERE id LIKE 'AID-%'",
    )
    .fetch_all(&mut conn)
    .await
    .unwrap();
    conn.close().await.unwrap();
    let present: HashSet<String> = strings(&rows, "id").into_iter().collect();
    for list in [&mut ledger.observations, &mut ledger.aid] {
        list.retain_mut(|b| {
            if b.outcome != Outcome::InFlight {
                return true;
            }
            if present.contains(&b.ids[0]) {
                tally.in_flight_applied += 1;
                b.outcome = Outcome::Acknowledged;
                true
            } else {
                tally.in_flight_not_applied += 1;
                false
            }
        });
    }
}

/// A new planner run after the restart completes with its plan.
pub async fn rerun(client: &Client, seed: u64, ledger: &mut Ledger, tally: &mut Tally) {
    let body = json!({"withdraw": [OFFER_NATION], "time_limit_seconds": 0.3, "seed": seed});
    let Sent::Answered(status, job) = client
        .send(reqwest::Method::POST, "/plan-jobs", Some(&body))
        .await
    else {
        panic!("no answer to a new planner run");
    };
    tally.check(status == 202, || format!("new planner run: {status} {job}"));
    let id = job["id"].as_i64().unwrap();
    ledger.reruns.push(id);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let (_, job) = client.get(&format!("/plan-jobs/{id}")).await;
        match job["state"].as_str() {
            Some("done") => {
                let (status, plan) = client
                    .get(&format!("/plans/{}", job["plan_id"].as_i64().unwrap()))
                    .await;
                tally.check(status == 200, || {
                    format!("plan of run {id}: {status} {plan}")
                });
                return;
            }
            Some("queued" | "running") if Instant::now() < deadline => {
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            _ => panic!("new planner run {id} after the restart: {job}"),
        }
    }
}
