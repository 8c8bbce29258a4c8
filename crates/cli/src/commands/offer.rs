//! `coalition offer …`: the force-offer ledger.

use std::process::ExitCode;

use anyhow::Context;
use domain::ids::{CapabilityCode, NationCode, OfferId, SourceId};
use domain::offer::{Offer, OfferStatus, StatusChange};
use serde_json::json;
use store::{OfferFilter, SqlStore, Store};

use crate::args::OfferCommand;
use crate::output::Out;

fn arg<T>(
    value: Option<String>,
    parse: impl Fn(&str) -> Result<T, String>,
    what: &str,
) -> anyhow::Result<Option<T>> {
    value
        .map(|v| parse(&v).map_err(|e| anyhow::anyhow!("--{what}: {e}")))
        .transpose()
}

pub async fn run(store: &SqlStore, cmd: OfferCommand, out: Out) -> anyhow::Result<ExitCode> {
    match cmd {
        OfferCommand::List {
            nation,
            capability,
            status,
        } => {
            let filter = OfferFilter {
                nation: arg(nation, NationCode::parse, "nation")?,
                capability: arg(capability, CapabilityCode::parse, "capability")?,
                status: arg(status, OfferStatus::parse, "status")?,
            };
            let offers = store.offers(&store::Viewer::Everything, &filter).await?;
            out.json(&json!(offers));
            out.say(format!(
                "{:<12} {:<4} {:<16} {:>5} {:>9} {:<10} {:<12} caveats",
                "offer", "nat", "capability", "units", "weeks", "status", "roe"
            ));
            for o in &offers {
                out.say(line(o));
            }
            out.say(format!("{} offer(s)", offers.len()));
        }
        OfferCommand::Show { id } => {
            let id = OfferId::parse(&id).map_err(|e| anyhow::anyhow!("offer id: {e}"))?;
            let v = store.offer(&store::Viewer::Everything, &id).await?;
            out.json(&json!({"offer": v.value, "version": v.version}));
            show(&v.value, v.version, out);
        }
        OfferCommand::SetStatus {
            id,
            status,
            effective,
            recorded_by,
            source,
            note,
        } => {
            let id = OfferId::parse(&id).map_err(|e| anyhow::anyhow!("offer id: {e}"))?;
            let status = OfferStatus::parse(&status).map_err(|e| anyhow::anyhow!("status: {e}"))?;
            let now = jiff::Timestamp::now();
            let effective = match effective {
                Some(d) => d
                    .parse()
                    .with_context(|| format!("--effective: \"{d}\" is not a date (YYYY-MM-DD)"))?,
                None => now.to_zoned(jiff::tz::TimeZone::UTC).date(),
            };
            if recorded_by.trim().is_empty() {
                anyhow::bail!("--by: say who records the change");
            }
            let change = StatusChange {
                status,
                effective,
                recorded_at: now,
                recorded_by,
                source: arg(source, SourceId::parse, "source")?,
                note: note.filter(|n| !n.trim().is_empty()),
            };
            let v = store
                .record_status_change(&id, change, None, &super::cli_actor())
                .await?;
            out.json(&json!({"offer": v.value, "version": v.version}));
            out.say(format!(
                "{}: now {} (version {})",
                v.value.id,
                v.value.status.as_str(),
                v.version
            ));
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn line(o: &Offer) -> String {
    let mut caveats = Vec::new();
    if let Some(rs) = &o.regions {
        caveats.push(format!(
            "only {}",
            rs.iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("/")
        ));
    }
    for a in &o.requires {
        caveats.push(format!("needs {a}"));
    }
    format!(
        "{:<12} {:<4} {:<16} {:>5} {:>9} {:<10} {:<12} {}",
        o.id,
        o.nation,
        o.capability,
        o.units,
        format!("{}-{}", o.from_week, o.to_week),
        o.status.as_str(),
        serde_json::to_value(o.roe)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        caveats.join("; ")
    )
}

fn show(o: &Offer, version: i64, out: Out) {
    out.say(format!("{} (version {version})", line(o)));
    out.say(format!(
        "  notice {} weeks, tour {} weeks, dwell {} weeks, cost {} per unit-week",
        o.notice_weeks, o.tour_weeks, o.dwell_weeks, o.cost_per_unit_week
    ));
    if let Some(n) = &o.notes {
        out.say(format!("  notes: {n}"));
    }
    if o.history.is_empty() {
        out.say("  no recorded status changes");
    }
    for c in &o.history {
        let src = c
            .source
            .as_ref()
            .map(|s| format!(" source {s}"))
            .unwrap_or_default();
        out.say(format!(
            "  {} effective {} (recorded {} by {}{src})",
            c.status.as_str(),
            c.effective,
            c.recorded_at,
            c.recorded_by
        ));
    }
}
