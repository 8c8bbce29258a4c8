//! `coalition aid …`: the aid and finance ledger from the command line, on the same steps as
//! the API (the local command line sees everything, as an administrator would).

use std::path::Path;
use std::process::ExitCode;

use anyhow::{anyhow, Context};
use domain::commitment::Commitment;
use domain::ids::CommitmentId;
use store::{SqlStore, Store, Viewer};

use super::cli_actor;
use crate::args::AidCommand;
use crate::output::{print, Out};

fn read(file: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
}

fn money(store_entries: Vec<Commitment>) -> Vec<Commitment> {
    store_entries
        .into_iter()
        .filter(Commitment::is_aid_or_finance)
        .collect()
}

pub async fn run(store: &SqlStore, cmd: AidCommand, out: Out) -> anyhow::Result<ExitCode> {
    let all = Viewer::Everything;
    match cmd {
        AidCommand::Export { format, output } => {
            let entries = money(
                store
                    .commitments(&all, &store::CommitmentFilter::default())
                    .await?,
            );
            let text = match format.as_str() {
                "kiel" | "csv" => domain::kiel::to_csv(&entries).map_err(|e| anyhow!(e))?,
                "json" => format!("{}\n", serde_json::to_string_pretty(&entries)?),
                other => return Err(anyhow!("--format: \"{other}\" is not kiel or json")),
            };
            match output {
                Some(path) => {
                    std::fs::write(&path, text)
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    out.say(format!(
                        "{} entries written to {}",
                        entries.len(),
                        path.display()
                    ));
                }
                None => print(&text),
            }
        }
        AidCommand::Import { file } => {
            let text = read(&file)?;
            let entries = if text.trim_start().starts_with('[') {
                let items: Vec<serde_json::Value> = serde_json::from_str(&text)
                    .with_context(|| format!("{} is not a JSON list", file.display()))?;
                let mut errs = domain::ParseErrors::default();
                let parsed: Vec<Commitment> = items
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| Commitment::from_json(v, &format!("[{i}]"), &mut errs))
                    .collect();
                if !errs.is_empty() {
                    return Err(anyhow!("{}: {errs}", file.display()));
                }
                parsed
            } else {
                domain::kiel::from_csv(&text).map_err(|e| anyhow!("{}: {e}", file.display()))?
            };
            let (added, replaced) =
                server::aid::import_commitments(store, entries, &cli_actor()).await?;
            out.say(format!("{added} entries added, {replaced} replaced"));
            out.json(&serde_json::json!({"added": added, "replaced": replaced}));
        }
        AidCommand::Show { id } => {
            let id = CommitmentId::parse(&id).map_err(|e| anyhow!(e))?;
            let found = store.commitment(&all, &id).await?;
            let rates = server::aid::rates(store).await?;
            let stages = server::aid::stage_views(&found.value, &rates);
            out.json(&serde_json::json!({"commitment": found.value, "version": found.version, "stages": stages}));
            out.say(format!(
                "{} — {} ({})",
                found.value.id, found.value.title, found.value.nation
            ));
            for s in &stages {
                let value = s
                    .amount
                    .as_ref()
                    .map(|m| format!("{} {}", m.value.as_str(), m.currency))
                    .unwrap_or_default();
                let eur = match (&s.eur, &s.conversion_error) {
                    (Some(e), _) => format!("{e:.0} EUR"),
                    (None, Some(err)) => err.clone(),
                    _ => String::new(),
                };
                let rate = s.rate.as_ref().map(ToString::to_string).unwrap_or_default();
                out.say(format!(
                    "  {}  {:<10} {value:>22}  {eur}  {rate}  [{}]",
                    s.date,
                    s.status,
                    s.sources.join(" ")
                ));
            }
        }
        AidCommand::Stage {
            id,
            status,
            date,
            source,
            note,
        } => {
            let id = CommitmentId::parse(&id).map_err(|e| anyhow!(e))?;
            let stage = server::api_stage(&status, &date, &source, note)?;
            let updated = store.record_stage(&id, stage, None, &cli_actor()).await?;
            out.say(format!(
                "{}: {} since {} (version {})",
                id, updated.value.status, date, updated.version
            ));
        }
        AidCommand::Rates { file } => {
            let (read_n, kept) =
                server::aid::import_rates(store, &read(&file)?, &cli_actor()).await?;
            out.say(format!("{read_n} rates read; {kept} imported rates in all"));
        }
        AidCommand::Countries { file } => {
            let n = server::aid::import_countries(store, &read(&file)?, &cli_actor()).await?;
            out.say(format!("figures for {n} countries imported"));
        }
        AidCommand::Burden { as_of } => {
            let day = match as_of {
                Some(d) => d
                    .parse()
                    .map_err(|_| anyhow!("--as-of: \"{d}\" is not a date (YYYY-MM-DD)"))?,
                None => jiff::Zoned::now().date(),
            };
            let report = server::aid::burden_report(store, &all, day).await?;
            out.json(&serde_json::to_value(&report)?);
            out.say(format!(
                "Burden sharing as of {day} (plan {})",
                report.plan.map_or("none".to_owned(), |p| p.to_string())
            ));
            out.say(format!(
                "  {:<5} {:>12} {:>16} {:>9} {:>9} {:>8} {:>8}",
                "", "pers-weeks", "pledged EUR", "% GDP", "GDP %", "forces", "money"
            ));
            for n in &report.burden.nations {
                let f =
                    |v: Option<f64>, p: usize| v.map_or("—".to_owned(), |x| format!("{x:.p$}"));
                out.say(format!(
                    "  {:<5} {:>12} {:>16.0} {:>9} {:>9} {:>8} {:>8}",
                    n.nation.as_str(),
                    n.personnel_weeks_planned,
                    n.money.pledged_eur(),
                    f(n.pledged_pct_gdp, 4),
                    f(n.gdp_share_pct, 2),
                    f(n.forces_fair_ratio, 2),
                    f(n.money_fair_ratio, 2),
                ));
            }
            let b = &report.burden;
            out.say(format!(
                "  Europe: {} nations, {} personnel-weeks, {:.0} EUR; others: {} nations, {} personnel-weeks, {:.0} EUR",
                b.europe.nations, b.europe.personnel_weeks_planned, b.europe.pledged_eur,
                b.others.nations, b.others.personnel_weeks_planned, b.others.pledged_eur
            ));
            out.say("  (forces and money: share of the effort ÷ share of GDP)");
        }
    }
    Ok(ExitCode::SUCCESS)
}
