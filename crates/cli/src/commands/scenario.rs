//! Scenario files in and out, validation, the demo and the summary.

use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use domain::scenario::Summary;
use domain::Scenario;
use serde_json::json;
use store::{ImportMode, SqlStore, Store};

use crate::output::Out;

/// The exercise scenario shipped with the binary.
const EXERCISE: &str = include_str!("../../../../data/exercise.json");

fn read(file: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("cannot read {}", file.display()))
}

pub fn validate(file: &Path, out: Out) -> anyhow::Result<ExitCode> {
    let text = read(file)?;
    match Scenario::parse(&text) {
        Ok(s) => {
            let sum = s.summary();
            out.say(format!(
                "{}: valid {} \"{}\": {} nations, {} capabilities, {} offers, {} requirements, {} commitments, {} sources",
                file.display(),
                domain::scenario::FORMAT,
                s.name(),
                sum.nations,
                s.capabilities().len(),
                sum.offers,
                sum.requirements,
                s.commitments().len(),
                sum.sources
            ));
            out.json(&json!({"valid": true, "summary": sum}));
            Ok(ExitCode::SUCCESS)
        }
        Err(errs) => {
            if out.json {
                let list: Vec<_> = errs
                    .iter()
                    .map(|e| json!({"path": e.path, "message": e.message}))
                    .collect();
                out.json(&json!({"valid": false, "errors": list}));
            } else {
                for e in errs.iter() {
                    eprintln!("{e}");
                }
                eprintln!("{}: {} error(s)", file.display(), errs.len());
            }
            Ok(ExitCode::from(2))
        }
    }
}

fn parse_or_explain(text: &str, what: &str) -> anyhow::Result<Scenario> {
    Scenario::parse(text).map_err(|errs| {
        let first = errs.iter().next().map(ToString::to_string).unwrap_or_default();
        anyhow::anyhow!("{what} is not a valid scenario ({} error(s); first: {first}); run `coalition validate` for all", errs.len())
    })
}

pub async fn import(
    store: &SqlStore,
    file: &Path,
    replace: bool,
    out: Out,
) -> anyhow::Result<ExitCode> {
    let scenario = parse_or_explain(&read(file)?, &file.display().to_string())?;
    let mode = if replace {
        ImportMode::Replace
    } else {
        ImportMode::Create
    };
    let spinner = out.spinner("importing");
    let written = store
        .import_scenario(&scenario, mode, &super::cli_actor())
        .await;
    spinner.finish_and_clear();
    let written = written?;
    out.say(format!(
        "imported \"{}\" ({written} records) into {}",
        scenario.name(),
        store.backend()
    ));
    out.json(&json!({"imported": scenario.name(), "records": written}));
    Ok(ExitCode::SUCCESS)
}

pub async fn export(store: &SqlStore, output: Option<&Path>, out: Out) -> anyhow::Result<ExitCode> {
    let spinner = out.spinner("exporting");
    let scenario = store.export_scenario(&store::Viewer::Everything).await;
    spinner.finish_and_clear();
    let Some(scenario) = scenario? else {
        bail!(
            "the database holds no scenario yet; run `coalition import FILE` or `coalition demo`"
        );
    };
    let text = scenario.to_json_pretty();
    match output {
        Some(path) => {
            // Written beside the target, then renamed: an interrupted export never leaves half a
            // file.
            crate::output::write_file(path, &text)?;
            out.say(format!(
                "exported \"{}\" to {}",
                scenario.name(),
                path.display()
            ));
        }
        None => crate::output::print(&text),
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn demo(store: &SqlStore, url: &str, out: Out) -> anyhow::Result<ExitCode> {
    match store.scenario_name().await? {
        Some(name) => out.say(format!(
            "{}: reusing the scenario already stored: \"{name}\"",
            store::redact(url)
        )),
        None => {
            let scenario = parse_or_explain(EXERCISE, "the built-in exercise scenario")?;
            let spinner = out.spinner("loading the exercise scenario");
            let written = store
                .import_scenario(&scenario, ImportMode::Create, &super::cli_actor())
                .await;
            spinner.finish_and_clear();
            out.say(format!(
                "{}: loaded the exercise scenario ({} records)",
                store::redact(url),
                written?
            ));
        }
    }
    summary(store, out).await?;
    out.say("");
    out.say("Also: `coalition plan` (sourcing and rotation plan), `coalition resilience`, `coalition offer list --nation GBR`.");
    Ok(ExitCode::SUCCESS)
}

pub async fn summary(store: &SqlStore, out: Out) -> anyhow::Result<ExitCode> {
    let Some(scenario) = store.export_scenario(&store::Viewer::Everything).await? else {
        bail!(
            "the database holds no scenario yet; run `coalition import FILE` or `coalition demo`"
        );
    };
    let sum = scenario.summary();
    out.json(&json!(sum));
    if !out.json && !out.quiet {
        crate::output::print(&render(&scenario, &sum));
    }
    Ok(ExitCode::SUCCESS)
}

/// The readable summary: nations, offers by status, requirements by line with pledged supply.
fn render(s: &Scenario, sum: &Summary) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    let label = if s.exercise() {
        "  [EXERCISE: notional numbers]"
    } else {
        ""
    };
    let _ = writeln!(t, "{}{label}", s.name());
    let end = s.week_start(s.weeks().saturating_sub(1));
    let _ = writeln!(t, "Horizon: {} weeks, {} to {}", s.weeks(), s.start(), end);
    let _ = writeln!(
        t,
        "Nations: {} listed, {} with live offers",
        sum.nations, sum.contributing_nations
    );
    let order = ["indicated", "offered", "confirmed", "deployed", "withdrawn"];
    let by_status: Vec<String> = order
        .iter()
        .filter_map(|k| sum.offers_by_status.get(k).map(|n| format!("{k} {n}")))
        .collect();
    let _ = writeln!(t, "Offers: {} ({})", sum.offers, by_status.join(", "));
    let _ = writeln!(t, "Requirements: {} lines", sum.requirements);
    let _ = writeln!(
        t,
        "  {:<14} {:>5} {:>11} {:>12} {:>14}",
        "line", "lines", "unit-weeks", "peak units", "units offered"
    );
    for (line, l) in &sum.requirements_by_line {
        // Units offered (not withdrawn) of the capabilities this line asks for, beside the sum of
        // each requirement's peak; rotation needs more than the peak to sustain it.
        let caps: std::collections::BTreeSet<_> = s
            .requirements()
            .iter()
            .filter(|r| r.line.as_str() == line)
            .map(|r| &r.capability)
            .collect();
        let offered: u32 = s
            .offers()
            .iter()
            .filter(|o| {
                o.status != domain::offer::OfferStatus::Withdrawn && caps.contains(&o.capability)
            })
            .map(|o| o.units)
            .sum();
        let peak: u32 = s
            .requirements()
            .iter()
            .filter(|r| r.line.as_str() == line)
            .map(|r| {
                (r.from_week..=r.to_week)
                    .map(|w| r.demand(w))
                    .max()
                    .unwrap_or(0)
            })
            .sum();
        let _ = writeln!(
            t,
            "  {line:<14} {:>5} {:>11} {peak:>12} {offered:>14}",
            l.lines, l.unit_weeks
        );
    }
    let kinds: Vec<String> = sum
        .commitments_by_kind
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    let _ = writeln!(
        t,
        "Commitments: {} ({})",
        s.commitments().len(),
        kinds.join(", ")
    );
    let _ = writeln!(t, "Sources: {}", sum.sources);
    t
}
