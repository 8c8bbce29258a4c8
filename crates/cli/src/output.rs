//! How the binary talks to people and scripts: one readable line per error, spinners on a
//! terminal only, JSON on request.

use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;

use indicatif::{ProgressBar, ProgressStyle};

/// Writes to stdout. A reader that has gone away (`coalition … | head`) ends the program
/// quietly with success instead of a panic; other write errors are reported once.
pub fn print(text: &str) {
    use std::io::Write as _;
    let mut stdout = std::io::stdout().lock();
    if let Err(e) = stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        if e.kind() == std::io::ErrorKind::BrokenPipe {
            std::process::exit(0);
        }
        eprintln!("error: cannot write the output: {e}");
        std::process::exit(1);
    }
}

/// Whether `path` names something that exists and is not a regular file: a device such as
/// `/dev/null` or `/dev/stdout`, or a named pipe. Output goes into it directly; renaming a file
/// over it would replace it.
pub fn is_special(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| !m.is_file())
}

/// Writes `text` to the file `path`: beside it first, then renamed into place, so an interrupted
/// write never leaves half a file. A device or named pipe ([`is_special`]) is written directly.
pub fn write_file(path: &Path, text: &str) -> anyhow::Result<()> {
    if is_special(path) {
        return std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()));
    }
    let tmp = path.with_extension("json.partial");
    std::fs::write(&tmp, text).with_context(|| format!("cannot write {}", tmp.display()))?;
    std::fs::rename(&tmp, path).with_context(|| format!("cannot write {}", path.display()))
}

/// Prints an error as one line and returns exit code 1. Control characters in it (a file name
/// with a newline, say) are shown escaped, so the line stays one line.
pub fn fail(e: &anyhow::Error) -> ExitCode {
    let chain: Vec<String> = e.chain().map(ToString::to_string).collect();
    let line: String = chain
        .join(": ")
        .chars()
        .flat_map(|c| {
            let shown: Vec<char> = if c.is_control() {
                c.escape_default().collect()
            } else {
                vec![c]
            };
            shown
        })
        .collect();
    eprintln!("error: {line}");
    ExitCode::FAILURE
}

#[derive(Debug, Clone, Copy)]
pub struct Out {
    pub quiet: bool,
    pub json: bool,
}

impl Out {
    /// A spinner on stderr for a step that may take a while; hidden when quiet, in JSON mode or
    /// when stderr is not a terminal.
    pub fn spinner(&self, message: &str) -> ProgressBar {
        let bar =
            if self.quiet || self.json || !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
                ProgressBar::hidden()
            } else {
                ProgressBar::new_spinner()
            };
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            bar.set_style(style);
        }
        bar.set_message(message.to_owned());
        bar.enable_steady_tick(Duration::from_millis(100));
        bar
    }

    /// Prints a line for people unless quiet or in JSON mode.
    pub fn say(&self, line: impl AsRef<str>) {
        if !self.quiet && !self.json {
            print(&format!("{}\n", line.as_ref()));
        }
    }

    /// Prints a JSON value in JSON mode.
    pub fn json(&self, value: &serde_json::Value) {
        if self.json {
            print(&format!(
                "{}\n",
                serde_json::to_string_pretty(value).unwrap_or_default()
            ));
        }
    }
}
