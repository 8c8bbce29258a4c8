//! Aid and finance entries from CSV in the Kiel tracker's layout: any text is entries or
//! errors, never a panic; and entries that export again read back as the same entries.
#![no_main]

use domain::kiel::{from_csv, to_csv};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let entries = match from_csv(text) {
        Ok(entries) => entries,
        Err(errors) => {
            assert!(!errors.is_empty(), "refused without an error");
            return;
        }
    };
    // What the layout cannot carry is an export error; anything written must read back.
    let Ok(exported) = to_csv(&entries) else {
        return;
    };
    match from_csv(&exported) {
        Ok(back) => assert!(
            back == entries,
            "entries change on export and import:\n{exported}"
        ),
        Err(errors) => panic!("exported entries are refused: {errors:?}\n{exported}"),
    }
});
