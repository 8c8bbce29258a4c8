//! `coalition plan`, `plan verify`, `plan compare` and `resilience`.

use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context};
use domain::offer::OfferStatus;
use domain::Scenario;
use indicatif::{ProgressBar, ProgressStyle};
use planner::{Options, Params, Plan, Progress};
use serde_json::json;
use store::Store;

use crate::args::{PlanAction, PlanArgs, PlanOptions};
use crate::output::Out;

pub fn options(args: &PlanOptions) -> anyhow::Result<Options> {
    let mut o = Options::default();
    if let Some(w) = &args.withdraw {
        o.withdraw = Options::parse_withdraw(w).map_err(|e| anyhow!("--withdraw: {e}"))?;
    }
    for kv in &args.assume {
        let (k, v) = Options::parse_assumption(kv).map_err(|e| anyhow!("--assume: {e}"))?;
        o.assume.insert(k, v);
    }
    for kv in &args.grow {
        let (k, v) = Options::parse_growth(kv).map_err(|e| anyhow!("--grow: {e}"))?;
        o.grow.insert(k, v);
    }
    if let Some(s) = &args.min_status {
        o.min_status = OfferStatus::parse(s).map_err(|e| anyhow!("--min-status: {e}"))?;
    }
    Ok(o)
}

pub fn read_scenario(path: &Path) -> anyhow::Result<Scenario> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Scenario::parse(&text).map_err(|errs| {
        let first = errs.iter().next().map(ToString::to_string).unwrap_or_default();
        anyhow!("{} is not a valid scenario ({} error(s); first: {first}); run `coalition validate` for all", path.display(), errs.len())
    })
}

fn read_plan(path: &Path) -> anyhow::Result<Plan> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("cannot read {}", path.display()))?;
    Plan::parse(&text).map_err(|e| anyhow!("{}: {e}", path.display()))
}

/// The scenario named on the command line, or the stored one.
pub async fn scenario(file: Option<&Path>, database: &str, out: Out) -> anyhow::Result<Scenario> {
    match file {
        Some(f) => read_scenario(f),
        None => {
            let store = super::open(database, out).await?;
            store
                .export_scenario(&store::Viewer::Everything)
                .await?
                .ok_or_else(|| {
                    anyhow!(
                    "the database holds no scenario; name a scenario file or run `coalition demo`"
                )
                })
        }
    }
}

fn bar(out: Out, label: &str) -> ProgressBar {
    let bar = if out.quiet || out.json || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(1000)
    };
    if let Ok(style) = ProgressStyle::with_template("{msg} [{bar:30}] {elapsed}") {
        bar.set_style(style.progress_chars("=> "));
    }
    bar.set_message(label.to_owned());
    bar
}

/// A time limit that also drives the progress bar and records when the plan and bound moved.
fn control<'a>(
    limit: f64,
    bar: &'a ProgressBar,
    trajectory: &'a mut Vec<[u64; 3]>,
) -> impl FnMut(&Progress) -> bool + 'a {
    let start = Instant::now();
    let limit = Duration::from_secs_f64(limit.max(0.0));
    move |p: &Progress| {
        if trajectory
            .last()
            .is_none_or(|l| l[1] != p.unmet_weighted || l[2] != p.bound)
        {
            trajectory.push([
                start.elapsed().as_millis() as u64,
                p.unmet_weighted,
                p.bound,
            ]);
        }
        let by_time = start.elapsed().as_secs_f64() / limit.as_secs_f64().max(1e-9);
        let by_iter = p.iteration as f64 / p.max_iterations.max(1) as f64;
        bar.set_position((by_time.max(by_iter).min(1.0) * 1000.0) as u64);
        bar.set_message(format!(
            "planning: unmet {} (bound {})",
            p.unmet_weighted, p.bound
        ));
        start.elapsed() < limit
    }
}

pub async fn run(args: PlanArgs, database: &str, out: Out) -> anyhow::Result<ExitCode> {
    match args.action {
        Some(PlanAction::Verify {
            scenario,
            plan,
            options: opts,
        }) => {
            let s = read_scenario(&scenario)?;
            let p = read_plan(&plan)?;
            let o = if opts.is_empty() {
                p.options.clone()
            } else {
                options(&opts)?
            };
            let violations = planner::verify(&s, &p, &o);
            out.json(&json!({"valid": violations.is_empty(), "violations": violations.iter().map(|v| json!({"code": v.code, "message": v.message})).collect::<Vec<_>>()}));
            if violations.is_empty() {
                out.say(format!(
                    "{}: valid plan ({} tours, unmet {} weighted, bound {})",
                    plan.display(),
                    p.tours.len(),
                    p.objective.unmet_weighted,
                    p.bound.unmet_weighted
                ));
                return Ok(ExitCode::SUCCESS);
            }
            if !out.json {
                for v in violations.iter().take(20) {
                    eprintln!("{}: {}", v.code, v.message);
                }
                eprintln!("{}: {} violation(s)", plan.display(), violations.len());
            }
            Ok(ExitCode::FAILURE)
        }
        Some(PlanAction::Compare { baseline, other }) => {
            let (a, b) = (read_plan(&baseline)?, read_plan(&other)?);
            if a.scenario != b.scenario {
                bail!(
                    "the plans are of different scenarios (\"{}\" and \"{}\")",
                    a.scenario,
                    b.scenario
                );
            }
            let c = planner::compare(&a, &b);
            out.json(&json!(c));
            out.say(format!(
                "unmet (weighted): {} -> {} ({:+})",
                c.baseline_unmet_weighted,
                c.other_unmet_weighted,
                c.other_unmet_weighted as i64 - c.baseline_unmet_weighted as i64
            ));
            out.say(format!(
                "{:<14} {:>9} {:>9} {:>8}",
                "line", "baseline", "other", "delta"
            ));
            for l in &c.lines {
                let pct = |x: u64| 100.0 * x as f64 / l.required_unit_weeks.max(1) as f64;
                out.say(format!(
                    "{:<14} {:>8.1}% {:>8.1}% {:>+7.1}",
                    l.line,
                    pct(l.baseline_covered),
                    pct(l.other_covered),
                    pct(l.other_covered) - pct(l.baseline_covered)
                ));
            }
            out.say(format!(
                "new gaps: {}, closed gaps: {}",
                c.new_gaps.len(),
                c.closed_gaps.len()
            ));
            for g in c.new_gaps.iter().take(10) {
                out.say(format!(
                    "  + {} weeks {}-{}: {} unit(s) missing",
                    g.requirement, g.from_week, g.to_week, g.missing
                ));
            }
            for n in c.nations.iter().take(10) {
                out.say(format!(
                    "  {} carries {} -> {} unit-weeks",
                    n.nation, n.baseline_unit_weeks, n.other_unit_weeks
                ));
            }
            Ok(ExitCode::SUCCESS)
        }
        Some(PlanAction::List) => {
            let store = super::open(database, out).await?;
            let plans = store.plans(&store::Viewer::Everything).await?;
            out.json(&json!(plans
                .iter()
                .map(|p| json!({"id": p.id, "created_at": p.created_at.to_string(), "scenario": p.scenario,
                    "status": p.status, "unmet_weighted": p.unmet_weighted, "bound": p.bound,
                    "options": serde_json::from_str::<serde_json::Value>(&p.options).unwrap_or_default()}))
                .collect::<Vec<_>>()));
            out.say(format!(
                "{:>4}  {:<20} {:<10} {:>8} {:>8}  options",
                "id", "created", "status", "unmet", "bound"
            ));
            for p in &plans {
                out.say(format!(
                    "{:>4}  {:<20} {:<10} {:>8} {:>8}  {}",
                    p.id,
                    p.created_at.strftime("%Y-%m-%d %H:%M:%S"),
                    p.status,
                    p.unmet_weighted,
                    p.bound,
                    p.options
                ));
            }
            out.say(format!("{} plan(s)", plans.len()));
            Ok(ExitCode::SUCCESS)
        }
        Some(PlanAction::Show { id, output }) => {
            let store = super::open(database, out).await?;
            let (_, body) = store.plan(&store::Viewer::Everything, id).await?;
            let plan = Plan::parse(&body).map_err(|e| anyhow!("stored plan {id}: {e}"))?;
            match output {
                Some(path) => {
                    std::fs::write(&path, plan.to_json_pretty())
                        .with_context(|| format!("cannot write {}", path.display()))?;
                    out.say(format!("plan {id} written to {}", path.display()));
                }
                None if out.json => crate::output::print(&plan.to_json_pretty()),
                None => out.say(summary(&plan)),
            }
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let s = scenario(args.scenario.as_deref(), database, out).await?;
            let o = options(&args.options)?;
            let params = Params {
                seed: args.seed,
                max_iterations: u64::MAX,
                threads: args.threads.map_or_else(super::cores, usize::from),
                ..Params::default()
            };
            let bar = bar(out, "planning");
            let started = Instant::now();
            let mut trajectory = Vec::new();
            let result = planner::solve(
                &s,
                &o,
                &params,
                &mut control(args.time_limit, &bar, &mut trajectory),
            );
            bar.finish_and_clear();
            let mut plan = result?;
            plan.stats.solve_ms = started.elapsed().as_millis() as u64;
            trajectory.push([
                plan.stats.solve_ms,
                plan.objective.unmet_weighted,
                plan.bound.unmet_weighted,
            ]);
            plan.stats.trajectory = trajectory;
            if let Some(path) = &args.output {
                crate::output::write_file(path, &plan.to_json_pretty())?;
            }
            if args.save {
                let store = super::open(database, out).await?;
                let record = server::jobs::plan_record(&plan);
                let id = store
                    .save_plan(&record, jiff::Timestamp::now(), &super::cli_actor())
                    .await?;
                out.say(format!("saved as plan {id}"));
            }
            if out.json {
                crate::output::print(&plan.to_json_pretty());
            } else if !out.quiet {
                crate::output::print(&summary(&plan));
                if let Some(path) = &args.output {
                    crate::output::print(&format!("plan written to {}\n", path.display()));
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

fn summary(p: &Plan) -> String {
    use std::fmt::Write as _;
    let mut t = String::new();
    let _ = writeln!(t, "{}", p.scenario);
    let _ = writeln!(
        t,
        "Status: {:?}; unmet {} priority-weighted unit-weeks ({} unit-weeks); proven bound {}; gap {:.2}%; cost {:.1}; {} tours; {} ms",
        p.status, p.objective.unmet_weighted, p.objective.unmet_unit_weeks, p.bound.unmet_weighted, 100.0 * p.gap(), p.objective.cost, p.tours.len(), p.stats.solve_ms
    );
    let _ = writeln!(t, "Coverage by line:");
    for l in &p.lines {
        let _ = writeln!(
            t,
            "  {:<14} {:>6.1}%  ({} of {} unit-weeks)",
            l.line,
            100.0 * l.fraction(),
            l.covered_unit_weeks,
            l.required_unit_weeks
        );
    }
    if p.gaps.is_empty() {
        let _ = writeln!(t, "No gaps.");
    } else {
        let _ = writeln!(t, "Largest gaps ({} in all):", p.gaps.len());
        for g in p.gaps.iter().take(8) {
            let reasons: Vec<String> = g
                .reasons
                .iter()
                .take(3)
                .map(|r| {
                    let code = serde_json::to_value(r.code)
                        .ok()
                        .and_then(|v| v.as_str().map(str::to_owned))
                        .unwrap_or_default();
                    if r.detail.is_empty() {
                        code
                    } else {
                        format!("{code} ({})", r.detail.join(", "))
                    }
                })
                .collect();
            let _ = writeln!(
                t,
                "  {} weeks {}-{}: {} unit(s) missing; {}",
                g.requirement,
                g.from_week,
                g.to_week,
                g.missing,
                reasons.join("; ")
            );
        }
    }
    if !p.marginal.is_empty() {
        let best: Vec<String> = p
            .marginal
            .iter()
            .take(5)
            .map(|m| format!("{} ({}) +{:.0}", m.offer, m.nation, m.value_per_unit))
            .collect();
        let _ = writeln!(t, "One more unit would help most from: {}", best.join(", "));
    }
    t
}

pub async fn resilience(
    file: Option<&Path>,
    opts: &PlanOptions,
    limit: f64,
    database: &str,
    out: Out,
) -> anyhow::Result<ExitCode> {
    let s = scenario(file, database, out).await?;
    let o = options(opts)?;
    let bar = bar(out, "resilience");
    let started = Instant::now();
    let threads = super::cores();
    bar.set_message(format!(
        "re-planning each nation and assumption on {threads} thread(s)"
    ));
    let r = planner::resilience(&s, &o, &Params::default(), threads, |_label| {
        let start = Instant::now();
        move |_: &Progress| start.elapsed().as_secs_f64() < limit
    });
    bar.finish_and_clear();
    let r = r?;
    out.json(&json!(r));
    out.say(format!(
        "Baseline: unmet {} weighted ({} unit-weeks); {} cases in {:.1} s",
        r.baseline_unmet_weighted,
        r.baseline_unmet_unit_weeks,
        r.cases.len(),
        started.elapsed().as_secs_f64()
    ));
    out.say(format!(
        "{:<24} {:>12} {:>16} {:>14}",
        "case", "lost (wtd)", "proven at least", "lost unit-wks"
    ));
    for c in r.cases.iter().take(if out.quiet { 0 } else { 40 }) {
        out.say(format!(
            "{:<24} {:>12} {:>16} {:>14}",
            c.case, c.lost_weighted, c.lost_at_least, c.lost_unit_weeks
        ));
    }
    Ok(ExitCode::SUCCESS)
}

pub fn generate(
    size: &str,
    seed: u64,
    output: Option<&Path>,
    out: Out,
) -> anyhow::Result<ExitCode> {
    let Some(sz) = planner::generate::Size::named(size) else {
        bail!("unknown size \"{size}\"; expected tiny, test, small or large");
    };
    let s = planner::generate::generate(sz, seed);
    let text = s.to_json_pretty();
    match output {
        Some(path) => {
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
            out.say(format!(
                "wrote {} ({} offers, {} requirements, {} weeks)",
                path.display(),
                s.offers().len(),
                s.requirements().len(),
                s.weeks()
            ));
        }
        None => crate::output::print(&text),
    }
    Ok(ExitCode::SUCCESS)
}
