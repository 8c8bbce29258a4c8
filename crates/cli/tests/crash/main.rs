//! Crash safety: the real `coalition serve`, on a SQLite file and (when `COALITION_TEST_PG`
//! names a server) on a fresh PostgreSQL database, takes concurrent writes and is killed with
//! SIGKILL at a random moment, then started again on the same database, cycle after cycle.
//! After every kill:
//!
//! - every acknowledged write is there: each observation of each acknowledged batch, each
//!   acknowledged offer and status change (with its history row and audit row), each aid entry
//!   of each acknowledged import;
//! - a write in flight at the kill is there whole or not at all (an observation batch, an
//!   import of several aid entries, an offer change with its history and audit rows);
//! - the audit chain verifies (`coalition audit verify`, run while the server is down);
//! - on SQLite, `PRAGMA integrity_check` is `ok` and `PRAGMA foreign_key_check` finds nothing;
//! - planner runs the killed server left queued or running are marked failed, a finished run
//!   has its plan, and a new run started after the restart completes.
//!
//! `COALITION_CRASH_CYCLES` sets the kills per backend (5 by default);
//! `COALITION_CRASH_SEED` repeats a run's kill times and data (the seed is printed). A kill ends the process, not the
//! machine: SQLite's `synchronous=NORMAL` keeps every commit through a process crash, which is
//! what this tests; a power loss is not simulated (see docs/reliability.md).
#![expect(clippy::unwrap_used, reason = "test: a panic is a failed test")]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

use checks::Tally;
use process::{Database, Rng, Server};
use writers::{BatchKind, Client, Ledger, Shared};

const EXERCISE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/exercise.json");
const OBSERVATIONS_PER_BATCH: usize = 20;
const AID_PER_IMPORT: usize = 3;
/// The nation the test's offers belong to; planner runs leave it out, so that the offers the
/// test adds do not make each run slower.
const OFFER_NATION: &str = "ISL";
/// An offer's statuses by version: created `indicated`, then four changes.
const LIFECYCLE: [&str; 5] = ["indicated", "offered", "confirmed", "deployed", "withdrawn"];

mod checks;
mod process;
mod writers;

fn cycles() -> u64 {
    std::env::var("COALITION_CRASH_CYCLES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5)
}

fn seed() -> u64 {
    std::env::var("COALITION_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| jiff::Timestamp::now().as_nanosecond() as u64)
}

async fn crash_safety(db: Database) {
    let started = Instant::now();
    let cycles = cycles();
    let seed = seed();
    eprintln!(
        "crash safety on {}: {cycles} cycles, seed {seed} (COALITION_CRASH_SEED={seed} repeats its kill times and data)",
        db.name
    );
    let mut rng = Rng(seed);
    db.run(&["-q", "import", EXERCISE]);
    db.run(&["-q", "user", "add", "crash", "--role", "admin"]);
    let out = db.run(&["--json", "user", "token", "crash", "--name", "crash"]);
    let token: Value = serde_json::from_slice(&out.stdout).unwrap();
    let token = token["secret"].as_str().unwrap().to_owned();

    let mut ledger = Ledger::default();
    let mut tally = Tally::default();
    for cycle in 0..=cycles {
        let server = Server::start(&db).await;
        let client = Client {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(60))
                .build()
                .unwrap(),
            api: server.api.clone(),
            token: token.clone(),
        };
        if cycle > 0 {
            checks::after_restart(&db, &mut ledger, &mut tally).await;
            checks::settle_in_flight(&db, &mut ledger, &mut tally).await;
            checks::rerun(&client, cycle, &mut ledger, &mut tally).await;
        }
        if cycle == cycles {
            server.kill();
            break;
        }
        let shared: Shared = Arc::new(Mutex::new(std::mem::take(&mut ledger)));
        let stop = Arc::new(AtomicBool::new(false));
        let mut clients = tokio::task::JoinSet::new();
        for (w, kind) in [
            BatchKind::Observations,
            BatchKind::Observations,
            BatchKind::Aid,
        ]
        .into_iter()
        .enumerate()
        {
            clients.spawn(writers::batch_writer(
                kind,
                client.clone(),
                shared.clone(),
                stop.clone(),
                format!("{cycle}-{w}"),
                rng.fork(),
            ));
        }
        clients.spawn(writers::offer_writer(
            client.clone(),
            shared.clone(),
            stop.clone(),
            cycle.to_string(),
        ));
        clients.spawn(writers::job_writer(
            client.clone(),
            shared.clone(),
            stop.clone(),
            rng.fork(),
        ));
        tokio::time::sleep(Duration::from_millis(rng.range(200, 1500))).await;
        server.kill();
        stop.store(true, Ordering::SeqCst);
        while let Some(r) = clients.join_next().await {
            r.unwrap();
        }
        ledger = Arc::try_unwrap(shared).unwrap().into_inner().unwrap();
        assert!(
            ledger.refusals.is_empty(),
            "writes refused while the server ran: {:?}",
            ledger.refusals
        );
        checks::after_kill(&db, &mut tally).await;
    }
    db.drop_database().await;

    let rows: usize = ledger
        .observations
        .iter()
        .map(|b| b.ids.len())
        .sum::<usize>()
        + ledger.aid.iter().map(|b| b.ids.len()).sum::<usize>();
    eprintln!(
        "ran: crash safety on {} ({cycles} cycles): {} writes acknowledged, {} in flight at a kill ({} applied whole, {} not at all), {} observations and aid entries kept, {} offers, {} planner runs interrupted; {} checks passed in {:.1} s",
        db.name,
        ledger.requests_acknowledged,
        ledger.requests_in_flight_at_kill,
        tally.in_flight_applied,
        tally.in_flight_not_applied,
        rows,
        ledger.offers.values().filter(|t| t.acknowledged > 0).count(),
        ledger.jobs.len(),
        tally.checks,
        started.elapsed().as_secs_f64()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_safety_on_sqlite() {
    crash_safety(Database::sqlite()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn crash_safety_on_postgres() {
    let Ok(base) = std::env::var("COALITION_TEST_PG") else {
        eprintln!("skipped: crash safety on PostgreSQL (COALITION_TEST_PG is not set)");
        return;
    };
    crash_safety(Database::postgres(&base).await).await;
}
