//! The access-control matrix, generated from the route table: every route × every role × the
//! records that matter to it (own nation, other nation, restricted or not). A route without an
//! entry here, or a route table that disagrees with the OpenAPI document, fails the test.

use std::collections::BTreeSet;

use domain::access::{Releasability, Role, Username};
use reqwest::Method;
use serde_json::{json, Value};
use server::{Access, ROUTES};
use store::{Actor, OfferFilter, Store, Viewer};

use crate::helpers::{backends, spawn_app, TestApp, PASSWORD, USERS};

/// A record a route acts on.
#[derive(Debug, Clone)]
struct Record {
    label: &'static str,
    offer: String,
    nation: String,
    releasability: Releasability,
}

/// One request to make: its path, its body, and the record it touches (if any).
struct Example {
    path: String,
    body: Option<Value>,
    record: Option<Record>,
    /// For POST /offers: the nation of the offer made.
    nation: Option<String>,
}

fn plain(path: &str) -> Example {
    Example {
        path: path.to_owned(),
        body: None,
        record: None,
        nation: None,
    }
}

async fn records(app: &TestApp) -> Vec<Record> {
    let offers = app
        .store
        .offers(&Viewer::Everything, &OfferFilter::default())
        .await
        .unwrap();
    let pick = |label: &'static str, nation: &str, r: Releasability| {
        let o = offers
            .iter()
            .find(|o| o.nation.as_str() == nation && o.releasability == r)
            .unwrap_or_else(|| panic!("the exercise has no {r:?} offer of {nation}"));
        Record {
            label,
            offer: o.id.to_string(),
            nation: nation.to_owned(),
            releasability: r,
        }
    };
    vec![
        pick("GBR restricted", "GBR", Releasability::Nation),
        pick("FRA restricted", "FRA", Releasability::Nation),
        pick("FRA coalition", "FRA", Releasability::Coalition),
    ]
}

fn role_of(user: Option<&str>) -> Option<(Role, Option<&'static str>)> {
    user.map(|u| {
        let (_, role, nation) = USERS.iter().find(|(n, _, _)| *n == u).unwrap();
        (*role, *nation)
    })
}

fn viewer(user: Option<&str>) -> Viewer {
    match role_of(user) {
        None => Viewer::Public,
        Some((role, nation)) => Viewer::of(
            role,
            nation
                .map(|n| domain::ids::NationCode::parse(n).unwrap())
                .as_ref(),
        ),
    }
}

fn may_manage(user: Option<&str>, nation: &str) -> bool {
    match role_of(user) {
        Some((Role::Admin | Role::Planner, _)) => true,
        Some((Role::NationOfficer, Some(n))) => n == nation,
        _ => false,
    }
}

/// What the route table says should happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    Allowed,
    Unauthenticated,
    Forbidden,
    Hidden,
}

fn expect(access: Access, user: Option<&str>, ex: &Example) -> Expect {
    let role = role_of(user).map(|(r, _)| r);
    let signed_in = user.is_some();
    let visible = ex.record.as_ref().is_none_or(|r| {
        viewer(user).sees(
            r.releasability,
            domain::ids::NationCode::parse(&r.nation).ok().as_ref(),
        )
    });
    match access {
        Access::Anyone if visible => Expect::Allowed,
        Access::Anyone => Expect::Hidden,
        _ if !signed_in => Expect::Unauthenticated,
        Access::SignedIn => Expect::Allowed,
        Access::Hq if matches!(role, Some(Role::Admin | Role::Planner)) => Expect::Allowed,
        Access::Admin if role == Some(Role::Admin) => Expect::Allowed,
        Access::Monitor if matches!(role, Some(Role::Admin | Role::Planner | Role::Monitor)) => {
            Expect::Allowed
        }
        Access::Responder if role != Some(Role::Observer) => Expect::Allowed,
        Access::Hq | Access::Admin | Access::Monitor | Access::Responder => Expect::Forbidden,
        Access::AuditReader
            if matches!(
                role,
                Some(Role::Admin | Role::Planner | Role::NationOfficer)
            ) =>
        {
            Expect::Allowed
        }
        Access::AuditReader => Expect::Forbidden,
        Access::OfferManager => {
            let nation = ex
                .record
                .as_ref()
                .map(|r| r.nation.clone())
                .or_else(|| ex.nation.clone())
                .unwrap_or_default();
            if !visible {
                Expect::Hidden
            } else if may_manage(user, &nation) {
                Expect::Allowed
            } else {
                Expect::Forbidden
            }
        }
    }
}

/// The requests to make for one route as one user. Every route must have an entry.
async fn examples(
    app: &TestApp,
    method: &str,
    path: &str,
    user: Option<&str>,
    n: usize,
) -> Vec<Example> {
    let recs = records(app).await;
    let with_record = |body: Option<Value>| -> Vec<Example> {
        recs.iter()
            .map(|r| Example {
                path: path.replace("{id}", &r.offer),
                body: body.clone(),
                record: Some(r.clone()),
                nation: None,
            })
            .collect()
    };
    match (method, path) {
        ("GET", "/health" | "/openapi.json" | "/me" | "/nations" | "/capabilities" | "/sources")
        | ("GET", "/requirements" | "/commitments" | "/offers" | "/scenario" | "/plans")
        | ("GET", "/plan-jobs" | "/audit" | "/audit/verify" | "/users" | "/tokens")
        | ("DELETE", "/session") => vec![plain(path)],
        ("GET", "/nations/{code}") => vec![plain("/nations/GBR")],
        ("GET", "/incidents" | "/sectors" | "/reports/daily" | "/open-data/reports/daily")
        | ("GET", "/alerts" | "/alert-rules") => vec![plain(path)],
        ("PUT", "/alert-rules") => vec![Example {
            body: Some(serde_json::to_value(monitor::alerts::Config::default()).unwrap()),
            ..plain(path)
        }],
        ("POST", "/alerts/{id}/ack") => {
            // An incident against coalition forces raises an alert at once; one per call.
            let mut o = observation(&format!("K-{n}"), n, 2);
            o["against_coalition"] = json!(true);
            let ids = seed_observations(app, &[o]).await;
            vec![plain(&format!("/alerts/coalition:{}/ack", ids[0]))]
        }
        ("POST", "/observations") => vec![Example {
            body: Some(json!({"observations": [observation(&format!("M-{n}"), n, 0)]})),
            ..plain(path)
        }],
        ("GET", "/incidents/{id}") => {
            let a = seed_observations(app, &[observation(&format!("G-{n}"), n, 0)]).await;
            vec![plain(&format!("/incidents/{}", a[0]))]
        }
        ("POST", "/incidents/{id}/split") => {
            let ids = seed_observations(
                app,
                &[observation(&format!("S-{n}-a"), n, 0), observation(&format!("S-{n}-b"), n, 0)],
            )
            .await;
            assert_eq!(ids[0], ids[1], "two sightings of one event");
            vec![Example {
                body: Some(json!({"observations": [format!("S-{n}-b")], "reason": "access matrix"})),
                ..plain(&format!("/incidents/{}/split", ids[0]))
            }]
        }
        ("POST", "/incidents/{id}/merge") => {
            let ids = seed_observations(
                app,
                &[observation(&format!("J-{n}-a"), n, 0), observation(&format!("J-{n}-b"), n, 1)],
            )
            .await;
            assert_ne!(ids[0], ids[1], "two events");
            vec![Example {
                body: Some(json!({"from": ids[1], "reason": "access matrix"})),
                ..plain(&format!("/incidents/{}/merge", ids[0]))
            }]
        }
        ("POST", "/effort") => vec![Example {
            body: Some(json!({"effort": [{"observer": "patrol", "observer_id": format!("P-{n}"),
                "from": "2025-03-18T06:00:00Z", "to": "2025-03-18T12:00:00Z", "sector": "S-1"}]})),
            ..plain(path)
        }],
        ("PUT", "/sectors") => vec![Example {
            body: Some(json!({"geojson": SECTORS})),
            ..plain(path)
        }],
        ("GET", "/commitments/export" | "/open-data/commitments" | "/fx-rates" | "/countries")
        | ("GET", "/burden-sharing") => vec![plain(path)],
        ("GET", "/commitments/{id}") => vec![plain("/commitments/PUB-2025-03-02-GBR-EXPORT-FINANCE")],
        ("POST", "/commitments/{id}/stages") => {
            // One entry per nation, so officers are allowed for their own and refused for others.
            let mut out = Vec::new();
            for (id, nation) in [("EX-FIN-GBR-MATRIX", "GBR"), ("EX-FIN-FRA-MATRIX", "FRA")] {
                let entry = json!({"id": format!("{id}-{n}"), "kind": "finance", "nation": nation,
                    "title": "access matrix", "status": "announced", "date": "2025-03-02",
                    "releasability": "public"});
                let mut errs = domain::read::ParseErrors::default();
                let c = domain::commitment::Commitment::from_json(&entry, "c", &mut errs).unwrap();
                app.store.put_commitments(&[c], &Actor::new("matrix")).await.unwrap();
                out.push(Example {
                    body: Some(json!({"status": "committed", "date": "2025-04-01", "source": "EX-FSC-2"})),
                    nation: Some(nation.to_owned()),
                    ..plain(&format!("/commitments/{id}-{n}/stages"))
                });
            }
            out
        }
        ("POST", "/commitments/import") => vec![Example {
            body: Some(json!({"commitments": [{"id": format!("EX-AID-MATRIX-{n}"), "kind": "aid",
                "nation": "NLD", "title": "access matrix", "status": "announced", "date": "2025-03-02",
                "amount": {"value": "10", "currency": "EUR"}}]})),
            ..plain(path)
        }],
        ("POST", "/fx-rates") => vec![Example {
            body: Some(json!({"csv": "date,currency,rate\n2025-03-03,GBP,0.8253\n"})),
            ..plain(path)
        }],
        ("PUT", "/countries") => vec![Example {
            body: Some(json!({"csv": server::aid::COUNTRIES})),
            ..plain(path)
        }],
        ("POST", "/session") => vec![Example {
            body: Some(json!({"username": "observer", "password": PASSWORD})),
            ..plain(path)
        }],
        ("GET", "/offers/{id}") => with_record(None),
        ("PUT", "/offers/{id}") | ("POST", "/offers/{id}/status") => {
            let mut out = Vec::new();
            for r in &recs {
                let current = app
                    .store
                    .offer(&Viewer::Everything, &domain::ids::OfferId::parse(&r.offer).unwrap())
                    .await
                    .unwrap();
                let body = if method == "PUT" {
                    let mut offer = serde_json::to_value(&current.value).unwrap();
                    offer["notes"] = json!(format!("matrix {n}"));
                    json!({"version": current.version, "offer": offer})
                } else {
                    // Re-stating the current status is a valid change whatever it is.
                    json!({"version": current.version, "status": current.value.status.as_str(),
                        "source": "EX-FSC-2", "note": "access matrix"})
                };
                out.push(Example {
                    path: path.replace("{id}", &r.offer),
                    body: Some(body),
                    record: Some(r.clone()),
                    nation: None,
                });
            }
            out
        }
        ("POST", "/offers") => ["GBR", "FRA"]
            .iter()
            .map(|nation| Example {
                body: Some(json!({"id": format!("{nation}-M{n}"), "nation": nation,
                    "capability": "LAND.INF.BN", "units": 1, "from_week": 0, "to_week": 10, "notice_weeks": 0,
                    "tour_weeks": 4, "dwell_weeks": 4, "roe": "mandate", "status": "offered",
                    "cost_per_unit_week": 1, "sources": ["EX-FSC-2"]})),
                nation: Some((*nation).to_owned()),
                ..plain(path)
            })
            .collect(),
        ("PUT", "/scenario") => vec![Example {
            path: "/scenario?mode=replace".into(),
            body: Some(serde_json::from_str(&testkit::exercise_text()).unwrap()),
            ..plain(path)
        }],
        ("GET", "/plans/{id}") => {
            let plans = app.store.plans(&Viewer::Everything).await.unwrap();
            vec![plain(&format!("/plans/{}", plans[0].id))]
        }
        ("POST", "/plan-jobs") => vec![Example {
            body: Some(json!({"time_limit_seconds": 0.2})),
            ..plain(path)
        }],
        ("GET", "/plan-jobs/{id}") => {
            let jobs = app.store.jobs().await.unwrap();
            vec![plain(&format!("/plan-jobs/{}", jobs[0].id))]
        }
        ("POST", "/users") => vec![Example {
            body: Some(json!({"username": format!("new.user{n}"), "role": "observer",
                "password": "a long enough password"})),
            ..plain(path)
        }],
        ("POST", "/users/{username}/disable" | "/users/{username}/enable") => {
            let name = format!("target{n}");
            throwaway_user(app, &name).await;
            vec![plain(&path.replace("{username}", &name))]
        }
        ("POST", "/tokens") => vec![Example {
            body: Some(json!({"name": "matrix"})),
            ..plain(path)
        }],
        ("DELETE", "/tokens/{id}") => {
            // The caller's own token (an anonymous caller has none: use the observer's).
            let owner = user.unwrap_or("observer");
            let t = app
                .store
                .add_token(&Username::parse(owner).unwrap(), "to revoke", &format!("matrix-{n}"), &Actor::new("matrix"))
                .await
                .unwrap();
            vec![plain(&format!("/tokens/{}", t.id))]
        }
        _ => panic!("route {method} {path} has no entry in the access matrix: add one"),
    }
}

const SECTORS: &str = r#"{"type": "FeatureCollection", "features": [{"type": "Feature",
  "properties": {"code": "S-1"}, "geometry": {"type": "Polygon",
  "coordinates": [[[30.0, 44.0], [40.0, 44.0], [40.0, 52.0], [30.0, 52.0], [30.0, 44.0]]]}}]}"#;

/// A shelling seen at a place of its own for each `n`; `apart` moves it 20 km east.
fn observation(id: &str, n: usize, apart: usize) -> Value {
    let lat = 45.0 + (n % 100) as f64 * 0.05;
    let lon = 33.0 + apart as f64 * 0.3;
    json!({"id": id, "observed_from": "2025-03-18T12:00:00Z", "observed_to": "2025-03-18T12:05:00Z",
        "reported": "2025-03-18T13:00:00Z", "observer": "patrol", "observer_id": id,
        "location": {"type": "point", "lat": lat, "lon": lon, "radius_m": 100},
        "kind": "shelling", "count": {"low": 1, "best": 1, "high": 1}})
}

/// Records observations as a planner; returns the incident each one is in.
async fn seed_observations(app: &TestApp, obs: &[Value]) -> Vec<u64> {
    let (status, body) = app
        .post(
            "/observations",
            Some("planner"),
            &json!({"observations": obs}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["accepted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["result"]["incident"].as_u64().unwrap())
        .collect()
}

async fn throwaway_user(app: &TestApp, name: &str) {
    app.store
        .add_user(
            &store::NewUser {
                username: Username::parse(name).unwrap(),
                role: Role::Observer,
                nation: None,
                password_hash: "$argon2id$unused".into(),
            },
            &Actor::new("matrix"),
        )
        .await
        .unwrap();
}

fn openapi_routes() -> BTreeSet<(String, String)> {
    let doc: Value = serde_json::from_str(&server::openapi_json()).unwrap();
    let mut out = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["get", "post", "put", "delete", "patch"] {
            if item.get(method).is_some() {
                out.insert((method.to_uppercase(), path.clone()));
            }
        }
    }
    out
}

#[tokio::test]
async fn the_route_table_and_the_openapi_document_agree() {
    let table: BTreeSet<(String, String)> = ROUTES
        .iter()
        .map(|r| (r.method.to_owned(), r.path.to_owned()))
        .collect();
    assert_eq!(table.len(), ROUTES.len(), "a route is listed twice");
    assert_eq!(openapi_routes(), table);
}

#[tokio::test]
async fn access_matrix() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        // A kept plan and a job to read.
        let (status, body) = app
            .post(
                "/plan-jobs",
                Some("planner"),
                &json!({"time_limit_seconds": 0.2}),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        crate::flows::wait_for_job(&app, body["id"].as_i64().unwrap()).await;
        let mut n = 0;
        let mut checked = 0;
        for route in ROUTES {
            let users = std::iter::once(None).chain(USERS.iter().map(|(u, _, _)| Some(*u)));
            for user in users {
                n += 1;
                for ex in examples(&app, route.method, route.path, user, n).await {
                    let method = Method::from_bytes(route.method.as_bytes()).unwrap();
                    let mut rb = app.request(method, &ex.path, user);
                    if let Some(body) = &ex.body {
                        rb = rb.json(body);
                    }
                    let response = rb.send().await.unwrap();
                    let status = response.status().as_u16();
                    let text = response.text().await.unwrap_or_default();
                    let want = expect(route.access, user, &ex);
                    let what = format!(
                        "{} {} {} as {} ({:?} expected) on {}: {status} {text}",
                        route.method,
                        ex.path,
                        ex.record.as_ref().map_or("", |r| r.label),
                        user.unwrap_or("anonymous"),
                        want,
                        backend.name()
                    );
                    match want {
                        Expect::Allowed => {
                            assert!(!matches!(status, 401 | 403 | 404) && status < 500, "{what}")
                        }
                        Expect::Unauthenticated => assert_eq!(status, 401, "{what}"),
                        Expect::Forbidden => assert_eq!(status, 403, "{what}"),
                        Expect::Hidden => assert_eq!(status, 404, "{what}"),
                    }
                    checked += 1;
                }
            }
        }
        assert!(checked > ROUTES.len() * 7);
        app.finish().await;
    }
}
