//! The browser suite: a real server on a random port over a SQLite file with the exercise
//! scenario, driven by headless Chromium through `web/tests/browser.cjs` (playwright-core,
//! installed by the build script from `web/package-lock.json`).
//!
//! Without Chromium the test says it was skipped, unless `COALITION_BROWSER_REQUIRED` is set
//! (as in CI), when a missing browser fails it. Screenshots of each page, at 1280 px and at a
//! 390 px phone width, are written to `browser-screenshots/` in Cargo's target folder.
#![expect(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

#[path = "api/helpers.rs"]
#[allow(dead_code)]
mod helpers;

use std::path::PathBuf;

use store::{OfferFilter, Store, Viewer};

fn chromium() -> Option<PathBuf> {
    let path =
        PathBuf::from(std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".to_owned()));
    path.is_file().then_some(path)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn browser_suite() {
    let Some(chromium) = chromium() else {
        assert!(
            std::env::var_os("COALITION_BROWSER_REQUIRED").is_none(),
            "COALITION_BROWSER_REQUIRED is set but there is no Chromium at /usr/bin/chromium \
             (install Debian's chromium, or set CHROMIUM)"
        );
        eprintln!("skipped: no Chromium at /usr/bin/chromium (set CHROMIUM to another path)");
        return;
    };
    let app = helpers::spawn_app(&helpers::Backend::Sqlite).await;
    let hidden: Vec<String> = app
        .store
        .offers(&Viewer::Everything, &OfferFilter::default())
        .await
        .unwrap()
        .into_iter()
        .filter(|o| {
            o.nation.as_str() == "FRA" && o.releasability == domain::access::Releasability::Nation
        })
        .map(|o| o.id.to_string())
        .collect();
    assert!(!hidden.is_empty());
    // An incident for the monitoring pages.
    let (status, body) = app
        .post(
            "/observations",
            Some("monitor"),
            &serde_json::json!({"observations": [{"id": "BR-1", "observed_from": "181200ZMAR25",
                "observed_to": "181205ZMAR25", "reported": "181300ZMAR25", "observer": "patrol",
                "location": {"type": "point", "lat": 48.0, "lon": 38.0, "radius_m": 100},
                "kind": "shelling", "count": {"low": 1, "best": 2, "high": 3}}]}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let shots = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .unwrap()
        .join("browser-screenshots");
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../web/tests/browser.cjs");
    let base = app.api.trim_end_matches("/api/v1").to_owned();
    let hidden = serde_json::to_string(&hidden).unwrap();
    // The server answers on this runtime's workers while node waits on a blocking thread.
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(script)
            .env("NODE_PATH", env!("COALITION_NODE_MODULES"))
            .env("COALITION_URL", &base)
            .env("COALITION_PASSWORD", helpers::PASSWORD)
            .env("COALITION_HIDDEN", hidden)
            .env("COALITION_SHOTS", &shots)
            .env("CHROMIUM", &chromium)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    app.finish().await;
    assert!(
        output.status.success(),
        "the browser suite failed:\n{stdout}\n{stderr}"
    );
    eprintln!("ran: {}", stdout.trim());
}
