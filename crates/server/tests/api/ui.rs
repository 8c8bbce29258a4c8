//! The web UI as a browser without JavaScript sees it: which pages each role may open (walked
//! from the UI's own page table), what a nation officer can never see, and the forms with
//! their CSRF tokens, inline validation and escaping.

use reqwest::redirect::Policy;
use reqwest::StatusCode;
use serde_json::json;
use store::{OfferFilter, Store, Viewer};

use crate::flows::wait_for_job;
use crate::helpers::{backends, spawn_app, TestApp, PASSWORD, USERS};

/// A browser that keeps no cookies of its own and does not follow redirects, so each answer
/// is seen as sent.
pub(crate) struct Browser {
    pub(crate) client: reqwest::Client,
    pub(crate) base: String,
    pub(crate) cookie: Option<String>,
}

impl Browser {
    pub(crate) fn new(app: &TestApp) -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(Policy::none())
                .build()
                .unwrap(),
            base: app.api.trim_end_matches("/api/v1").to_owned(),
            cookie: None,
        }
    }

    /// Signs in through the sign-in form, as a person would.
    pub(crate) async fn signed_in(app: &TestApp, user: &str) -> Self {
        let mut b = Self::new(app);
        let r = b
            .client
            .post(format!("{}/sign-in", b.base))
            .form(&[("username", user), ("password", PASSWORD)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "sign-in as {user}");
        b.cookie = Some(crate::helpers::session_cookie(&r));
        b
    }

    pub(crate) async fn get(&self, path: &str) -> (StatusCode, String, Option<String>) {
        let mut rb = self.client.get(format!("{}{path}", self.base));
        if let Some(c) = &self.cookie {
            rb = rb.header("cookie", c);
        }
        let r = rb.send().await.unwrap();
        let status = r.status();
        let location = r
            .headers()
            .get("location")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, r.text().await.unwrap(), location)
    }

    pub(crate) async fn post(&self, path: &str, fields: &[(&str, &str)]) -> (StatusCode, String) {
        let mut rb = self
            .client
            .post(format!("{}{path}", self.base))
            .form(fields);
        if let Some(c) = &self.cookie {
            rb = rb.header("cookie", c);
        }
        let r = rb.send().await.unwrap();
        (r.status(), r.text().await.unwrap())
    }

    /// The CSRF token the page frame carries for this session.
    pub(crate) async fn csrf(&self) -> String {
        let (_, page, _) = self.get("/").await;
        let marker = "name=\"csrf-token\" content=\"";
        let at = page.find(marker).unwrap() + marker.len();
        page[at..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect()
    }
}

/// `<script>alert('x')</script>` as the pages must show it.
const ESCAPED: &str = "&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;";

/// Does `body` name `id` as a whole word (so `FRA-1` is not found in `FRA-15`)?
fn mentions(body: &str, id: &str) -> bool {
    body.match_indices(id).any(|(at, _)| {
        let before = body[..at].chars().next_back();
        let after = body[at + id.len()..].chars().next();
        !before.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-')
            && !after.is_some_and(|c| c.is_ascii_alphanumeric())
    })
}

async fn restricted_offers(app: &TestApp, nation: &str) -> Vec<String> {
    app.store
        .offers(&Viewer::Everything, &OfferFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|o| {
            o.nation.as_str() == nation && o.releasability == domain::access::Releasability::Nation
        })
        .map(|o| o.id.to_string())
        .collect()
}

/// Runs a plan through the API as the planner; returns (job id, plan id).
pub(crate) async fn make_plan(app: &TestApp) -> (i64, i64) {
    let (status, body) = app
        .post(
            "/plan-jobs",
            Some("planner"),
            &json!({"time_limit_seconds": 1.0}),
        )
        .await;
    assert_eq!(status, 202, "{body}");
    let job_id = body["id"].as_i64().unwrap();
    let job = wait_for_job(app, job_id).await;
    assert_eq!(job["state"], "done", "{job}");
    (job_id, job["plan_id"].as_i64().unwrap())
}

/// Releases an offer to the public, as a planner would.
async fn make_public(app: &TestApp, id: &str) {
    let id = domain::ids::OfferId::parse(id).unwrap();
    let current = app.store.offer(&Viewer::Everything, &id).await.unwrap();
    let mut offer = current.value;
    offer.releasability = domain::access::Releasability::Public;
    app.store
        .update_offer(&offer, current.version, &store::Actor::new("planner"))
        .await
        .unwrap();
}

/// What the page table's access word means for a role.
fn may_open(access: &str, user: Option<&str>) -> bool {
    let role = user.map(|u| USERS.iter().find(|(n, _, _)| *n == u).unwrap().1);
    use domain::access::Role::*;
    match access {
        "anyone" => true,
        "signed in" => role.is_some(),
        "offer managers" => matches!(role, Some(Admin | Planner | NationOfficer)),
        "coalition HQ" => matches!(role, Some(Admin | Planner)),
        "audit readers" => matches!(role, Some(Admin | Planner | NationOfficer)),
        other => panic!("the page table uses an access word this test does not know: {other}"),
    }
}

#[tokio::test]
async fn every_page_answers_each_role_as_the_page_table_says() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        let (_, plan_id) = make_plan(&app).await;
        make_public(&app, "GBR-04").await;
        // One incident, seen by a patrol.
        let (status, body) = app
            .post(
                "/observations",
                Some("monitor"),
                &json!({"observations": [{"id": "UI-1", "observed_from": "181200ZMAR25",
                    "observed_to": "181205ZMAR25", "reported": "181300ZMAR25", "observer": "patrol",
                    "location": {"type": "point", "lat": 48.0, "lon": 38.0, "radius_m": 100},
                    "kind": "shelling", "count": {"low": 1, "best": 1, "high": 1},
                    "text": "<script>alert('x')</script>"}]}),
            )
            .await;
        assert_eq!(status, 200, "{body}");
        let mut users: Vec<Option<&str>> = vec![None];
        users.extend(USERS.iter().map(|(n, _, _)| Some(*n)));
        for user in users {
            let browser = match user {
                Some(u) => Browser::signed_in(&app, u).await,
                None => Browser::new(&app),
            };
            for (method, path, access) in server::web::PAGES {
                assert_eq!(*method, "GET");
                let path = path.replace("{code}", "GBR").replace(
                    "{id}",
                    if path.starts_with("/plans") {
                        ""
                    } else if path.starts_with("/commitments") {
                        "PUB-2025-03-02-GBR-EXPORT-FINANCE"
                    } else if path.starts_with("/incidents") {
                        "1"
                    } else {
                        "GBR-04"
                    },
                );
                let path = if path == "/plans/" {
                    format!("/plans/{plan_id}")
                } else {
                    path
                };
                let (status, body, location) = browser.get(&path).await;
                let who = user.unwrap_or("signed out");
                if path == "/sign-in" && user.is_some() {
                    // Already signed in: the sign-in page sends you on.
                    assert_eq!(status, StatusCode::SEE_OTHER, "{who} on {path}");
                    assert_eq!(location.as_deref(), Some("/"), "{who} on {path}");
                } else if may_open(access, user) {
                    assert_eq!(status, StatusCode::OK, "{who} on {path}: {body}");
                    assert!(body.starts_with("<!doctype html>"), "{who} on {path}");
                    assert!(body.contains("<title>"), "{who} on {path}");
                    assert!(body.contains("<main id=\"main\">"), "{who} on {path}");
                } else if user.is_none() {
                    assert_eq!(status, StatusCode::SEE_OTHER, "{who} on {path}");
                    assert_eq!(location.as_deref(), Some("/sign-in"), "{who} on {path}");
                } else {
                    assert_eq!(status, StatusCode::FORBIDDEN, "{who} on {path}");
                    assert!(body.contains("forbidden"), "{who} on {path}: {body}");
                }
            }
        }
        // Unknown pages and records are 404 pages, not panics or blank answers.
        let planner = Browser::signed_in(&app, "planner").await;
        for path in [
            "/no-such-page",
            "/offers/XXX-99",
            "/nations/XXX",
            "/plans/999999",
        ] {
            let (status, body, _) = planner.get(path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(body.contains("not_found"), "{path}: {body}");
        }
        let (status, _, _) = planner.get("/offers/not%20an%20id").await;
        assert!(status.is_client_error(), "{status}");
        app.finish().await;
    }
}

#[tokio::test]
async fn a_nation_officer_never_sees_another_nations_restricted_offer_on_any_page() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        let (job_id, plan_id) = make_plan(&app).await;
        let fra = restricted_offers(&app, "FRA").await;
        assert!(!fra.is_empty(), "the exercise has restricted French offers");
        let pages = [
            "/".to_owned(),
            "/nations".to_owned(),
            "/nations/FRA".to_owned(),
            "/offers".to_owned(),
            "/offers?nation=FRA".to_owned(),
            "/offers?q=FRA".to_owned(),
            "/requirements".to_owned(),
            "/plan".to_owned(),
            format!("/plans/{plan_id}"),
            "/map".to_owned(),
            "/map/data.json".to_owned(),
            "/timeline".to_owned(),
            "/audit".to_owned(),
            "/report".to_owned(),
            "/burden".to_owned(),
            "/open-data".to_owned(),
            "/monitoring".to_owned(),
        ];
        let gbr = Browser::signed_in(&app, "gbr.officer").await;
        let planner = Browser::signed_in(&app, "planner").await;
        let fra_officer = Browser::signed_in(&app, "fra.officer").await;
        let mut seen_by_planner = 0;
        for path in &pages {
            let (status, body, _) = gbr.get(path).await;
            assert!(status.is_success(), "GBR on {path}: {status}");
            for id in &fra {
                assert!(!mentions(&body, id), "GBR sees {id} on {path}");
            }
            let (_, all, _) = planner.get(path).await;
            seen_by_planner += fra.iter().filter(|id| mentions(&all, id)).count();
        }
        // Planner runs are coalition HQ's: their progress pages are closed to officers.
        let (status, _, _) = gbr.get(&format!("/plan/jobs/{job_id}")).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // The check above can fail: the same pages do show these offers to those allowed.
        assert!(seen_by_planner > 0);
        let (_, french, _) = fra_officer.get("/offers?nation=FRA").await;
        assert!(fra.iter().all(|id| mentions(&french, id)));
        // The plan shows the restricted contribution by capability and size only.
        let (_, plan_page, _) = gbr.get(&format!("/plans/{plan_id}")).await;
        let (_, plan_full, _) = planner.get(&format!("/plans/{plan_id}")).await;
        if fra.iter().any(|id| mentions(&plan_full, id)) {
            assert!(plan_page.contains("restricted"));
        }
        for id in &fra {
            let (status, body, _) = gbr.get(&format!("/offers/{id}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{id}: {body}");
            assert!(!mentions(&body, id) || body.contains("not found"), "{id}");
        }
        // Signed out, the public view hides every restricted and coalition offer.
        let public = Browser::new(&app);
        let (_, offers, _) = public.get("/offers").await;
        let (_, map, _) = public.get("/map/data.json").await;
        for id in fra
            .iter()
            .chain(restricted_offers(&app, "GBR").await.iter())
        {
            assert!(
                !mentions(&offers, id) && !mentions(&map, id),
                "public sees {id}"
            );
        }
        app.finish().await;
    }
}

#[tokio::test]
async fn forms_need_their_csrf_token_validate_inline_and_escape_what_they_show() {
    for backend in backends() {
        let app = spawn_app(&backend).await;
        let gbr = Browser::signed_in(&app, "gbr.officer").await;
        let csrf = gbr.csrf().await;
        let (_, page, _) = gbr.get("/offers/GBR-05").await;
        let marker = "name=\"version\" value=\"";
        let at = page.find(marker).unwrap() + marker.len();
        let version: String = page[at..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();

        // Without the token, or with another, nothing changes.
        for token in ["", "0000"] {
            let (status, body) = gbr
                .post(
                    "/offers/GBR-05/status",
                    &[
                        ("_csrf", token),
                        ("version", &version),
                        ("status", "confirmed"),
                        ("source", "EX-FSC-1"),
                    ],
                )
                .await;
            assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
            assert!(body.contains("csrf"), "{body}");
        }
        // A status change without a source is refused with a message beside the form.
        let (status, body) = gbr
            .post(
                "/offers/GBR-05/status",
                &[
                    ("_csrf", &csrf),
                    ("version", &version),
                    ("status", "confirmed"),
                    ("source", ""),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(body.contains("id=\"status-error\""), "{body}");
        assert!(body.contains("needs its source"), "{body}");
        let before = app.get_json("/offers/GBR-05", Some("planner")).await.1;
        assert_ne!(before["offer"]["status"], "confirmed");
        // With its source it is recorded, with who and on whose word.
        let (status, body) = gbr
            .post(
                "/offers/GBR-05/status",
                &[
                    ("_csrf", &csrf),
                    ("version", &version),
                    ("status", "confirmed"),
                    ("source", "EX-FSC-1"),
                    ("note", "confirmed at the force sensing conference"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        let after = app.get_json("/offers/GBR-05", Some("planner")).await.1;
        assert_eq!(after["offer"]["status"], "confirmed");
        let last = after["offer"]["history"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()
            .clone();
        assert_eq!(
            (last["recorded_by"].as_str(), last["source"].as_str()),
            (Some("gbr.officer"), Some("EX-FSC-1"))
        );
        // The same stale version now conflicts.
        let (status, _) = gbr
            .post(
                "/offers/GBR-05/status",
                &[
                    ("_csrf", &csrf),
                    ("version", &version),
                    ("status", "deployed"),
                    ("source", "EX-FSC-1"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT);

        // A new offer with mistakes comes back with each field's message, and nothing stored.
        let bad = [
            ("_csrf", csrf.as_str()),
            ("id", "GBR-90"),
            ("nation", "GBR"),
            ("capability", "LAND.INF.BN"),
            ("status", "offered"),
            ("units", "-3"),
            ("from_week", "0"),
            ("to_week", "52"),
            ("notice_weeks", "2"),
            ("tour_weeks", "26"),
            ("dwell_weeks", "abc"),
            ("roe", "robust"),
            ("cost_per_unit_week", "100"),
            ("sources", "EX-FSC-1"),
            ("releasability", "coalition"),
            ("notes", "<script>alert('x')</script>"),
        ];
        let (status, body) = gbr.post("/offers", &bad).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert!(body.contains("id=\"o-units-error\""), "{body}");
        assert!(body.contains("id=\"o-dwell_weeks-error\""), "{body}");
        assert!(body.contains("aria-invalid=\"true\""));
        assert!(!body.contains("<script>alert"), "the typed text is escaped");
        assert!(
            body.contains(ESCAPED),
            "the typed text is kept, escaped: {body}"
        );
        assert_eq!(app.get_json("/offers/GBR-90", Some("planner")).await.0, 404);
        // Corrected, it is stored, and its notes are shown escaped.
        let good: Vec<(&str, &str)> = bad
            .iter()
            .map(|(k, v)| match *k {
                "units" => (*k, "3"),
                "dwell_weeks" => (*k, "26"),
                _ => (*k, *v),
            })
            .collect();
        let (status, body) = gbr.post("/offers", &good).await;
        assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
        let (_, page, _) = gbr.get("/offers/GBR-90").await;
        assert!(!page.contains("<script>alert"));
        assert!(page.contains(ESCAPED), "{page}");
        // An officer cannot add another nation's offer.
        let french: Vec<(&str, &str)> = good
            .iter()
            .map(|(k, v)| match *k {
                "id" => (*k, "FRA-90"),
                "nation" => (*k, "FRA"),
                _ => (*k, *v),
            })
            .collect();
        let (status, _) = gbr.post("/offers", &french).await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // Observers see no form and may not post one.
        let observer = Browser::signed_in(&app, "observer").await;
        let (_, page, _) = observer.get("/offers/GBR-05").await;
        assert!(!page.contains("id=\"status-form\""));
        let token = observer.csrf().await;
        let (status, _) = observer
            .post(
                "/offers/GBR-05/status",
                &[
                    ("_csrf", &token),
                    ("version", "2"),
                    ("status", "withdrawn"),
                    ("source", "EX-FSC-1"),
                ],
            )
            .await;
        assert_eq!(status, StatusCode::FORBIDDEN);
        // A wrong password on the sign-in form is an answer on the page, not a session.
        let anon = Browser::new(&app);
        let (status, body) = anon
            .post(
                "/sign-in",
                &[("username", "planner"), ("password", "not the password")],
            )
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert!(body.contains("role=\"alert\""), "{body}");
        // Signing out ends the session.
        let planner = Browser::signed_in(&app, "planner").await;
        let token = planner.csrf().await;
        let (status, _) = planner.post("/sign-out", &[("_csrf", &token)]).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let (status, _, location) = planner.get("/plan").await;
        assert_eq!(
            (status, location.as_deref()),
            (StatusCode::SEE_OTHER, Some("/sign-in"))
        );
        app.finish().await;
    }
}

#[tokio::test]
async fn what_if_grows_a_requirement_and_shows_the_larger_demand_beside_the_baseline() {
    let backend = &backends()[0];
    let app = spawn_app(backend).await;
    make_plan(&app).await;
    let planner = Browser::signed_in(&app, "planner").await;
    let csrf = planner.csrf().await;
    let (_, page, _) = planner.get("/what-if").await;
    assert!(page.contains("id=\"grow_requirement\""));
    let requirement = app
        .store
        .requirements(&Viewer::Everything, None)
        .await
        .unwrap()[0]
        .id
        .to_string();
    let mut rb = planner
        .client
        .post(format!("{}/what-if", planner.base))
        .form(&[
            ("_csrf", csrf.as_str()),
            ("grow_requirement", requirement.as_str()),
            ("grow_units", "4"),
            ("seconds", "1"),
        ]);
    rb = rb.header("cookie", planner.cookie.clone().unwrap());
    let r = rb.send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_owned();
    let job_id: i64 = location
        .trim_start_matches("/plan/jobs/")
        .split('?')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let job = wait_for_job(&app, job_id).await;
    assert_eq!(job["state"], "done", "{job}");
    let plan_id = job["plan_id"].as_i64().unwrap();
    let (status, page, _) = planner.get(&format!("/what-if?plan={plan_id}")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains(&format!("{requirement} needs 4 more unit(s) a week")),
        "{page}"
    );
    // The grown line's required unit-weeks are shown as baseline → variant.
    assert!(page.contains(" → "), "{page}");
    // The form remembers the growth it ran with.
    assert!(page.contains(&format!("value=\"{requirement}\" selected")));
    // A growth that is not a number is refused with the API's code.
    let (status, body) = planner
        .post(
            "/what-if",
            &[
                ("_csrf", &csrf),
                ("grow_requirement", &requirement),
                ("grow_units", "lots"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("invalid_plan_options"), "{body}");
    app.finish().await;
}

#[tokio::test]
async fn the_public_record_shows_the_seed_events_with_their_sources_and_stages_are_recorded_by_form(
) {
    let backend = &backends()[0];
    let app = spawn_app(backend).await;
    // Signed out: every public ledger entry is on the timeline, on its date, with its sources.
    let public = Browser::new(&app);
    let (status, page, _) = public.get("/timeline").await;
    assert_eq!(status, StatusCode::OK);
    let entries = app
        .store
        .commitments(&Viewer::Public, &store::CommitmentFilter::default())
        .await
        .unwrap();
    assert!(entries.len() >= 10, "the exercise's public record");
    for c in &entries {
        let line = page
            .lines()
            .find(|l| l.contains(&format!("href=\"/commitments/{}\"", c.id)))
            .unwrap_or_else(|| panic!("{} is not on the timeline", c.id));
        assert!(line.contains(&format!("datetime=\"{}\"", c.date)), "{line}");
        for s in &c.sources {
            assert!(
                line.contains(s.as_str()),
                "{} without its source {s}: {line}",
                c.id
            );
        }
    }
    assert!(
        !page.contains("EX-AID-NLD-WINTER"),
        "coalition entries stay hidden"
    );
    // As of 2 March 2025 the London meeting is known, the 15 March one is not yet.
    let (_, early, _) = public.get("/timeline?as_of=2025-03-02").await;
    assert!(early.contains("/commitments/PUB-2025-03-02-LONDON-MEETING"));
    assert!(!early.contains("/commitments/PUB-2025-03-15-VIRTUAL-MEETING"));
    // The UK deal's page, signed out: up to £1.6bn, in EUR with the rate used, with its source.
    let (status, deal, _) = public
        .get("/commitments/PUB-2025-03-02-GBR-EXPORT-FINANCE")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(deal.contains("up to 1600000000 GBP"), "{deal}");
    assert!(deal.contains("(ECB, 2025-02-28)") && deal.contains("WIRE-2025-03-02"));
    assert!(!deal.contains("id=\"stage-form\""));
    let (_, open, _) = public.get("/open-data").await;
    assert!(open.contains("PUB-2025-03-02-GBR-EXPORT-FINANCE") && !open.contains("EX-AID"));

    // HQ records the next stage of an entry through its form; without a source it is refused.
    let planner = Browser::signed_in(&app, "planner").await;
    let csrf = planner.csrf().await;
    let (_, page, _) = planner.get("/commitments/EX-FIN-CAN-DEMINING").await;
    assert!(page.contains("id=\"stage-form\""));
    let marker = "name=\"version\" value=\"";
    let at = page.find(marker).unwrap() + marker.len();
    let version: String = page[at..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let (status, body) = planner
        .post(
            "/commitments/EX-FIN-CAN-DEMINING/stages",
            &[
                ("_csrf", &csrf),
                ("version", &version),
                ("status", "delivered"),
                ("date", "2025-12-01"),
                ("source", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("id=\"stage-error\"") && body.contains("needs its source"));
    let (status, _) = planner
        .post(
            "/commitments/EX-FIN-CAN-DEMINING/stages",
            &[
                ("_csrf", &csrf),
                ("version", &version),
                ("status", "delivered"),
                ("date", "2025-12-01"),
                ("source", "EX-FSC-2"),
                ("note", "handed over"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page, _) = planner.get("/commitments/EX-FIN-CAN-DEMINING").await;
    assert!(page.contains("id=\"entry-status\">delivered<"), "{page}");
    assert!(page.contains("handed over"));
    // A GBR officer may not record Canada's stages.
    let gbr = Browser::signed_in(&app, "gbr.officer").await;
    let token = gbr.csrf().await;
    let (status, _) = gbr
        .post(
            "/commitments/EX-FIN-CAN-DEMINING/stages",
            &[
                ("_csrf", &token),
                ("status", "cancelled"),
                ("date", "2026-01-01"),
                ("source", "EX-FSC-2"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    // The burden page lists the contributors with Europe and the others.
    let (status, burden, _) = planner.get("/burden?as_of=2025-12-31").await;
    assert_eq!(status, StatusCode::OK, "{burden}");
    assert!(burden.contains("id=\"burden-table\"") && burden.contains("href=\"/nations/GBR\""));
    assert!(burden.contains("id=\"europe-eur\"") && burden.contains("(ECB, "));
    app.finish().await;
}

#[tokio::test]
async fn monitors_upload_observations_and_split_and_merge_incidents_through_forms() {
    let backend = &backends()[0];
    let app = spawn_app(backend).await;
    let monitor = Browser::signed_in(&app, "monitor").await;
    let csrf = monitor.csrf().await;
    let csv = "id,observed_from,observed_to,reported,observer,kind,count_best,lat,lon,radius_m,text\n\
               F-1,181030ZMAR25,181031ZMAR25,181100ZMAR25,patrol,shelling,3,48.0,38.0,200,<b>loud</b>\n\
               F-2,181030ZMAR25,181032ZMAR25,181100ZMAR25,fixed_camera,shelling,4,48.001,38.001,200,\n\
               F-3,181030ZMAR25,181031ZMAR25,181100ZMAR25,patrol,shelling,3,,,,\n";
    let (status, page) = monitor
        .post(
            "/monitoring",
            &[("_csrf", &csrf), ("format", "csv"), ("data", csv)],
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    assert!(
        page.contains("2 observation(s) recorded, 0 already known, 1 rejected"),
        "{page}"
    );
    assert!(page.contains("line 4 (F-3)"));
    let (status, page) = monitor
        .post(
            "/monitoring",
            &[
                ("_csrf", &csrf),
                ("format", "cot"),
                ("data", "<!DOCTYPE x []><event/>"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"upload-error\""));
    // The incident page: both observations, why they were joined, text escaped.
    let (status, page, _) = monitor.get("/incidents/1").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("id=\"split-form\"") && page.contains(">near<"),
        "{page}"
    );
    assert!(!page.contains("<b>loud</b>") && page.contains("&#60;b&#62;loud"));
    // Split needs a reason; with one, F-2 moves to incident 2; merging puts it back.
    let (status, page) = monitor
        .post(
            "/incidents/1/decide",
            &[
                ("_csrf", &csrf),
                ("action", "split"),
                ("observation", "F-2"),
                ("reason", ""),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.contains("id=\"decision-error\""));
    let (status, _) = monitor
        .post(
            "/incidents/1/decide",
            &[
                ("_csrf", &csrf),
                ("action", "split"),
                ("observation", "F-2"),
                ("reason", "two impacts"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(monitor.get("/incidents/2").await.0, StatusCode::OK);
    let (status, _) = monitor
        .post(
            "/incidents/1/decide",
            &[
                ("_csrf", &csrf),
                ("action", "merge"),
                ("from", "2"),
                ("reason", "one after all"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(monitor.get("/incidents/2").await.0, StatusCode::NOT_FOUND);
    // The incident is on the map data, with its place and error radius.
    let (_, data, _) = monitor.get("/map/data.json").await;
    let data: serde_json::Value = serde_json::from_str(&data).unwrap();
    assert_eq!(data["incidents"][0]["id"], 1, "{data}");
    assert_eq!(data["incidents"][0]["kind"], "shelling");
    // Observers read but do not decide.
    let observer = Browser::signed_in(&app, "observer").await;
    let (_, page, _) = observer.get("/incidents/1").await;
    assert!(!page.contains("id=\"split-form\""));
    let token = observer.csrf().await;
    let (status, _) = observer
        .post(
            "/incidents/1/decide",
            &[
                ("_csrf", &token),
                ("action", "merge"),
                ("from", "1"),
                ("reason", "x"),
            ],
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    app.finish().await;
}

/// Alerts are on the map: an incident against coalition forces, and its sector, are marked
/// while its alert is unacknowledged, and every alert is listed with its rung of the ladder.
#[tokio::test]
async fn the_map_and_dashboard_mark_alerts_until_acknowledged_there() {
    let app = spawn_app(&backends()[0]).await;
    let east = r#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "S-EAST", "name": "East"},
        "geometry": {"type": "Polygon", "coordinates": [[[38.5, 48.0], [39.5, 48.0], [39.5, 49.0], [38.5, 49.0], [38.5, 48.0]]]}}]}"#;
    let (status, body) = app
        .put("/sectors", Some("planner"), &json!({ "geojson": east }))
        .await;
    assert_eq!(status, 200, "{body}");
    let batch = json!({"observations": [crate::alerts::shelling("Q", 38.0, 0, false),
        crate::alerts::shelling("R", 39.0, 5, true)]});
    let (status, body) = app.post("/observations", Some("monitor"), &batch).await;
    assert_eq!(status, 200, "{body}");
    let against = body["accepted"][1]["result"]["incident"].clone();
    let monitor = Browser::signed_in(&app, "monitor").await;
    let alert_on = |data: &serde_json::Value| {
        data["alerts"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["incidents"] == json!([against]))
            .cloned()
            .unwrap_or_else(|| panic!("{data}"))
    };
    let (_, data, _) = monitor.get("/map/data.json").await;
    let data: serde_json::Value = serde_json::from_str(&data).unwrap();
    let alert = alert_on(&data);
    assert_eq!(alert["acknowledged"], false, "{alert}");
    assert_eq!(alert["level"], "hq", "{alert}");
    assert_eq!(data["alerts"].as_array().unwrap().len(), 1, "{data}");
    assert_eq!(alert["sector"], "S-EAST", "{alert}");
    assert_eq!(data["sectors"][0]["code"], "S-EAST", "{data}");
    assert_eq!(data["sectors"][0]["alerted"], true, "{data}");
    assert_eq!(data["sectors"][0]["polygons"][0][0][0], json!([48.0, 38.5]));
    let (status, page, _) = monitor.get("/map").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("id=\"map-alerts\""), "{page}");
    let id = alert["id"].as_str().unwrap();
    // The dashboard lists it with a button to acknowledge; observers see no button, and a
    // form without the session's token is refused.
    let (_, page, _) = monitor.get("/").await;
    assert!(
        page.contains(&format!("name=\"alert\" value=\"{id}\"")),
        "{page}"
    );
    let observer = Browser::signed_in(&app, "observer").await;
    let (_, page, _) = observer.get("/").await;
    assert!(page.contains(id) && !page.contains("action=\"/alerts/ack\""));
    let officer = Browser::signed_in(&app, "gbr.officer").await;
    let (status, _) = officer.post("/alerts/ack", &[("alert", id)]).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let csrf = officer.csrf().await;
    let (status, _) = officer
        .post("/alerts/ack", &[("_csrf", &csrf), ("alert", id)])
        .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let (_, page, _) = officer.get("/").await;
    assert!(
        !page.contains(id),
        "acknowledged, it is no longer open: {page}"
    );
    // Once is enough: a second acknowledgement is refused.
    let (status, _) = officer
        .post("/alerts/ack", &[("_csrf", &csrf), ("alert", id)])
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, data, _) = monitor.get("/map/data.json").await;
    let data: serde_json::Value = serde_json::from_str(&data).unwrap();
    assert_eq!(alert_on(&data)["acknowledged"], true, "{data}");
    assert_eq!(data["sectors"][0]["alerted"], false, "{data}");
    // Signed out, the map shows no alerts.
    let (_, page, _) = Browser::new(&app).get("/map").await;
    assert!(!page.contains("id=\"map-alerts\""));
    app.finish().await;
}
