//! The clients: concurrent writers of observation batches, aid imports, offers with their
//! status changes, and planner runs, each recording what it sent and what it was told.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{json, Value};

use crate::process::Rng;
use crate::{AID_PER_IMPORT, LIFECYCLE, OBSERVATIONS_PER_BATCH, OFFER_NATION};

#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Sent; no answer came (the server was killed first).
    InFlight,
    /// Answered with a success status.
    Acknowledged,
    /// Answered with another status: never expected here, and reported as a failure.
    Refused(String),
}

#[derive(Debug)]
pub struct Batch {
    pub ids: Vec<String>,
    pub outcome: Outcome,
}

/// An offer: the newest version a success answer reported (0: its creation was not
/// acknowledged), and the version a request in flight at the kill would have made.
#[derive(Debug, Default)]
pub struct OfferTrack {
    pub acknowledged: i64,
    pub in_flight: Option<i64>,
}

#[derive(Debug, Default)]
pub struct Ledger {
    pub observations: Vec<Batch>,
    pub aid: Vec<Batch>,
    pub offers: BTreeMap<String, OfferTrack>,
    /// Planner runs whose start was acknowledged (each still running at the kill).
    pub jobs: Vec<i64>,
    /// Planner runs started after a restart, which must complete.
    pub reruns: Vec<i64>,
    /// Runs whose start was in flight at the last kill, and those of earlier kills that were
    /// found in the database.
    pub jobs_lost: u64,
    pub jobs_found: HashSet<i64>,
    pub refusals: Vec<String>,
    pub requests_acknowledged: u64,
    pub requests_in_flight_at_kill: u64,
}

pub type Shared = Arc<Mutex<Ledger>>;

#[derive(Clone)]
pub struct Client {
    pub http: reqwest::Client,
    pub api: String,
    pub token: String,
}

pub enum Sent {
    Answered(u16, Value),
    /// No answer: the server is gone.
    Lost,
}

impl Client {
    pub async fn send(&self, method: reqwest::Method, path: &str, body: Option<&Value>) -> Sent {
        let mut rb = self
            .http
            .request(method, format!("{}{path}", self.api))
            .bearer_auth(&self.token);
        if let Some(b) = body {
            rb = rb.json(b);
        }
        match rb.send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                match r.bytes().await {
                    Ok(bytes) => Sent::Answered(
                        status,
                        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
                    ),
                    Err(_) => Sent::Lost,
                }
            }
            Err(_) => Sent::Lost,
        }
    }

    pub async fn get(&self, path: &str) -> (u16, Value) {
        match self.send(reqwest::Method::GET, path, None).await {
            Sent::Answered(s, v) => (s, v),
            Sent::Lost => panic!("GET {path}: no answer"),
        }
    }
}

pub fn observation(id: &str, rng: &mut Rng) -> Value {
    let (day, hour, minute) = (rng.range(1, 29), rng.range(0, 23), rng.range(0, 56));
    let lat = 46.5 + rng.range(0, 30_000) as f64 / 10_000.0;
    let lon = 35.0 + rng.range(0, 40_000) as f64 / 10_000.0;
    json!({"id": id,
        "observed_from": format!("2025-03-{day:02}T{hour:02}:{minute:02}:00Z"),
        "observed_to": format!("2025-03-{day:02}T{hour:02}:{:02}:00Z", minute + 3),
        "reported": format!("2025-03-{day:02}T23:59:00Z"),
        "observer": "patrol", "observer_id": format!("P{}", rng.range(1, 40)),
        "location": {"type": "point", "lat": lat, "lon": lon, "radius_m": 200},
        "kind": "shelling", "count": {"low": 1, "best": 2, "high": 3}})
}

pub fn aid_entry(id: &str) -> Value {
    json!({"id": id, "kind": "finance", "nation": "NOR", "title": "Crash test fund",
        "status": "committed", "date": "2025-10-09", "recipient": "UKR", "instrument": "grant",
        "amount": {"value": "1000000", "currency": "EUR"},
        "summary": "Written by the crash test.", "sources": ["EX-FSC-2"]})
}

pub fn offer(id: &str) -> Value {
    json!({"id": id, "nation": OFFER_NATION, "capability": "LAND.INF.BN", "units": 1,
        "from_week": 0, "to_week": 103, "notice_weeks": 10, "tour_weeks": 24, "dwell_weeks": 36,
        "roe": "robust", "status": LIFECYCLE[0], "cost_per_unit_week": 1000.0,
        "sources": ["EX-FSC-2"]})
}

/// What a batch writer sends: observation batches, or imports of several aid entries; either
/// is one transaction.
#[derive(Clone, Copy)]
pub enum BatchKind {
    Observations,
    Aid,
}

impl BatchKind {
    fn list(self, l: &mut Ledger) -> &mut Vec<Batch> {
        match self {
            BatchKind::Observations => &mut l.observations,
            BatchKind::Aid => &mut l.aid,
        }
    }

    /// The ids of batch `n` and the request that sends it.
    fn batch(self, tag: &str, n: u64, rng: &mut Rng) -> (Vec<String>, &'static str, Value) {
        match self {
            BatchKind::Observations => {
                let ids: Vec<String> = (0..OBSERVATIONS_PER_BATCH)
                    .map(|i| format!("OB-{tag}-{n}-{i}"))
                    .collect();
                let items: Vec<Value> = ids.iter().map(|id| observation(id, rng)).collect();
                (ids, "/observations", json!({"observations": items}))
            }
            BatchKind::Aid => {
                let ids: Vec<String> = (0..AID_PER_IMPORT)
                    .map(|i| format!("AID-{tag}-{n}-{i}"))
                    .collect();
                let items: Vec<Value> = ids.iter().map(|id| aid_entry(id)).collect();
                (ids, "/commitments/import", json!({"commitments": items}))
            }
        }
    }

    /// Whether the answer says the whole batch was taken.
    fn taken(self, answer: &Value, ids: usize) -> bool {
        match self {
            BatchKind::Observations => answer["accepted"].as_array().map(Vec::len) == Some(ids),
            BatchKind::Aid => answer["added"].as_u64() == u64::try_from(ids).ok(),
        }
    }
}

/// Sends batches one after another until the server is gone.
pub async fn batch_writer(
    kind: BatchKind,
    client: Client,
    ledger: Shared,
    stop: Arc<AtomicBool>,
    tag: String,
    mut rng: Rng,
) {
    for n in 0.. {
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let (ids, path, body) = kind.batch(&tag, n, &mut rng);
        let count = ids.len();
        let i = {
            let mut l = ledger.lock().unwrap();
            let list = kind.list(&mut l);
            list.push(Batch {
                ids,
                outcome: Outcome::InFlight,
            });
            list.len() - 1
        };
        let sent = client.send(reqwest::Method::POST, path, Some(&body)).await;
        let mut l = ledger.lock().unwrap();
        let outcome = match sent {
            Sent::Answered(s, v) if (200..300).contains(&s) && kind.taken(&v, count) => {
                l.requests_acknowledged += 1;
                Outcome::Acknowledged
            }
            Sent::Answered(s, v) => {
                let why = format!("{path}: {s} {v}");
                l.refusals.push(why.clone());
                Outcome::Refused(why)
            }
            Sent::Lost => {
                l.requests_in_flight_at_kill += 1;
                return;
            }
        };
        kind.list(&mut l)[i].outcome = outcome;
    }
}

/// Creates offers and takes each through its lifecycle, one request at a time.
pub async fn offer_writer(client: Client, ledger: Shared, stop: Arc<AtomicBool>, tag: String) {
    for n in 0.. {
        let id = format!("CR-{tag}-{n}");
        for version in 1..=LIFECYCLE.len() as i64 {
            if stop.load(Ordering::SeqCst) {
                return;
            }
            ledger
                .lock()
                .unwrap()
                .offers
                .entry(id.clone())
                .or_default()
                .in_flight = Some(version);
            let sent = if version == 1 {
                client
                    .send(reqwest::Method::POST, "/offers", Some(&offer(&id)))
                    .await
            } else {
                let change = json!({"version": version - 1,
                    "status": LIFECYCLE[version as usize - 1], "source": "EX-FSC-2"});
                client
                    .send(
                        reqwest::Method::POST,
                        &format!("/offers/{id}/status"),
                        Some(&change),
                    )
                    .await
            };
            let mut l = ledger.lock().unwrap();
            match sent {
                Sent::Answered(s, v) if (200..300).contains(&s) && v["version"] == version => {
                    l.requests_acknowledged += 1;
                    let t = l.offers.get_mut(&id).unwrap();
                    t.acknowledged = version;
                    t.in_flight = None;
                }
                Sent::Answered(s, v) => {
                    l.refusals
                        .push(format!("offer {id} version {version}: {s} {v}"));
                    l.offers.get_mut(&id).unwrap().in_flight = None;
                    break;
                }
                Sent::Lost => {
                    l.requests_in_flight_at_kill += 1;
                    return;
                }
            }
        }
    }
}

/// A planner run that would take minutes; the kill interrupts it.
pub async fn job_writer(client: Client, ledger: Shared, stop: Arc<AtomicBool>, mut rng: Rng) {
    for _ in 0..2 {
        tokio::time::sleep(Duration::from_millis(rng.range(0, 400))).await;
        if stop.load(Ordering::SeqCst) {
            return;
        }
        let body = json!({"withdraw": [OFFER_NATION], "time_limit_seconds": 300,
            "seed": rng.range(1, 1000)});
        let sent = client
            .send(reqwest::Method::POST, "/plan-jobs", Some(&body))
            .await;
        let mut l = ledger.lock().unwrap();
        match sent {
            Sent::Answered(202, v) => {
                l.requests_acknowledged += 1;
                l.jobs.push(v["id"].as_i64().unwrap());
            }
            Sent::Answered(s, v) => l.refusals.push(format!("plan job: {s} {v}")),
            Sent::Lost => {
                l.requests_in_flight_at_kill += 1;
                l.jobs_lost += 1;
                return;
            }
        }
    }
}
