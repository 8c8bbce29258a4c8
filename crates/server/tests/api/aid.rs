//! The aid and finance ledger through the API: stages in EUR with the rate used, recording the
//! next stage, CSV round trips, open data, exchange rates and burden sharing.

use serde_json::{json, Value};

use crate::helpers::{backends, spawn_app, TestApp};

const UK_DEAL: &str = "PUB-2025-03-02-GBR-EXPORT-FINANCE";

async fn text(app: &TestApp, path: &str, user: Option<&str>) -> (u16, String) {
    let r = app
        .request(reqwest::Method::GET, path, user)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

#[tokio::test]
async fn entries_show_each_stage_in_eur_with_the_rate_used_and_advance_with_a_source() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        // The UK deal as reported, to anyone: up to £1.6bn of export finance, announced.
        let (status, deal) = app.get_json(&format!("/commitments/{UK_DEAL}"), None).await;
        assert_eq!(status, 200, "{deal}");
        assert_eq!(deal["commitment"]["amount"]["qualifier"], "up_to");
        assert_eq!(deal["commitment"]["sources"], json!(["WIRE-2025-03-02"]));
        let stage = &deal["stages"][0];
        assert_eq!(
            (stage["status"].as_str(), stage["kiel_measure"].as_str()),
            (Some("announced"), Some("commitment"))
        );
        assert_eq!(stage["iati_transaction_type"], 12);
        // 2 March 2025 was a Sunday: the rate is Friday's, and the EUR value follows from it.
        let rate = &stage["rate"];
        assert_eq!(rate["date"], "2025-02-28");
        let (_, rates) = app
            .get_json("/fx-rates?currency=GBP&from=2025-02-28&to=2025-02-28", None)
            .await;
        let per_eur: f64 = rates[0]["per_eur"].as_str().unwrap().parse().unwrap();
        assert_eq!(rate["per_eur"].as_str(), rates[0]["per_eur"].as_str());
        let eur = stage["eur"].as_f64().unwrap();
        assert!((eur - 1_600_000_000.0 / per_eur).abs() < 1.0, "{eur}");

        // The next stage: the owning nation's officer or HQ, with a source, on the current version.
        let id = "EX-FIN-CAN-DEMINING";
        let (_, current) = app
            .get_json(&format!("/commitments/{id}"), Some("planner"))
            .await;
        let version = current["version"].as_i64().unwrap();
        let path = format!("/commitments/{id}/stages");
        let body = json!({"version": version, "status": "delivered", "date": "2025-12-01",
            "source": "EX-FSC-2", "note": "first equipment handed over"});
        assert_eq!(app.post(&path, Some("gbr.officer"), &body).await.0, 403);
        let mut no_source = body.clone();
        no_source["source"] = json!("");
        let (status, e) = app.post(&path, Some("planner"), &no_source).await;
        assert_eq!((status, e["error"].as_str()), (422, Some("invalid_source")));
        let mut backwards = body.clone();
        backwards["status"] = json!("announced");
        let (status, e) = app.post(&path, Some("planner"), &backwards).await;
        assert_eq!(status, 422, "{e}");
        assert!(
            e["message"].as_str().unwrap().contains("cannot go from"),
            "{e}"
        );
        let (status, done) = app.post(&path, Some("planner"), &body).await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["commitment"]["status"], "delivered");
        assert_eq!(done["version"], version + 1);
        let last = done["stages"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(
            (
                last["iati_transaction_type"].as_u64(),
                last["kiel_measure"].as_str()
            ),
            (Some(3), Some("allocation"))
        );
        assert!(last["eur"].as_f64().unwrap() > 0.0 && last["rate"]["currency"] == "CAD");
        // As of a date: the status it had then, across the change just recorded.
        let status_on = |day: &'static str| {
            let app = &app;
            async move {
                let (status, page) = app
                    .get_json(
                        &format!("/commitments?as_of={day}&per_page=500"),
                        Some("planner"),
                    )
                    .await;
                assert_eq!(status, 200, "{page}");
                page["items"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .find(|c| c["id"] == id)
                    .map(|c| c["status"].as_str().unwrap().to_owned())
            }
        };
        assert_eq!(status_on("2025-10-08").await, None, "not yet made");
        assert_eq!(status_on("2025-11-30").await.as_deref(), Some("allocated"));
        assert_eq!(status_on("2025-12-01").await.as_deref(), Some("delivered"));
        assert_eq!(
            app.get_json("/commitments?as_of=yesterday", Some("planner"))
                .await
                .0,
            400
        );
        // Offers as of a date: only what had been offered (and recorded) by then.
        let count = |day: &'static str| {
            let app = &app;
            async move {
                app.get_json(&format!("/offers?as_of={day}&per_page=1"), Some("planner"))
                    .await
                    .1["total"]
                    .as_u64()
                    .unwrap()
            }
        };
        let (early, late) = (count("2025-05-01").await, count("2026-06-30").await);
        assert!(early < late, "{early} < {late}");
        assert_eq!(count("2020-01-01").await, 0);
        // The same version again is stale.
        assert_eq!(app.post(&path, Some("planner"), &body).await.0, 409);
        // Recorded in the audit log.
        let (_, log) = app
            .get_json(&format!("/audit?entity_id={id}"), Some("planner"))
            .await;
        assert!(log["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["action"] == "commitment.stage"));
        app.finish().await;
    }
}

#[tokio::test]
async fn csv_round_trips_open_data_is_public_only_and_bad_imports_change_nothing() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        let (status, csv) = text(&app, "/commitments/export", Some("planner")).await;
        assert_eq!(status, 200);
        assert!(csv.starts_with("donor,aid_type,measure,date,value,currency,item,"));
        assert!(csv.contains(UK_DEAL) && csv.contains("EX-AID-NLD-WINTER"));
        let (status, done) = app
            .post("/commitments/import", Some("planner"), &json!({"csv": csv}))
            .await;
        assert_eq!(status, 200, "{done}");
        assert_eq!(done["added"], 0);
        assert!(done["replaced"].as_u64().unwrap() >= 3);
        assert_eq!(
            text(&app, "/commitments/export", Some("planner")).await.1,
            csv
        );

        // Open data: public entries only, whoever asks.
        for user in [None, Some("planner")] {
            let (_, open) = text(&app, "/open-data/commitments", user).await;
            assert!(open.contains(UK_DEAL));
            assert!(
                !open.contains("EX-AID-NLD-WINTER"),
                "open data is public only"
            );
        }
        let (_, open_json) = app
            .get_json("/open-data/commitments?format=json", None)
            .await;
        assert!(open_json
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["releasability"] == "public"));

        // Bad imports: named errors, nothing changed.
        let before = text(&app, "/commitments/export", Some("planner")).await.1;
        let broken = csv.replacen(
            "GBR,finance,commitment,2025-03-02",
            "GBR,finance,commitment,2025-02-30",
            1,
        );
        let (status, e) = app
            .post(
                "/commitments/import",
                Some("planner"),
                &json!({"csv": broken}),
            )
            .await;
        assert_eq!(
            (status, e["error"].as_str()),
            (422, Some("invalid_csv")),
            "{e}"
        );
        assert!(e["message"].as_str().unwrap().contains("line "), "{e}");
        let unknown_source = json!({"commitments": [{"id": "EX-AID-NEW", "kind": "aid", "nation": "NLD",
            "title": "new", "status": "announced", "date": "2025-03-02", "sources": ["NO-SUCH-SOURCE"]}]});
        let (status, e) = app
            .post("/commitments/import", Some("planner"), &unknown_source)
            .await;
        assert_eq!(
            (status, e["error"].as_str()),
            (422, Some("invalid_commitment")),
            "{e}"
        );
        assert_eq!(
            app.post(
                "/commitments/import",
                Some("gbr.officer"),
                &json!({"csv": csv})
            )
            .await
            .0,
            403
        );
        assert_eq!(
            text(&app, "/commitments/export", Some("planner")).await.1,
            before
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn exchange_rates_and_burden_sharing_as_of_a_date() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        assert_eq!(app.get_json("/burden-sharing", None).await.0, 401);
        let at = |day: &'static str| {
            let app = &app;
            async move {
                let (status, b) = app
                    .get_json(&format!("/burden-sharing?as_of={day}"), Some("planner"))
                    .await;
                assert_eq!(status, 200, "{b}");
                b
            }
        };
        let pledged = |b: &Value, nation: &str| {
            b["nations"]
                .as_array()
                .unwrap()
                .iter()
                .find(|n| n["nation"] == nation)
                .map_or(0.0, |n| {
                    n["money"]["aid_pledged_eur"].as_f64().unwrap()
                        + n["money"]["finance_pledged_eur"].as_f64().unwrap()
                })
        };
        // Before and after the UK's announcement on 2 March 2025.
        let before = at("2025-03-01").await;
        let after = at("2025-03-02").await;
        assert_eq!(pledged(&before, "GBR"), 0.0);
        assert!(pledged(&after, "GBR") > 1.8e9, "{}", pledged(&after, "GBR"));
        // Totals add up: Europe and the others are the nations' sums.
        let late = at("2025-12-31").await;
        let sum: f64 = late["nations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| pledged(&late, n["nation"].as_str().unwrap()))
            .sum();
        let totals = late["europe"]["pledged_eur"].as_f64().unwrap()
            + late["others"]["pledged_eur"].as_f64().unwrap();
        assert!(
            (sum - totals).abs() < 1e-3 * sum.max(1.0),
            "{sum} vs {totals}"
        );
        let offered: u64 = late["nations"]
            .as_array()
            .unwrap()
            .iter()
            .flat_map(|n| n["personnel_weeks_offered"].as_object().unwrap().values())
            .map(|v| v.as_u64().unwrap())
            .sum();
        assert_eq!(
            offered,
            late["europe"]["personnel_weeks_offered"].as_u64().unwrap()
                + late["others"]["personnel_weeks_offered"].as_u64().unwrap()
        );
        assert!(!late["figures_from"].as_array().unwrap().is_empty());
        assert!(late["nations"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["nation"] != "UKR"));

        // An entry in a currency without rates: an explicit error, until its rates arrive.
        let hryvnia = json!({"commitments": [{"id": "EX-AID-UAH", "kind": "aid", "nation": "POL",
            "title": "local purchase", "status": "committed", "date": "2025-06-02",
            "amount": {"value": "4500000", "currency": "UAH"}}]});
        assert_eq!(
            app.post("/commitments/import", Some("planner"), &hryvnia)
                .await
                .0,
            200
        );
        let (status, e) = app
            .get_json("/burden-sharing?as_of=2025-12-31", Some("planner"))
            .await;
        assert_eq!(
            (status, e["error"].as_str()),
            (422, Some("missing_exchange_rate")),
            "{e}"
        );
        assert!(e["message"].as_str().unwrap().contains("UAH"));
        let (_, entry) = app
            .get_json("/commitments/EX-AID-UAH", Some("planner"))
            .await;
        assert!(entry["stages"][0]["conversion_error"]
            .as_str()
            .unwrap()
            .contains("no EUR exchange rate"));
        let (status, e) = app
            .post(
                "/fx-rates",
                Some("planner"),
                &json!({"csv": "date,currency,rate\nnot a date,UAH,45\n"}),
            )
            .await;
        assert_eq!((status, e["error"].as_str()), (422, Some("invalid_csv")));
        assert_eq!(
            app.post(
                "/fx-rates",
                Some("observer"),
                &json!({"csv": "date,currency,rate\n2025-06-02,UAH,45\n"})
            )
            .await
            .0,
            403
        );
        let (status, done) = app
            .post(
                "/fx-rates",
                Some("planner"),
                &json!({"csv": "date,currency,rate\n2025-06-02,UAH,45\n"}),
            )
            .await;
        assert_eq!((status, done["read"].as_u64()), (200, Some(1)), "{done}");
        let fixed = at("2025-12-31").await;
        // 4,500,000 UAH at 45 per EUR is 100,000 EUR more for Poland.
        let gained = pledged(&fixed, "POL") - pledged(&late, "POL");
        assert!((gained - 100_000.0).abs() < 1e-6, "{gained}");
        app.finish().await;
    }
}
