//! The binary, driven as users and scripts drive it, on real SQLite files.
#![expect(clippy::unwrap_used, reason = "test helpers: a panic is a failed test")]

use std::path::Path;
use std::process::{Command, Output};

const EXERCISE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../data/exercise.json");

/// The binary in `dir`, with no database named by the environment.
fn command(dir: &Path, args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_coalition"));
    c.current_dir(dir)
        .env_remove("COALITION_DATABASE_URL")
        .args(args);
    c
}

fn coalition(dir: &Path, args: &[&str]) -> Output {
    command(dir, args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn validate_reports_every_mistake_with_its_path_and_exit_code_2() {
    let dir = tempfile::tempdir().unwrap();
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(EXERCISE).unwrap()).unwrap();
    v["offers"][3]["nation"] = "XYZ".into();
    v["offers"][5]["units"] = (-1).into();
    v["requirements"][0]["roe"] = "gentle".into();
    v["weeks"] = 0.into();
    let file = dir.path().join("bad.json");
    std::fs::write(&file, serde_json::to_string(&v).unwrap()).unwrap();
    let out = coalition(dir.path(), &["validate", "bad.json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    for expected in [
        "weeks: must be between 1 and 1040, found 0",
        "offers[5].units: must be at least 1, found -1",
        "requirements[0].roe: unknown value \"gentle\"",
        "offers[3].nation: unknown nation \"XYZ\"",
        "4 error(s)",
    ] {
        assert!(err.contains(expected), "missing {expected:?} in:\n{err}");
    }
    // The same in JSON for scripts.
    v["offers"][5]["units"] = 1.into();
    v["requirements"][0]["roe"] = "mandate".into();
    v["weeks"] = 104.into();
    std::fs::write(&file, serde_json::to_string(&v).unwrap()).unwrap();
    let out = coalition(dir.path(), &["--json", "validate", "bad.json"]);
    assert_eq!(out.status.code(), Some(2));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["valid"], false);
    assert_eq!(report["errors"][0]["path"], "offers[3].nation");
    assert_eq!(report["errors"][0]["message"], "unknown nation \"XYZ\"");
}

#[test]
fn validate_accepts_the_exercise_scenario() {
    let dir = tempfile::tempdir().unwrap();
    let out = coalition(dir.path(), &["validate", EXERCISE]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let line = text(&out.stdout);
    assert_eq!(line.lines().count(), 1);
    assert!(line.contains("valid coalition.scenario/1"), "{line}");
}

#[test]
fn import_export_import_is_byte_for_byte_stable() {
    let dir = tempfile::tempdir().unwrap();
    let a = coalition(
        dir.path(),
        &["--database", "sqlite://a.db", "import", EXERCISE],
    );
    assert!(a.status.success(), "{}", text(&a.stderr));
    let e1 = coalition(
        dir.path(),
        &["--database", "sqlite://a.db", "export", "-o", "one.json"],
    );
    assert!(e1.status.success(), "{}", text(&e1.stderr));
    let b = coalition(
        dir.path(),
        &["--database", "sqlite://b.db", "import", "one.json"],
    );
    assert!(b.status.success(), "{}", text(&b.stderr));
    let e2 = coalition(dir.path(), &["--database", "sqlite://b.db", "export"]);
    let one = std::fs::read(dir.path().join("one.json")).unwrap();
    assert_eq!(text(&one), text(&e2.stdout));
    // The committed file is already in canonical form.
    assert_eq!(text(&one), std::fs::read_to_string(EXERCISE).unwrap());
    // Importing again without --replace is refused and changes nothing.
    let again = coalition(
        dir.path(),
        &["--database", "sqlite://b.db", "import", "one.json"],
    );
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("already holds"));
}

#[test]
fn demo_loads_once_then_reuses_and_status_changes_are_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let first = coalition(dir.path(), &["demo", "--no-serve"]);
    assert!(first.status.success(), "{}", text(&first.stderr));
    let out = text(&first.stdout);
    assert!(out.contains("loaded the exercise scenario"), "{out}");
    assert!(out.contains("EXERCISE"), "{out}");
    assert!(out.contains("air_policing"), "{out}");
    assert!(dir.path().join("coalition.db").exists());
    let second = coalition(dir.path(), &["demo", "--no-serve"]);
    assert!(text(&second.stdout).contains("reusing"));

    let listed = coalition(
        dir.path(),
        &[
            "--json", "offer", "list", "--nation", "GBR", "--status", "offered",
        ],
    );
    let offers: Vec<serde_json::Value> = serde_json::from_slice(&listed.stdout).unwrap();
    assert!(!offers.is_empty());
    let id = offers[0]["id"].as_str().unwrap();
    let set = coalition(
        dir.path(),
        &[
            "offer",
            "set-status",
            id,
            "confirmed",
            "--by",
            "j5.forcegen",
            "--effective",
            "2026-02-01",
        ],
    );
    assert!(set.status.success(), "{}", text(&set.stderr));
    let shown = coalition(dir.path(), &["--json", "offer", "show", id]);
    let shown: serde_json::Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert_eq!(shown["offer"]["status"], "confirmed");
    assert_eq!(
        shown["offer"]["history"]
            .as_array()
            .unwrap()
            .last()
            .unwrap()["recorded_by"],
        "j5.forcegen"
    );
    let back = coalition(
        dir.path(),
        &["offer", "set-status", id, "offered", "--by", "j5"],
    );
    assert_eq!(back.status.code(), Some(1));
    assert_eq!(
        text(&back.stderr).lines().count(),
        1,
        "{}",
        text(&back.stderr)
    );
}

#[test]
fn bad_input_gets_one_readable_line_and_a_failing_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        &["--database", "sqlite:oops.db", "summary"][..],
        &["--database", "mysql://h/db", "summary"],
        &["validate", "no-such-file.json"],
        &["import", "no-such-file.json"],
        &["offer", "list", "--status", "maybe"],
        &["offer", "show", "bad id"],
    ] {
        let out = coalition(dir.path(), args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: "), "{args:?}: {err}");
    }
    assert!(!dir.path().join("oops.db").exists());
    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, b"{\"format\": \xff\xfe").unwrap();
    let out = coalition(dir.path(), &["validate", "garbage.json"]);
    assert_ne!(out.status.code(), Some(0));
}

#[test]
fn plan_verify_compare_and_resilience_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let base = coalition(
        d,
        &["plan", EXERCISE, "--time-limit", "2", "-o", "base.json"],
    );
    assert!(base.status.success(), "{}", text(&base.stderr));
    let summary = text(&base.stdout);
    for expected in [
        "proven bound",
        "Coverage by line:",
        "air_policing",
        "Largest gaps",
    ] {
        assert!(
            summary.contains(expected),
            "missing {expected:?} in:\n{summary}"
        );
    }
    let ok = coalition(d, &["plan", "verify", EXERCISE, "base.json"]);
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok.stderr));

    let what_if = coalition(
        d,
        &[
            "plan",
            EXERCISE,
            "--time-limit",
            "2",
            "--assume",
            "us_backstop=false",
            "-o",
            "no-us.json",
        ],
    );
    assert!(what_if.status.success(), "{}", text(&what_if.stderr));
    // The baseline uses offers that need the US backstop: it fails under the what-if options.
    let strict = coalition(
        d,
        &[
            "plan",
            "verify",
            EXERCISE,
            "base.json",
            "--assume",
            "us_backstop=false",
        ],
    );
    assert_eq!(strict.status.code(), Some(1));
    assert!(
        text(&strict.stderr).contains("offer_not_counted"),
        "{}",
        text(&strict.stderr)
    );

    let cmp = coalition(d, &["--json", "plan", "compare", "base.json", "no-us.json"]);
    assert!(cmp.status.success(), "{}", text(&cmp.stderr));
    let c: serde_json::Value = serde_json::from_slice(&cmp.stdout).unwrap();
    assert!(
        c["other_unmet_weighted"].as_u64().unwrap()
            > c["baseline_unmet_weighted"].as_u64().unwrap()
    );
    assert!(!c["new_gaps"].as_array().unwrap().is_empty());

    // A tampered plan is rejected with its violations listed.
    let mut p: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(d.join("base.json")).unwrap()).unwrap();
    p["tours"][0]["units"] = 99.into();
    std::fs::write(d.join("bad.json"), serde_json::to_string(&p).unwrap()).unwrap();
    let bad = coalition(d, &["plan", "verify", EXERCISE, "bad.json"]);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        text(&bad.stderr).contains("offer_overloaded"),
        "{}",
        text(&bad.stderr)
    );

    // Plans of the stored scenario can be kept, listed and read back.
    assert!(coalition(d, &["demo", "--no-serve"]).status.success());
    let kept = coalition(d, &["plan", "--time-limit", "1", "--save"]);
    assert!(kept.status.success(), "{}", text(&kept.stderr));
    assert!(text(&kept.stdout).contains("saved as plan 1"));
    let listed = coalition(d, &["--json", "plan", "list"]);
    let listed: serde_json::Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed[0]["id"], 1);
    let shown = coalition(d, &["plan", "show", "1", "-o", "kept.json"]);
    assert!(shown.status.success(), "{}", text(&shown.stderr));
    let db_copy = coalition(d, &["export", "-o", "stored.json"]);
    assert!(db_copy.status.success());
    assert_eq!(
        coalition(d, &["plan", "verify", "stored.json", "kept.json"])
            .status
            .code(),
        Some(0)
    );
    assert_eq!(coalition(d, &["plan", "show", "99"]).status.code(), Some(1));

    let res = coalition(
        d,
        &["--json", "resilience", EXERCISE, "--time-limit", "0.2"],
    );
    assert!(res.status.success(), "{}", text(&res.stderr));
    let r: serde_json::Value = serde_json::from_slice(&res.stdout).unwrap();
    let cases = r["cases"].as_array().unwrap();
    assert!(cases.iter().any(|c| c["case"] == "us_backstop=false"));
    assert!(cases.iter().any(|c| c["case"] == "withdraw GBR"));
    let losses: Vec<i64> = cases
        .iter()
        .map(|c| c["lost_weighted"].as_i64().unwrap())
        .collect();
    assert!(
        losses.windows(2).all(|w| w[0] >= w[1]),
        "ranked worst first"
    );

    for args in [
        &["plan", "no-such.json"][..],
        &["plan", EXERCISE, "--withdraw", "XX"],
        &["plan", EXERCISE, "--assume", "warp_drive=true"],
        &["plan", EXERCISE, "--min-status", "maybe"],
    ] {
        let out = coalition(d, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert_eq!(
            text(&out.stderr).lines().count(),
            1,
            "{args:?}: {}",
            text(&out.stderr)
        );
    }
}

#[test]
fn a_reader_that_goes_away_is_not_a_crash() {
    use std::io::Read as _;
    let dir = tempfile::tempdir().unwrap();
    assert!(coalition(dir.path(), &["demo", "--no-serve"])
        .status
        .success());
    let mut child = command(dir.path(), &["export"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Read a little, then hang up.
    let mut first = [0u8; 16];
    child.stdout.take().unwrap().read_exact(&mut first).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        !text(&out.stderr).contains("panicked"),
        "{}",
        text(&out.stderr)
    );
}

/// `-o` into a named pipe (or a device such as `/dev/null`) writes into it; the rename that keeps
/// ordinary files whole must not put a regular file in its place.
#[test]
fn output_into_a_named_pipe_goes_into_the_pipe() {
    use std::io::Read as _;
    use std::os::unix::fs::FileTypeExt as _;
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("plan.pipe");
    assert!(Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap()
        .success());
    let (tx, rx) = std::sync::mpsc::channel();
    let reading = fifo.clone();
    std::thread::spawn(move || {
        let mut got = String::new();
        let read = std::fs::File::open(&reading).and_then(|mut f| f.read_to_string(&mut got));
        let _ = tx.send(read.map(|_| got));
    });
    let out = coalition(
        dir.path(),
        &["plan", EXERCISE, "--time-limit", "1", "-o", "plan.pipe"],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let got = rx
        .recv_timeout(std::time::Duration::from_secs(60))
        .expect("nothing came through the pipe")
        .unwrap();
    let plan: serde_json::Value = serde_json::from_str(&got).unwrap();
    assert_eq!(plan["format"], "coalition.plan/1");
    assert!(std::fs::metadata(&fifo).unwrap().file_type().is_fifo());
    assert!(!dir.path().join("plan.json.partial").exists());
}

#[test]
fn users_tokens_and_an_audit_log_that_shows_tampering() {
    let dir = tempfile::tempdir().unwrap();
    let demo = coalition(dir.path(), &["demo", "--no-serve"]);
    let out = text(&demo.stdout);
    assert!(
        out.contains("Demo sign-ins") && out.contains("gbr.officer"),
        "{out}"
    );
    // Passwords are shown once.
    let again = text(&coalition(dir.path(), &["demo", "--no-serve"]).stdout);
    assert!(!again.contains("Demo sign-ins (shown once"), "{again}");

    let mut add = command(
        dir.path(),
        &[
            "user",
            "add",
            "pol.officer",
            "--role",
            "nation_officer",
            "--nation",
            "POL",
            "--password-stdin",
        ],
    );
    add.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let mut child = add.spawn().unwrap();
    std::io::Write::write_all(child.stdin.as_mut().unwrap(), b"a long enough password\n").unwrap();
    let added = child.wait_with_output().unwrap();
    assert!(added.status.success(), "{}", text(&added.stdout));
    let weak = coalition(dir.path(), &["user", "add", "x.y.z", "--role", "nobody"]);
    assert_eq!(weak.status.code(), Some(1));
    assert!(
        text(&weak.stderr).starts_with("error: unknown role"),
        "{}",
        text(&weak.stderr)
    );
    let token = coalition(
        dir.path(),
        &["--json", "user", "token", "pol.officer", "--name", "ci"],
    );
    let made: serde_json::Value = serde_json::from_slice(&token.stdout).unwrap();
    assert!(made["secret"].as_str().unwrap().starts_with("coa_"));
    assert!(coalition(dir.path(), &["user", "disable", "pol.officer"])
        .status
        .success());
    let users: serde_json::Value =
        serde_json::from_slice(&coalition(dir.path(), &["--json", "user", "list"]).stdout).unwrap();
    let pol = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "pol.officer")
        .unwrap();
    assert_eq!(pol["disabled"], true);

    let ok = coalition(dir.path(), &["audit", "verify"]);
    assert!(ok.status.success(), "{}", text(&ok.stderr));
    assert!(text(&ok.stdout).contains("audit log intact"));
    // Alter one row directly in the database file.
    let db = dir.path().join("coalition.db");
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", db.display())).await.unwrap();
        sqlx::query("UPDATE audit_log SET after_value = '{\"role\":\"admin\"}' WHERE action = 'user.add' AND entity_id = 'pol.officer'")
            .execute(&mut conn)
            .await
            .unwrap();
    });
    let broken = coalition(dir.path(), &["audit", "verify"]);
    assert_eq!(broken.status.code(), Some(1));
    let err = text(&broken.stderr);
    assert!(
        err.starts_with("error: audit log broken at row") && err.contains("altered"),
        "{err}"
    );
}

#[test]
fn serve_answers_and_stops_gracefully_on_sigterm() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    assert!(coalition(dir.path(), &["demo", "--no-serve"])
        .status
        .success());
    let mut child = command(dir.path(), &["serve", "--bind", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut lines = std::io::BufReader::new(child.stdout.take().unwrap()).lines();
    let first = lines.next().unwrap().unwrap();
    let url = testkit::server_url(&first);
    let health = tokio::runtime::Runtime::new().unwrap().block_on(async {
        reqwest::get(format!("{url}/api/v1/health"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    });
    assert!(health.contains("\"ok\""), "{health}");
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "{status:?}");
    let rest: Vec<String> = lines.map_while(Result::ok).collect();
    assert!(rest.iter().any(|l| l == "stopped"), "{rest:?}");
}

#[test]
fn aid_ledger_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(coalition(d, &["-q", "import", EXERCISE]).status.success());
    // Export, import back unchanged, export again: the same bytes.
    assert!(coalition(d, &["aid", "export", "-o", "a.csv"])
        .status
        .success());
    let first = std::fs::read_to_string(d.join("a.csv")).unwrap();
    assert!(first.starts_with("donor,aid_type,measure,date,value,currency,item,"));
    let out = coalition(d, &["aid", "import", "a.csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("0 entries added, 3 replaced"));
    let again = coalition(d, &["aid", "export"]);
    assert_eq!(text(&again.stdout), first);
    // The UK deal in EUR, with the rate used.
    let out = coalition(
        d,
        &["--json", "aid", "show", "PUB-2025-03-02-GBR-EXPORT-FINANCE"],
    );
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(shown["stages"][0]["rate"]["currency"], "GBP");
    // A stage out of order is one readable line and exit 1; in order it is recorded.
    let out = coalition(
        d,
        &[
            "aid",
            "stage",
            "EX-FIN-CAN-DEMINING",
            "announced",
            "--date",
            "2026-01-01",
            "--source",
            "EX-FSC-2",
        ],
    );
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("cannot go from allocated to announced"),
        "{err}"
    );
    let out = coalition(
        d,
        &[
            "aid",
            "stage",
            "EX-FIN-CAN-DEMINING",
            "delivered",
            "--date",
            "2026-01-01",
            "--source",
            "EX-FSC-2",
        ],
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Rates: a bad file is refused whole; a good one adds its rates.
    std::fs::write(d.join("bad.csv"), "when,what\n").unwrap();
    let out = coalition(d, &["aid", "rates", "bad.csv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stderr).contains("line 1: expected the ECB layout"));
    std::fs::write(d.join("uah.csv"), "date,currency,rate\n2025-06-02,UAH,45\n").unwrap();
    assert!(coalition(d, &["aid", "rates", "uah.csv"]).status.success());
    // Burden sharing in JSON for scripts.
    let out = coalition(d, &["--json", "aid", "burden", "--as-of", "2025-12-31"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let b: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(b["nations"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n["nation"] == "GBR"));
    assert_eq!(b["plan"], serde_json::Value::Null, "no plan kept yet");
}

#[test]
fn monitoring_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(coalition(d, &["-q", "import", EXERCISE]).status.success());
    std::fs::write(
        d.join("sectors.geojson"),
        r#"{"type": "FeatureCollection", "features": [{"type": "Feature", "properties": {"code": "S-1"},
        "geometry": {"type": "Polygon", "coordinates": [[[37, 47], [39, 47], [39, 49], [37, 49], [37, 47]]]}}]}"#,
    )
    .unwrap();
    assert!(coalition(d, &["monitor", "sectors", "sectors.geojson"])
        .status
        .success());
    std::fs::write(
        d.join("obs.csv"),
        "id,observed_from,observed_to,reported,observer,kind,count_best,lat,lon,radius_m\n\
         A,181030ZMAR25,181031ZMAR25,181100ZMAR25,patrol,shelling,3,48.0,38.0,200\n\
         B,181030ZMAR25,181032ZMAR25,181100ZMAR25,fixed_camera,shelling,4,48.001,38.001,200\n\
         C,181030ZMAR25,181031ZMAR25,181100ZMAR25,patrol,shelling,3,,,\n",
    )
    .unwrap();
    let out = coalition(d, &["monitor", "ingest", "obs.csv"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("2 observations recorded, 0 already known, 1 rejected"),
        "{said}"
    );
    assert!(said.contains("line 4 (C): a location is needed"), "{said}");
    // Again: nothing new, and a file of nothing but bad rows fails.
    assert!(
        text(&coalition(d, &["monitor", "ingest", "obs.csv"]).stdout).contains("2 already known")
    );
    std::fs::write(
        d.join("bad.csv"),
        "id,observed_from,observed_to,reported,observer,kind\nX,1,2,3,4,5\n",
    )
    .unwrap();
    assert_eq!(
        coalition(d, &["monitor", "ingest", "bad.csv"])
            .status
            .code(),
        Some(1)
    );
    // One incident, in its sector, on the day's report.
    let out = coalition(d, &["--json", "monitor", "incidents"]);
    let list: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["observations"], serde_json::json!(["A", "B"]));
    let out = coalition(d, &["monitor", "report", "--date", "2025-03-18", "--csv"]);
    assert!(
        text(&out.stdout)
            .lines()
            .any(|l| l.starts_with("S-1,") && l.contains(",shelling,1,4,")),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn backup_and_restore_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let ok = |args: &[&str]| {
        let out = coalition(d, args);
        assert!(out.status.success(), "{args:?}: {}", text(&out.stderr));
        text(&out.stdout)
    };
    ok(&["--database", "sqlite://a.db", "import", EXERCISE]);
    let said = ok(&["--database", "sqlite://a.db", "backup", "a.backup"]);
    assert!(said.contains("backed up to a.backup"), "{said}");
    assert!(!d.join("a.partial").exists());
    let said = ok(&["--database", "sqlite://b.db", "restore", "a.backup"]);
    assert!(said.contains("audit log intact"), "{said}");
    ok(&["--database", "sqlite://b.db", "export", "-o", "b.json"]);
    ok(&["--database", "sqlite://a.db", "export", "-o", "a.json"]);
    assert_eq!(
        std::fs::read(d.join("a.json")).unwrap(),
        std::fs::read(d.join("b.json")).unwrap()
    );

    // Restoring twice, or a damaged file, fails with one line and changes nothing.
    let out = coalition(d, &["--database", "sqlite://b.db", "restore", "a.backup"]);
    assert_eq!(out.status.code(), Some(1));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("not empty"), "{err}");
    let backup = std::fs::read_to_string(d.join("a.backup")).unwrap();
    std::fs::write(d.join("cut.backup"), &backup[..backup.len() / 2]).unwrap();
    let out = coalition(d, &["--database", "sqlite://c.db", "restore", "cut.backup"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("nothing was restored"),
        "{}",
        text(&out.stderr)
    );
    let out = coalition(d, &["--database", "sqlite://c.db", "summary"]);
    assert!(
        !out.status.success(),
        "the damaged restore left a scenario behind"
    );
}

/// The hostile corpus the API suite sends to the server (`crates/server/tests/hostile/`).
const HOSTILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../server/tests/hostile");

/// Checks a refusal: a failing exit code, no panic, and either one `error: …` line (exit 1) or,
/// for a scenario that parses but is invalid (exit 2), one line per mistake and their count.
fn refused(what: &str, out: &Output) {
    let err = text(&out.stderr);
    assert!(!err.contains("panicked"), "{what}: {err}");
    match out.status.code() {
        Some(1) => {
            assert_eq!(err.lines().count(), 1, "{what}: {err}");
            assert!(err.starts_with("error: "), "{what}: {err}");
        }
        Some(2) => {
            assert!(err.lines().all(|l| !l.trim().is_empty()), "{what}: {err}");
            assert!(
                err.lines().last().is_some_and(|l| l.contains("error(s)")),
                "{what}: {err}"
            );
        }
        other => panic!("{what}: exit {other:?}: {err}"),
    }
}

#[test]
fn hostile_files_get_a_clear_error_and_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    assert!(coalition(d, &["-q", "import", EXERCISE]).status.success());
    let state = |d: &Path| {
        let export = coalition(d, &["export"]);
        let incidents = coalition(d, &["--json", "monitor", "incidents"]);
        let aid = coalition(d, &["aid", "export"]);
        assert!(export.status.success() && incidents.status.success() && aid.status.success());
        (export.stdout, incidents.stdout, aid.stdout)
    };
    let before = state(d);
    let list = |sub: &str| {
        let mut files: Vec<String> = std::fs::read_dir(Path::new(HOSTILE).join(sub))
            .unwrap()
            .map(|e| e.unwrap().path().display().to_string())
            // Valid files; a scenario file may start with a byte order mark on the command line
            // (the API, reading JSON over HTTP, refuses one).
            .filter(|p| !p.ends_with("valid-minimal.json") && !p.ends_with("utf8-bom.json"))
            .collect();
        files.sort();
        files
    };
    // Generated: a scenario nested 100 000 deep, and a CSV file of one 10 MB cell.
    let deep = d.join("deep.json");
    std::fs::write(
        &deep,
        format!("{}{}", "[".repeat(100_000), "]".repeat(100_000)),
    )
    .unwrap();
    let wide = d.join("wide.csv");
    std::fs::write(&wide, format!("id,{}\n", "x".repeat(10_000_000))).unwrap();
    let generated = [deep.display().to_string(), wide.display().to_string()];
    // File names: traversal to a file that is not ours, a directory, a name with a newline.
    let names = [
        "../../../../../../etc/passwd".to_owned(),
        "/".to_owned(),
        "../no-such\ndir/file.json".to_owned(),
    ];
    let mut checked = 0;
    let mut problems = Vec::new();
    for (args, files) in [
        (
            &["validate"][..],
            [list("scenario"), generated.to_vec()].concat(),
        ),
        (
            &["import", "--replace"],
            [list("scenario"), generated.to_vec()].concat(),
        ),
        (
            &["monitor", "ingest"],
            [list("csv"), list("cot"), generated.to_vec()].concat(),
        ),
        (
            &["aid", "import"],
            [list("csv"), generated.to_vec()].concat(),
        ),
        (&["monitor", "sectors"], list("geojson")),
    ] {
        for file in files.iter().chain(names.iter()) {
            let mut all = args.to_vec();
            all.push(file);
            let out = coalition(d, &all);
            if let Err(e) = std::panic::catch_unwind(|| refused(&format!("{all:?}"), &out)) {
                problems.push(e.downcast_ref::<String>().cloned().unwrap_or_default());
            }
            checked += 1;
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    assert!(checked > 60, "{checked}");
    assert!(before == state(d), "a refused file changed the database");
}
