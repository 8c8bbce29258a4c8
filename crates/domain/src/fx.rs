//! Exchange rates to the euro: a dated table read from the ECB's reference-rate CSV (or a long
//! `date,currency,rate` CSV), and conversion of an amount to EUR at a date with the rate used.
//! A missing rate is an error, never a silent 1.0.

use std::collections::BTreeMap;
use std::fmt;

use jiff::civil::Date;
use serde::Serialize;

use crate::commitment::{Decimal, Money};
use crate::ids::Currency;

/// How many days back a conversion may reach for the last published rate (the ECB publishes on
/// TARGET business days only: none at weekends or on holidays).
pub const LOOKBACK_DAYS: i32 = 7;

/// Units of a currency per 1 EUR, by currency and date.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RateTable {
    rates: BTreeMap<Currency, BTreeMap<Date, Decimal>>,
}

/// The rate a conversion used.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateUsed {
    pub currency: Currency,
    /// The date the rate was published for (on or up to a week before the date asked).
    pub date: Date,
    /// Units of `currency` per 1 EUR, as published.
    pub per_eur: Decimal,
}

/// An amount in EUR with the rate that produced it (none for amounts already in EUR).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InEur {
    pub eur: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate: Option<RateUsed>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FxError {
    #[error(
        "no EUR exchange rate for {currency} on {date} or in the {LOOKBACK_DAYS} days before; import the rates for that period"
    )]
    MissingRate { currency: Currency, date: Date },
    #[error("line {line}: {reason}")]
    Csv { line: usize, reason: String },
}

impl RateTable {
    pub fn is_empty(&self) -> bool {
        self.rates.is_empty()
    }

    /// Number of (currency, date) rates.
    pub fn len(&self) -> usize {
        self.rates.values().map(BTreeMap::len).sum()
    }

    pub fn insert(&mut self, currency: Currency, date: Date, per_eur: Decimal) {
        self.rates
            .entry(currency)
            .or_default()
            .insert(date, per_eur);
    }

    /// Adds every rate of `other`, replacing rates for the same currency and date.
    pub fn merge(&mut self, other: RateTable) {
        for (currency, by_date) in other.rates {
            self.rates.entry(currency).or_default().extend(by_date);
        }
    }

    /// Every rate as (currency, date, units per EUR), by currency then date.
    pub fn iter(&self) -> impl Iterator<Item = (&Currency, &Date, &Decimal)> {
        self.rates
            .iter()
            .flat_map(|(c, m)| m.iter().map(move |(d, r)| (c, d, r)))
    }

    /// The rate for `currency` published on `date` or most recently before it, within
    /// [`LOOKBACK_DAYS`].
    pub fn rate(&self, currency: &Currency, date: Date) -> Result<RateUsed, FxError> {
        let missing = || FxError::MissingRate {
            currency: currency.clone(),
            date,
        };
        let by_date = self.rates.get(currency).ok_or_else(missing)?;
        let (found, per_eur) = by_date.range(..=date).next_back().ok_or_else(missing)?;
        let age = date.since(*found).map_err(|_| missing())?.get_days();
        if age > LOOKBACK_DAYS {
            return Err(missing());
        }
        Ok(RateUsed {
            currency: currency.clone(),
            date: *found,
            per_eur: per_eur.clone(),
        })
    }

    /// `value` in `currency` converted to EUR at `date`.
    pub fn to_eur(&self, value: f64, currency: &Currency, date: Date) -> Result<InEur, FxError> {
        if currency.as_str() == "EUR" {
            return Ok(InEur {
                eur: value,
                rate: None,
            });
        }
        let rate = self.rate(currency, date)?;
        Ok(InEur {
            eur: value / rate.per_eur.to_f64(),
            rate: Some(rate),
        })
    }

    /// An amount of money (its central value) in EUR at `date`.
    pub fn money_to_eur(&self, money: &Money, date: Date) -> Result<InEur, FxError> {
        self.to_eur(money.value.to_f64(), &money.currency, date)
    }

    /// Reads rates from CSV: either the ECB's layout (`Date,USD,JPY,…`, one row per day, values
    /// in units per EUR, `N/A` where there is none) or a long layout (`date,currency,rate`).
    /// Every bad line is an error naming it; nothing is half-read.
    pub fn from_csv(text: &str) -> Result<Self, FxError> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut lines = text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty());
        let Some((_, header)) = lines.next() else {
            return Err(FxError::Csv {
                line: 1,
                reason: "the file is empty".into(),
            });
        };
        let trailing = header.trim_end().ends_with(',');
        let head: Vec<String> = cells(header, trailing)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let mut table = RateTable::default();
        let bad = |line: usize, reason: String| FxError::Csv {
            line: line + 1,
            reason,
        };
        if head == ["date", "currency", "rate"] {
            for (n, line) in lines {
                let row: Vec<&str> = cells(line, trailing).collect();
                let [date, currency, rate] = row.as_slice() else {
                    return Err(bad(n, format!("expected 3 cells, found {}", row.len())));
                };
                let (date, currency, rate) =
                    parse_cells(date, currency, rate).map_err(|r| bad(n, r))?;
                table.insert(currency, date, rate);
            }
        } else if head.first().map(String::as_str) == Some("date") && head.len() > 1 {
            let currencies = cells(header, trailing)
                .skip(1)
                .map(|c| Currency::parse(c).map_err(|e| bad(0, e)))
                .collect::<Result<Vec<_>, _>>()?;
            for (n, line) in lines {
                let row: Vec<&str> = cells(line, trailing).collect();
                if row.len() != currencies.len() + 1 {
                    return Err(bad(
                        n,
                        format!(
                            "expected {} cells, found {}",
                            currencies.len() + 1,
                            row.len()
                        ),
                    ));
                }
                let date: Date = row[0]
                    .parse()
                    .map_err(|_| bad(n, format!("\"{}\" is not a date (YYYY-MM-DD)", row[0])))?;
                for (currency, cell) in currencies.iter().zip(&row[1..]) {
                    if cell.is_empty() || cell.eq_ignore_ascii_case("n/a") {
                        continue;
                    }
                    let rate = positive(cell).map_err(|r| bad(n, format!("{currency}: {r}")))?;
                    table.insert(currency.clone(), date, rate);
                }
            }
        } else {
            return Err(bad(
                0,
                "expected the ECB layout (Date,USD,JPY,…) or date,currency,rate".into(),
            ));
        }
        Ok(table)
    }

    /// The long layout, `date,currency,rate`, by currency then date.
    pub fn to_csv(&self) -> String {
        let mut out = String::from("date,currency,rate\n");
        for (c, d, r) in self.iter() {
            out.push_str(&format!("{d},{c},{}\n", r.as_str()));
        }
        out
    }
}

/// Cells of a simple CSV line (rates files have no quoted cells). When the header ends with a
/// comma, as the ECB's does, every line's last empty cell is dropped.
fn cells(line: &str, ecb_trailing_comma: bool) -> impl Iterator<Item = &str> {
    let line = line.trim_end_matches(['\r', '\n']);
    let line = if ecb_trailing_comma {
        line.strip_suffix(',').unwrap_or(line)
    } else {
        line
    };
    line.split(',').map(str::trim)
}

fn positive(cell: &str) -> Result<Decimal, String> {
    let d = Decimal::parse(cell)?;
    if d.to_f64() > 0.0 {
        Ok(d)
    } else {
        Err(format!("\"{cell}\" is not a positive rate"))
    }
}

fn parse_cells(
    date: &str,
    currency: &str,
    rate: &str,
) -> Result<(Date, Currency, Decimal), String> {
    let date: Date = date
        .parse()
        .map_err(|_| format!("\"{date}\" is not a date (YYYY-MM-DD)"))?;
    Ok((date, Currency::parse(currency)?, positive(rate)?))
}

impl fmt::Display for RateUsed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "1 EUR = {} {} (ECB, {})",
            self.per_eur.as_str(),
            self.currency,
            self.date
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap_or_default()
    }

    const ECB: &str =
        "Date,USD,GBP,BGN,\n2025-03-18,1.0918,0.84173,N/A,\n2025-03-03,1.0465,0.8253,1.9558,\n";

    #[test]
    fn ecb_layout_reads_with_gaps_and_trailing_commas() {
        let t = RateTable::from_csv(ECB).unwrap();
        assert_eq!(t.len(), 5, "N/A is no rate");
        let gbp = Currency::parse("GBP").unwrap();
        let r = t.rate(&gbp, d("2025-03-03")).unwrap();
        assert_eq!((r.date, r.per_eur.as_str()), (d("2025-03-03"), "0.8253"));
        assert_eq!(r.to_string(), "1 EUR = 0.8253 GBP (ECB, 2025-03-03)");
    }

    #[test]
    fn conversion_uses_the_last_rate_within_a_week_and_says_which() {
        let t = RateTable::from_csv(ECB).unwrap();
        let gbp = Currency::parse("GBP").unwrap();
        // Only earlier rates count: Saturday 8 March takes Monday 3 March's.
        let x = t.to_eur(1_600_000_000.0, &gbp, d("2025-03-08")).unwrap();
        let rate = x.rate.unwrap();
        assert_eq!(rate.date, d("2025-03-03"));
        assert!((x.eur - 1_600_000_000.0 / 0.8253).abs() < 1e-3);
        // Hand-computed: 825.30 GBP at 0.8253 per EUR is 1,000 EUR.
        let y = t.to_eur(825.30, &gbp, d("2025-03-03")).unwrap();
        assert!((y.eur - 1000.0).abs() < 1e-9, "{}", y.eur);
        // EUR needs no rate.
        let eur = Currency::parse("EUR").unwrap();
        assert_eq!(t.to_eur(5.0, &eur, d("1999-01-01")).unwrap().eur, 5.0);
    }

    #[test]
    fn a_missing_rate_is_an_error_never_one() {
        let t = RateTable::from_csv(ECB).unwrap();
        let gbp = Currency::parse("GBP").unwrap();
        let cad = Currency::parse("CAD").unwrap();
        let bgn = Currency::parse("BGN").unwrap();
        // Before the first rate, more than a week after the last one, an unknown currency, and
        // a day the currency had no rate while others had.
        for (c, day) in [
            (&gbp, "2025-03-02"),
            (&gbp, "2025-03-11"),
            (&cad, "2025-03-18"),
            (&bgn, "2025-03-26"),
        ] {
            let e = t.to_eur(100.0, c, d(day)).unwrap_err();
            assert_eq!(
                e,
                FxError::MissingRate {
                    currency: c.clone(),
                    date: d(day)
                }
            );
            assert!(e.to_string().contains("no EUR exchange rate"));
        }
        assert!(RateTable::default()
            .to_eur(1.0, &gbp, d("2025-03-03"))
            .is_err());
    }

    #[test]
    fn long_layout_round_trips_and_bad_lines_are_named() {
        let t = RateTable::from_csv(ECB).unwrap();
        let again = RateTable::from_csv(&t.to_csv()).unwrap();
        assert_eq!(again, t);
        for (text, want) in [
            ("", "line 1: the file is empty"),
            ("when,what\n", "line 1: expected the ECB layout"),
            (
                "Date,USD\n2025-13-01,1.1\n",
                "line 2: \"2025-13-01\" is not a date",
            ),
            ("Date,USD\n2025-03-03,-1\n", "line 2: USD:"),
            ("Date,USD\n2025-03-03,0\n", "not a positive rate"),
            (
                "date,currency,rate\n2025-03-03,GBP\n",
                "line 2: expected 3 cells",
            ),
            (
                "Date,USD,GBP\n2025-03-03,1.1\n",
                "line 2: expected 3 cells, found 2",
            ),
            ("Date,usd1\n", "line 1:"),
        ] {
            let e = RateTable::from_csv(text).unwrap_err().to_string();
            assert!(e.contains(want), "{text:?}: {e}");
        }
    }

    #[test]
    fn the_shipped_ecb_file_reads_and_gives_the_published_rates() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/fx/ecb-eur.csv"
        ))
        .unwrap_or_default();
        let t = RateTable::from_csv(&text).unwrap();
        let gbp = Currency::parse("GBP").unwrap();
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(
            t.rate(&gbp, d("2025-03-03")).unwrap().per_eur.as_str(),
            "0.8253"
        );
        assert_eq!(
            t.rate(&usd, d("2025-03-18")).unwrap().per_eur.as_str(),
            "1.0918"
        );
        // Sunday 2 March 2025 takes Friday 28 February's rate.
        assert_eq!(t.rate(&gbp, d("2025-03-02")).unwrap().date, d("2025-02-28"));
    }
}
