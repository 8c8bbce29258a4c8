//! Installs the browser libraries named in `web/package.json` (exact versions from its
//! lockfile) with `npm ci` into this build's output directory, and copies the files the web UI
//! serves next to it, so that they are compiled into the binary. Nothing is fetched at run time
//! and no third-party file lives in the repository.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::{env, fs};

/// (file inside `node_modules`, name it is served under `/assets/vendor/`)
const VENDOR: &[(&str, &str)] = &[
    ("htmx.org/dist/htmx.min.js", "htmx.min.js"),
    ("leaflet/dist/leaflet.js", "leaflet.js"),
    ("leaflet/dist/leaflet.css", "leaflet.css"),
    ("milsymbol/dist/milsymbol.js", "milsymbol.js"),
];

fn main() {
    if let Err(message) = run() {
        // One clear sentence; cargo shows it as the build failure.
        eprintln!("error: {message}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").map_err(|e| e.to_string())?);
    let web = manifest.join("../../web");
    let out = PathBuf::from(env::var("OUT_DIR").map_err(|e| e.to_string())?);
    let lock = web.join("package-lock.json");
    let package = web.join("package.json");
    println!("cargo:rerun-if-changed={}", lock.display());
    println!("cargo:rerun-if-changed={}", package.display());
    println!("cargo:rerun-if-changed=build.rs");

    let install = out.join("web");
    fs::create_dir_all(&install)
        .map_err(|e| format!("cannot create {}: {e}", install.display()))?;
    let stamp = install.join(".installed-lock");
    let wanted = fs::read(&lock).map_err(|e| format!("cannot read {}: {e}", lock.display()))?;
    let current = fs::read(&stamp).unwrap_or_default();
    if current != wanted || !install.join("node_modules").is_dir() {
        copy(&package, &install.join("package.json"))?;
        copy(&lock, &install.join("package-lock.json"))?;
        npm_ci(&install)?;
        fs::write(&stamp, &wanted).map_err(|e| e.to_string())?;
    }

    let assets = out.join("vendor");
    fs::create_dir_all(&assets).map_err(|e| e.to_string())?;
    for (from, to) in VENDOR {
        copy(&install.join("node_modules").join(from), &assets.join(to))?;
    }
    println!(
        "cargo:rustc-env=COALITION_NODE_MODULES={}",
        install.join("node_modules").display()
    );
    Ok(())
}

fn npm_ci(dir: &Path) -> Result<(), String> {
    let status = Command::new("npm")
        .args(["ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"])
        .current_dir(dir)
        .status()
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => "building the web UI needs Node.js and npm (https://nodejs.org); npm was not found on PATH".to_owned(),
            _ => format!("could not run npm: {e}"),
        })?;
    if status.success() {
        Ok(())
    } else {
        Err(format!(
            "`npm ci` for the web UI's libraries failed ({status}); check that the npm registry is reachable"
        ))
    }
}

fn copy(from: &Path, to: &Path) -> Result<(), String> {
    fs::copy(from, to)
        .map(|_| ())
        .map_err(|e| format!("cannot copy {} to {}: {e}", from.display(), to.display()))
}
