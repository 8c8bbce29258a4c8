//! The `coalition.scenario/1` reader: any text either parses into a valid scenario or gives
//! errors, never a panic; and a parsed scenario exports to a file that parses back to an equal
//! value and re-exports to the same bytes (the format's round-trip invariant).
#![no_main]

use domain::Scenario;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let scenario = match Scenario::parse(text) {
        Ok(s) => s,
        Err(errors) => {
            assert!(!errors.is_empty(), "a refused scenario names no error");
            return;
        }
    };
    let _ = scenario.summary();
    let exported = scenario.to_json_pretty();
    match Scenario::parse(&exported) {
        Ok(back) => {
            assert!(
                back == scenario,
                "export parses back to a different scenario:\n{exported}"
            );
            assert_eq!(back.to_json_pretty(), exported, "re-export differs");
        }
        Err(errors) => panic!("export of a valid scenario is refused: {errors:?}\n{exported}"),
    }
});
