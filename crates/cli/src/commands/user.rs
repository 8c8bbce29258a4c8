//! `coalition user …` and `coalition audit verify`.

use std::io::BufRead;
use std::process::ExitCode;

use anyhow::bail;
use domain::access::{Role, Username};
use serde_json::json;
use store::{SqlStore, Store};

use crate::args::{AuditCommand, UserCommand};
use crate::output::Out;

fn username(s: &str) -> anyhow::Result<Username> {
    Username::parse(s).map_err(anyhow::Error::msg)
}

pub async fn run(store: &SqlStore, cmd: UserCommand, out: Out) -> anyhow::Result<ExitCode> {
    let actor = super::cli_actor();
    match cmd {
        UserCommand::Add {
            username: name,
            role,
            nation,
            password_stdin,
        } => {
            let username = username(&name)?;
            let role = Role::parse(&role).map_err(anyhow::Error::msg)?;
            let nation = nation
                .as_deref()
                .map(domain::ids::NationCode::parse)
                .transpose()
                .map_err(anyhow::Error::msg)?;
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin().lock().read_line(&mut line)?;
                (line.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (server::auth::new_secret("")[..20].to_owned(), true)
            };
            let p = password.clone();
            let password_hash =
                tokio::task::spawn_blocking(move || server::auth::hash_password(&p)).await??;
            let user = store
                .add_user(
                    &store::NewUser {
                        username,
                        role,
                        nation,
                        password_hash,
                    },
                    &actor,
                )
                .await?;
            out.say(format!("added {} ({})", user.username, user.role.as_str()));
            if generated {
                out.say(format!("password (shown once): {password}"));
            }
            out.json(&json!({"user": user, "password": generated.then_some(password)}));
        }
        UserCommand::List => {
            let users = store.users().await?;
            for u in &users {
                out.say(format!(
                    "{:<20} {:<15} {:<4} {}",
                    u.username,
                    u.role.as_str(),
                    u.nation
                        .as_ref()
                        .map(ToString::to_string)
                        .unwrap_or_default(),
                    if u.disabled { "disabled" } else { "" }
                ));
            }
            out.json(&json!(users));
        }
        UserCommand::Disable { username: name } => {
            let u = store
                .set_user_disabled(&username(&name)?, true, &actor)
                .await?;
            out.say(format!("disabled {}", u.username));
            out.json(&json!(u));
        }
        UserCommand::Enable { username: name } => {
            let u = store
                .set_user_disabled(&username(&name)?, false, &actor)
                .await?;
            out.say(format!("enabled {}", u.username));
            out.json(&json!(u));
        }
        UserCommand::Token {
            username: name,
            name: label,
        } => {
            let secret = server::auth::new_secret("coa_");
            let token = store
                .add_token(
                    &username(&name)?,
                    &label,
                    &server::auth::digest(&secret),
                    &actor,
                )
                .await?;
            out.say(format!(
                "token {} for {} (shown once; send as `Authorization: Bearer …`):",
                token.id, token.username
            ));
            out.say(&secret);
            out.json(&json!({"token": token, "secret": secret}));
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn audit(store: &SqlStore, cmd: AuditCommand, out: Out) -> anyhow::Result<ExitCode> {
    match cmd {
        AuditCommand::Verify => {
            let report = store.verify_audit().await?;
            out.json(&json!(report));
            match &report.broken {
                None => {
                    out.say(format!(
                        "audit log intact: {} rows, head {}",
                        report.rows, report.head
                    ));
                    Ok(ExitCode::SUCCESS)
                }
                Some((seq, why)) => {
                    if !out.json {
                        bail!("audit log broken at row {seq}: {why}");
                    }
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}
