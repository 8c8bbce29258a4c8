//! `coalition backup`, `coalition restore` and `coalition db copy`.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{bail, Context};
use serde_json::json;
use store::backup::Summary;
use store::{SqlStore, Store};

use crate::output::Out;

/// Writes the backup to a temporary file beside FILE and renames it into place once complete,
/// so FILE is never a partial backup. A device or named pipe is written directly.
pub async fn backup(store: &SqlStore, file: &Path, out: Out) -> anyhow::Result<ExitCode> {
    let direct = crate::output::is_special(file);
    let partial = if direct {
        file.to_path_buf()
    } else {
        file.with_extension("partial")
    };
    let spinner = out.spinner("writing the backup");
    let written = async {
        let f = File::create(&partial)
            .with_context(|| format!("cannot create {}", partial.display()))?;
        let mut w = BufWriter::new(f);
        let summary = store::backup::backup(store, &mut w).await?;
        let f = w.into_inner().context("cannot write the backup")?;
        if direct {
            return anyhow::Ok(summary);
        }
        f.sync_all().context("cannot write the backup")?;
        std::fs::rename(&partial, file)
            .with_context(|| format!("cannot rename the backup to {}", file.display()))?;
        anyhow::Ok(summary)
    }
    .await;
    spinner.finish_and_clear();
    let summary = match written {
        Ok(s) => s,
        Err(e) => {
            if !direct {
                let _ = std::fs::remove_file(&partial);
            }
            return Err(e);
        }
    };
    report(&summary, &format!("backed up to {}", file.display()), out);
    Ok(ExitCode::SUCCESS)
}

pub async fn restore(url: &str, file: &Path, out: Out) -> anyhow::Result<ExitCode> {
    let f = File::open(file).with_context(|| format!("cannot open {}", file.display()))?;
    let spinner = out.spinner("restoring");
    let restored = store::backup::restore(url, BufReader::new(f)).await;
    spinner.finish_and_clear();
    let (store, summary) =
        restored.with_context(|| format!("cannot restore {}", file.display()))?;
    finish(
        &store,
        &summary,
        &format!("restored into {}", store::redact(url)),
        out,
    )
    .await
}

pub async fn copy(from: &SqlStore, to: &str, out: Out) -> anyhow::Result<ExitCode> {
    let spinner = out.spinner("copying");
    let copied = store::backup::copy(from, to).await;
    spinner.finish_and_clear();
    let (store, summary) =
        copied.with_context(|| format!("cannot copy into {}", store::redact(to)))?;
    finish(
        &store,
        &summary,
        &format!("copied into {}", store::redact(to)),
        out,
    )
    .await
}

/// Verifies the audit chain of the database just written and reports.
async fn finish(
    store: &SqlStore,
    summary: &Summary,
    what: &str,
    out: Out,
) -> anyhow::Result<ExitCode> {
    let audit = store.verify_audit().await?;
    if let Some((seq, why)) = &audit.broken {
        bail!("{what}, but the audit log is broken at row {seq}: {why}");
    }
    report(
        summary,
        &format!("{what}; audit log intact ({} rows)", audit.rows),
        out,
    );
    Ok(ExitCode::SUCCESS)
}

fn report(summary: &Summary, what: &str, out: Out) {
    out.say(format!(
        "{what}: {} rows in {} tables, schema version {}",
        summary.rows(),
        summary.tables.len(),
        summary.schema_version
    ));
    if !out.quiet && !out.json {
        let mut text = String::new();
        for (table, rows) in &summary.tables {
            let _ = writeln!(text, "  {table:<22} {rows:>9}");
        }
        crate::output::print(&text);
    }
    out.json(&json!({"result": what, "schema_version": summary.schema_version, "tables": summary.tables}));
}
