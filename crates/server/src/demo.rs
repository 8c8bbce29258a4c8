//! The demo's users: one per role, and officers of two nations.

use domain::access::{Role, Username};
use domain::ids::NationCode;
use store::{Actor, Store};

use crate::auth;

/// Name, role and nation of each demo user.
pub const USERS: &[(&str, Role, Option<&str>)] = &[
    ("admin", Role::Admin, None),
    ("planner", Role::Planner, None),
    ("gbr.officer", Role::NationOfficer, Some("GBR")),
    ("fra.officer", Role::NationOfficer, Some("FRA")),
    ("monitor", Role::Monitor, None),
    ("observer", Role::Observer, None),
];

#[derive(Debug, thiserror::Error)]
pub enum DemoError {
    #[error(transparent)]
    Store(#[from] store::StoreError),
    #[error(transparent)]
    Auth(#[from] auth::AuthError),
    #[error("{0}")]
    Invalid(String),
}

/// Adds the demo users with `password(name)` as each one's password; returns the passwords.
pub async fn add_users(
    store: &dyn Store,
    actor: &Actor,
    password: impl Fn(&str) -> String,
) -> Result<Vec<(&'static str, Role, String)>, DemoError> {
    let mut out = Vec::new();
    for (name, role, nation) in USERS {
        let secret = password(name);
        let p = secret.clone();
        let password_hash = tokio::task::spawn_blocking(move || auth::hash_password(&p))
            .await
            .map_err(|e| DemoError::Invalid(e.to_string()))??;
        let user = store::NewUser {
            username: Username::parse(name).map_err(DemoError::Invalid)?,
            role: *role,
            nation: nation
                .map(NationCode::parse)
                .transpose()
                .map_err(DemoError::Invalid)?,
            password_hash,
        };
        store.add_user(&user, actor).await?;
        out.push((*name, *role, secret));
    }
    Ok(out)
}
