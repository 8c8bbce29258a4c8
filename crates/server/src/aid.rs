//! The aid and finance ledger's shared steps for the API, the pages and the command line:
//! exchange rates and country figures (built in, replaceable by import), each stage in EUR
//! with the rate used, burden sharing against the current plan, and checked imports.

use domain::burden::{self, Burden, CountryFacts, TourLoad};
use domain::commitment::{iati_transaction_type, kiel_measure, Commitment, Money};
use domain::fx::{FxError, RateTable, RateUsed};
use domain::Scenario;
use serde::Serialize;
use serde_json::Value;
use store::{Actor, Store, Viewer};

use crate::error::ApiError;

/// ECB euro reference rates shipped with the program (see `data/fx/SOURCES.md`).
pub const ECB_RATES: &str = include_str!("../../../data/fx/ecb-eur.csv");
/// Country figures shipped with the program (see `data/countries/SOURCES.md`).
pub const COUNTRIES: &str = include_str!("../../../data/countries.csv");

const FX_TABLE: &str = "fx_rates";
const COUNTRY_TABLE: &str = "countries";

impl From<FxError> for ApiError {
    fn from(e: FxError) -> Self {
        match e {
            FxError::MissingRate { .. } => {
                ApiError::invalid("missing_exchange_rate", e.to_string())
            }
            FxError::Csv { .. } => ApiError::invalid("invalid_csv", e.to_string()),
        }
    }
}

/// The shipped rates, read once (a test checks the shipped file reads).
fn shipped_rates() -> Result<&'static RateTable, ApiError> {
    static SHIPPED: std::sync::OnceLock<Result<RateTable, FxError>> = std::sync::OnceLock::new();
    SHIPPED
        .get_or_init(|| RateTable::from_csv(ECB_RATES))
        .as_ref()
        .map_err(ApiError::internal)
}

/// The shipped rates with every imported rate over them.
pub async fn rates(store: &dyn Store) -> Result<RateTable, ApiError> {
    let mut table = shipped_rates()?.clone();
    if let Some(imported) = store.reference(FX_TABLE).await? {
        table.merge(RateTable::from_csv(&imported).map_err(ApiError::internal)?);
    }
    Ok(table)
}

/// Adds rates from CSV (the ECB's layout or `date,currency,rate`) to the imported ones,
/// replacing rates for the same currency and date. Returns (rates read, imported rates kept).
pub async fn import_rates(
    store: &dyn Store,
    csv: &str,
    actor: &Actor,
) -> Result<(usize, usize), ApiError> {
    let new = RateTable::from_csv(csv)?;
    if new.is_empty() {
        return Err(ApiError::invalid("invalid_csv", "the file holds no rates"));
    }
    let read = new.len();
    let mut kept = match store.reference(FX_TABLE).await? {
        Some(text) => RateTable::from_csv(&text).map_err(ApiError::internal)?,
        None => RateTable::default(),
    };
    kept.merge(new);
    store.put_reference(FX_TABLE, &kept.to_csv(), actor).await?;
    Ok((read, kept.len()))
}

/// The imported country figures, or the shipped ones.
pub async fn countries(store: &dyn Store) -> Result<Vec<CountryFacts>, ApiError> {
    static SHIPPED: std::sync::OnceLock<Result<Vec<CountryFacts>, String>> =
        std::sync::OnceLock::new();
    match store.reference(COUNTRY_TABLE).await? {
        Some(text) => burden::read_countries(&text).map_err(ApiError::internal),
        None => SHIPPED
            .get_or_init(|| burden::read_countries(COUNTRIES))
            .clone()
            .map_err(ApiError::internal),
    }
}

/// Replaces the country figures with a CSV in `data/countries.csv`'s layout.
pub async fn import_countries(
    store: &dyn Store,
    csv: &str,
    actor: &Actor,
) -> Result<usize, ApiError> {
    let rows = burden::read_countries(csv).map_err(|e| ApiError::invalid("invalid_csv", e))?;
    store.put_reference(COUNTRY_TABLE, csv, actor).await?;
    Ok(rows.len())
}

/// One stage of an entry as the ledger shows it: with its value in EUR and the rate used,
/// and how IATI and the Kiel tracker count it.
#[derive(Debug, Clone, Serialize)]
pub struct StageView {
    pub status: String,
    pub date: jiff::civil::Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<Money>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eur: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<RateUsed>,
    /// Why there is no EUR value (a missing rate), if there is none for an amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub conversion_error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub iati_transaction_type: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kiel_measure: Option<&'static str>,
    pub sources: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

pub fn stage_views(c: &Commitment, rates: &RateTable) -> Vec<StageView> {
    c.history()
        .iter()
        .map(|s| {
            let amount = c.amount_at(s).cloned();
            let converted = amount.as_ref().map(|m| rates.money_to_eur(m, s.date));
            let (eur, rate, conversion_error) = match converted {
                Some(Ok(x)) => (Some(x.eur), x.rate, None),
                Some(Err(e)) => (None, None, Some(e.to_string())),
                None => (None, None, None),
            };
            StageView {
                status: s.status.to_string(),
                date: s.date,
                amount,
                eur,
                rate,
                conversion_error,
                iati_transaction_type: iati_transaction_type(s.status, c.instrument).map(|t| t.0),
                kiel_measure: kiel_measure(s.status),
                sources: s.sources.iter().map(ToString::to_string).collect(),
                note: s.note.clone(),
            }
        })
        .collect()
}

/// The tours of the newest baseline plan the viewer may see (made with the scenario's own
/// assumptions and every offer counted), with its id.
pub async fn baseline_tours(
    store: &dyn Store,
    viewer: &Viewer,
) -> Result<Option<(i64, Vec<TourLoad>)>, ApiError> {
    let plans = store.plans(viewer).await?;
    let baseline = plans.iter().find(|p| {
        serde_json::from_str::<planner::Options>(&p.options)
            .is_ok_and(|o| o == planner::Options::default())
    });
    let Some(record) = baseline else {
        return Ok(None);
    };
    let (_, body) = store.plan(viewer, record.id).await?;
    let v: Value = serde_json::from_str(&body).map_err(ApiError::internal)?;
    let tours = v["tours"]
        .as_array()
        .map(|ts| {
            ts.iter()
                .filter_map(|t| {
                    Some(TourLoad {
                        offer: t["offer"].as_str()?.to_owned(),
                        units: u32::try_from(t["units"].as_u64()?).ok()?,
                        weeks: u32::try_from(t["weeks"].as_u64()?).ok()?,
                    })
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Some((record.id, tours)))
}

/// Burden sharing as of a date, from what the viewer may see.
#[derive(Debug, Clone, Serialize)]
pub struct BurdenReport {
    /// The baseline plan whose tours count as planned forces, if there is one.
    pub plan: Option<i64>,
    #[serde(flatten)]
    pub burden: Burden,
    /// Where the country figures come from, by column.
    pub figures_from: Vec<String>,
}

pub async fn burden_report(
    store: &dyn Store,
    viewer: &Viewer,
    as_of: jiff::civil::Date,
) -> Result<BurdenReport, ApiError> {
    let scenario = store
        .export_scenario(viewer)
        .await?
        .ok_or_else(|| ApiError::NotFound("no scenario has been imported yet".into()))?;
    let countries = countries(store).await?;
    let rates = rates(store).await?;
    let (plan, tours) = match baseline_tours(store, viewer).await? {
        Some((id, tours)) => (Some(id), tours),
        None => (None, Vec::new()),
    };
    let burden = burden::compute(
        &scenario,
        &countries,
        &rates,
        &tours,
        as_of,
        jiff::Timestamp::MAX,
    )?;
    let mut figures_from: Vec<String> = countries
        .iter()
        .flat_map(|c| {
            [
                c.population_source.clone(),
                c.gdp_source.clone(),
                c.defence_source.clone(),
            ]
        })
        .map(|s| match s.split_once(')') {
            Some((package, _)) => format!("{package})"),
            None => s,
        })
        .filter(|s| !s.is_empty())
        .collect();
    figures_from.sort();
    figures_from.dedup();
    Ok(BurdenReport {
        plan,
        burden,
        figures_from,
    })
}

/// Adds or replaces commitments after checking them against the whole ledger (nations,
/// sources, links, stages) exactly as a scenario file is checked. Returns (added, replaced).
pub async fn import_commitments(
    store: &dyn Store,
    incoming: Vec<Commitment>,
    actor: &Actor,
) -> Result<(usize, usize), ApiError> {
    let scenario = store
        .export_scenario(&Viewer::Everything)
        .await?
        .ok_or_else(|| ApiError::NotFound("no scenario has been imported yet".into()))?;
    let mut merged: Vec<Commitment> = scenario.commitments().to_vec();
    for c in &incoming {
        match merged.iter_mut().find(|m| m.id == c.id) {
            Some(slot) => *slot = c.clone(),
            None => merged.push(c.clone()),
        }
    }
    let mut v = scenario.to_value();
    v["commitments"] = serde_json::to_value(&merged).map_err(ApiError::internal)?;
    if let Err(errs) = Scenario::from_value(&v) {
        let first: Vec<String> = errs.iter().take(5).map(ToString::to_string).collect();
        return Err(ApiError::invalid(
            "invalid_commitment",
            format!("{} problem(s): {}", errs.len(), first.join("; ")),
        ));
    }
    Ok(store.put_commitments(&incoming, actor).await?)
}
