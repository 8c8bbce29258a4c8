//! `spawn_app()`: a real server on a random port over a fresh database (a SQLite file, or a
//! new PostgreSQL database that is dropped afterwards), with the exercise scenario and one user
//! per role, officers of two nations among them.

use std::collections::HashMap;
use std::sync::Arc;

use domain::access::Username;
use store::{Actor, ImportMode, SqlStore, Store};

pub const PASSWORD: &str = "correct horse battery staple";

pub use server::demo::USERS;

#[derive(Debug, Clone)]
pub enum Backend {
    Sqlite,
    Postgres(String),
}

impl Backend {
    pub fn name(&self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres(_) => "PostgreSQL",
        }
    }
}

/// SQLite always; PostgreSQL too when `COALITION_TEST_PG` names a server.
pub fn backends() -> Vec<Backend> {
    let mut all = vec![Backend::Sqlite];
    match std::env::var("COALITION_TEST_PG") {
        Ok(url) => all.push(Backend::Postgres(url)),
        Err(_) => eprintln!("skipped: COALITION_TEST_PG is not set, so this ran on SQLite only"),
    }
    all
}

pub struct TestApp {
    /// `http://127.0.0.1:PORT/api/v1`
    pub api: String,
    /// A client without a cookie store (requests carry tokens or explicit cookies).
    pub client: reqwest::Client,
    pub store: Arc<SqlStore>,
    /// API token secrets by user name.
    pub tokens: HashMap<&'static str, String>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    pg: Option<(String, String)>,
    _dir: Option<tempfile::TempDir>,
    database_url: String,
}

pub async fn spawn_app(backend: &Backend) -> TestApp {
    spawn_app_with(backend, |_| {}).await
}

pub async fn spawn_app_with(
    backend: &Backend,
    tweak: impl FnOnce(&mut server::Settings),
) -> TestApp {
    let (url, pg, dir) = match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let url = format!("sqlite://{}", dir.path().join("api.db").display());
            (url, None, Some(dir))
        }
        Backend::Postgres(base) => {
            let (url, name) = testkit::create_database(base, "api").await;
            (url, Some((base.clone(), name)), None)
        }
    };
    let store = Arc::new(store::connect(&url).await.unwrap());
    seed(&store).await;
    let tokens = tokens(&store).await;
    let mut app = serve(&url, store, tweak).await;
    app.tokens = tokens;
    (app.pg, app._dir) = (pg, dir);
    app
}

/// A server on `store` (at `url`), with test settings.
async fn serve(
    url: &str,
    store: Arc<SqlStore>,
    tweak: impl FnOnce(&mut server::Settings),
) -> TestApp {
    let mut settings = server::Settings {
        bind: "127.0.0.1:0".parse().unwrap(),
        database_url: url.to_owned(),
        sign_in_attempts_per_account: 1000,
        sign_in_attempts_per_address: 1000,
        ..server::Settings::default()
    };
    tweak(&mut settings);
    let app = server::build_with_store(settings, store.clone())
        .await
        .unwrap();
    let api = format!("http://127.0.0.1:{}/api/v1", app.port());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app.run_until(async {
            let _ = stopped.await;
        })
        .await
        .unwrap();
    });
    TestApp {
        api,
        client: reqwest::Client::new(),
        store,
        tokens: HashMap::new(),
        stop: Some(stop),
        server: Some(server),
        pg: None,
        _dir: None,
        database_url: url.to_owned(),
    }
}

async fn seed(store: &SqlStore) {
    let scenario = testkit::exercise();
    let actor = Actor::new("seed");
    store
        .import_scenario(&scenario, ImportMode::Create, &actor)
        .await
        .unwrap();
    server::demo::add_users(store, &actor, |_| PASSWORD.to_owned())
        .await
        .unwrap();
}

async fn tokens(store: &SqlStore) -> HashMap<&'static str, String> {
    let mut out = HashMap::new();
    for (name, _, _) in USERS {
        let secret = server::auth::new_secret("coa_");
        store
            .add_token(
                &Username::parse(name).unwrap(),
                "tests",
                &server::auth::digest(&secret),
                &Actor::new("seed"),
            )
            .await
            .unwrap();
        out.insert(*name, secret);
    }
    out
}

impl TestApp {
    /// A second server on this one's database, as another instance of a deployment is: it
    /// shares the store and the tokens, and keeps its own state. Finish it before the app it
    /// stands beside, which closes the shared store and drops a PostgreSQL database.
    pub async fn beside(&self) -> TestApp {
        let mut other = serve(&self.database_url, self.store.clone(), |_| {}).await;
        other.tokens = self.tokens.clone();
        other
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.api)
    }

    /// A request as `user` (by API token), or signed out when `None`.
    pub fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        user: Option<&str>,
    ) -> reqwest::RequestBuilder {
        let rb = self.client.request(method, self.url(path));
        match user {
            Some(u) => rb.bearer_auth(&self.tokens[u]),
            None => rb,
        }
    }

    pub async fn get_json(&self, path: &str, user: Option<&str>) -> (u16, serde_json::Value) {
        let r = self
            .request(reqwest::Method::GET, path, user)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn send_json(
        &self,
        method: reqwest::Method,
        path: &str,
        user: Option<&str>,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        let r = self
            .request(method, path, user)
            .json(body)
            .send()
            .await
            .unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(serde_json::Value::Null))
    }

    pub async fn post(
        &self,
        path: &str,
        user: Option<&str>,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.send_json(reqwest::Method::POST, path, user, body)
            .await
    }

    pub async fn put(
        &self,
        path: &str,
        user: Option<&str>,
        body: &serde_json::Value,
    ) -> (u16, serde_json::Value) {
        self.send_json(reqwest::Method::PUT, path, user, body).await
    }

    pub async fn delete(&self, path: &str, user: Option<&str>) -> (u16, serde_json::Value) {
        self.send_json(
            reqwest::Method::DELETE,
            path,
            user,
            &serde_json::Value::Null,
        )
        .await
    }

    /// Signs in with a password; returns the session cookie and the CSRF token.
    pub async fn sign_in(&self, user: &str) -> (String, String) {
        let r = self
            .client
            .post(self.url("/session"))
            .json(&serde_json::json!({"username": user, "password": PASSWORD}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let cookie = session_cookie(&r);
        let body: serde_json::Value = r.json().await.unwrap();
        (cookie, body["csrf_token"].as_str().unwrap().to_owned())
    }

    /// Stops the server (gracefully) and drops a PostgreSQL database.
    pub async fn finish(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap();
        }
        // The app that made the database closes its store; one beside it leaves it open.
        if self.pg.is_some() || self._dir.is_some() {
            self.store.close().await;
        }
        if let Some((base, name)) = self.pg.take() {
            testkit::drop_database(&base, &name).await;
            eprintln!("ran: API suite on PostgreSQL database {name} (dropped)");
        }
    }
}

/// The `name=value` of the session cookie a sign-in answer sets.
pub fn session_cookie(r: &reqwest::Response) -> String {
    r.headers()
        .get("set-cookie")
        .unwrap()
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}
