//! Each endpoint's happy path and its errors, as a client sees them.

use std::time::Duration;

use reqwest::Method;
use serde_json::{json, Value};
use store::{OfferFilter, Store, Viewer};

use crate::helpers::{backends, spawn_app, spawn_app_with, TestApp, PASSWORD};

/// Polls a planner job until it is done or failed (at most a minute).
pub async fn wait_for_job(app: &TestApp, id: i64) -> Value {
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let (status, job) = app
            .get_json(&format!("/plan-jobs/{id}"), Some("planner"))
            .await;
        assert_eq!(status, 200, "{job}");
        if matches!(job["state"].as_str(), Some("done" | "failed")) {
            return job;
        }
        assert!(std::time::Instant::now() < deadline, "job {id} still {job}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn restricted_offer(app: &TestApp, nation: &str) -> String {
    app.store
        .offers(&Viewer::Everything, &OfferFilter::default())
        .await
        .unwrap()
        .into_iter()
        .find(|o| {
            o.nation.as_str() == nation && o.releasability == domain::access::Releasability::Nation
        })
        .unwrap()
        .id
        .to_string()
}

/// Asserts an error answer by its status and stable code.
#[track_caller]
fn assert_error((status, body): (u16, Value), want: u16, code: &str) -> Value {
    assert_eq!(
        (status, body["error"].as_str()),
        (want, Some(code)),
        "{body}"
    );
    assert!(body["message"].is_string(), "{body}");
    body
}

/// A browser's request: the session cookie, the CSRF header when given, a small JSON body.
async fn browser(
    app: &TestApp,
    method: Method,
    path: &str,
    cookie: &str,
    csrf: Option<String>,
) -> reqwest::Response {
    let mut rb = app
        .client
        .request(method, app.url(path))
        .header("cookie", cookie);
    if let Some(token) = csrf {
        rb = rb.header("x-csrf-token", token);
    }
    rb.json(&json!({"name": "from the browser"}))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn sign_in_sessions_csrf_and_sign_out() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        // The cookie is HttpOnly and SameSite=Strict.
        let r = app
            .client
            .post(app.url("/session"))
            .json(&json!({"username": "gbr.officer", "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let set_cookie = r.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(
            set_cookie.contains("HttpOnly")
                && set_cookie.contains("SameSite=Strict")
                && set_cookie.contains("Path=/"),
            "{set_cookie}"
        );
        let (cookie, csrf) = app.sign_in("gbr.officer").await;
        let b = |method: Method, path: &'static str, csrf: Option<&str>| {
            browser(&app, method, path, &cookie, csrf.map(str::to_owned))
        };
        let me: Value = b(Method::GET, "/me", None).await.json().await.unwrap();
        assert_eq!(me["user"]["username"], "gbr.officer");
        assert_eq!(me["csrf_token"], csrf.as_str());
        assert!(me["user"].get("password_hash").is_none());
        // State changes with the cookie need the CSRF token.
        let r = b(Method::POST, "/tokens", None).await;
        assert_eq!(r.status(), 403);
        let error: Value = r.json().await.unwrap();
        assert_eq!(error["error"], "csrf_token_invalid");
        assert_eq!(
            b(Method::POST, "/tokens", Some("wrong")).await.status(),
            403
        );
        assert_eq!(b(Method::POST, "/tokens", Some(&csrf)).await.status(), 201);
        // Sign out ends the session.
        assert_eq!(
            b(Method::DELETE, "/session", Some(&csrf)).await.status(),
            204
        );
        assert_eq!(b(Method::GET, "/me", None).await.status(), 401);
        // Wrong password and unknown user give the same answer.
        for (user, password) in [
            ("gbr.officer", "wrong password!"),
            ("nobody.here", PASSWORD),
            ("Not A Name", "x"),
        ] {
            assert_error(
                app.post(
                    "/session",
                    None,
                    &json!({"username": user, "password": password}),
                )
                .await,
                401,
                "bad_credentials",
            );
        }
        // A disabled user cannot sign in and their token stops working.
        let (status, _) = app
            .post("/users/observer/disable", Some("admin"), &json!({}))
            .await;
        assert_eq!(status, 200);
        let (status, _) = app
            .post(
                "/session",
                None,
                &json!({"username": "observer", "password": PASSWORD}),
            )
            .await;
        assert_eq!(status, 401);
        assert_eq!(app.get_json("/me", Some("observer")).await.0, 401);
        let (status, body) = app
            .post("/users/admin/disable", Some("admin"), &json!({}))
            .await;
        assert_eq!(status, 409, "{body}");
        app.finish().await;
    }
}

#[tokio::test]
async fn sign_in_attempts_are_rate_limited() {
    let app = spawn_app_with(&crate::helpers::Backend::Sqlite, |s| {
        s.sign_in_attempts_per_account = 3;
        s.sign_in_attempts_per_address = 5;
    })
    .await;
    let attempt = |user: &'static str, password: &'static str| {
        let app = &app;
        async move {
            let r = app
                .client
                .post(app.url("/session"))
                .json(&json!({"username": user, "password": password}))
                .send()
                .await
                .unwrap();
            (
                r.status().as_u16(),
                r.headers().get("retry-after").is_some(),
            )
        }
    };
    for _ in 0..3 {
        assert_eq!(attempt("planner", "wrong password!").await.0, 401);
    }
    // The account is locked for now, even with the right password.
    assert_eq!(attempt("planner", PASSWORD).await, (429, true));
    // Another account from the same address works until the address limit.
    assert_eq!(attempt("admin", PASSWORD).await.0, 200);
    assert_eq!(attempt("observer", "wrong password!").await.0, 429);
    app.finish().await;
}

#[tokio::test]
async fn api_tokens_are_shown_once_and_revocable() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        let (status, made) = app
            .post("/tokens", Some("monitor"), &json!({"name": "sensor feed"}))
            .await;
        assert_eq!(status, 201, "{made}");
        let secret = made["secret"].as_str().unwrap().to_owned();
        let id = made["token"]["id"].as_i64().unwrap();
        let me = app
            .client
            .get(app.url("/me"))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), 200);
        // Lists never show secrets or hashes; users see their own tokens only.
        let (_, list) = app.get_json("/tokens", Some("monitor")).await;
        assert!(!list.to_string().contains(&secret));
        assert!(list["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|t| t["username"] == "monitor"));
        let (_, all) = app.get_json("/tokens", Some("admin")).await;
        assert!(all["total"].as_u64().unwrap() > list["total"].as_u64().unwrap());
        // Another user's token is not theirs to revoke.
        let (status, _) = app.delete(&format!("/tokens/{id}"), Some("observer")).await;
        assert_eq!(status, 404);
        let (status, _) = app.delete(&format!("/tokens/{id}"), Some("monitor")).await;
        assert_eq!(status, 200);
        let me = app
            .client
            .get(app.url("/me"))
            .bearer_auth(&secret)
            .send()
            .await
            .unwrap();
        assert_eq!(me.status(), 401);
        // A bad token is an error, not a silent sign-out.
        let r = app
            .client
            .get(app.url("/offers"))
            .bearer_auth("coa_nonsense")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        assert_error(
            app.post("/tokens", Some("monitor"), &json!({"name": ""}))
                .await,
            422,
            "invalid_token_name",
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn offers_are_managed_by_their_nation_with_versions_and_sources() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        let new = json!({"id": "GBR-90", "nation": "GBR", "capability": "LAND.INF.BN", "units": 2,
            "from_week": 0, "to_week": 50, "notice_weeks": 2, "tour_weeks": 26, "dwell_weeks": 52,
            "roe": "robust", "status": "offered", "cost_per_unit_week": 120, "sources": ["EX-FSC-2"],
            "releasability": "nation"});
        let (status, body) = app.post("/offers", Some("gbr.officer"), &new).await;
        assert_eq!(status, 201, "{body}");
        assert_eq!(body["version"], 1);
        assert_eq!(body["offer"]["history"][0]["recorded_by"], "gbr.officer");
        let (status, _) = app.post("/offers", Some("gbr.officer"), &new).await;
        assert_eq!(status, 409);
        let mut french = new.clone();
        french["id"] = json!("FRA-90");
        french["nation"] = json!("FRA");
        let (status, _) = app.post("/offers", Some("gbr.officer"), &french).await;
        assert_eq!(status, 403);
        // Every mistake with its path.
        let mut bad = new.clone();
        bad["id"] = json!("GBR-91");
        bad["units"] = json!(-3);
        bad["roe"] = json!("nuclear");
        let body = assert_error(
            app.post("/offers", Some("gbr.officer"), &bad).await,
            422,
            "invalid_offer",
        );
        let message = body["message"].as_str().unwrap();
        assert!(
            message.contains("offer.units") && message.contains("offer.roe"),
            "{message}"
        );
        let mut unknown = new.clone();
        unknown["id"] = json!("GBR-92");
        unknown["capability"] = json!("SPACE.LASER");
        assert_error(
            app.post("/offers", Some("planner"), &unknown).await,
            422,
            "invalid_change",
        );

        // Restricted: FRA's officer does not see it, in lists or alone.
        let (status, _) = app.get_json("/offers/GBR-90", Some("fra.officer")).await;
        assert_eq!(status, 404);
        let (_, list) = app
            .get_json("/offers?nation=GBR&per_page=500", Some("fra.officer"))
            .await;
        assert!(!list.to_string().contains("GBR-90"));
        let (_, list) = app
            .get_json("/offers?nation=GBR&per_page=500", Some("gbr.officer"))
            .await;
        assert!(list.to_string().contains("GBR-90"));

        // Update with the current version; a stale version conflicts and changes nothing.
        let mut changed = new.clone();
        changed["units"] = json!(3);
        let (status, body) = app
            .put(
                "/offers/GBR-90",
                Some("gbr.officer"),
                &json!({"version": 1, "offer": changed}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(
            (body["version"].as_i64(), body["offer"]["units"].as_i64()),
            (Some(2), Some(3))
        );
        changed["units"] = json!(9);
        assert_error(
            app.put(
                "/offers/GBR-90",
                Some("gbr.officer"),
                &json!({"version": 1, "offer": changed}),
            )
            .await,
            409,
            "version_conflict",
        );
        let (_, now) = app.get_json("/offers/GBR-90", Some("planner")).await;
        assert_eq!(now["offer"]["units"], 3);

        // Status changes need a known source and follow the lifecycle.
        let change = |body: Value| {
            let app = &app;
            async move {
                app.post("/offers/GBR-90/status", Some("gbr.officer"), &body)
                    .await
            }
        };
        let sc = |version: i64, status: &str, source: &str| json!({"version": version, "status": status, "source": source});
        assert_error(
            change(json!({"version": 2, "status": "confirmed"})).await,
            422,
            "invalid_json",
        );
        assert_error(
            change(sc(2, "confirmed", "NO-SUCH")).await,
            422,
            "invalid_change",
        );
        let (status, body) = change(sc(2, "confirmed", "EX-FSC-2")).await;
        assert_eq!(status, 200, "{body}");
        assert_eq!(body["offer"]["status"], "confirmed");
        assert_error(
            change(sc(2, "deployed", "EX-FSC-2")).await,
            409,
            "version_conflict",
        );
        assert_error(
            change(sc(3, "bogus", "EX-FSC-2")).await,
            422,
            "invalid_status",
        );

        // Every change is on record with who made it and the request it came in.
        let (status, audit) = app
            .get_json("/audit?entity_kind=offer&entity_id=GBR-90", Some("planner"))
            .await;
        assert_eq!(status, 200);
        let actions: Vec<&str> = audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(actions, ["offer.create", "offer.update", "offer.status"]);
        assert!(audit["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["actor"] == "gbr.officer" && e["source_ref"].is_string()));
        let (_, theirs) = app
            .get_json(
                "/audit?entity_kind=offer&entity_id=GBR-90",
                Some("fra.officer"),
            )
            .await;
        assert_eq!(theirs["total"], 0, "FRA reads GBR's restricted audit rows");
        app.finish().await;
    }
}

#[tokio::test]
async fn reads_are_filtered_by_releasability() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        let fra = restricted_offer(&app, "FRA").await;
        // Signed out: public records only, through the same endpoints.
        let (status, commitments) = app.get_json("/commitments?per_page=500", None).await;
        assert_eq!(status, 200);
        let items = commitments["items"].as_array().unwrap();
        assert!(!items.is_empty() && items.iter().all(|c| c["releasability"] == "public"));
        let (_, all) = app
            .get_json("/commitments?per_page=500", Some("observer"))
            .await;
        assert!(all["total"].as_u64() > commitments["total"].as_u64());
        let (_, offers) = app.get_json("/offers?per_page=500", None).await;
        assert_eq!(offers["total"], 0);
        let (status, _) = app.get_json("/requirements", None).await;
        assert_eq!(status, 401);
        // Filters and pagination.
        let (_, page) = app
            .get_json("/offers?nation=FRA&per_page=2&page=2", Some("planner"))
            .await;
        assert_eq!(page["items"].as_array().unwrap().len(), 2);
        assert!(page["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["nation"] == "FRA"));
        let (_, march) = app
            .get_json(
                "/commitments?from=2025-03-15&to=2025-03-17&kind=statement",
                Some("planner"),
            )
            .await;
        assert!(march["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["kind"] == "statement"));
        assert!(march["total"].as_u64().unwrap() >= 1);
        for bad in [
            "/offers?status=sleeping",
            "/offers?nation=gb",
            "/offers?per_page=100000",
            "/commitments?from=yesterday",
            "/offers?page=x",
        ] {
            assert_error(app.get_json(bad, Some("planner")).await, 400, "bad_request");
        }
        // The nation page and the scenario export hold only what the caller may see.
        let (_, nation) = app.get_json("/nations/FRA", Some("gbr.officer")).await;
        assert!(!nation.to_string().contains(&format!("\"{fra}\"")));
        let (_, nation) = app.get_json("/nations/FRA", Some("fra.officer")).await;
        assert!(nation.to_string().contains(&format!("\"{fra}\"")));
        let export = app
            .request(Method::GET, "/scenario", Some("gbr.officer"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!export.contains(&format!("\"{fra}\"")));
        domain::Scenario::parse(&export).unwrap();
        let export = app
            .request(Method::GET, "/scenario", None)
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let public = domain::Scenario::parse(&export).unwrap();
        assert!(public.offers().is_empty() && public.requirements().is_empty());
        app.finish().await;
    }
}

#[tokio::test]
async fn plans_run_as_jobs_and_hide_other_nations_restricted_offers() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        let (status, body) = app
            .post(
                "/plan-jobs",
                Some("planner"),
                &json!({"time_limit_seconds": 1.0, "withdraw": ["ITA"]}),
            )
            .await;
        assert_eq!(status, 202, "{body}");
        let job = wait_for_job(&app, body["id"].as_i64().unwrap()).await;
        assert_eq!(job["state"], "done", "{job}");
        let plan_id = job["plan_id"].as_i64().unwrap();
        let full = app
            .request(Method::GET, &format!("/plans/{plan_id}"), Some("planner"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let plan: Value = serde_json::from_str(&full).unwrap();
        assert_eq!(plan["options"]["withdraw"], json!(["ITA"]));
        // An FRA restricted offer the plan uses is hidden from GBR, shown to FRA.
        let hidden: Vec<String> = app
            .store
            .offers(&Viewer::Everything, &OfferFilter::default())
            .await
            .unwrap()
            .into_iter()
            .filter(|o| {
                o.nation.as_str() == "FRA"
                    && o.releasability == domain::access::Releasability::Nation
            })
            .map(|o| o.id.to_string())
            .collect();
        let used: Vec<&String> = hidden
            .iter()
            .filter(|id| full.contains(&format!("\"{id}\"")))
            .collect();
        let gbr = app
            .request(
                Method::GET,
                &format!("/plans/{plan_id}"),
                Some("gbr.officer"),
            )
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let fra = app
            .request(
                Method::GET,
                &format!("/plans/{plan_id}"),
                Some("fra.officer"),
            )
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        for id in &used {
            assert!(!gbr.contains(&format!("\"{id}\"")), "{id} shown to GBR");
            assert!(fra.contains(&format!("\"{id}\"")), "{id} hidden from FRA");
        }
        if !used.is_empty() {
            assert!(gbr.contains("\"restricted\""));
        }
        let (status, list) = app.get_json("/plans", Some("observer")).await;
        assert_eq!((status, list["total"].as_u64()), (200, Some(1)));
        // Options are checked before a job starts.
        for bad in [
            json!({"withdraw": ["XXX"]}),
            json!({"time_limit_seconds": 0}),
            json!({"min_status": "maybe"}),
            json!({"assume": {"Bad Name": true}}),
            json!({"grow": {"NO-SUCH-REQ": 2}}),
        ] {
            assert_error(
                app.post("/plan-jobs", Some("planner"), &bad).await,
                422,
                "invalid_plan_options",
            );
        }
        let (status, _) = app.get_json("/plans/999999", Some("planner")).await;
        assert_eq!(status, 404);
        app.finish().await;
    }
}

#[tokio::test]
async fn scenario_import_users_and_audit() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        let scenario: Value = serde_json::from_str(&testkit::exercise_text()).unwrap();
        assert_error(
            app.put("/scenario", Some("planner"), &scenario).await,
            409,
            "conflict",
        );
        let (status, body) = app
            .put("/scenario?mode=replace", Some("planner"), &scenario)
            .await;
        assert_eq!(status, 201, "{body}");
        let mut broken = scenario.clone();
        broken["offers"][0]["nation"] = json!("ZZZ");
        let body = assert_error(
            app.put("/scenario?mode=replace", Some("planner"), &broken)
                .await,
            422,
            "invalid_scenario",
        );
        assert!(
            body["message"].as_str().unwrap().contains("offers[0]"),
            "{body}"
        );
        let (status, _) = app
            .put("/scenario?mode=sideways", Some("planner"), &scenario)
            .await;
        assert_eq!(status, 400);

        assert_error(app.post("/users", Some("admin"), &json!({"username": "deu.officer", "role": "nation_officer", "nation": "DEU", "password": "short"}))
            .await, 422, "weak_password");
        assert_error(app.post("/users", Some("admin"), &json!({"username": "deu.officer", "role": "nation_officer", "password": "long enough password"}))
            .await, 422, "invalid_change");
        let (status, body) = app.post("/users", Some("admin"), &json!({"username": "deu.officer", "role": "nation_officer", "nation": "DEU", "password": "long enough password"}))
            .await;
        assert_eq!(status, 201, "{body}");
        let (status, _) = app
            .post(
                "/session",
                None,
                &json!({"username": "deu.officer", "password": "long enough password"}),
            )
            .await;
        assert_eq!(status, 200);
        let (_, users) = app.get_json("/users", Some("admin")).await;
        assert!(!users.to_string().contains("argon2"));

        let (status, audit) = app
            .get_json("/audit?action=scenario.replace", Some("planner"))
            .await;
        assert_eq!((status, audit["total"].as_u64()), (200, Some(1)));
        // Pages cut one oldest-first list, and each gives the whole list's total.
        let (_, whole) = app.get_json("/audit?per_page=500", Some("admin")).await;
        let (status, page) = app
            .get_json("/audit?per_page=2&page=2", Some("admin"))
            .await;
        assert_eq!(status, 200, "{page}");
        let all = whole["items"].as_array().unwrap();
        assert!(all.len() > 5, "{whole}");
        assert_eq!(page["items"].as_array().unwrap()[..], all[2..4]);
        assert_eq!(
            (page["total"].clone(), page["page"].clone()),
            (whole["total"].clone(), json!(2))
        );
        let seqs: Vec<i64> = all.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
        assert!(seqs.windows(2).all(|w| w[0] < w[1]), "{seqs:?}");
        assert_error(
            app.get_json("/audit?page=0", Some("admin")).await,
            400,
            "bad_request",
        );
        let (_, verify) = app.get_json("/audit/verify", Some("admin")).await;
        assert_eq!(verify["broken"], Value::Null, "{verify}");
        assert!(verify["rows"].as_i64().unwrap() > 5);
        app.finish().await;
    }
}

#[tokio::test]
async fn errors_have_one_shape_and_every_response_its_security_headers() {
    let app = spawn_app_with(&crate::helpers::Backend::Sqlite, |s| {
        s.max_body_bytes = 64 * 1024
    })
    .await;
    let send = |rb: reqwest::RequestBuilder| async move {
        let r = rb.send().await.unwrap();
        let headers = r.headers().clone();
        for (h, v) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
        ] {
            assert_eq!(headers.get(h).and_then(|v| v.to_str().ok()), Some(v), "{h}");
        }
        let csp = headers["content-security-policy"]
            .to_str()
            .unwrap()
            .to_owned();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{csp}"
        );
        (
            r.status().as_u16(),
            r.json::<Value>().await.unwrap_or(Value::Null),
        )
    };
    let token = app.tokens["planner"].clone();
    let post = |path: &str| app.client.post(app.url(path)).bearer_auth(&token);
    let cases: Vec<(reqwest::RequestBuilder, u16, &str)> = vec![
        (post("/offers").header("content-type", "application/json").body("{\"id\": "), 422, "invalid_json"),
        (post("/offers").header("content-type", "application/json").body("[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[["), 422, "invalid_json"),
        (post("/offers").header("content-type", "text/plain").body("{}"), 415, "unsupported_media_type"),
        (post("/offers").header("content-type", "application/json").body(vec![b' '; 200 * 1024]), 413, "payload_too_large"),
        (post("/offers").header("content-type", "application/json").body(vec![0xff, 0xfe, 0x00]), 422, "invalid_json"),
        (app.client.get(app.url("/no/such/route")), 404, "not_found"),
        (app.client.patch(app.url("/offers")), 405, "method_not_allowed"),
        (app.client.get(app.url("/offers/%00bad")), 400, "bad_request"),
        (app.client.get(app.url("/offers/GBR-01';DROP TABLE offers;--")), 400, "bad_request"),
        (app.client.get(app.url("/plans/1")).bearer_auth(&token), 404, "not_found"),
        (app.client.get(app.url("/me")).header("authorization", "Basic eDp5"), 401, "unauthenticated"),
    ];
    for (i, (rb, want, code)) in cases.into_iter().enumerate() {
        let (status, body) = send(rb).await;
        assert_eq!(
            (status, body["error"].as_str()),
            (want, Some(code)),
            "case {i}: {body}"
        );
        assert!(body["message"].is_string(), "case {i}");
    }
    let (status, _) = send(app.client.get(app.url("/health"))).await;
    assert_eq!(status, 200);
    // Nothing stored changed.
    let (_, offers) = app.get_json("/offers?per_page=1", Some("planner")).await;
    assert_eq!(offers["total"], 197);
    app.finish().await;
}

#[tokio::test]
async fn the_served_openapi_document_is_the_committed_one() {
    let app = spawn_app_with(&crate::helpers::Backend::Sqlite, |_| {}).await;
    let served = app
        .client
        .get(app.url("/openapi.json"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(served, server::openapi_json());
    let committed = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../docs/openapi.json"
    ))
    .unwrap_or_default();
    assert!(
        committed.trim_end() == served.trim_end(),
        "docs/openapi.json differs from the code: run `cargo run -- openapi > docs/openapi.json`"
    );
    app.finish().await;
}

/// Many clients change one offer at once, each from the version it read: per version exactly
/// one wins and the others get `409 version_conflict`; no update is lost (the stored offer is
/// the last winner's), every win is on the audit record once, and the chain stays intact.
#[tokio::test]
async fn concurrent_updates_of_one_offer_never_lose_an_update() {
    const CLIENTS: i64 = 12;
    const ROUNDS: i64 = 6;
    for backend in backends() {
        let app = spawn_app(&backend).await;
        let offer = json!({"id": "GBR-95", "nation": "GBR", "capability": "LAND.INF.BN",
            "units": 1, "from_week": 0, "to_week": 50, "notice_weeks": 2, "tour_weeks": 26,
            "dwell_weeks": 52, "roe": "robust", "status": "offered", "cost_per_unit_week": 120,
            "sources": ["EX-FSC-2"], "releasability": "coalition"});
        let (status, body) = app.post("/offers", Some("gbr.officer"), &offer).await;
        assert_eq!(status, 201, "{body}");
        let mut version = 1;
        let mut wins = 0;
        for round in 0..ROUNDS {
            // Every client starts from the same version with its own number of units.
            let attempts = (0..CLIENTS).map(|c| {
                let mut changed = offer.clone();
                changed["units"] = json!(100 * (round + 1) + c);
                let user = if c % 2 == 0 { "gbr.officer" } else { "planner" };
                let body = json!({"version": version, "offer": changed});
                let app = &app;
                async move { (c, app.put("/offers/GBR-95", Some(user), &body).await) }
            });
            let results = futures_util::future::join_all(attempts).await;
            let winners: Vec<i64> = results
                .iter()
                .filter(|(_, (status, _))| *status == 200)
                .map(|(c, _)| *c)
                .collect();
            assert_eq!(
                winners.len(),
                1,
                "round {round} on {}: {results:?}",
                backend.name()
            );
            for (_, (status, body)) in &results {
                if *status != 200 {
                    assert_eq!(
                        (*status, body["error"].as_str()),
                        (409, Some("version_conflict")),
                        "{body}"
                    );
                }
            }
            version += 1;
            wins += 1;
            let (_, now) = app.get_json("/offers/GBR-95", Some("planner")).await;
            assert_eq!(now["version"], version);
            assert_eq!(now["offer"]["units"], 100 * (round + 1) + winners[0]);
        }
        // Status changes race the same way.
        let attempts = (0..CLIENTS).map(|_| {
            let body = json!({"version": version, "status": "confirmed", "source": "EX-FSC-2"});
            let app = &app;
            async move {
                app.post("/offers/GBR-95/status", Some("gbr.officer"), &body)
                    .await
            }
        });
        let results = futures_util::future::join_all(attempts).await;
        assert_eq!(results.iter().filter(|(s, _)| *s == 200).count(), 1);
        assert!(
            results
                .iter()
                .all(|(s, b)| *s == 200 || (*s == 409 && b["error"] == "version_conflict")),
            "{results:?}"
        );
        wins += 1;

        let (status, audit) = app
            .get_json("/audit?entity_kind=offer&entity_id=GBR-95", Some("planner"))
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            audit["total"],
            1 + wins,
            "one audit row per accepted change: {audit}"
        );
        let (_, verify) = app.get_json("/audit/verify", Some("admin")).await;
        assert_eq!(verify["broken"], Value::Null, "{verify}");
        app.finish().await;
    }
}
