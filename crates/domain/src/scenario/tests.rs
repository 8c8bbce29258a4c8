use proptest::prelude::*;
use serde_json::{json, Value};

use super::Scenario;

fn minimal() -> Value {
    json!({
        "format": "coalition.scenario/1",
        "name": "Exercise TEST",
        "exercise": true,
        "start": "2026-01-05",
        "weeks": 104,
        "assumptions": {"us_backstop": true},
        "nations": [{"code": "GBR", "name": "United Kingdom", "memberships": ["NATO"]}],
        "capabilities": [{"code": "LAND.INF.BN", "name": "Infantry battalion", "domain": "land",
                          "personnel": 600, "sidc": "10031000001211000000"}],
        "offers": [{"id": "GBR-01", "nation": "GBR", "capability": "LAND.INF.BN", "units": 3,
            "from_week": 0, "to_week": 103, "notice_weeks": 4, "tour_weeks": 26, "dwell_weeks": 52,
            "regions": ["UA-30", "UA-46"], "roe": "robust", "requires": ["us_backstop"],
            "status": "confirmed", "cost_per_unit_week": 1.5}],
        "requirements": [{"id": "LAND-KYIV-1", "line": "land", "capability": "LAND.INF.BN",
            "region": "UA-30", "units": 2, "from_week": 0, "to_week": 103, "roe": "mandate",
            "priority": 5, "max_nations": 2}]
    })
}

fn errors_of(v: &Value) -> Vec<String> {
    match Scenario::from_value(v) {
        Ok(_) => Vec::new(),
        Err(e) => e.iter().map(ToString::to_string).collect(),
    }
}

#[test]
fn the_example_from_the_format_document_is_valid_and_round_trips() {
    let v = minimal();
    let s = Scenario::from_value(&v).unwrap();
    assert_eq!(s.to_value(), v);
    assert_eq!(s.summary().offers_by_status.get("confirmed"), Some(&1));
}

#[test]
fn every_mistake_is_reported_with_its_path() {
    let mut v = minimal();
    v["offers"][0]["nation"] = json!("XYZ");
    v["offers"][0]["units"] = json!(-2);
    v["offers"][0]["roe"] = json!("aggressive");
    v["offers"]
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "GBR-02"}));
    v["requirements"][0]["to_week"] = json!(104);
    v["requirements"][0]["capability"] = json!("SEA.MCM");
    v["nations"][0]["colour"] = json!("red");
    let got = errors_of(&v);
    // Field-level mistakes come first, then references among the entities that parsed
    // (offers[0] did not parse, so its unknown nation is not reported twice over).
    assert_eq!(
        got,
        [
            "nations[0].colour: unknown field",
            "offers[0].units: must be at least 1, found -2",
            "offers[0].roe: unknown value \"aggressive\"; expected one of self_defence, mandate, robust",
            "offers[1].nation: missing required field",
            "offers[1].capability: missing required field",
            "offers[1].units: missing required field",
            "offers[1].from_week: missing required field",
            "offers[1].to_week: missing required field",
            "offers[1].notice_weeks: missing required field",
            "offers[1].tour_weeks: missing required field",
            "offers[1].dwell_weeks: missing required field",
            "offers[1].roe: missing required field",
            "offers[1].status: missing required field",
            "offers[1].cost_per_unit_week: missing required field",
            "requirements[0].capability: unknown capability \"SEA.MCM\"",
            "requirements[0].to_week: is after the last week of the scenario (103)",
        ]
    );
}

#[test]
fn reference_mistakes_are_all_reported() {
    let mut v = minimal();
    v["offers"][0]["nation"] = json!("XYZ");
    v["offers"][0]["requires"] = json!(["us_backstop", "nato_article_5"]);
    v["offers"][0]["sources"] = json!(["NOPE"]);
    v["requirements"][0]["to_week"] = json!(104);
    v["requirements"][0]["capability"] = json!("SEA.MCM");
    let dup = v["nations"][0].clone();
    v["nations"].as_array_mut().unwrap().push(dup);
    assert_eq!(
        errors_of(&v),
        [
            "nations[1].code: duplicate code \"GBR\"",
            "offers[0].nation: unknown nation \"XYZ\"",
            "offers[0].requires[1]: unknown assumption \"nato_article_5\"; declare it in assumptions",
            "offers[0].sources[0]: unknown source \"NOPE\"",
            "requirements[0].capability: unknown capability \"SEA.MCM\"",
            "requirements[0].to_week: is after the last week of the scenario (103)",
        ]
    );
}

#[test]
fn bad_json_and_wrong_format_are_clear() {
    let e = Scenario::parse("{\"format\": ").unwrap_err();
    assert!(e.to_string().starts_with("not valid JSON"), "{e}");
    let mut v = minimal();
    v["format"] = json!("coalition.scenario/9");
    assert_eq!(
        errors_of(&v),
        ["format: unsupported format \"coalition.scenario/9\"; expected \"coalition.scenario/1\""]
    );
}

#[test]
fn a_byte_order_mark_and_crlf_line_ends_are_accepted() {
    let text = serde_json::to_string_pretty(&minimal())
        .unwrap()
        .replace('\n', "\r\n");
    let with_bom = format!("\u{feff}{text}");
    assert_eq!(
        Scenario::parse(&with_bom).unwrap(),
        Scenario::from_value(&minimal()).unwrap()
    );
}

#[test]
fn history_must_agree_with_status() {
    let mut v = minimal();
    v["offers"][0]["history"] = json!([
        {"status": "indicated", "effective": "2025-03-02", "recorded_at": "2025-03-02T18:00:00Z", "recorded_by": "lno.gbr"},
        {"status": "offered", "effective": "2025-03-20", "recorded_at": "2025-03-20T18:00:00Z", "recorded_by": "lno.gbr"}
    ]);
    assert_eq!(
        errors_of(&v),
        ["offers[0].status: is \"confirmed\" but the latest change in history says \"offered\""]
    );
}

// ---- property: import → export → import is lossless and export is stable ----

const NATIONS: &[&str] = &["GBR", "FRA", "DEU", "POL", "UKR", "USA"];
const CAPS: &[&str] = &["LAND.INF.BN", "AIR.FTR.SQN", "SEA.MCM"];
const REGIONS: &[&str] = &["UA-30", "UA-46", "BLACK-SEA", "PL-EAST"];
const ROES: &[&str] = &["self_defence", "mandate", "robust"];

fn text() -> impl Strategy<Value = String> {
    "[A-Za-z][A-Za-z0-9 ,.'()£€-]{0,30}"
}

fn opt<T: std::fmt::Debug + Clone + 'static>(
    s: impl Strategy<Value = T> + 'static,
) -> BoxedStrategy<Option<T>> {
    prop_oneof![Just(None), s.prop_map(Some)].boxed()
}

fn insert(obj: &mut Value, key: &str, v: Option<Value>) {
    if let (Some(v), Some(map)) = (v, obj.as_object_mut()) {
        map.insert(key.to_owned(), v);
    }
}

fn offer(i: usize, weeks: u32, n_sources: usize) -> impl Strategy<Value = Value> {
    (
        (0..NATIONS.len(), 0..CAPS.len(), 1u32..5, 0..weeks, 0..weeks, 0u32..10, 1u32..30, 0u32..60),
        (opt(proptest::sample::subsequence(REGIONS, 1..3)), 0..ROES.len(), any::<bool>(), 0usize..4, 0u32..1000),
        (opt(text()), proptest::collection::vec(0..n_sources.max(1), 0..n_sources.min(2) + 1)),
    )
        .prop_map(move |((n, c, units, a, b, notice, tour, dwell), (regions, roe, req, status, cost), (notes, srcs))| {
            let status = ["indicated", "offered", "confirmed", "deployed"][status];
            let mut o = json!({"id": format!("O-{i}"), "nation": NATIONS[n], "capability": CAPS[c],
                "units": units, "from_week": a.min(b), "to_week": a.max(b), "notice_weeks": notice,
                "tour_weeks": tour, "dwell_weeks": dwell});
            insert(&mut o, "regions", regions.map(|r| json!(r)));
            insert(&mut o, "roe", Some(json!(ROES[roe])));
            insert(&mut o, "requires", req.then(|| json!(["us_backstop"])));
            insert(&mut o, "status", Some(json!(status)));
            let cost = if cost.is_multiple_of(8) { json!(cost / 8) } else { json!(f64::from(cost) / 8.0) };
            insert(&mut o, "cost_per_unit_week", Some(cost));
            let srcs: Vec<String> = srcs.into_iter().filter(|_| n_sources > 0).map(|s| format!("S{s}")).collect();
            insert(&mut o, "sources", (!srcs.is_empty()).then(|| json!(srcs)));
            insert(&mut o, "notes", notes.map(Value::String));
            insert(&mut o, "releasability", [None, Some(json!("nation")), Some(json!("public"))][i % 3].clone());
            if status != "indicated" && i.is_multiple_of(2) {
                insert(&mut o, "history", Some(json!([
                    {"status": "indicated", "effective": "2025-03-02", "recorded_at": "2025-03-02T18:00:00Z", "recorded_by": "lno"},
                    {"status": status, "effective": "2025-03-18", "recorded_at": "2025-03-19T09:30:00Z", "recorded_by": "j5", "note": "conference"}
                ])));
            }
            o
        })
}

fn requirement(i: usize, weeks: u32) -> impl Strategy<Value = Value> {
    (
        0..CAPS.len(),
        0..REGIONS.len(),
        1u32..6,
        0..weeks,
        0..weeks,
        0..ROES.len(),
        1u32..10,
        opt(1u32..4),
        any::<bool>(),
        opt(text()),
    )
        .prop_map(move |(c, r, units, a, b, roe, prio, maxn, profile, name)| {
            let (from, to) = (a.min(b), a.max(b));
            let mut v = json!({"id": format!("R-{i}")});
            insert(&mut v, "name", name.map(Value::String));
            for (k, x) in [
                ("line", json!(["land", "air_policing", "maritime"][c])),
                ("capability", json!(CAPS[c])),
                ("region", json!(REGIONS[r])),
                ("units", json!(units)),
                ("from_week", json!(from)),
                ("to_week", json!(to)),
                ("roe", json!(ROES[roe])),
                ("priority", json!(prio)),
            ] {
                insert(&mut v, k, Some(x));
            }
            insert(&mut v, "max_nations", maxn.map(|m| json!(m)));
            insert(
                &mut v,
                "profile",
                profile.then(|| json!([{"from_week": from, "to_week": from, "units": units + 1}])),
            );
            v
        })
}

fn commitment(i: usize) -> impl Strategy<Value = Value> {
    (0usize..3, 0..NATIONS.len(), text(), 1u64..5_000_000_000, any::<bool>())
        .prop_map(move |(k, n, title, amount, range)| match k {
            0 => {
                let mut amt = json!({"value": amount.to_string(), "currency": "GBP", "qualifier": "up_to"});
                if range {
                    amt = json!({"value": amount.to_string(), "currency": "EUR", "qualifier": "range",
                        "low": (amount / 2).to_string(), "high": (amount * 2).to_string()});
                }
                json!({"id": format!("C-{i}"), "kind": "finance", "nation": NATIONS[n], "title": title,
                    "status": "announced", "date": "2025-03-02", "recipient": "UKR", "instrument": "export_finance",
                    "amount": amt, "items": [{"name": "missiles", "quantity": {"value": 5000, "qualifier": "more_than"}, "delivered": 12.5}]})
            }
            1 => json!({"id": format!("C-{i}"), "kind": "statement", "nation": NATIONS[n], "title": title,
                    "status": "stated", "date": "2025-03-02", "topic": "troops_in_ukraine", "stance": "unwilling"}),
            _ => json!({"id": format!("C-{i}"), "kind": "meeting", "nation": NATIONS[n], "title": title,
                    "status": "held", "date": "2025-03-15", "end_date": "2025-03-15", "format": "virtual",
                    "participants": ["GBR", "NATO"], "summary": title}),
        })
}

fn scenario() -> impl Strategy<Value = Value> {
    (1u32..60, 0usize..3, 0usize..6, 0usize..5, 0usize..4, any::<bool>(), opt(text())).prop_flat_map(
        |(weeks, n_sources, n_offers, n_reqs, n_comm, exercise, description)| {
            let offers: Vec<_> = (0..n_offers).map(|i| offer(i, weeks, n_sources)).collect();
            let reqs: Vec<_> = (0..n_reqs).map(|i| requirement(i, weeks)).collect();
            let comms: Vec<_> = (0..n_comm).map(commitment).collect();
            (offers, reqs, comms).prop_map(move |(offers, reqs, comms)| {
                let mut v = json!({"format": "coalition.scenario/1", "name": "Exercise P"});
                insert(&mut v, "description", description.clone().map(Value::String));
                insert(&mut v, "exercise", exercise.then_some(json!(true)));
                insert(&mut v, "start", Some(json!("2026-01-05")));
                insert(&mut v, "weeks", Some(json!(weeks)));
                insert(&mut v, "assumptions", Some(json!({"us_backstop": true})));
                let nations: Vec<Value> = NATIONS.iter().map(|c| json!({"code": c, "name": format!("Nation {c}")})).collect();
                insert(&mut v, "nations", Some(json!(nations)));
                let caps: Vec<Value> = CAPS.iter().map(|c| json!({"code": c, "name": c, "domain": "joint", "personnel": 100, "sidc": "10031000001211000000"})).collect();
                insert(&mut v, "capabilities", Some(json!(caps)));
                let sources: Vec<Value> = (0..n_sources).map(|i| json!({"id": format!("S{i}"), "title": "T", "publisher": "P",
                    "published": "2025-03-02", "reference": "ref", "grading": "B2"})).collect();
                for (k, list) in [("sources", sources), ("offers", offers), ("requirements", reqs), ("commitments", comms)] {
                    insert(&mut v, k, (!list.is_empty()).then(|| json!(list)));
                }
                v
            })
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]
    #[test]
    fn import_export_import_is_lossless(v in scenario()) {
        let first = Scenario::from_value(&v).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&first.to_value(), &v);
        let text = first.to_json_pretty();
        let second = Scenario::parse(&text).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&first, &second);
        prop_assert_eq!(text, second.to_json_pretty());
    }
}
