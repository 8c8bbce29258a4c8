//! Hostile input: the corpus in `tests/hostile/` (indexed by `cases.json`) sent to every input
//! path — the body of every API route that takes one, fields of each route's valid body, the
//! query strings of the read routes, observation ingest (JSON, CSV, CoT), scenario import, the
//! aid, rate and country CSV imports, sectors, and the web forms. Every case must be refused
//! with a 4xx and a stable error code (ingest: every row rejected with its reason), the server
//! must stay up, and the database (its whole backup, row by row) must not change. Text that is
//! valid input however hostile (script in names and notes) is then stored, and every page must
//! show it escaped.

use std::collections::BTreeMap;
use std::path::Path;

use reqwest::{Method, StatusCode};
use serde_json::{json, Value};
use store::{Store, Viewer};

use crate::helpers::{backends, spawn_app_with, TestApp, PASSWORD};
use crate::ui::Browser;

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/hostile");

/// The body limit the server runs with here: well above the largest valid body (the exercise
/// scenario, about 150 KB), small enough that "over the limit" is cheap to send.
const BODY_LIMIT: usize = 512 * 1024;

/// Cases that still fail, each run and held to what it does today: (route, case, status).
/// A fix makes its entry fail; then remove it.
const KNOWN_FAILURES: &[(&str, &str, u16)] = &[];

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(Path::new(CORPUS).join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn index() -> Value {
    serde_json::from_slice(&read("cases.json")).unwrap()
}

/// A named hostile value from the index (long strings are made here, not committed).
fn value(index: &Value, name: &str) -> Value {
    let v = &index["values"][name];
    assert!(v.is_object(), "cases.json names an unknown value {name}");
    match (v.get("repeat"), v.get("times")) {
        (Some(s), Some(n)) => {
            Value::String(s.as_str().unwrap().repeat(n.as_u64().unwrap() as usize))
        }
        _ => v["value"].clone(),
    }
}

/// Puts `new` at `pointer` in `body`; the pointer must name a field the template has.
fn set(body: &mut Value, pointer: &str, new: Value) {
    let slot = body
        .pointer_mut(pointer)
        .unwrap_or_else(|| panic!("the template has no field {pointer}"));
    *slot = new;
}

/// What the server answered to one hostile request.
struct Answer {
    status: u16,
    body: Vec<u8>,
}

impl Answer {
    async fn of(r: reqwest::Response) -> Self {
        let status = r.status().as_u16();
        let body = r.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        Self { status, body }
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Every refusal seen, by (path, case): its status and code, to compare across backends.
#[derive(Default)]
struct Refusals {
    seen: BTreeMap<(String, String), (u16, String)>,
    count: usize,
    /// What went wrong, all of it, so one run shows every failing case.
    problems: Vec<String>,
}

impl Refusals {
    /// Checks a refusal of the API: a 4xx with `{"error": snake_case_code, "message": text}`.
    fn api(&mut self, path: &str, case: &str, a: &Answer) -> String {
        let what = format!("{path} with {case}: {} {}", a.status, a.text());
        if let Some((.., now)) = KNOWN_FAILURES.iter().find(|k| (k.0, k.1) == (path, case)) {
            assert_eq!(
                a.status, *now,
                "a known failure changed (remove it if fixed): {what}"
            );
            self.note(path, case, a.status, "known failure");
            return String::new();
        }
        let body = a.json();
        let code = body["error"].as_str().unwrap_or_default().to_owned();
        if !(400..500).contains(&a.status) {
            self.problems
                .push(format!("not refused with a 4xx: {what}"));
        } else if code.is_empty() || !code.chars().all(|c| c.is_ascii_lowercase() || c == '_') {
            self.problems.push(format!("no stable error code: {what}"));
        } else if body["message"].as_str().is_none_or(str::is_empty) {
            self.problems.push(format!("no message: {what}"));
        }
        self.note(path, case, a.status, &code);
        code
    }

    /// Checks a refused form post: a 4xx HTML page that does not echo markup unescaped.
    fn page(&mut self, path: &str, case: &str, a: &Answer) {
        let text = a.text();
        let what = format!("{path} with {case}: {} {text}", a.status);
        if !(400..500).contains(&a.status) {
            self.problems
                .push(format!("not refused with a 4xx: {what}"));
        } else if has_raw_markup(&text) {
            self.problems
                .push(format!("markup echoed unescaped: {what}"));
        }
        self.note(path, case, a.status, "page");
    }

    fn note(&mut self, path: &str, case: &str, status: u16, code: &str) {
        self.seen.insert(
            (path.to_owned(), case.to_owned()),
            (status, code.to_owned()),
        );
        self.count += 1;
    }
}

/// The hostile markup this corpus uses, as it would look if a page let it through.
fn has_raw_markup(html: &str) -> bool {
    html.contains("<script>alert") || html.contains("<img src=x")
}

/// Everything the database holds, row by row (the portable backup without its header and
/// checksum, which carry the time it was made).
async fn snapshot(app: &TestApp) -> Vec<String> {
    let mut out = Vec::new();
    store::backup::backup(&app.store, &mut out).await.unwrap();
    let text = String::from_utf8(out).unwrap();
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    lines[1..lines.len() - 1].to_vec()
}

fn differences(before: &[String], after: &[String]) -> String {
    let gone: Vec<&String> = before
        .iter()
        .filter(|l| !after.contains(l))
        .take(5)
        .collect();
    let new: Vec<&String> = after
        .iter()
        .filter(|l| !before.contains(l))
        .take(5)
        .collect();
    format!("rows gone: {gone:#?}\nrows new: {new:#?}")
}

/// The concrete path a route is exercised on.
fn concrete(path: &str) -> String {
    match path {
        "/scenario" => "/scenario?mode=replace".into(),
        p if p.starts_with("/offers/") => p.replace("{id}", "GBR-05"),
        p if p.starts_with("/commitments/") => p.replace("{id}", "EX-FIN-CAN-DEMINING"),
        p if p.starts_with("/incidents/") => p.replace("{id}", "1"),
        p => p.to_owned(),
    }
}

/// The API routes that take a JSON body, from the OpenAPI document.
fn body_routes() -> Vec<(String, String)> {
    let doc: Value = serde_json::from_str(&server::openapi_json()).unwrap();
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            if op.get("requestBody").is_some() {
                out.push((method.to_uppercase(), concrete(path)));
            }
        }
    }
    assert!(out.len() >= 15, "{out:?}");
    out
}

/// A route's valid body from the index, with the `$` names filled in.
async fn template(app: &TestApp, index: &Value, route: &str) -> Value {
    let t = index["templates"]["routes"]
        .get(route)
        .unwrap_or_else(|| panic!("cases.json has no template for {route}: add one"))
        .clone();
    let offer = || async {
        let id = domain::ids::OfferId::parse("GBR-05").unwrap();
        app.store.offer(&Viewer::Everything, &id).await.unwrap()
    };
    match t {
        Value::String(s) if s == "$exercise" => {
            serde_json::from_str(&testkit::exercise_text()).unwrap()
        }
        Value::Object(mut o) => {
            for (k, v) in o.iter_mut() {
                match v.as_str() {
                    Some("$password") => *v = json!(PASSWORD),
                    Some("$version") => *v = json!(offer().await.version),
                    Some("$countries") => *v = json!(server::aid::COUNTRIES),
                    Some("$offer") => {
                        let mut current = serde_json::to_value(offer().await.value).unwrap();
                        current["notes"] = json!(format!("{k} template"));
                        *v = current;
                    }
                    _ => {}
                }
            }
            Value::Object(o)
        }
        other => other,
    }
}

fn split_route(route: &str) -> (Method, &str) {
    let (m, p) = route.split_once(' ').unwrap();
    (Method::from_bytes(m.as_bytes()).unwrap(), p)
}

async fn send_raw(
    app: &TestApp,
    method: Method,
    path: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Answer {
    let r = app
        .request(method, path, Some("admin"))
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap_or_else(|e| panic!("{path}: the server went away: {e}"));
    Answer::of(r).await
}

async fn send(app: &TestApp, route: &str, body: &Value) -> Answer {
    let (method, path) = split_route(route);
    send_raw(
        app,
        method,
        path,
        "application/json",
        serde_json::to_vec(body).unwrap(),
    )
    .await
}

/// Incidents 1 (two sightings, `HS-A` and `HS-B`) and 2 (`HS-C`, far away), for the split and
/// merge routes and the incident form.
async fn seed_incidents(app: &TestApp) {
    let obs = |id: &str, lat: f64| {
        json!({"id": id, "observed_from": "2025-03-18T12:00:00Z", "observed_to": "2025-03-18T12:05:00Z",
            "reported": "2025-03-18T13:00:00Z", "observer": "patrol", "observer_id": id,
            "location": {"type": "point", "lat": lat, "lon": 36.0, "radius_m": 100},
            "kind": "shelling", "count": {"low": 1, "best": 1, "high": 1}})
    };
    let (status, body) = app
        .post(
            "/observations",
            Some("planner"),
            &json!({"observations": [obs("HS-A", 47.0), obs("HS-B", 47.0), obs("HS-C", 49.0)]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let incidents: Vec<u64> = body["accepted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["result"]["incident"].as_u64().unwrap())
        .collect();
    assert_eq!(incidents, [1, 1, 2], "{body}");
}

/// Raw bodies (committed and generated) to every route that takes a JSON body.
async fn bodies(app: &TestApp, index: &Value, seen: &mut Refusals) {
    for (method, path) in body_routes() {
        let route = format!("{method} {path}");
        for case in index["bodies"]["cases"].as_array().unwrap() {
            let (name, content_type, body) = match (case.get("file"), case["generate"].as_str()) {
                (Some(f), _) => (
                    f.as_str().unwrap().to_owned(),
                    "application/json",
                    read(f.as_str().unwrap()),
                ),
                (None, Some("deeply_nested")) => (
                    "deeply nested".into(),
                    "application/json",
                    format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)).into_bytes(),
                ),
                (None, Some("over_the_body_limit")) => (
                    "over the body limit".into(),
                    "application/json",
                    format!("{{\"csv\": \"{}\"}}", "x".repeat(BODY_LIMIT)).into_bytes(),
                ),
                (None, Some("wrong_content_type")) => {
                    let valid = template(app, index, &route).await;
                    (
                        "a valid body as text/plain".into(),
                        "text/plain",
                        serde_json::to_vec(&valid).unwrap(),
                    )
                }
                other => panic!("unknown body case {other:?}"),
            };
            let a = send_raw(app, method.parse().unwrap(), &path, content_type, body).await;
            let code = seen.api(&route, &name, &a);
            // A route that reads any JSON value checks its shape with a code of its own.
            let want = case["wrong_shape"]
                .as_bool()
                .and_then(|_| index["bodies"]["shape_codes"].get(&route))
                .unwrap_or(&case["code"]);
            let want = (
                case["status"].as_u64().unwrap() as u16,
                want.as_str().unwrap(),
            );
            if (a.status, code.as_str()) != want {
                seen.problems.push(format!(
                    "{route} with {name}: {want:?} expected: {} {}",
                    a.status,
                    a.text()
                ));
            }
        }
    }
}

/// Each hostile value at each listed field of a route's valid body.
async fn fields(app: &TestApp, index: &Value, seen: &mut Refusals) {
    for case in index["fields"]["cases"].as_array().unwrap() {
        let route = case[0].as_str().unwrap();
        let pointer = case[1].as_str().unwrap();
        let valid = template(app, index, route).await;
        for name in case[2].as_array().unwrap() {
            let name = name.as_str().unwrap();
            let mut body = valid.clone();
            set(&mut body, pointer, value(index, name));
            let a = send(app, route, &body).await;
            seen.api(route, &format!("{pointer} = {name}"), &a);
        }
    }
}

/// Checks an ingest answer: nothing recorded, every row rejected with its reason.
fn all_rows_rejected(what: &str, a: &Answer, rows: usize, seen: &mut Refusals) {
    if a.status != 200 {
        seen.api("POST /observations", what, a);
        return;
    }
    let r = a.json();
    let rejected = r["rejected"].as_array().cloned().unwrap_or_default();
    if r["accepted"] != json!([])
        || r["already_known"] != json!([])
        || rejected.len() != rows
        || !rejected
            .iter()
            .all(|x| x["reason"].as_str().is_some_and(|s| !s.is_empty()))
    {
        seen.problems.push(format!(
            "POST /observations with {what}: not every one of {rows} row(s) rejected: {}",
            a.text()
        ));
    }
    seen.note("POST /observations", what, 200, "rejected");
}

async fn observation_fields(app: &TestApp, index: &Value, seen: &mut Refusals) {
    let valid = template(app, index, "POST /observations").await;
    for case in index["observation_fields"]["cases"].as_array().unwrap() {
        let pointer = format!("/observations/0{}", case[0].as_str().unwrap());
        for name in case[1].as_array().unwrap() {
            let name = name.as_str().unwrap();
            let mut body = valid.clone();
            set(&mut body, &pointer, value(index, name));
            let a = send(app, "POST /observations", &body).await;
            all_rows_rejected(&format!("{pointer} = {name}"), &a, 1, seen);
        }
    }
}

/// The data rows of a CSV file (lines after the header that are not blank).
fn data_rows(text: &str) -> usize {
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .count()
}

/// Whole files: CSV to the four CSV inputs, CoT to ingest, GeoJSON to sectors, scenario files.
async fn documents(app: &TestApp, index: &Value, seen: &mut Refusals) {
    let docs = &index["documents"];
    for file in docs["csv"].as_array().unwrap() {
        let file = format!("csv/{}", file.as_str().unwrap());
        let bytes = read(&file);
        let Ok(text) = String::from_utf8(bytes.clone()) else {
            // Not UTF-8: no JSON string can carry it; the form and command line paths get it.
            continue;
        };
        let a = send(app, "POST /observations", &json!({"csv": text})).await;
        all_rows_rejected(&file, &a, data_rows(&text), seen);
        for (route, body) in [
            ("POST /commitments/import", json!({"csv": text})),
            ("POST /fx-rates", json!({"csv": text})),
            ("PUT /countries", json!({"csv": text})),
        ] {
            let a = send(app, route, &body).await;
            seen.api(route, &file, &a);
        }
    }
    let deep_xml = format!(
        "<event uid=\"D-1\">{}{}</event>",
        "<detail>".repeat(50_000),
        "</detail>".repeat(50_000)
    );
    let mut cot: Vec<(String, String)> = vec![("deeply nested XML".into(), deep_xml)];
    for file in docs["cot"].as_array().unwrap() {
        let file = format!("cot/{}", file.as_str().unwrap());
        cot.push((file.clone(), String::from_utf8(read(&file)).unwrap()));
    }
    for (name, xml) in cot {
        let a = send(app, "POST /observations", &json!({"cot": xml})).await;
        let rows = xml.matches("<event ").count();
        all_rows_rejected(&name, &a, rows, seen);
    }
    let mut geo: Vec<(String, String)> = vec![(
        "deeply nested GeoJSON".into(),
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
    )];
    for file in docs["geojson"].as_array().unwrap() {
        let file = format!("geojson/{}", file.as_str().unwrap());
        geo.push((file.clone(), String::from_utf8(read(&file)).unwrap()));
    }
    for (name, g) in geo {
        let a = send(app, "PUT /sectors", &json!({"geojson": g})).await;
        seen.api("PUT /sectors", &name, &a);
    }
    for file in docs["scenario"].as_array().unwrap() {
        let file = format!("scenario/{}", file.as_str().unwrap());
        let a = send_raw(
            app,
            Method::PUT,
            "/scenario?mode=replace",
            "application/json",
            read(&file),
        )
        .await;
        seen.api("PUT /scenario", &file, &a);
    }
    // The minimal valid scenario, and the same in create mode over a stored one: refused too.
    let minimal = read("scenario/valid-minimal.json");
    for mode in ["create", "' OR 1=1 --", "..%2F..%2Fetc"] {
        let path = format!("/scenario?mode={mode}");
        let a = send_raw(app, Method::PUT, &path, "application/json", minimal.clone()).await;
        seen.api(
            "PUT /scenario",
            &format!("valid-minimal.json with mode {mode}"),
            &a,
        );
    }
}

/// Hostile query strings on every read route's parameters.
async fn queries(app: &TestApp, index: &Value, seen: &mut Refusals) {
    let q = &index["queries"];
    for (path, params) in q["params"].as_object().unwrap() {
        for (param, kind) in params.as_object().unwrap() {
            for (name, raw) in q["values"].as_object().unwrap() {
                let raw = raw.as_str().unwrap().replace("{param}", param);
                let url = format!("{path}?{param}={raw}");
                let case = format!("{param} = {name}");
                let r = app
                    .request(Method::GET, &url, Some("admin"))
                    .send()
                    .await
                    .unwrap();
                let a = Answer::of(r).await;
                let refused = (400..500).contains(&a.status);
                let numeric_ok = kind == "number" && (name == "huge_1e12" || name == "repeated");
                if refused {
                    seen.api(&format!("GET {path}"), &case, &a);
                } else if kind == "filter" || numeric_ok {
                    // A filter that matches nothing (never everything); a page far past the end.
                    let body = a.json();
                    let items = body.get("items").unwrap_or(&body);
                    if a.status != 200 || !items.as_array().is_some_and(Vec::is_empty) {
                        seen.problems.push(format!(
                            "GET {url} found something: {} {}",
                            a.status,
                            a.text()
                        ));
                    }
                    seen.note(&format!("GET {path}"), &case, 200, "nothing found");
                } else {
                    seen.problems.push(format!(
                        "GET {url} ({kind}) was not refused: {} {}",
                        a.status,
                        a.text()
                    ));
                }
            }
        }
    }
}

/// Hostile form posts, signed in as the planner with the session's CSRF token.
async fn forms(app: &TestApp, index: &Value, seen: &mut Refusals) {
    let planner = Browser::signed_in(app, "planner").await;
    let csrf = planner.csrf().await;
    let id = domain::ids::OfferId::parse("GBR-05").unwrap();
    let version = app
        .store
        .offer(&Viewer::Everything, &id)
        .await
        .unwrap()
        .version
        .to_string();
    for case in index["forms"]["cases"].as_array().unwrap() {
        let path = case["path"].as_str().unwrap();
        let mut fields: Vec<(String, String)> = vec![("_csrf".into(), csrf.clone())];
        for (k, v) in case["fields"].as_object().unwrap() {
            let v = v.as_str().unwrap();
            let v = match v {
                "$version" => version.clone(),
                f if f.starts_with('@') => String::from_utf8(read(&f[1..])).unwrap(),
                other => other.to_owned(),
            };
            fields.push((k.clone(), v));
        }
        let pairs: Vec<(&str, &str)> = fields
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        let (status, text) = planner.post(path, &pairs).await;
        let a = Answer {
            status: status.as_u16(),
            body: text.into_bytes(),
        };
        seen.page(&format!("POST {path}"), case["name"].as_str().unwrap(), &a);
    }
    // Bodies no form sends: not UTF-8, NUL bytes, broken escapes, over the limit, and a file
    // that is not UTF-8 in the upload.
    let upload = read("csv/invalid-utf8.csv");
    let mut not_utf8 = format!("_csrf={csrf}&format=csv&data=").into_bytes();
    not_utf8.extend_from_slice(&upload);
    let raw: Vec<(&str, &str, Vec<u8>)> = vec![
        ("/monitoring", "an upload that is not UTF-8", not_utf8),
        (
            "/offers",
            "a body that is not UTF-8",
            format!("_csrf={csrf}&id=%FF%FE&nation=\u{0}").into_bytes(),
        ),
        (
            "/offers/GBR-05/status",
            "NUL bytes",
            format!("_csrf={csrf}&version={version}&status=confirmed%00&source=EX-FSC-2%00")
                .into_bytes(),
        ),
        (
            "/offers/GBR-05/status",
            "broken escapes",
            format!("_csrf={csrf}&version=%G1%&status=%").into_bytes(),
        ),
        (
            "/monitoring",
            "over the body limit",
            format!("_csrf={csrf}&format=csv&data={}", "x".repeat(BODY_LIMIT)).into_bytes(),
        ),
    ];
    for (path, name, body) in raw {
        let r = planner
            .client
            .post(format!("{}{path}", planner.base))
            .header("cookie", planner.cookie.clone().unwrap())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        let a = Answer::of(r).await;
        seen.page(&format!("POST {path}"), name, &a);
    }
}

/// Sends every template: each must be accepted, so the cases above were refused for their
/// hostile value and not for a mistake in the template.
async fn templates_are_valid(app: &TestApp, index: &Value) {
    let mut routes: Vec<&String> = index["templates"]["routes"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    // The scenario last: replacing it would undo the others.
    routes.sort_by_key(|r| r.starts_with("PUT /scenario"));
    for route in routes {
        let body = template(app, index, route).await;
        let a = send(app, route, &body).await;
        assert!(
            (200..300).contains(&a.status),
            "the template for {route} is refused: {} {}",
            a.status,
            a.text()
        );
        if route == "POST /plan-jobs" {
            crate::flows::wait_for_job(app, a.json()["id"].as_i64().unwrap()).await;
        }
    }
}

#[tokio::test]
async fn hostile_input_is_refused_on_every_path_and_changes_nothing() {
    let index = index();
    let mut by_backend: Vec<BTreeMap<(String, String), (u16, String)>> = Vec::new();
    for backend in backends() {
        let app = spawn_app_with(&backend, |s| s.max_body_bytes = BODY_LIMIT).await;
        seed_incidents(&app).await;
        let before = snapshot(&app).await;
        let mut seen = Refusals::default();
        bodies(&app, &index, &mut seen).await;
        fields(&app, &index, &mut seen).await;
        observation_fields(&app, &index, &mut seen).await;
        documents(&app, &index, &mut seen).await;
        queries(&app, &index, &mut seen).await;
        forms(&app, &index, &mut seen).await;
        let (status, _) = app.get_json("/health", None).await;
        assert_eq!(status, 200, "the server is still up");
        assert!(
            seen.problems.is_empty(),
            "on {}:\n{}",
            backend.name(),
            seen.problems.join("\n")
        );
        let after = snapshot(&app).await;
        assert!(
            before == after,
            "hostile input changed the database on {}:\n{}",
            backend.name(),
            differences(&before, &after)
        );
        eprintln!(
            "ran: {} hostile requests on {}, all refused",
            seen.count,
            backend.name()
        );
        templates_are_valid(&app, &index).await;
        by_backend.push(seen.seen);
        app.finish().await;
    }
    // The same refusal, status and code, whatever the backend.
    for other in &by_backend[1..] {
        for (case, answer) in other {
            assert_eq!(by_backend[0].get(case), Some(answer), "{case:?}");
        }
    }
}

/// Markup that is valid text wherever free text is allowed.
const MARKUP: &str = "<script>alert(1)</script>\"><img src=x onerror=alert(1)>";

/// How askama shows the start of `MARKUP`.
const ESCAPED: &str = "&#60;script&#62;alert(1)&#60;/script&#62;";

/// The exercise with `MARKUP` in every free-text field: names, titles, notes, summaries.
fn marked_exercise() -> Value {
    let mut s: Value = serde_json::from_str(&testkit::exercise_text()).unwrap();
    let mark = |v: &mut Value, key: &str| {
        if let Some(Value::String(t)) = v.get_mut(key) {
            t.push_str(MARKUP);
        }
    };
    mark(&mut s, "name");
    mark(&mut s, "description");
    for (list, keys) in [
        ("nations", &["name"][..]),
        ("capabilities", &["name"]),
        ("sources", &["title", "publisher", "reference"]),
        ("requirements", &["name"]),
        ("offers", &["notes"]),
        ("commitments", &["title", "summary"]),
    ] {
        for item in s[list].as_array_mut().unwrap() {
            for key in keys {
                mark(item, key);
            }
            if list == "offers" && item.get("notes").is_none() {
                item["notes"] = json!(MARKUP);
            }
        }
    }
    s
}

#[tokio::test]
async fn hostile_text_is_stored_and_every_page_shows_it_escaped() {
    for backend in backends() {
        let app = spawn_app_with(&backend, |_| {}).await;
        let (status, body) = app
            .put("/scenario?mode=replace", Some("admin"), &marked_exercise())
            .await;
        assert_eq!(status, 201, "{body}");
        let mut obs = index()["templates"]["routes"]["POST /observations"].clone();
        obs["observations"][0]["text"] = json!(MARKUP);
        let (status, body) = app.post("/observations", Some("monitor"), &obs).await;
        assert_eq!(
            (status, body["accepted"].as_array().map(Vec::len)),
            (200, Some(1)),
            "{body}"
        );
        let (status, body) = app
            .post(
                "/commitments/EX-FIN-CAN-DEMINING/stages",
                Some("planner"),
                &json!({"status": "delivered", "date": "2025-12-01", "source": "EX-FSC-2", "note": MARKUP}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let id = domain::ids::OfferId::parse("GBR-04").unwrap();
        let current = app.store.offer(&Viewer::Everything, &id).await.unwrap();
        let (status, body) = app
            .post(
                "/offers/GBR-04/status",
                Some("planner"),
                &json!({"version": current.version, "status": "withdrawn",
                    "source": "EX-FSC-2", "note": MARKUP}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let (job_id, plan_id) = crate::ui::make_plan(&app).await;

        let mut paths: Vec<String> = server::web::PAGES
            .iter()
            .map(|(_, path, _)| {
                path.replace("{code}", "GBR").replace(
                    "{id}",
                    &if path.starts_with("/plans") {
                        plan_id.to_string()
                    } else if path.starts_with("/commitments") {
                        "EX-FIN-CAN-DEMINING".to_owned()
                    } else if path.starts_with("/incidents") {
                        "1".to_owned()
                    } else {
                        "GBR-04".to_owned()
                    },
                )
            })
            .collect();
        paths.extend([
            format!("/plan/jobs/{job_id}"),
            format!("/what-if?plan={plan_id}"),
            "/offers?q=script".to_owned(),
            "/timeline?as_of=2025-12-31".to_owned(),
            "/monitoring?date=2025-03-18".to_owned(),
            "/no-such-page<script>alert(1)</script>".to_owned(),
        ]);
        let planner = Browser::signed_in(&app, "planner").await;
        let public = Browser::new(&app);
        let mut shown = Vec::new();
        for path in &paths {
            for (who, browser) in [("planner", &planner), ("signed out", &public)] {
                let (status, page, _) = browser.get(path).await;
                assert!(status.as_u16() < 500, "{who} on {path}: {status}");
                assert!(
                    !has_raw_markup(&page),
                    "{who} on {path} shows the markup unescaped"
                );
                if who == "planner" && page.contains(ESCAPED) {
                    shown.push(path.clone());
                }
            }
        }
        // The check above can fail: these pages do show the stored text.
        for path in [
            "/".to_owned(),
            "/nations".to_owned(),
            "/nations/GBR".to_owned(),
            "/offers/GBR-04".to_owned(),
            "/requirements".to_owned(),
            format!("/plans/{plan_id}"),
            "/commitments/EX-FIN-CAN-DEMINING".to_owned(),
            "/timeline".to_owned(),
            "/incidents/1".to_owned(),
            "/report".to_owned(),
        ] {
            assert!(
                shown.contains(&path),
                "{path} does not show the stored text; shown on {shown:?}"
            );
        }
        eprintln!(
            "ran: {} pages walked on {}, the markup escaped on {}",
            paths.len(),
            backend.name(),
            shown.len()
        );
        let (status, _) = app.get_json("/health", None).await;
        assert_eq!(status, StatusCode::OK.as_u16());
        app.finish().await;
    }
}
