//! `coalition monitor …`: observations in, incidents and reports out, on the same log and
//! correlation as the server.

use std::process::ExitCode;

use anyhow::{anyhow, Context};
use server::monitoring::Monitoring;
use store::{SqlStore, Store};

use super::cli_actor;
use crate::args::MonitorCommand;
use crate::output::{print, Out};

pub async fn run(store: &SqlStore, cmd: MonitorCommand, out: Out) -> anyhow::Result<ExitCode> {
    // Monitoring state catches up with the log through a shared handle on the store.
    let shared: std::sync::Arc<dyn Store> = std::sync::Arc::new(store.clone());
    let monitoring = Monitoring::default();
    match cmd {
        MonitorCommand::Ingest { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let ext = file
                .extension()
                .and_then(|e| e.to_str())
                .unwrap_or("")
                .to_ascii_lowercase();
            let batch = match ext.as_str() {
                "xml" | "cot" => {
                    monitor::cot::read_cot(&text).map_err(|e| anyhow!("{}: {e}", file.display()))?
                }
                "json" => {
                    let items: Vec<serde_json::Value> = serde_json::from_str(&text)
                        .with_context(|| format!("{} is not a JSON list", file.display()))?;
                    let mut b = monitor::ingest::Batch::default();
                    for (i, v) in items.into_iter().enumerate() {
                        b.take(i + 1, v);
                    }
                    b
                }
                _ => monitor::ingest::read_csv(&text)
                    .map_err(|e| anyhow!("{}: {e}", file.display()))?,
            };
            let report =
                server::monitoring::ingest(&monitoring, &shared, batch, &cli_actor()).await?;
            out.json(&serde_json::to_value(&report)?);
            out.say(format!(
                "{} observations recorded, {} already known, {} rejected",
                report.accepted.len(),
                report.already_known.len(),
                report.rejected.len()
            ));
            for r in &report.rejected {
                out.say(format!(
                    "  line {}{}: {}",
                    r.line,
                    r.id.as_deref()
                        .map(|i| format!(" ({i})"))
                        .unwrap_or_default(),
                    r.reason
                ));
            }
            if report.accepted.is_empty() && !report.rejected.is_empty() {
                anyhow::bail!(
                    "{}: no observation recorded, {} rejected",
                    file.display(),
                    report.rejected.len()
                );
            }
        }
        MonitorCommand::Correlate { file, assignments } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let started = std::time::Instant::now();
            let batch =
                monitor::ingest::read_csv(&text).map_err(|e| anyhow!("{}: {e}", file.display()))?;
            let parsed = started.elapsed();
            // The observations own their text: the file is not needed any more.
            drop(text);
            let began = std::time::Instant::now();
            // In order of observed time, whatever the order of the rows; kinds apart, on every
            // core.
            let assigned = monitor::correlate::correlate_batch(
                monitor::Params::default(),
                &batch.accepted,
                super::cores(),
            );
            let correlated = began.elapsed();
            let incidents = assigned.count;
            if let Some(path) = assignments {
                let mut w = String::with_capacity(batch.accepted.len() * 24);
                w.push_str("id,incident\n");
                for ((o, _), incident) in batch.accepted.iter().zip(&assigned.incidents) {
                    w.push_str(&format!("{},{incident}\n", o.id));
                }
                std::fs::write(&path, w)
                    .with_context(|| format!("cannot write {}", path.display()))?;
            }
            let summary = serde_json::json!({"observations": batch.accepted.len(), "rejected": batch.rejected.len(),
                "incidents": incidents, "parse_ms": parsed.as_millis(), "correlate_ms": correlated.as_millis()});
            out.json(&summary);
            out.say(format!(
                "{} observations ({} rejected) → {incidents} incidents; read in {:.2} s, correlated in {:.2} s",
                batch.accepted.len(),
                batch.rejected.len(),
                parsed.as_secs_f64(),
                correlated.as_secs_f64()
            ));
        }
        MonitorCommand::Sectors { file } => {
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("cannot read {}", file.display()))?;
            let sectors = monitor::sectors::read_geojson(&text)
                .map_err(|e| anyhow!("{}: {e}", file.display()))?;
            store
                .put_reference(server::monitoring::SECTORS, &text, &cli_actor())
                .await?;
            out.say(format!("{} sectors", sectors.len()));
        }
        MonitorCommand::Incidents { kind, limit } => {
            let kind = kind
                .as_deref()
                .map(monitor::EventKind::parse)
                .transpose()
                .map_err(|e| anyhow!("--kind: {e}"))?;
            let st = monitoring.sync(&shared).await?;
            let mut list: Vec<monitor::Incident> = st
                .correlator
                .incidents_where(|h| kind.is_none_or(|k| h.kind == k))
                .collect();
            list.sort_by_key(|i| std::cmp::Reverse(i.from));
            list.truncate(limit);
            out.json(&serde_json::to_value(&list)?);
            for i in &list {
                out.say(format!(
                    "{:>6}  {}  {:<20} {:>9.5} {:>9.5} ±{:.0} m  count {}  {} observer(s){}  {}",
                    i.id,
                    monitor::dtg::format_dtg(i.from),
                    i.kind.as_str(),
                    i.location.lat,
                    i.location.lon,
                    i.radius_m,
                    i.count.best,
                    i.observers.len(),
                    if i.against_coalition {
                        "  AGAINST COALITION"
                    } else {
                        ""
                    },
                    st.sector(i).unwrap_or("-"),
                ));
            }
        }
        MonitorCommand::Report { date, csv } => {
            let spec = &monitoring.period;
            let day = match date {
                Some(d) => d
                    .parse()
                    .map_err(|_| anyhow!("--date: \"{d}\" is not a date (YYYY-MM-DD)"))?,
                None => spec
                    .day_of(jiff::Timestamp::now())
                    .map_err(|e| anyhow!(e))?,
            };
            let st = monitoring.sync(&shared).await?;
            let reports = st
                .daily_reports(spec, day, &store::Viewer::Everything, false)
                .map_err(|e| anyhow!(e))?;
            if csv {
                print(&monitor::report::to_csv(&reports));
                return Ok(ExitCode::SUCCESS);
            }
            out.json(&serde_json::to_value(&reports)?);
            for r in &reports {
                out.say(format!(
                    "{}  {} – {}{}",
                    r.sector,
                    r.period_start,
                    r.period_end,
                    if r.unobserved {
                        "  (nobody observing: no information)"
                    } else {
                        ""
                    }
                ));
                for (kind, k) in r
                    .by_kind
                    .iter()
                    .filter(|(_, k)| k.incidents + k.previous_incidents > 0)
                {
                    out.say(format!(
                        "  {kind:<22} {:>4} incidents ({:>5} counted), previous {:>4} ({:>5})",
                        k.incidents, k.count, k.previous_incidents, k.previous_count
                    ));
                }
                out.say(format!(
                    "  effort: {:.1} patrol hours, {} UAV sorties, {:.1} sensor hours",
                    r.effort.patrol_hours, r.effort.uav_sorties, r.effort.sensor_hours
                ));
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
