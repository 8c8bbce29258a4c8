//! The `coalition` binary: parse the command line, run the command, map the outcome to an exit code.

mod args;
mod commands;
mod output;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let args = args::Args::parse();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(rt) => rt,
        Err(e) => return output::fail(&anyhow::anyhow!("cannot start the runtime: {e}")),
    };
    match runtime.block_on(commands::run(args)) {
        Ok(code) => code,
        Err(e) => output::fail(&e),
    }
}

/// jemalloc, asking the kernel for transparent huge pages (`.cargo/config.toml`): a batch of a
/// million observations spans hundreds of MiB, and in 4 KiB pages reading it costs a page fault
/// a page and a TLB miss a row (docs/benchmarks.md, "Monitoring").
#[cfg(not(target_env = "msvc"))]
#[global_allocator]
static GLOBAL: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;
