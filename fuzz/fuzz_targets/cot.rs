//! Cursor-on-Target XML: any text is either refused whole or read event by event into accepted
//! and rejected observations, never a panic; a rejected event has a reason and a line inside
//! the document.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(batch) = monitor::cot::read_cot(text) {
        coalition_fuzz::check_rejected(text, &batch, 1, &['\n']);
    }
});
