//! The map: requirement regions shaded by the current plan's coverage, contingents as APP-6
//! symbols, over local boundary data (no tile server). The page's script reads
//! `/map/data.json`, filtered by the caller's releasability like every other answer.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::State;
use axum::Json;
use serde::Serialize;

use super::plan::latest_baseline;
use super::{render, Chrome, WebResult};
use crate::caller::Caller;
use crate::AppState;

#[derive(Template)]
#[template(path = "map.html")]
struct MapPage {
    chrome: Chrome,
}

/// (region, nation, capability) of a contingent on the map.
type GroupKey = (String, String, String);
/// Units on tour per week.
type WeeklyUnits = BTreeMap<u32, u32>;

pub async fn page(caller: Caller) -> WebResult {
    render(&MapPage {
        chrome: Chrome::new(&caller, "Map", "/map"),
    })
}

#[derive(Debug, Default, Serialize)]
pub struct RegionCoverage {
    pub code: String,
    pub required_unit_weeks: u64,
    pub covered_unit_weeks: u64,
    /// 0 to 100.
    pub coverage: u64,
    pub requirements: Vec<String>,
}

#[derive(Debug, Serialize)]
pub struct Contingent {
    pub region: String,
    pub nation: String,
    pub capability: String,
    pub sidc: String,
    /// Units on tour at the peak week of this nation's tours in the region.
    pub units: u32,
    pub offers: Vec<String>,
}

#[derive(Debug, Default, Serialize)]
pub struct MapData {
    pub plan: Option<i64>,
    pub regions: Vec<RegionCoverage>,
    pub contingents: Vec<Contingent>,
    /// The newest incidents the viewer may see (at most 500).
    pub incidents: Vec<MapIncident>,
    /// Alerts the viewer's incidents raise: those nobody has acknowledged first, then the
    /// newest (at most 100).
    pub alerts: Vec<MapAlert>,
    /// Monitoring sectors, each as polygons of rings of [lat, lon].
    pub sectors: Vec<MapSector>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MapSector {
    pub code: String,
    pub name: String,
    pub polygons: Vec<Vec<Vec<[f64; 2]>>>,
    /// An alert in it is unacknowledged.
    pub alerted: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct MapAlert {
    pub id: String,
    /// The rung of the escalation ladder it stands on (sector, contingent, HQ).
    pub level: String,
    pub overdue: bool,
    pub acknowledged: bool,
    pub summary: String,
    pub sector: Option<String>,
    pub incidents: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct MapIncident {
    pub id: u64,
    pub kind: &'static str,
    pub lat: f64,
    pub lon: f64,
    pub radius_m: f64,
    pub when: String,
    pub count: u32,
    pub against_coalition: bool,
}

pub async fn data(State(state): State<AppState>, caller: Caller) -> WebResult<Json<MapData>> {
    let viewer = caller.viewer();
    if caller.user.is_none() {
        // Requirements and plans are for signed-in users; the public map shows boundaries only.
        return Ok(Json(MapData::default()));
    }
    let requirements = state.store.requirements(&viewer, None).await?;
    let capabilities: BTreeMap<String, String> = state
        .store
        .capabilities()
        .await?
        .into_iter()
        .map(|c| (c.code.to_string(), c.sidc.as_str().to_owned()))
        .collect();
    let plan = latest_baseline(&state, &viewer).await?;
    let mut regions: BTreeMap<String, RegionCoverage> = BTreeMap::new();
    let req_region: BTreeMap<&str, (&str, &str)> = requirements
        .iter()
        .map(|r| (r.id.as_str(), (r.region.as_str(), r.capability.as_str())))
        .collect();
    for r in &requirements {
        let e = regions.entry(r.region.to_string()).or_default();
        e.code = r.region.to_string();
        e.required_unit_weeks += r.unit_weeks();
        e.requirements.push(r.id.to_string());
    }
    // (region, nation, capability) → per-week units, offers
    let mut groups: BTreeMap<GroupKey, (WeeklyUnits, Vec<String>)> = BTreeMap::new();
    if let Some(p) = &plan {
        for t in &p.plan.tours {
            let Some((region, capability)) = req_region.get(t.requirement.as_str()) else {
                continue;
            };
            if let Some(e) = regions.get_mut(*region) {
                e.covered_unit_weeks += u64::from(t.units) * u64::from(t.weeks);
            }
            let g = groups
                .entry((region.to_string(), t.nation.clone(), capability.to_string()))
                .or_default();
            for w in t.start_week..t.start_week.saturating_add(t.weeks) {
                *g.0.entry(w).or_default() += t.units;
            }
            if !g.1.contains(&t.offer) {
                g.1.push(t.offer.clone());
            }
        }
    }
    for r in regions.values_mut() {
        r.coverage = super::percent(r.covered_unit_weeks, r.required_unit_weeks);
    }
    let contingents = groups
        .into_iter()
        .map(
            |((region, nation, capability), (weeks, offers))| Contingent {
                sidc: capabilities.get(&capability).cloned().unwrap_or_default(),
                units: weeks.values().copied().max().unwrap_or(0),
                region,
                nation,
                capability,
                offers,
            },
        )
        .collect();
    let st = state.monitoring.sync(&state.store).await?;
    // The 500 newest the viewer may see: only those are written out.
    let incidents: Vec<MapIncident> = st
        .correlator
        .incidents_newest_first(|h| crate::monitoring::visible(&viewer, h.releasability))
        .take(500)
        .map(|i| MapIncident {
            id: i.id,
            kind: i.kind.as_str(),
            lat: i.location.lat,
            lon: i.location.lon,
            radius_m: i.radius_m,
            when: monitor::dtg::format_dtg(i.from),
            count: i.count.best,
            against_coalition: i.against_coalition,
        })
        .collect();
    let mut standings = st.standings(&viewer, jiff::Timestamp::now());
    let sectors: Vec<MapSector> = st
        .sectors
        .iter()
        .map(|s| MapSector {
            code: s.code.clone(),
            name: s.name.clone(),
            polygons: s
                .polygons()
                .iter()
                .map(|rings| {
                    rings
                        .iter()
                        .map(|ring| ring.iter().map(|&(lon, lat)| [lat, lon]).collect())
                        .collect()
                })
                .collect(),
            alerted: standings.iter().any(|a| {
                a.acknowledged.is_none() && a.alert.sector.as_deref() == Some(s.code.as_str())
            }),
        })
        .collect();
    drop(st);
    // Newest first already: those nobody has acknowledged go ahead, in that order.
    standings.sort_by_key(|s| s.acknowledged.is_some());
    let alerts = standings
        .into_iter()
        .take(100)
        .map(|s| MapAlert {
            id: s.alert.id,
            level: s.level_name,
            overdue: s.overdue,
            acknowledged: s.acknowledged.is_some(),
            summary: s.alert.summary,
            sector: s.alert.sector,
            incidents: s.alert.incidents,
        })
        .collect();
    Ok(Json(MapData {
        plan: plan.map(|p| p.record.id),
        regions: regions.into_values().collect(),
        contingents,
        incidents,
        alerts,
        sectors,
    }))
}
