//! Exchange rates from CSV (the ECB's layout or `date,currency,rate`): any text is a rate table
//! or an error, never a panic. A table read gives each of its rates back on that rate's own
//! date, and writes as CSV that reads back as the same table.
#![no_main]

use domain::fx::RateTable;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(table) = RateTable::from_csv(text) else {
        return;
    };
    for (currency, date, per_eur) in table.iter() {
        match table.rate(currency, *date) {
            Ok(used) => assert!(
                used.date == *date && used.per_eur == *per_eur,
                "{currency} on {date}: {used}"
            ),
            Err(e) => panic!("{currency} on {date}: {e}"),
        }
    }
    let written = table.to_csv();
    match RateTable::from_csv(&written) {
        Ok(back) => assert!(back == table, "the table changes when written:\n{written}"),
        Err(e) => panic!("the table as written is refused: {e}\n{written}"),
    }
});
