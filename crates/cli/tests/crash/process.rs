//! The database (a SQLite file, or a PostgreSQL database made for the run and dropped after
//! it), the server process, and the seeded random numbers that time the kills.

use std::io::BufRead;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sqlx::Connection;

/// A seeded random number generator (SplitMix64), so that a failing run can be replayed.

#[derive(Clone)]
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }

    pub fn fork(&mut self) -> Rng {
        Rng(self.next())
    }
}

pub struct Database {
    pub name: &'static str,
    pub url: String,
    pub sqlite_file: Option<PathBuf>,
    pub pg: Option<(String, String)>,
    pub dir: tempfile::TempDir,
}

impl Database {
    pub fn sqlite() -> Database {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("crash.db");
        Database {
            name: "SQLite",
            url: format!("sqlite://{}", file.display()),
            sqlite_file: Some(file),
            pg: None,
            dir,
        }
    }

    pub async fn postgres(base: &str) -> Database {
        let (url, name) = testkit::create_database(base, "crash").await;
        Database {
            name: "PostgreSQL",
            url,
            sqlite_file: None,
            pg: Some((base.to_owned(), name)),
            dir: tempfile::tempdir().unwrap(),
        }
    }

    pub async fn drop_database(&self) {
        if let Some((base, name)) = &self.pg {
            testkit::drop_database(base, name).await;
        }
    }

    pub fn log(&self) -> PathBuf {
        self.dir.path().join("server.log")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_coalition"));
        c.current_dir(self.dir.path())
            .env_remove("COALITION_DATABASE_URL")
            .args(["--database", &self.url])
            .args(args);
        c
    }

    pub fn run(&self, args: &[&str]) -> std::process::Output {
        let out = self.command(args).output().unwrap();
        assert!(
            out.status.success(),
            "coalition {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    pub async fn connect(&self) -> sqlx::AnyConnection {
        sqlx::any::install_default_drivers();
        sqlx::AnyConnection::connect(&self.url).await.unwrap()
    }
}

pub struct Server {
    pub child: Child,
    pub api: String,
}

impl Server {
    /// Starts `coalition serve` on a free port and waits until it answers.
    pub async fn start(db: &Database) -> Server {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(db.log())
            .unwrap();
        let mut child = db
            .command(&["serve", "--bind", "127.0.0.1:0"])
            .env("COALITION_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        // The first line names the address; the rest is read to the end so that the server
        // never writes into a closed pipe.
        let stdout = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = std::io::BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines.by_ref() {}
        });
        let first = tokio::task::spawn_blocking(move || rx.recv_timeout(Duration::from_secs(60)))
            .await
            .unwrap();
        let Ok(Some(Ok(first))) = first else {
            let _ = child.kill();
            panic!(
                "the server did not start:\n{}",
                std::fs::read_to_string(db.log()).unwrap_or_default()
            );
        };
        let base = testkit::server_url(&first);
        let api = format!("{base}/api/v1");
        let health = reqwest::get(format!("{api}/health")).await.unwrap();
        assert!(health.status().is_success());
        Server { child, api }
    }

    /// SIGKILL: the process ends at once, whatever it was doing.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }
}

/// A failed check does not leave the server running.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
