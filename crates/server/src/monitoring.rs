//! Ceasefire monitoring in the server: the store's monitoring log is the record; this module
//! replays it into the `monitor` crate's correlator and keeps the result in memory, catching
//! up with the log before every answer (so several server processes on one PostgreSQL
//! database agree).

use std::sync::Arc;

use domain::access::Releasability;
use monitor::correlate::{Correlator, Incident, Params};
use monitor::ingest::{Batch, Rejected};
use monitor::report::{Effort, PeriodSpec};
use monitor::sectors::Sector;
use monitor::{Observation, Place};
use serde::{Deserialize, Serialize};
use store::{Actor, Appended, Store, Viewer};
use tokio::sync::{Mutex, MutexGuard};

use crate::error::ApiError;

/// Reference-table name of the sectors' GeoJSON.
pub const SECTORS: &str = "sectors";
/// Reference-table name of the alert rules and escalation ladder (JSON).
pub const ALERT_RULES: &str = "alert_rules";

pub struct Stored {
    pub observation: Observation,
    /// Where the observation puts its event (worked out once, when it was logged).
    pub place: Place,
    pub sector: Option<String>,
}

pub struct State {
    pub correlator: Correlator,
    /// By id, in the order they were logged. (Entries are kept apart from the id index, so
    /// growing the index moves only positions, not the observations.)
    pub observations: indexmap::IndexMap<String, Stored>,
    pub efforts: Vec<(Effort, Option<String>)>,
    pub sectors: Vec<Sector>,
    sectors_text: Option<String>,
    pub alert_config: monitor::alerts::Config,
    alert_text: Option<String>,
    /// Acknowledgements by alert id (in order, so that a rule's alerts of one sector are
    /// together: see `monitor::alerts::acknowledgement`).
    pub acks: std::collections::BTreeMap<String, monitor::alerts::Acknowledgement>,
    last_seq: i64,
}

/// Log entries read at a time while catching up: after a restart the whole log is replayed,
/// a page at a time, so it is never held in memory all at once.
const LOG_PAGE: usize = 10_000;

#[derive(Clone)]
pub struct Monitoring {
    inner: Arc<Mutex<State>>,
    pub period: PeriodSpec,
    /// Log entries read at a time while catching up ([`LOG_PAGE`]).
    page: usize,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct SplitDecision {
    pub incident: u64,
    pub observations: Vec<String>,
    pub reason: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct MergeDecision {
    pub into: u64,
    pub from: u64,
    pub reason: String,
}

impl Default for Monitoring {
    fn default() -> Self {
        Self::new(Params::default(), PeriodSpec::default())
    }
}

impl Monitoring {
    pub fn new(params: Params, period: PeriodSpec) -> Self {
        Self {
            inner: Arc::new(Mutex::new(State {
                correlator: Correlator::new(params),
                observations: Default::default(),
                efforts: Vec::new(),
                sectors: Vec::new(),
                sectors_text: None,
                alert_config: monitor::alerts::Config::default(),
                alert_text: None,
                acks: Default::default(),
                last_seq: 0,
            })),
            period,
            page: LOG_PAGE,
        }
    }

    /// The state, caught up with the store's log.
    ///
    /// The store is read while holding the state: requests arriving together wait for one
    /// catch-up and then find little or nothing left to read. (Reading before taking the lock
    /// was measured: under 200 concurrent ingest connections every waiting request read the
    /// same growing tail of the log, and ingest fell from 429 to 7 requests a second.)
    pub async fn sync(&self, store: &Arc<dyn Store>) -> Result<MutexGuard<'_, State>, ApiError> {
        self.sync_with(store, Vec::new()).await
    }

    /// As [`Monitoring::sync`], given observations this server has just logged, each with
    /// its sequence number: when they are exactly the next entries of the log, they are
    /// applied as they are instead of being read back from the store. Otherwise (another
    /// writer's entries came first, or the sequence skipped numbers) the log is read.
    async fn sync_with(
        &self,
        store: &Arc<dyn Store>,
        mut logged: Vec<(i64, Observation, Place)>,
    ) -> Result<MutexGuard<'_, State>, ApiError> {
        let mut st = self.inner.lock().await;
        let text = store.reference(SECTORS).await?;
        let rules = store.reference(ALERT_RULES).await?;
        st.apply_references(text, rules)?;
        logged.sort_by_key(|(seq, _, _)| *seq);
        let next = logged
            .iter()
            .zip(st.last_seq + 1..)
            .all(|((seq, _, _), expected)| *seq == expected);
        if next && !logged.is_empty() {
            for (seq, o, place) in logged {
                st.last_seq = seq;
                st.apply_observation(o, place);
            }
            return Ok(st);
        }
        let page = store.monitor_log(st.last_seq, self.page).await?;
        let more = page.len() >= self.page;
        let next = page.last().map_or(st.last_seq, |e| e.seq);
        if !more {
            for e in page {
                st.apply(e);
            }
            return Ok(st);
        }
        // A long catch-up (after a start): the next pages are read on another task while this
        // one applies, so reading rows and correlating them take both cores.
        // The reader is aborted when `reader` drops: on an error here, or when the request is
        // cancelled, no reader outlives the catch-up it was for.
        let (tx, mut rx) = tokio::sync::mpsc::channel(2);
        let mut reader = tokio::task::JoinSet::new();
        reader.spawn(read_pages(Arc::clone(store), next, self.page, tx));
        for e in page {
            st.apply(e);
        }
        while let Some(page) = rx.recv().await {
            for e in page? {
                st.apply(e);
            }
        }
        drop(reader);
        Ok(st)
    }
}

/// Reads the log after `after`, `size` entries at a time, into `tx` until a page comes back
/// short, an error is sent, or the receiver is gone.
async fn read_pages(
    store: Arc<dyn Store>,
    mut after: i64,
    size: usize,
    tx: tokio::sync::mpsc::Sender<store::Result<Vec<store::MonitorEntry>>>,
) {
    loop {
        let page = store.monitor_log(after, size).await;
        let done = match &page {
            Ok(p) => {
                after = p.last().map_or(after, |e| e.seq);
                p.len() < size
            }
            Err(_) => true,
        };
        if tx.send(page).await.is_err() || done {
            return;
        }
    }
}

fn sector_of(sectors: &[Sector], place: &Place) -> Option<String> {
    monitor::sectors::assign(sectors, place.centre()).map(|s| s.code.clone())
}

/// The sector effort was given for, or the one its position falls in.
fn effort_sector(sectors: &[Sector], e: &Effort) -> Option<String> {
    e.sector.clone().or_else(|| {
        e.position
            .and_then(|p| monitor::sectors::assign(sectors, p))
            .map(|s| s.code.clone())
    })
}

/// May `viewer` see an incident of this releasability (the strictest of its observations')?
/// An incident belongs to no nation, so a nation-only one is for those who see everything.
pub fn visible(viewer: &Viewer, releasability: Releasability) -> bool {
    viewer.sees(releasability, None)
}

impl State {
    /// Takes the sectors and alert rules as read, when they changed.
    fn apply_references(
        &mut self,
        text: Option<String>,
        rules: Option<String>,
    ) -> Result<(), ApiError> {
        if text != self.sectors_text {
            self.sectors = match &text {
                Some(t) => monitor::sectors::read_geojson(t).map_err(ApiError::internal)?,
                None => Vec::new(),
            };
            self.sectors_text = text;
            let sectors = &self.sectors;
            for s in self.observations.values_mut() {
                s.sector = sector_of(sectors, &s.place);
            }
            for (e, sector) in self.efforts.iter_mut() {
                *sector = effort_sector(sectors, e);
            }
        }
        if rules != self.alert_text {
            self.alert_config = match &rules {
                Some(t) => serde_json::from_str(t).map_err(ApiError::internal)?,
                None => monitor::alerts::Config::default(),
            };
            self.alert_text = rules;
        }
        Ok(())
    }

    /// Takes a logged observation, its place worked out.
    fn apply_observation(&mut self, o: Observation, place: Place) {
        self.correlator.add(&o, place);
        let sector = sector_of(&self.sectors, &place);
        self.observations.insert(
            o.id.clone(),
            Stored {
                observation: o,
                place,
                sector,
            },
        );
    }

    /// Applies one entry of the monitoring log.
    fn apply(&mut self, e: store::MonitorEntry) {
        self.last_seq = e.seq;
        match e.kind.as_str() {
            "observation" => {
                let Ok(o) = serde_json::from_str::<Observation>(&e.body) else {
                    tracing::error!(seq = e.seq, "unreadable observation in the monitoring log");
                    return;
                };
                let Ok(place) = o.check() else {
                    tracing::error!(seq = e.seq, "invalid observation in the monitoring log");
                    return;
                };
                self.apply_observation(o, place);
            }
            "effort" => {
                if let Ok(x) = serde_json::from_str::<Effort>(&e.body) {
                    let sector = effort_sector(&self.sectors, &x);
                    self.efforts.push((x, sector));
                }
            }
            "split" => {
                if let Ok(d) = serde_json::from_str::<SplitDecision>(&e.body) {
                    if let Err(err) = self
                        .correlator
                        .split(d.incident, &d.observations, &d.reason)
                    {
                        tracing::warn!(seq = e.seq, %err, "a logged split no longer applies");
                    }
                }
            }
            "merge" => {
                if let Ok(d) = serde_json::from_str::<MergeDecision>(&e.body) {
                    if let Err(err) = self.correlator.merge(d.into, d.from, &d.reason) {
                        tracing::warn!(seq = e.seq, %err, "a logged merge no longer applies");
                    }
                }
            }
            "ack" => {
                self.acks.insert(
                    e.reference.clone(),
                    monitor::alerts::Acknowledgement {
                        by: e.recorded_by.clone(),
                        at: e.recorded_at,
                    },
                );
            }
            other => tracing::warn!(seq = e.seq, kind = other, "unknown monitoring log entry"),
        }
    }
    pub fn sector(&self, i: &Incident) -> Option<&str> {
        self.sector_at(i.location)
    }

    /// The code of the sector a place is in.
    pub fn sector_at(&self, at: monitor::geo::LatLon) -> Option<&str> {
        monitor::sectors::assign(&self.sectors, at).map(|s| s.code.as_str())
    }

    /// Every alert the incidents `viewer` may see raise, with where it stands at `now`, the
    /// newest first.
    pub fn standings(
        &self,
        viewer: &Viewer,
        now: jiff::Timestamp,
    ) -> Vec<monitor::alerts::Standing> {
        // Alerts need only each incident's head: none is written out.
        let located: Vec<monitor::alerts::Located<'_>> = self
            .correlator
            .heads()
            .filter(|h| visible(viewer, h.releasability))
            .map(|h| monitor::alerts::Located {
                incident: h,
                sector: self.sector_at(h.location),
            })
            .collect();
        let mut standings: Vec<monitor::alerts::Standing> =
            monitor::alerts::evaluate(&self.alert_config, &located)
                .iter()
                .map(|a| {
                    monitor::alerts::standing(
                        a,
                        &self.alert_config.ladder,
                        monitor::alerts::acknowledgement(a, &self.acks),
                        now,
                    )
                })
                .collect();
        standings.sort_by_key(|s| std::cmp::Reverse(s.alert.raised_at));
        standings
    }

    /// The daily report per sector from the incidents `viewer` may see; with `public_only`,
    /// from public incidents alone.
    pub fn daily_reports(
        &self,
        spec: &PeriodSpec,
        day: jiff::civil::Date,
        viewer: &Viewer,
        public_only: bool,
    ) -> Result<Vec<monitor::report::SectorReport>, String> {
        // Only incidents of the day and the day before count: the rest are not written out.
        let (from, to) = monitor::report::span(spec, day)?;
        let chosen: Vec<Incident> = self
            .correlator
            .incidents_where(|h| h.from >= from && h.from < to && visible(viewer, h.releasability))
            .collect();
        let placed: Vec<monitor::report::Placed<'_>> = chosen
            .iter()
            .map(|i| monitor::report::Placed {
                incident: i,
                sector: self.sector(i),
                public: i.releasability == Releasability::Public,
            })
            .collect();
        let codes: Vec<String> = self.sectors.iter().map(|s| s.code.clone()).collect();
        monitor::report::daily(spec, day, &codes, &placed, &self.efforts, public_only)
    }
}

/// What became of a batch.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IngestReport {
    /// New observations, each with the incident it opened or joined.
    #[schema(value_type = [Object])]
    pub accepted: Vec<serde_json::Value>,
    /// Ids sent before with the same content: nothing changed.
    pub already_known: Vec<String>,
    /// Rows that were not taken, with their line (CSV, XML) or position (JSON, from 1).
    #[schema(value_type = [Object])]
    pub rejected: Vec<Rejected>,
}

/// Logs a checked batch and answers with each observation's fate; a batch with no rows at all
/// is refused.
pub async fn ingest(
    monitoring: &Monitoring,
    store: &Arc<dyn Store>,
    batch: Batch,
    actor: &Actor,
) -> Result<IngestReport, ApiError> {
    if batch.accepted.is_empty() && batch.rejected.is_empty() {
        return Err(ApiError::invalid(
            "empty_batch",
            "the batch holds no observations",
        ));
    }
    let mut rejected = batch.rejected;
    let mut rows = Vec::with_capacity(batch.accepted.len());
    let mut seen = std::collections::HashSet::new();
    let mut order = Vec::new();
    let mut kept = Vec::with_capacity(batch.accepted.len());
    for (o, place) in batch.accepted {
        if !seen.insert(o.id.clone()) {
            rejected.push(Rejected {
                line: 0,
                id: Some(o.id.clone()),
                reason: "the same id appears twice in this batch".into(),
            });
            continue;
        }
        let body = serde_json::to_string(&o).map_err(ApiError::internal)?;
        rows.push((o.id.clone(), body));
        order.push(o.id.clone());
        kept.push((o, place));
    }
    let results = store
        .append_monitor_log("observation", &rows, actor)
        .await?;
    // What was logged just now, as it was logged: read back as JSON, it would be the same.
    let logged = kept
        .into_iter()
        .zip(&results)
        .filter_map(|((o, place), r)| match r {
            Appended::New(seq) => Some((*seq, o, place)),
            _ => None,
        })
        .collect();
    let st = monitoring.sync_with(store, logged).await?;
    let mut accepted = Vec::new();
    let mut already_known = Vec::new();
    for (id, result) in order.into_iter().zip(results) {
        match result {
            Appended::New(_) => {
                let outcome = st.correlator.outcome_of(&id);
                accepted.push(serde_json::json!({"id": id, "result": outcome}));
            }
            Appended::Same => already_known.push(id),
            Appended::Different => rejected.push(Rejected {
                line: 0,
                id: Some(id),
                reason: "this id was already used for a different observation".into(),
            }),
        }
    }
    Ok(IngestReport {
        accepted,
        already_known,
        rejected,
    })
}

/// Publishes every alert, and every step it climbs on the escalation ladder, to NATS on
/// `<prefix>.<level>` (e.g. `coalition.alerts.hq`) as JSON, checking every `interval`. Each
/// (alert, level) is published once per server process (at least once overall).
pub fn spawn_publisher(
    state: crate::AppState,
    url: String,
    prefix: String,
    interval: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut published: std::collections::HashSet<(String, usize, bool)> =
            std::collections::HashSet::new();
        let mut client: Option<async_nats::Client> = None;
        loop {
            if client.is_none() {
                match async_nats::connect(url.as_str()).await {
                    Ok(c) => client = Some(c),
                    Err(e) => {
                        tracing::warn!(error = %e, "cannot reach NATS; alerts are not published yet")
                    }
                }
            }
            if let Some(c) = &client {
                let standings = match state.monitoring.sync(&state.store).await {
                    Ok(st) => st.standings(&Viewer::Everything, jiff::Timestamp::now()),
                    Err(e) => {
                        tracing::error!(error = %e, "alerts could not be worked out");
                        Vec::new()
                    }
                };
                for s in standings {
                    let key = (s.alert.id.clone(), s.level, s.acknowledged.is_some());
                    if published.contains(&key) {
                        continue;
                    }
                    let subject = format!("{prefix}.{}", s.level_name);
                    match serde_json::to_vec(&s) {
                        Ok(body) => match c.publish(subject, body.into()).await {
                            Ok(()) => {
                                published.insert(key);
                            }
                            Err(e) => tracing::warn!(error = %e, "an alert could not be published"),
                        },
                        Err(e) => tracing::error!(error = %e, "an alert could not be written"),
                    }
                }
                if let Err(e) = c.flush().await {
                    tracing::warn!(error = %e, "NATS flush failed");
                }
            }
            tokio::time::sleep(interval).await;
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_log_longer_than_a_page_is_replayed_whole() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let url = format!("sqlite://{}", dir.path().join("m.db").display());
        let sql = store::connect(&url).await.unwrap_or_else(|e| panic!("{e}"));
        let store: Arc<dyn Store> = Arc::new(sql.clone());
        let shellings = |ids: std::ops::Range<i32>| -> Vec<(String, String)> {
            ids.map(|i| {
                let body = serde_json::json!({"id": format!("O-{i}"),
                    "observed_from": "2025-03-18T10:00:00Z", "observed_to": "2025-03-18T10:01:00Z",
                    "reported": "2025-03-18T11:00:00Z", "observer": "patrol",
                    "location": {"type": "point", "lat": 48.0, "lon": 30.0 + f64::from(i) * 0.5, "radius_m": 100},
                    "kind": "shelling", "count": {"low": 1, "best": 1, "high": 1}});
                (format!("O-{i}"), body.to_string())
            })
            .collect()
        };
        let actor = store::Actor::new("test");
        // Seven shellings far apart, then an acknowledgement: eight entries, pages of 3, 3
        // and 2.
        store
            .append_monitor_log("observation", &shellings(0..7), &actor)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        store
            .append_monitor_log("ack", &[("coalition:1".into(), "{}".into())], &actor)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let m = Monitoring {
            page: 3,
            ..Monitoring::default()
        };
        let st = m.sync(&store).await.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(st.observations.len(), 7);
        assert_eq!(st.correlator.incident_count(), 7);
        assert!(st.acks.contains_key("coalition:1"));
        drop(st);
        // Six more: two full pages, then an empty one.
        store
            .append_monitor_log("observation", &shellings(7..13), &actor)
            .await
            .unwrap_or_else(|e| panic!("{e}"));
        let st = m.sync(&store).await.unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(st.observations.len(), 13);
        assert_eq!(st.correlator.incident_count(), 13);
        assert_eq!(
            st.observations.keys().last().map(String::as_str),
            Some("O-12")
        );
        drop(st);
        sql.close().await;
    }
}
