//! Alerts through the API, and published on NATS (when `COALITION_TEST_NATS` names a server).

use std::time::Duration;

use futures_util::StreamExt;
use serde_json::{json, Value};

use crate::helpers::{backends, spawn_app, spawn_app_with};

pub(crate) fn shelling(id: &str, lon: f64, minute: u32, against: bool) -> Value {
    json!({"id": id, "observed_from": format!("2025-03-18T10:{minute:02}:00Z"),
        "observed_to": format!("2025-03-18T10:{:02}:00Z", minute + 1), "reported": "2025-03-18T11:00:00Z",
        "observer": "patrol", "location": {"type": "point", "lat": 48.5, "lon": lon, "radius_m": 100},
        "kind": "shelling", "count": {"low": 1, "best": 1, "high": 1}, "against_coalition": against})
}

/// The alert a rule raised, among those `GET /alerts` lists.
fn rule_alert<'a>(alerts: &'a Value, rule: &str) -> &'a Value {
    alerts
        .as_array()
        .into_iter()
        .flatten()
        .find(|a| a["alert"]["rule"] == rule)
        .unwrap_or_else(|| panic!("no alert of {rule} in {alerts}"))
}

#[tokio::test]
async fn thresholds_and_attacks_on_coalition_forces_raise_alerts_that_climb_until_acknowledged() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        let rules = json!({"rules": [{"name": "two shellings", "kinds": ["shelling"], "window_min": 60, "threshold": 2}],
            "ladder": {"levels": ["sector", "contingent", "hq"], "ack_min": [15, 30, 60]}});
        let (status, e) = app
            .put(
                "/alert-rules",
                Some("planner"),
                &json!({"rules": [], "ladder": {"levels": ["x"], "ack_min": []}}),
            )
            .await;
        assert_eq!(
            (status, e["error"].as_str()),
            (422, Some("invalid_alert_rules"))
        );
        assert_eq!(
            app.put("/alert-rules", Some("planner"), &rules).await.0,
            200
        );
        assert_eq!(
            app.get_json("/alert-rules", Some("observer")).await.1,
            rules
        );

        let (status, _) = app
            .post("/observations", Some("monitor"),
                &json!({"observations": [shelling("A", 38.0, 0, false), shelling("B", 38.5, 5, false),
                    shelling("C", 39.0, 10, true)]}))
            .await;
        assert_eq!(status, 200);
        let (_, alerts) = app.get_json("/alerts", Some("observer")).await;
        let ids: Vec<&str> = alerts
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["alert"]["id"].as_str().unwrap())
            .collect();
        assert!(ids.contains(&"coalition:3"), "{ids:?}");
        let surge = rule_alert(&alerts, "two shellings");
        assert_eq!(surge["alert"]["incidents"], json!([1, 2, 3]));
        // Raised in March 2025 and never acknowledged: at the top of the ladder, overdue.
        assert_eq!(
            (surge["level_name"].as_str(), surge["overdue"].as_bool()),
            (Some("hq"), Some(true))
        );

        // Acknowledging: observers may not; the first acknowledgement counts; it stops the climb.
        assert_eq!(
            app.post("/alerts/coalition:3/ack", Some("observer"), &json!({}))
                .await
                .0,
            403
        );
        let (status, done) = app
            .post("/alerts/coalition:3/ack", Some("gbr.officer"), &json!({}))
            .await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["alert"]["acknowledged"]["by"], "gbr.officer");
        assert_eq!(done["alert"]["due"], Value::Null);
        assert_eq!(
            app.post("/alerts/coalition:3/ack", Some("planner"), &json!({}))
                .await
                .0,
            409
        );
        assert_eq!(
            app.post("/alerts/nothing/ack", Some("planner"), &json!({}))
                .await
                .0,
            404
        );
        let (_, open) = app.get_json("/alerts?open=true", Some("observer")).await;
        assert!(open
            .as_array()
            .unwrap()
            .iter()
            .all(|a| a["alert"]["id"] != "coalition:3"));

        // The shellings' burst, acknowledged; then a late report of one at 09:50 moves its
        // start and so its id, and the acknowledgement still holds.
        let (status, done) = app
            .post(
                "/alerts/rule:two%20shellings:-:2025-03-18T10:00:00Z/ack",
                Some("planner"),
                &json!({}),
            )
            .await;
        assert_eq!(status, 200, "{done}");
        let mut late = shelling("D", 37.5, 0, false);
        late["observed_from"] = json!("2025-03-18T09:50:00Z");
        late["observed_to"] = json!("2025-03-18T09:51:00Z");
        let (status, _) = app
            .post(
                "/observations",
                Some("monitor"),
                &json!({"observations": [late]}),
            )
            .await;
        assert_eq!(status, 200);
        let (_, alerts) = app.get_json("/alerts", Some("observer")).await;
        let surge = rule_alert(&alerts, "two shellings");
        assert_eq!(
            surge["alert"]["id"],
            "rule:two shellings:-:2025-03-18T09:50:00Z"
        );
        assert_eq!(surge["alert"]["incidents"], json!([4, 1, 2, 3]));
        assert_eq!(surge["acknowledged"]["by"], "planner");
        assert_eq!(
            app.post(
                "/alerts/rule:two%20shellings:-:2025-03-18T09:50:00Z/ack",
                Some("gbr.officer"),
                &json!({})
            )
            .await
            .0,
            409
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn alerts_are_published_on_nats() {
    let Ok(url) = std::env::var("COALITION_TEST_NATS") else {
        eprintln!("skipped: COALITION_TEST_NATS is not set, so alerts were not published on NATS");
        return;
    };
    let prefix = format!("coalition-test-{}.alerts", std::process::id());
    let backend = backends().remove(0);
    let (url2, prefix2) = (url.clone(), prefix.clone());
    let app = spawn_app_with(&backend, move |s| {
        s.nats_url = Some(url2);
        s.alert_subject = prefix2;
        s.alert_interval = Duration::from_millis(100);
    })
    .await;
    let client = async_nats::connect(url.as_str()).await.unwrap();
    let mut sub = client.subscribe(format!("{prefix}.>")).await.unwrap();
    client.flush().await.unwrap();
    let (status, _) = app
        .post(
            "/observations",
            Some("monitor"),
            &json!({"observations": [shelling("N-1", 38.0, 0, true)]}),
        )
        .await;
    assert_eq!(status, 200);
    let message = tokio::time::timeout(Duration::from_secs(20), sub.next())
        .await
        .expect("an alert within 20 s")
        .unwrap();
    assert_eq!(message.subject.as_str(), format!("{prefix}.hq"));
    let body: Value = serde_json::from_slice(&message.payload).unwrap();
    assert_eq!(body["alert"]["id"], "coalition:1");
    assert_eq!(body["overdue"], true);
    // Acknowledged, it is published once more, with who acknowledged it.
    assert_eq!(
        app.post("/alerts/coalition:1/ack", Some("monitor"), &json!({}))
            .await
            .0,
        200
    );
    let message = tokio::time::timeout(Duration::from_secs(20), sub.next())
        .await
        .expect("the acknowledgement within 20 s")
        .unwrap();
    let body: Value = serde_json::from_slice(&message.payload).unwrap();
    assert_eq!(body["acknowledged"]["by"], "monitor");
    app.finish().await;
    eprintln!("ran: alerts published on NATS at {url}");
}
