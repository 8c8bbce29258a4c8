//! Ceasefire monitoring through the API: batches in three formats with bad rows named,
//! idempotent re-sending, incidents with their reasons, split and merge, sectors, effort and
//! the daily report with its public version.

use serde_json::{json, Value};

use crate::helpers::{backends, spawn_app};

const SECTORS: &str = r#"{"type": "FeatureCollection", "features": [
  {"type": "Feature", "properties": {"code": "S-NORTH", "name": "North"},
   "geometry": {"type": "Polygon", "coordinates": [[[37.0, 48.0], [39.0, 48.0], [39.0, 49.0], [37.0, 49.0], [37.0, 48.0]]]}},
  {"type": "Feature", "properties": {"code": "S-SOUTH", "name": "South"},
   "geometry": {"type": "Polygon", "coordinates": [[[37.0, 47.0], [39.0, 47.0], [39.0, 48.0], [37.0, 48.0], [37.0, 47.0]]]}}]}"#;

fn obs(id: &str, observer: &str, lat: f64, lon: f64, minute: u32) -> Value {
    json!({"id": id, "observed_from": format!("2025-03-18T10:{minute:02}:00Z"),
        "observed_to": format!("2025-03-18T10:{:02}:00Z", minute + 3),
        "reported": "2025-03-18T11:00:00Z", "observer": "patrol", "observer_id": observer,
        "location": {"type": "point", "lat": lat, "lon": lon, "radius_m": 200},
        "kind": "shelling", "count": {"low": 2, "best": 3, "high": 5}})
}

#[tokio::test]
async fn observations_become_incidents_that_monitors_can_split_merge_and_report() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        let (status, e) = app
            .put(
                "/sectors",
                Some("planner"),
                &json!({"geojson": "{\"type\": \"Point\"}"}),
            )
            .await;
        assert_eq!(
            (status, e["error"].as_str()),
            (422, Some("invalid_geojson"))
        );
        let (status, done) = app
            .put("/sectors", Some("planner"), &json!({"geojson": SECTORS}))
            .await;
        assert_eq!(status, 200, "{done}");

        // A JSON batch: two patrols on one explosion, and a bad row that is named.
        let mut bad = obs("BAD", "P9", 48.5, 38.0, 0);
        bad["count"] = json!({"low": 9, "best": 3, "high": 5});
        let batch = json!({"observations": [obs("P1-1", "P1", 48.50, 38.00, 0), bad,
            obs("P2-1", "P2", 48.501, 38.001, 1)]});
        let (status, r) = app.post("/observations", Some("monitor"), &batch).await;
        assert_eq!(status, 200, "{r}");
        assert_eq!(r["accepted"].as_array().unwrap().len(), 2, "{r}");
        assert_eq!(r["rejected"][0]["line"], 2);
        assert!(r["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("count"));
        let first = r["accepted"][0]["result"].clone();
        let second = r["accepted"][1]["result"].clone();
        assert_eq!(first["outcome"], "opened");
        assert_eq!(second["outcome"], "joined");
        assert_eq!(second["incident"], first["incident"]);
        assert_eq!(second["reason"]["rule"], "near");
        let incident = first["incident"].as_u64().unwrap();

        // Sending the same again changes nothing; the same id with other content is refused.
        let (_, again) = app.post("/observations", Some("monitor"), &batch).await;
        assert_eq!(again["already_known"], json!(["P1-1", "P2-1"]));
        let mut changed = obs("P1-1", "P1", 48.50, 38.00, 0);
        changed["count"] = json!({"low": 1, "best": 1, "high": 1});
        let (_, r) = app
            .post(
                "/observations",
                Some("monitor"),
                &json!({"observations": [changed]}),
            )
            .await;
        assert!(r["rejected"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("already used"));

        // CSV and Cursor-on-Target, with a hostile document refused whole.
        let csv = "id,observed_from,observed_to,reported,observer,kind,count_best,lat,lon,radius_m\n\
                   C-1,181030ZMAR25,181031ZMAR25,181100ZMAR25,uav,small_arms_fire,20,47.5,38.2,300\n\
                   C-2,181030ZMAR25,181031ZMAR25,181100ZMAR25,uav,small_arms_fire,20,,,\n";
        let (status, r) = app
            .post("/observations", Some("monitor"), &json!({"csv": csv}))
            .await;
        assert_eq!(status, 200);
        assert_eq!(r["accepted"].as_array().unwrap().len(), 1);
        assert_eq!(r["rejected"][0]["line"], 3);
        let xxe = "<?xml version=\"1.0\"?><!DOCTYPE e [<!ENTITY x SYSTEM \"file:///etc/passwd\">]><event uid=\"X\">&x;</event>";
        let (status, e) = app
            .post("/observations", Some("monitor"), &json!({"cot": xxe}))
            .await;
        assert_eq!((status, e["error"].as_str()), (422, Some("invalid_cot")));
        let cot = r#"<event version="2.0" uid="T-1" type="b-m-p-s-m" time="2025-03-18T10:40:00Z" start="2025-03-18T10:35:00Z" stale="2025-03-18T11:40:00Z">
            <point lat="47.6" lon="37.5" ce="100" hae="0" le="9999999"/>
            <detail><coalition kind="movement_denied" observer="patrol" observer_id="P3"/><remarks>checkpoint closed</remarks></detail></event>"#;
        let (_, r) = app
            .post("/observations", Some("monitor"), &json!({"cot": cot}))
            .await;
        assert_eq!(r["accepted"].as_array().unwrap().len(), 1, "{r}");
        assert_eq!(
            app.post("/observations", Some("observer"), &batch).await.0,
            403
        );

        // Incidents, with their observations and why they were joined.
        let (_, list) = app
            .get_json("/incidents?kind=shelling", Some("observer"))
            .await;
        assert_eq!(list["total"], 1);
        assert_eq!(list["items"][0]["sector"], "S-NORTH");
        let (_, south) = app
            .get_json("/incidents?sector=S-SOUTH", Some("observer"))
            .await;
        assert_eq!(south["total"], 2, "{south}");
        // Pages cut one list, newest first.
        let (_, all) = app.get_json("/incidents", Some("observer")).await;
        let froms: Vec<&str> = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["from"].as_str().unwrap())
            .collect();
        assert!(
            froms.len() >= 3 && froms.windows(2).all(|w| w[0] >= w[1]),
            "{froms:?}"
        );
        let (_, second) = app
            .get_json("/incidents?per_page=1&page=2", Some("observer"))
            .await;
        assert_eq!(second["total"], all["total"]);
        assert_eq!(second["items"].as_array().unwrap().len(), 1);
        assert_eq!(second["items"][0], all["items"][1], "{second}");
        let (_, early) = app
            .get_json("/incidents?to=2025-03-18T10:20:00Z", Some("observer"))
            .await;
        assert_eq!(
            (&early["total"], &early["items"][0]["kind"]),
            (&json!(1), &json!("shelling")),
            "{early}"
        );
        let (_, late) = app
            .get_json(
                "/incidents?from=2025-03-18T10:20:00Z&sector=S-NORTH",
                Some("observer"),
            )
            .await;
        assert_eq!(late["total"], 0, "{late}");
        let (_, one) = app
            .get_json(&format!("/incidents/{incident}"), Some("observer"))
            .await;
        assert_eq!(one["observations"].as_array().unwrap().len(), 2);
        assert_eq!(
            one["incident"]["count"]["best"], 3,
            "counts are not added up"
        );
        assert_eq!(one["incident"]["reasons"][1]["observation"], "P2-1");

        // A monitor splits one sighting off, then merges it back; both are logged and audited.
        let (status, e) = app
            .post(
                &format!("/incidents/{incident}/split"),
                Some("monitor"),
                &json!({"observations": ["P1-1", "P2-1"], "reason": "x"}),
            )
            .await;
        assert_eq!((status, e["error"].as_str()), (422, Some("invalid_split")));
        let (status, s) = app
            .post(
                &format!("/incidents/{incident}/split"),
                Some("monitor"),
                &json!({"observations": ["P2-1"], "reason": "two impacts on the footage"}),
            )
            .await;
        assert_eq!(status, 200, "{s}");
        let new = s["new_incident"].as_u64().unwrap();
        assert_ne!(new, incident);
        assert_eq!(
            app.get_json("/incidents?kind=shelling", Some("observer"))
                .await
                .1["total"],
            2
        );
        let (status, m) = app
            .post(
                &format!("/incidents/{incident}/merge"),
                Some("monitor"),
                &json!({"from": new, "reason": "one impact after all"}),
            )
            .await;
        assert_eq!(status, 200, "{m}");
        assert_eq!(
            app.get_json(&format!("/incidents/{new}"), Some("observer"))
                .await
                .0,
            404
        );
        let (_, log) = app.get_json("/audit?per_page=200", Some("admin")).await;
        let actions: Vec<&str> = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|r| r["action"].as_str())
            .collect();
        assert!(actions.contains(&"monitor.append"), "{actions:?}");
        let kinds: Vec<&str> = log["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|r| r["action"] == "monitor.append")
            .filter_map(|r| r["entity_kind"].as_str())
            .collect();
        assert!(
            kinds.contains(&"split") && kinds.contains(&"merge"),
            "{kinds:?}"
        );

        // Effort, and the daily report (19:30 to 19:30 Kyiv time) with its public version.
        let (status, _) = app
            .post("/effort", Some("monitor"), &json!({"effort": [{"observer": "patrol", "observer_id": "P1",
                "from": "2025-03-18T06:00:00Z", "to": "2025-03-18T12:00:00Z", "sector": "S-NORTH"}]}))
            .await;
        assert_eq!(status, 200);
        let (status, report) = app
            .get_json("/reports/daily?date=2025-03-18", Some("observer"))
            .await;
        assert_eq!(status, 200, "{report}");
        let sector = |r: &Value, code: &str| {
            r["sectors"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["sector"] == code)
                .cloned()
                .unwrap()
        };
        let north = sector(&report, "S-NORTH");
        assert_eq!(north["by_kind"]["shelling"]["incidents"], 1);
        assert_eq!(north["effort"]["patrol_hours"], 6.0);
        let south = sector(&report, "S-SOUTH");
        assert_eq!(south["by_kind"]["small_arms_fire"]["incidents"], 1);
        assert_eq!(south["movement_restrictions"].as_array().unwrap().len(), 1);
        let (_, csv) = {
            let r = app
                .request(
                    reqwest::Method::GET,
                    "/reports/daily?date=2025-03-18&format=csv",
                    Some("observer"),
                )
                .send()
                .await
                .unwrap();
            (r.status(), r.text().await.unwrap())
        };
        assert!(
            csv.lines()
                .any(|l| l.starts_with("S-NORTH,") && l.contains(",shelling,1,3,")),
            "{csv}"
        );
        // Nothing here is public yet: the public report counts none of it.
        let (status, public) = app
            .get_json("/open-data/reports/daily?date=2025-03-18", None)
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            sector(&public, "S-NORTH")["by_kind"]["shelling"]["incidents"],
            0
        );
        assert_eq!(app.get_json("/incidents", None).await.0, 401);
        app.finish().await;
    }
}

/// An incident resting on a nation-only observation is shown, in lists, alerts and the
/// daily report, only to those who see everything; joining it to a coalition-wide sighting
/// does not open it up.
#[tokio::test]
async fn incidents_on_restricted_observations_stay_hidden() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        let mut restricted = obs("N-1", "P1", 48.50, 38.00, 0);
        restricted["releasability"] = json!("nation");
        restricted["against_coalition"] = json!(true);
        let open = obs("C-1", "P2", 48.501, 38.001, 1);
        let elsewhere = obs("C-2", "P3", 47.50, 38.00, 0);
        let batch = json!({"observations": [restricted, open, elsewhere]});
        let (status, r) = app.post("/observations", Some("monitor"), &batch).await;
        assert_eq!(status, 200, "{r}");
        let hidden = r["accepted"][0]["result"]["incident"].as_u64().unwrap();
        assert_eq!(r["accepted"][1]["result"]["incident"], hidden, "{r}");
        let shown = r["accepted"][2]["result"]["incident"].as_u64().unwrap();
        let ids = |v: &Value| -> Vec<u64> {
            v["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|i| i["id"].as_u64().unwrap())
                .collect()
        };
        let (_, all) = app.get_json("/incidents", Some("planner")).await;
        let mut seen = ids(&all);
        seen.sort_unstable();
        assert_eq!(seen, [hidden, shown], "{all}");
        let restricted_view = all["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["id"] == hidden)
            .cloned()
            .unwrap();
        assert_eq!(restricted_view["releasability"], "nation");
        let (_, some) = app.get_json("/incidents", Some("observer")).await;
        assert_eq!(ids(&some), [shown], "{some}");
        let path = format!("/incidents/{hidden}");
        assert_eq!(app.get_json(&path, Some("observer")).await.0, 404);
        assert_eq!(app.get_json(&path, Some("planner")).await.0, 200);
        // The attack on coalition forces raises an alert only HQ sees.
        let alert_ids = |v: &Value| -> Vec<String> {
            v.as_array()
                .unwrap()
                .iter()
                .map(|a| a["alert"]["id"].as_str().unwrap().to_owned())
                .collect()
        };
        let (_, hq) = app.get_json("/alerts", Some("planner")).await;
        assert_eq!(alert_ids(&hq), [format!("coalition:{hidden}")], "{hq}");
        let (_, theirs) = app.get_json("/alerts", Some("observer")).await;
        assert!(alert_ids(&theirs).is_empty(), "{theirs}");
        app.finish().await;
    }
}

/// Two servers on one database: each takes what it logged itself as it logged it, and reads
/// what the other logged from the log. Both then show the same incidents as a third server
/// that replays the whole log from its start.
#[tokio::test]
async fn servers_sharing_a_database_see_the_same_incidents() {
    for backend in backends() {
        let a = spawn_app(&backend).await;
        let b = a.beside().await;
        // Sightings of three events (where, and the minute), two a batch, sent in turns to
        // either server: each batch joins incidents the other server opened.
        let sightings = [
            (48.500, 38.000, 0),
            (48.600, 38.100, 0),
            (48.501, 38.001, 1),
            (48.601, 38.101, 2),
            (48.502, 38.000, 2),
            (48.700, 38.200, 5),
            (48.701, 38.201, 6),
            (48.600, 38.102, 3),
        ];
        for (turn, pair) in sightings.chunks(2).enumerate() {
            let app = if turn % 2 == 0 { &a } else { &b };
            let batch: Vec<Value> = pair
                .iter()
                .zip(2 * turn..)
                .map(|(&(lat, lon, minute), n)| {
                    obs(&format!("S{n}"), &format!("P{n}"), lat, lon, minute)
                })
                .collect();
            let (status, r) = app
                .post(
                    "/observations",
                    Some("monitor"),
                    &json!({"observations": batch}),
                )
                .await;
            assert_eq!(
                r["accepted"].as_array().map(Vec::len),
                Some(2),
                "{status} {r}"
            );
        }
        let c = a.beside().await;
        let mut seen = Vec::new();
        for app in [&a, &b, &c] {
            let (status, page) = app
                .get_json("/incidents?per_page=100", Some("monitor"))
                .await;
            assert_eq!(status, 200, "{page}");
            seen.push(page["items"].clone());
        }
        assert_eq!(seen[0].as_array().map(Vec::len), Some(3), "{}", seen[0]);
        assert_eq!(seen[0], seen[1]);
        assert_eq!(seen[0], seen[2]);
        c.finish().await;
        b.finish().await;
        a.finish().await;
    }
}
