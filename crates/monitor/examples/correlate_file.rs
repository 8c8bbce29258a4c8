//! Correlates an observation CSV file and prints how long it took (the benchmark's inner loop
//! without the rest of the binary): `cargo run --release -p monitor --example correlate_file FILE`.

use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .ok_or("usage: correlate_file FILE.csv")?;
    let text = std::fs::read_to_string(&path)?;
    let batch = monitor::ingest::read_csv(&text).map_err(|e| format!("{path}: {e}"))?;
    drop(text);
    let started = Instant::now();
    let mut c = monitor::Correlator::new(monitor::Params::default());
    c.extend(batch.accepted.iter().map(|(o, place)| (o, *place)));
    let ms = started.elapsed().as_millis();
    println!(
        "{} observations → {} incidents in {ms} ms",
        batch.accepted.len(),
        c.incident_count()
    );
    Ok(())
}
