//! Burden sharing: what each nation contributes (forces in personnel-weeks, aid and finance in
//! EUR), absolute, per head, as a share of GDP and of defence spending, and against its share of
//! the contributors' combined GDP ("fair share"); with Europe and the others side by side.
//!
//! Reference figures (population, GDP, defence spending) come from `data/countries.csv` or a
//! CSV in the same layout; money is converted to EUR with [`RateTable`] at each stage's date,
//! and GDP (in US dollars) at the last rate of the year the figure refers to.

use std::collections::{BTreeMap, BTreeSet};

use jiff::civil::Date;
use serde::Serialize;

use crate::commitment::{CommitmentKind, CommitmentStatus};
use crate::fx::{FxError, RateTable, RateUsed};
use crate::ids::{Currency, NationCode};
use crate::offer::OfferStatus;
use crate::Scenario;

/// One nation's reference figures, each with the year it refers to and its source.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CountryFacts {
    pub code: NationCode,
    pub name: String,
    pub europe: bool,
    pub population: Option<u64>,
    pub population_year: Option<i16>,
    pub population_source: String,
    pub gdp_usd: Option<f64>,
    pub gdp_year: Option<i16>,
    pub gdp_source: String,
    pub defence_pct_gdp: Option<f64>,
    pub defence_year: Option<i16>,
    pub defence_source: String,
}

const COLUMNS: [&str; 12] = [
    "code",
    "name",
    "europe",
    "population",
    "population_year",
    "population_source",
    "gdp_usd",
    "gdp_year",
    "gdp_source",
    "defence_pct_gdp",
    "defence_year",
    "defence_source",
];

/// Reads `data/countries.csv`'s layout; every bad line is an error naming it and its column.
pub fn read_countries(text: &str) -> Result<Vec<CountryFacts>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .map_err(|e| format!("line 1: {e}"))?
        .iter()
        .map(str::to_owned)
        .collect();
    if header != COLUMNS {
        return Err(format!(
            "line 1: expected the columns {}, found {}",
            COLUMNS.join(","),
            header.join(",")
        ));
    }
    let mut out = Vec::new();
    let mut seen = BTreeSet::new();
    for (i, row) in reader.records().enumerate() {
        let line = i + 2;
        let row = row.map_err(|e| format!("line {line}: {e}"))?;
        let cell = |k: usize| row.get(k).unwrap_or("").to_owned();
        let at = |k: usize, e: String| format!("line {line}, {}: {e}", COLUMNS[k]);
        fn opt<T: std::str::FromStr>(s: &str) -> Result<Option<T>, String> {
            if s.is_empty() {
                Ok(None)
            } else {
                s.parse()
                    .map(Some)
                    .map_err(|_| format!("\"{s}\" is not a number"))
            }
        }
        let code = NationCode::parse(&cell(0)).map_err(|e| at(0, e))?;
        if !seen.insert(code.clone()) {
            return Err(at(0, format!("{code} appears twice")));
        }
        let europe = match cell(2).as_str() {
            "true" => true,
            "false" => false,
            other => return Err(at(2, format!("\"{other}\" is not true or false"))),
        };
        let gdp_usd: Option<f64> = opt(&cell(6)).map_err(|e| at(6, e))?;
        let defence: Option<f64> = opt(&cell(9)).map_err(|e| at(9, e))?;
        if gdp_usd.is_some_and(|g| !(g.is_finite() && g > 0.0)) {
            return Err(at(6, "must be a positive number".into()));
        }
        if defence.is_some_and(|d| !(d.is_finite() && (0.0..=100.0).contains(&d))) {
            return Err(at(9, "must be a percentage between 0 and 100".into()));
        }
        out.push(CountryFacts {
            code,
            name: cell(1),
            europe,
            population: opt(&cell(3)).map_err(|e| at(3, e))?,
            population_year: opt(&cell(4)).map_err(|e| at(4, e))?,
            population_source: cell(5),
            gdp_usd,
            gdp_year: opt(&cell(7)).map_err(|e| at(7, e))?,
            gdp_source: cell(8),
            defence_pct_gdp: defence,
            defence_year: opt(&cell(10)).map_err(|e| at(10, e))?,
            defence_source: cell(11),
        });
    }
    Ok(out)
}

/// A planned tour, as burden sharing needs it.
#[derive(Debug, Clone)]
pub struct TourLoad {
    pub offer: String,
    pub units: u32,
    pub weeks: u32,
}

/// Money a nation has put in, in EUR.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct MoneyShare {
    /// Aid entries announced or further (not cancelled) as of the date, at their latest stage.
    pub aid_pledged_eur: f64,
    /// Finance entries (loans, export finance, guarantees) likewise.
    pub finance_pledged_eur: f64,
    /// The part of both that has been delivered or disbursed.
    pub delivered_eur: f64,
}

impl MoneyShare {
    pub fn pledged_eur(&self) -> f64 {
        self.aid_pledged_eur + self.finance_pledged_eur
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NationShare {
    pub nation: NationCode,
    pub name: String,
    pub europe: bool,
    /// Personnel-weeks on tour in the plan (units × weeks × personnel per unit).
    pub personnel_weeks_planned: u64,
    /// Personnel-weeks on offer over each offer's availability window, by the offer's status
    /// as of the date.
    pub personnel_weeks_offered: BTreeMap<String, u64>,
    pub money: MoneyShare,
    pub population: Option<u64>,
    pub gdp_eur: Option<f64>,
    pub defence_eur: Option<f64>,
    /// Aid and finance pledged per inhabitant, EUR.
    pub pledged_per_capita_eur: Option<f64>,
    /// Aid and finance pledged as a percentage of GDP.
    pub pledged_pct_gdp: Option<f64>,
    /// Aid and finance pledged as a percentage of defence spending.
    pub pledged_pct_defence: Option<f64>,
    /// Share of the contributors' combined GDP, percent.
    pub gdp_share_pct: Option<f64>,
    /// Share of all planned personnel-weeks, percent.
    pub forces_share_pct: f64,
    /// Share of all aid and finance pledged, percent.
    pub money_share_pct: f64,
    /// Forces share ÷ GDP share: above 1 carries more than its economic weight.
    pub forces_fair_ratio: Option<f64>,
    /// Money share ÷ GDP share.
    pub money_fair_ratio: Option<f64>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Totals {
    pub nations: usize,
    pub personnel_weeks_planned: u64,
    pub personnel_weeks_offered: u64,
    pub pledged_eur: f64,
    pub delivered_eur: f64,
    pub gdp_eur: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Burden {
    pub as_of: Date,
    /// Contributors: nations with an offer or an aid or finance entry as of the date (the
    /// recipient excluded), largest planned force first.
    pub nations: Vec<NationShare>,
    pub europe: Totals,
    pub others: Totals,
    /// Every exchange rate used, once.
    pub rates_used: Vec<RateUsed>,
    /// Contributors without reference figures (their ratios are left empty).
    pub without_figures: Vec<NationCode>,
}

fn pct(part: f64, whole: f64) -> Option<f64> {
    (whole > 0.0).then(|| 100.0 * part / whole)
}

/// Computes burden sharing as of `as_of`. Offers count by their status on that date (as
/// recorded by `known_at`); aid and finance by their latest stage on that date. A missing
/// exchange rate is an error naming the currency and date.
pub fn compute(
    scenario: &Scenario,
    countries: &[CountryFacts],
    rates: &RateTable,
    tours: &[TourLoad],
    as_of: Date,
    known_at: jiff::Timestamp,
) -> Result<Burden, FxError> {
    let personnel: BTreeMap<_, _> = scenario
        .capabilities()
        .iter()
        .map(|c| (c.code.clone(), u64::from(c.personnel)))
        .collect();
    let offers: BTreeMap<_, _> = scenario
        .offers()
        .iter()
        .map(|o| (o.id.as_str(), o))
        .collect();
    let mut rates_used: BTreeMap<(Currency, Date), RateUsed> = BTreeMap::new();
    #[derive(Default)]
    struct Acc {
        planned: u64,
        offered: BTreeMap<String, u64>,
        money: MoneyShare,
    }
    let mut acc: BTreeMap<NationCode, Acc> = BTreeMap::new();
    for t in tours {
        let Some(o) = offers.get(t.offer.as_str()) else {
            continue; // another nation's restricted offer: not attributable here
        };
        let per_unit = personnel.get(&o.capability).copied().unwrap_or(0);
        acc.entry(o.nation.clone()).or_default().planned +=
            u64::from(t.units) * u64::from(t.weeks) * per_unit;
    }
    for o in scenario.offers() {
        let status = if o.history.is_empty() {
            Some(o.status)
        } else {
            crate::offer::status_as_of(&o.history, as_of, known_at)
        };
        let Some(status) = status.filter(|s| *s != OfferStatus::Withdrawn) else {
            continue;
        };
        let per_unit = personnel.get(&o.capability).copied().unwrap_or(0);
        let weeks = u64::from(o.to_week.saturating_sub(o.from_week) + 1);
        *acc.entry(o.nation.clone())
            .or_default()
            .offered
            .entry(status.as_str().to_owned())
            .or_default() += u64::from(o.units) * weeks * per_unit;
    }
    let recipients: BTreeSet<&NationCode> = scenario
        .commitments()
        .iter()
        .filter_map(|c| c.recipient.as_ref())
        .collect();
    for c in scenario.commitments() {
        if !matches!(c.kind, CommitmentKind::Aid | CommitmentKind::Finance) {
            continue;
        }
        let Some(stage) = c.stage_as_of(as_of) else {
            continue;
        };
        if stage.status == CommitmentStatus::Cancelled {
            continue;
        }
        let Some(money) = c.amount_at(&stage) else {
            continue;
        };
        let converted = rates.money_to_eur(money, stage.date)?;
        if let Some(r) = &converted.rate {
            rates_used.insert((r.currency.clone(), r.date), r.clone());
        }
        let share = &mut acc.entry(c.nation.clone()).or_default().money;
        if c.kind == CommitmentKind::Aid {
            share.aid_pledged_eur += converted.eur;
        } else {
            share.finance_pledged_eur += converted.eur;
        }
        if stage.status == CommitmentStatus::Delivered {
            share.delivered_eur += converted.eur;
        }
    }
    let facts: BTreeMap<_, _> = countries.iter().map(|c| (&c.code, c)).collect();
    let usd = Currency::parse("USD").map_err(|reason| FxError::Csv { line: 0, reason })?;
    let names: BTreeMap<_, _> = scenario
        .nations()
        .iter()
        .map(|n| (&n.code, n.name.clone()))
        .collect();
    let mut rows = Vec::new();
    let mut without_figures = Vec::new();
    for (code, a) in acc {
        if recipients.contains(&code) && a.planned == 0 && a.offered.is_empty() {
            continue;
        }
        let f = facts.get(&code);
        let gdp_eur = match f.and_then(|f| f.gdp_usd.zip(f.gdp_year)) {
            Some((gdp, year)) => {
                let year_end = Date::new(year, 12, 31).map_err(|_| FxError::Csv {
                    line: 0,
                    reason: format!("{year} is not a year"),
                })?;
                let x = rates.to_eur(gdp, &usd, year_end)?;
                if let Some(r) = &x.rate {
                    rates_used.insert((r.currency.clone(), r.date), r.clone());
                }
                Some(x.eur)
            }
            None => None,
        };
        if f.is_none() || gdp_eur.is_none() {
            without_figures.push(code.clone());
        }
        let defence_eur = gdp_eur
            .zip(f.and_then(|f| f.defence_pct_gdp))
            .map(|(g, p)| g * p / 100.0);
        let population = f.and_then(|f| f.population);
        let pledged = a.money.pledged_eur();
        rows.push(NationShare {
            name: names
                .get(&code)
                .cloned()
                .or_else(|| f.map(|f| f.name.clone()))
                .unwrap_or_default(),
            europe: f.is_some_and(|f| f.europe),
            nation: code,
            personnel_weeks_planned: a.planned,
            personnel_weeks_offered: a.offered,
            pledged_per_capita_eur: population.filter(|p| *p > 0).map(|p| pledged / p as f64),
            pledged_pct_gdp: gdp_eur.and_then(|g| pct(pledged, g)),
            pledged_pct_defence: defence_eur.and_then(|d| pct(pledged, d)),
            money: a.money,
            population,
            gdp_eur,
            defence_eur,
            gdp_share_pct: None,
            forces_share_pct: 0.0,
            money_share_pct: 0.0,
            forces_fair_ratio: None,
            money_fair_ratio: None,
        });
    }
    let total_gdp: f64 = rows.iter().filter_map(|r| r.gdp_eur).sum();
    let total_planned: u64 = rows.iter().map(|r| r.personnel_weeks_planned).sum();
    let total_money: f64 = rows.iter().map(|r| r.money.pledged_eur()).sum();
    let (mut europe, mut others) = (Totals::default(), Totals::default());
    for r in &mut rows {
        r.gdp_share_pct = r.gdp_eur.and_then(|g| pct(g, total_gdp));
        r.forces_share_pct =
            pct(r.personnel_weeks_planned as f64, total_planned as f64).unwrap_or(0.0);
        r.money_share_pct = pct(r.money.pledged_eur(), total_money).unwrap_or(0.0);
        let fair = |share: f64| r.gdp_share_pct.filter(|g| *g > 0.0).map(|g| share / g);
        // With nothing planned (or pledged) at all there is no share to compare.
        r.forces_fair_ratio = if total_planned > 0 {
            fair(r.forces_share_pct)
        } else {
            None
        };
        r.money_fair_ratio = if total_money > 0.0 {
            fair(r.money_share_pct)
        } else {
            None
        };
        let t = if r.europe { &mut europe } else { &mut others };
        t.nations += 1;
        t.personnel_weeks_planned += r.personnel_weeks_planned;
        t.personnel_weeks_offered += r.personnel_weeks_offered.values().sum::<u64>();
        t.pledged_eur += r.money.pledged_eur();
        t.delivered_eur += r.money.delivered_eur;
        t.gdp_eur += r.gdp_eur.unwrap_or(0.0);
    }
    rows.sort_by(|a, b| {
        b.personnel_weeks_planned
            .cmp(&a.personnel_weeks_planned)
            .then_with(|| a.nation.cmp(&b.nation))
    });
    Ok(Burden {
        as_of,
        nations: rows,
        europe,
        others,
        rates_used: rates_used.into_values().collect(),
        without_figures,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn d(s: &str) -> Date {
        s.parse().unwrap_or_default()
    }

    fn offer(id: &str, nation: &str, units: u32, to_week: u32, status: &str) -> serde_json::Value {
        json!({"id": id, "nation": nation, "capability": "CAP.X", "units": units, "from_week": 0,
            "to_week": to_week, "notice_weeks": 0, "tour_weeks": 4, "dwell_weeks": 4, "roe": "robust",
            "status": status, "cost_per_unit_week": 1})
    }

    /// Two contributors and a recipient; every figure below is worked out by hand.
    fn case(extra: Vec<serde_json::Value>) -> (Scenario, Vec<CountryFacts>, RateTable) {
        let mut commitments = vec![
            json!({"id": "A-FIN", "kind": "finance", "nation": "AAA", "title": "loan", "status": "announced",
                "date": "2025-03-03", "recipient": "UKR", "amount": {"value": "1650.6", "currency": "GBP"}}),
            json!({"id": "B-AID", "kind": "aid", "nation": "BBB", "title": "kit", "status": "delivered",
                "date": "2025-03-01", "recipient": "UKR", "amount": {"value": "1000", "currency": "EUR"},
                "stages": [{"status": "announced", "date": "2025-03-01"}, {"status": "delivered", "date": "2025-03-10"}]}),
            json!({"id": "A-GONE", "kind": "aid", "nation": "AAA", "title": "gone", "status": "cancelled",
                "date": "2025-03-01", "amount": {"value": "5000", "currency": "EUR"},
                "stages": [{"status": "announced", "date": "2025-03-01"}, {"status": "cancelled", "date": "2025-04-01"}]}),
        ];
        commitments.extend(extra);
        let v = json!({"format": "coalition.scenario/1", "name": "Exercise burden", "start": "2026-01-05",
            "weeks": 10, "assumptions": {},
            "nations": [{"code": "AAA", "name": "A"}, {"code": "BBB", "name": "B"}, {"code": "UKR", "name": "Ukraine"}],
            "capabilities": [{"code": "CAP.X", "name": "X", "domain": "land", "personnel": 100, "sidc": "10031000001211000000"}],
            "offers": [offer("AAA-01", "AAA", 2, 9, "confirmed"), offer("BBB-01", "BBB", 1, 4, "offered")],
            "requirements": [], "commitments": commitments});
        let scenario = Scenario::from_value(&v).unwrap_or_else(|e| panic!("{e:?}"));
        let countries = read_countries(
            "code,name,europe,population,population_year,population_source,gdp_usd,gdp_year,gdp_source,defence_pct_gdp,defence_year,defence_source\n\
             AAA,A,true,1000,2025,test,3000000,2024,test,2.0,2024,test\n\
             BBB,B,false,500,2025,test,1000000,2024,test,,,none given\n",
        )
        .unwrap();
        let rates =
            RateTable::from_csv("Date,USD,GBP\n2024-12-31,1.25,\n2025-03-03,,0.8253\n").unwrap();
        (scenario, countries, rates)
    }

    fn tours() -> Vec<TourLoad> {
        vec![
            TourLoad {
                offer: "AAA-01".into(),
                units: 2,
                weeks: 4,
            },
            TourLoad {
                offer: "BBB-01".into(),
                units: 1,
                weeks: 2,
            },
            TourLoad {
                offer: "ZZZ-99".into(),
                units: 9,
                weeks: 9,
            },
        ]
    }

    #[track_caller]
    fn close(a: f64, b: f64) {
        assert!((a - b).abs() < 1e-6, "{a} ≠ {b}");
    }

    #[test]
    fn shares_on_a_hand_computed_case() {
        let (s, countries, rates) = case(Vec::new());
        let b = compute(
            &s,
            &countries,
            &rates,
            &tours(),
            d("2025-06-30"),
            jiff::Timestamp::MAX,
        )
        .unwrap();
        let codes: Vec<&str> = b.nations.iter().map(|n| n.nation.as_str()).collect();
        assert_eq!(codes, ["AAA", "BBB"], "the recipient is not a contributor");
        let (a, bb) = (&b.nations[0], &b.nations[1]);
        // Forces: 2 units × 4 weeks × 100 people; 1 × 2 × 100. Offered: 2 × 10 weeks × 100; 1 × 5 × 100.
        assert_eq!(
            (a.personnel_weeks_planned, bb.personnel_weeks_planned),
            (800, 200)
        );
        assert_eq!(a.personnel_weeks_offered["confirmed"], 2000);
        assert_eq!(bb.personnel_weeks_offered["offered"], 500);
        // Money: 1650.60 GBP at 0.8253 per EUR = 2000 EUR; 1000 EUR delivered; the cancelled entry counts nothing.
        close(a.money.finance_pledged_eur, 2000.0);
        close(a.money.aid_pledged_eur, 0.0);
        close(bb.money.aid_pledged_eur, 1000.0);
        close(bb.money.delivered_eur, 1000.0);
        // GDP: 3,000,000 USD and 1,000,000 USD at 1.25 USD per EUR.
        close(a.gdp_eur.unwrap(), 2_400_000.0);
        close(bb.gdp_eur.unwrap(), 800_000.0);
        close(a.defence_eur.unwrap(), 48_000.0);
        assert_eq!(bb.defence_eur, None);
        close(a.pledged_per_capita_eur.unwrap(), 2.0);
        close(bb.pledged_per_capita_eur.unwrap(), 2.0);
        close(a.pledged_pct_gdp.unwrap(), 2000.0 / 2_400_000.0 * 100.0);
        close(a.pledged_pct_defence.unwrap(), 2000.0 / 48_000.0 * 100.0);
        // Shares: GDP 75/25, forces 80/20, money 2000/3000 and 1000/3000.
        close(a.gdp_share_pct.unwrap(), 75.0);
        close(a.forces_share_pct, 80.0);
        close(bb.money_share_pct, 100.0 / 3.0);
        close(a.forces_fair_ratio.unwrap(), 80.0 / 75.0);
        close(bb.forces_fair_ratio.unwrap(), 0.8);
        close(a.money_fair_ratio.unwrap(), (200.0 / 3.0) / 75.0);
        close(bb.money_fair_ratio.unwrap(), (100.0 / 3.0) / 25.0);
        // Europe against the others.
        assert_eq!(
            (b.europe.nations, b.europe.personnel_weeks_planned),
            (1, 800)
        );
        assert_eq!(b.europe.personnel_weeks_offered, 2000);
        close(b.europe.pledged_eur, 2000.0);
        close(b.others.delivered_eur, 1000.0);
        close(b.others.gdp_eur, 800_000.0);
        // The rates used are listed once each.
        let used: Vec<String> = b.rates_used.iter().map(ToString::to_string).collect();
        assert_eq!(
            used,
            [
                "1 EUR = 0.8253 GBP (ECB, 2025-03-03)",
                "1 EUR = 1.25 USD (ECB, 2024-12-31)"
            ]
        );
        assert!(b.without_figures.is_empty());
    }

    #[test]
    fn as_of_follows_each_entry_through_its_stages() {
        let (s, countries, rates) = case(Vec::new());
        let at =
            |day: &str| compute(&s, &countries, &rates, &[], d(day), jiff::Timestamp::MAX).unwrap();
        // 2 March: only B's aid is announced (not yet delivered); A's cancelled aid still counts.
        let early = at("2025-03-02");
        let a = early
            .nations
            .iter()
            .find(|n| n.nation.as_str() == "AAA")
            .unwrap();
        close(a.money.aid_pledged_eur, 5000.0);
        close(a.money.finance_pledged_eur, 0.0);
        let b = early
            .nations
            .iter()
            .find(|n| n.nation.as_str() == "BBB")
            .unwrap();
        close(b.money.delivered_eur, 0.0);
        // 10 March: delivered; 1 April: A's aid is cancelled.
        let later = at("2025-04-01");
        let a = later
            .nations
            .iter()
            .find(|n| n.nation.as_str() == "AAA")
            .unwrap();
        close(a.money.aid_pledged_eur, 0.0);
        close(a.money.finance_pledged_eur, 2000.0);
        let b = later
            .nations
            .iter()
            .find(|n| n.nation.as_str() == "BBB")
            .unwrap();
        close(b.money.delivered_eur, 1000.0);
    }

    #[test]
    fn a_missing_rate_stops_the_computation_with_its_currency_and_date() {
        let (s, countries, rates) =
            case(vec![json!({"id": "C-CAD", "kind": "aid", "nation": "BBB",
            "title": "cad", "status": "committed", "date": "2025-05-05",
            "amount": {"value": "10", "currency": "CAD"}})]);
        let e = compute(
            &s,
            &countries,
            &rates,
            &[],
            d("2025-06-30"),
            jiff::Timestamp::MAX,
        )
        .unwrap_err();
        assert_eq!(
            e,
            FxError::MissingRate {
                currency: Currency::parse("CAD").unwrap(),
                date: d("2025-05-05")
            }
        );
    }

    #[test]
    fn the_shipped_reference_figures_read_and_bad_files_are_named() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/countries.csv"
        ))
        .unwrap_or_default();
        let all = read_countries(&text).unwrap();
        assert!(all.len() >= 30);
        let gbr = all.iter().find(|c| c.code.as_str() == "GBR").unwrap();
        assert!(gbr.europe && gbr.population.unwrap() > 60_000_000);
        assert!(!gbr.gdp_source.is_empty() && gbr.gdp_year.is_some());
        for (text, want) in [
            ("code,name\n", "line 1: expected the columns"),
            ("code,name,europe,population,population_year,population_source,gdp_usd,gdp_year,gdp_source,defence_pct_gdp,defence_year,defence_source\nAAA,A,maybe,1,2025,s,1,2024,s,1,2024,s\n", "line 2, europe"),
            ("code,name,europe,population,population_year,population_source,gdp_usd,gdp_year,gdp_source,defence_pct_gdp,defence_year,defence_source\nAAA,A,true,1,2025,s,-5,2024,s,1,2024,s\n", "line 2, gdp_usd"),
            ("code,name,europe,population,population_year,population_source,gdp_usd,gdp_year,gdp_source,defence_pct_gdp,defence_year,defence_source\nAAA,A,true,x,2025,s,5,2024,s,1,2024,s\n", "line 2, population"),
        ] {
            let e = read_countries(text).unwrap_err();
            assert!(e.contains(want), "{e}");
        }
    }
}
