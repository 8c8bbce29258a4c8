//! Observations from CSV (Coalition's columns or an ACLED export): any text is either refused
//! whole or read row by row into accepted and rejected rows, never a panic; a rejected row has
//! a reason and a line inside the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(batch) = monitor::ingest::read_csv(text) {
        // The CSV reader ends a record at \n, \r\n or a lone \r.
        coalition_fuzz::check_rejected(text, &batch, 2, &['\n', '\r']);
    }
});
