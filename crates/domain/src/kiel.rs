//! Aid and finance entries as CSV in the Kiel Ukraine Support Tracker's column layout: the
//! tracker's columns first (donor, aid type, measure, date, value, currency, item), then the
//! ledger's own, one row per stage. Export then import gives back the same entries; anything
//! the layout cannot carry is an export error, never a silent loss.

use std::collections::BTreeMap;

use crate::access::Releasability;
use crate::commitment::{
    kiel_measure, Commitment, CommitmentKind, CommitmentStatus, Decimal, Instrument, Item, Link,
    LinkKind, Money, Qualifier, Quantity, Stage,
};
use crate::ids::{CommitmentId, Currency, NationCode, SourceId};
use crate::read::ParseErrors;

pub const COLUMNS: [&str; 21] = [
    "donor",
    "aid_type",
    "measure",
    "date",
    "value",
    "currency",
    "item",
    "id",
    "recipient",
    "status",
    "instrument",
    "qualifier",
    "low",
    "high",
    "title",
    "summary",
    "sources",
    "entry_sources",
    "note",
    "intermediary",
    "links",
];

const RELEASABILITY: &str = "releasability";

fn quantity_text(q: &Quantity) -> String {
    let v = |x: f64| {
        if x.fract() == 0.0 && x.abs() < 1e15 {
            format!("{}", x as i64)
        } else {
            format!("{x}")
        }
    };
    match q.qualifier {
        Qualifier::Exact => v(q.value),
        Qualifier::About => format!("about {}", v(q.value)),
        Qualifier::UpTo => format!("up to {}", v(q.value)),
        Qualifier::AtLeast => format!("at least {}", v(q.value)),
        Qualifier::MoreThan => format!("more than {}", v(q.value)),
        Qualifier::Range => format!(
            "{}-{}, best {}",
            v(q.low.unwrap_or(q.value)),
            v(q.high.unwrap_or(q.value)),
            v(q.value)
        ),
    }
}

fn item_text(i: &Item) -> Result<String, String> {
    if i.name.contains(';') || i.name.contains(" × ") || i.name.contains("(delivered") {
        return Err(format!(
            "item \"{}\": a name with ';', ' × ' or '(delivered' cannot be written in the CSV layout; use JSON",
            i.name
        ));
    }
    let mut s = format!("{} × {}", i.name, quantity_text(&i.quantity));
    if let Some(d) = i.delivered {
        s.push_str(&format!(" (delivered {d})"));
    }
    Ok(s)
}

fn number(s: &str) -> Result<f64, String> {
    s.trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite() && *x >= 0.0)
        .ok_or_else(|| format!("\"{s}\" is not a non-negative number"))
}

fn parse_quantity(s: &str) -> Result<Quantity, String> {
    let s = s.trim();
    let simple = |qualifier, rest: &str| -> Result<Quantity, String> {
        Ok(Quantity {
            value: number(rest)?,
            qualifier,
            low: None,
            high: None,
        })
    };
    for (prefix, q) in [
        ("about ", Qualifier::About),
        ("up to ", Qualifier::UpTo),
        ("at least ", Qualifier::AtLeast),
        ("more than ", Qualifier::MoreThan),
    ] {
        if let Some(rest) = s.strip_prefix(prefix) {
            return simple(q, rest);
        }
    }
    if let Some((range, best)) = s.split_once(", best ") {
        let (low, high) = range
            .split_once('-')
            .ok_or_else(|| format!("\"{s}\" is not LOW-HIGH, best VALUE"))?;
        return Ok(Quantity {
            value: number(best)?,
            qualifier: Qualifier::Range,
            low: Some(number(low)?),
            high: Some(number(high)?),
        });
    }
    simple(Qualifier::Exact, s)
}

fn parse_item(s: &str) -> Result<Item, String> {
    let (name, rest) = s
        .split_once(" × ")
        .ok_or_else(|| format!("item \"{s}\" is not NAME × QUANTITY"))?;
    let (quantity, delivered) = match rest.split_once(" (delivered ") {
        Some((q, d)) => (
            q,
            Some(number(d.strip_suffix(')').ok_or_else(|| {
                format!("item \"{s}\": \"(delivered N)\" is not closed")
            })?)?),
        ),
        None => (rest, None),
    };
    Ok(Item {
        name: name.trim().to_owned(),
        quantity: parse_quantity(quantity)?,
        delivered,
    })
}

fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(";")
}

/// Writes the aid and finance entries of `commitments` (others are skipped) as CSV.
pub fn to_csv(commitments: &[Commitment]) -> Result<String, String> {
    let mut w = csv::WriterBuilder::new()
        .terminator(csv::Terminator::Any(b'\n'))
        .from_writer(Vec::new());
    let mut header: Vec<&str> = COLUMNS.to_vec();
    header.push(RELEASABILITY);
    w.write_record(&header).map_err(|e| e.to_string())?;
    for c in commitments {
        if !matches!(c.kind, CommitmentKind::Aid | CommitmentKind::Finance) {
            continue;
        }
        let unsupported = [
            ("end_date", c.end_date.is_some()),
            ("target", c.target.is_some()),
            ("topic", c.topic.is_some()),
            ("format", c.format.is_some()),
            ("participants", !c.participants.is_empty()),
        ];
        if let Some((field, _)) = unsupported.iter().find(|(_, set)| *set) {
            return Err(format!(
                "{}: the CSV layout has no column for {field}; export as JSON",
                c.id
            ));
        }
        let items = c
            .items
            .iter()
            .map(item_text)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| format!("{}: {e}", c.id))?
            .join("; ");
        let links = c
            .links
            .iter()
            .map(|l| format!("{}:{}", l.rel, l.id))
            .collect::<Vec<_>>()
            .join(";");
        let staged = !c.stages.is_empty();
        for stage in c.history() {
            let money = c.amount_at(&stage);
            let opt = |d: Option<&Decimal>| d.map(|d| d.as_str().to_owned()).unwrap_or_default();
            let row: Vec<String> = vec![
                c.nation.to_string(),
                c.kind.to_string(),
                kiel_measure(stage.status).unwrap_or("").to_owned(),
                stage.date.to_string(),
                money
                    .map(|m| m.value.as_str().to_owned())
                    .unwrap_or_default(),
                money.map(|m| m.currency.to_string()).unwrap_or_default(),
                items.clone(),
                c.id.to_string(),
                c.recipient
                    .as_ref()
                    .map(ToString::to_string)
                    .unwrap_or_default(),
                stage.status.to_string(),
                c.instrument.map(|i| i.to_string()).unwrap_or_default(),
                money.map(|m| m.qualifier.to_string()).unwrap_or_default(),
                opt(money.and_then(|m| m.low.as_ref())),
                opt(money.and_then(|m| m.high.as_ref())),
                c.title.clone(),
                c.summary.clone().unwrap_or_default(),
                if staged {
                    join(&stage.sources)
                } else {
                    join(&c.sources)
                },
                if staged {
                    join(&c.sources)
                } else {
                    String::new()
                },
                stage.note.clone().unwrap_or_default(),
                c.intermediary.clone().unwrap_or_default(),
                links.clone(),
                c.releasability.as_str().to_owned(),
            ];
            w.write_record(&row).map_err(|e| e.to_string())?;
        }
    }
    let bytes = w.into_inner().map_err(|e| e.to_string())?;
    String::from_utf8(bytes).map_err(|e| e.to_string())
}

/// Reads entries from CSV in the layout [`to_csv`] writes (`releasability` may be left out and
/// defaults to `coalition`). Rows with the same id are the stages of one entry, in order.
/// Every problem is reported with its line and column; nothing is half-read.
pub fn from_csv(text: &str) -> Result<Vec<Commitment>, ParseErrors> {
    let mut errs = ParseErrors::default();
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut reader = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let header: Vec<String> = match reader.headers() {
        Ok(h) => h.iter().map(str::to_owned).collect(),
        Err(e) => {
            errs.push("line 1", e.to_string());
            return Err(errs);
        }
    };
    let missing: Vec<&str> = COLUMNS
        .iter()
        .filter(|c| !header.iter().any(|h| h == *c))
        .copied()
        .collect();
    if !missing.is_empty() {
        errs.push("line 1", format!("missing columns: {}", missing.join(", ")));
        return Err(errs);
    }
    let col = |name: &str| header.iter().position(|h| h == name);
    let mut order: Vec<String> = Vec::new();
    let mut rows: BTreeMap<String, Vec<(usize, csv::StringRecord)>> = BTreeMap::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        match rec {
            Ok(r) => {
                let id = col("id").and_then(|k| r.get(k)).unwrap_or("").to_owned();
                if !rows.contains_key(&id) {
                    order.push(id.clone());
                }
                rows.entry(id).or_default().push((line, r));
            }
            Err(e) => errs.push(&format!("line {line}"), e.to_string()),
        }
    }
    let mut out = Vec::new();
    for id in order {
        let group = &rows[&id];
        match entry(group, &col) {
            Ok(c) => out.push(c),
            Err((line, column, reason)) => errs.push(&format!("line {line}, {column}"), reason),
        }
    }
    if errs.is_empty() {
        Ok(out)
    } else {
        Err(errs)
    }
}

type RowError = (usize, &'static str, String);

fn entry(
    group: &[(usize, csv::StringRecord)],
    col: &dyn Fn(&str) -> Option<usize>,
) -> Result<Commitment, RowError> {
    let (first_line, first) = &group[0];
    let get = |r: &csv::StringRecord, name: &str| -> String {
        col(name).and_then(|k| r.get(k)).unwrap_or("").to_owned()
    };
    let at = |line: usize, column: &'static str| move |e: String| (line, column, e);
    let opt = |s: String| (!s.is_empty()).then_some(s);
    let list = |s: String, line: usize, column: &'static str| -> Result<Vec<SourceId>, RowError> {
        s.split(';')
            .map(str::trim)
            .filter(|x| !x.is_empty())
            .map(|x| SourceId::parse(x).map_err(at(line, column)))
            .collect()
    };
    let money = |r: &csv::StringRecord, line: usize| -> Result<Option<Money>, RowError> {
        let value = get(r, "value");
        if value.is_empty() {
            return Ok(None);
        }
        let word = get(r, "qualifier");
        let qualifier = if word.is_empty() {
            Qualifier::Exact
        } else {
            Qualifier::ALL
                .iter()
                .find(|(w, _)| *w == word)
                .map(|(_, q)| *q)
                .ok_or_else(|| (line, "qualifier", format!("\"{word}\" is not a qualifier")))?
        };
        let dec = |s: String, column| -> Result<Option<Decimal>, RowError> {
            opt(s)
                .map(|s| Decimal::parse(&s).map_err(at(line, column)))
                .transpose()
        };
        Ok(Some(Money {
            value: Decimal::parse(&value).map_err(at(line, "value"))?,
            currency: Currency::parse(&get(r, "currency")).map_err(at(line, "currency"))?,
            qualifier,
            low: dec(get(r, "low"), "low")?,
            high: dec(get(r, "high"), "high")?,
        }))
    };
    let line = *first_line;
    let kind = match get(first, "aid_type").as_str() {
        "aid" => CommitmentKind::Aid,
        "finance" => CommitmentKind::Finance,
        other => {
            return Err((
                line,
                "aid_type",
                format!("\"{other}\" is not aid or finance"),
            ))
        }
    };
    let mut stages = Vec::new();
    let amount = money(first, line)?;
    for (line, r) in group {
        let word = get(r, "status");
        let status = CommitmentStatus::ALL
            .iter()
            .find(|(w, _)| *w == word)
            .map(|(_, s)| *s)
            .ok_or_else(|| (*line, "status", format!("\"{word}\" is not a status")))?;
        let date_text = get(r, "date");
        let date = date_text.parse().map_err(|_| {
            (
                *line,
                "date",
                format!("\"{date_text}\" is not a date (YYYY-MM-DD)"),
            )
        })?;
        let m = money(r, *line)?;
        stages.push(Stage {
            status,
            date,
            amount: m.filter(|m| Some(m) != amount.as_ref()),
            note: opt(get(r, "note")),
            sources: list(get(r, "sources"), *line, "sources")?,
        });
    }
    let entry_sources = list(get(first, "entry_sources"), line, "entry_sources")?;
    let single = stages.len() == 1
        && entry_sources.is_empty()
        && stages[0].note.is_none()
        && stages[0].amount.is_none();
    let (sources, stages) = if single {
        (stages[0].sources.clone(), Vec::new())
    } else {
        (entry_sources, stages)
    };
    let (status, date) = match (stages.first(), stages.last()) {
        (Some(f), Some(l)) => (l.status, f.date),
        _ => {
            let s = &group[0].1;
            let word = get(s, "status");
            let status = CommitmentStatus::ALL
                .iter()
                .find(|(w, _)| *w == word)
                .map(|(_, st)| *st)
                .ok_or_else(|| (line, "status", format!("\"{word}\" is not a status")))?;
            let d = get(s, "date");
            (
                status,
                d.parse()
                    .map_err(|_| (line, "date", format!("\"{d}\" is not a date")))?,
            )
        }
    };
    let items = get(first, "item");
    let items = items
        .split("; ")
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(parse_item)
        .collect::<Result<Vec<_>, _>>()
        .map_err(at(line, "item"))?;
    let links = get(first, "links")
        .split(';')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|l| {
            let (rel, id) = l
                .split_once(':')
                .ok_or_else(|| format!("\"{l}\" is not REL:ID"))?;
            let rel = LinkKind::ALL
                .iter()
                .find(|(w, _)| *w == rel)
                .map(|(_, k)| *k)
                .ok_or_else(|| format!("\"{rel}\" is not a link kind"))?;
            Ok(Link {
                rel,
                id: CommitmentId::parse(id)?,
            })
        })
        .collect::<Result<Vec<_>, String>>()
        .map_err(at(line, "links"))?;
    let instrument = opt(get(first, "instrument"))
        .map(|w| {
            Instrument::ALL
                .iter()
                .find(|(x, _)| *x == w)
                .map(|(_, i)| *i)
                .ok_or_else(|| (line, "instrument", format!("\"{w}\" is not an instrument")))
        })
        .transpose()?;
    let releasability = match opt(get(first, RELEASABILITY)) {
        None => Releasability::default(),
        Some(w) => Releasability::ALL
            .iter()
            .find(|(x, _)| *x == w)
            .map(|(_, r)| *r)
            .ok_or_else(|| {
                (
                    line,
                    "releasability",
                    format!("\"{w}\" is not a releasability"),
                )
            })?,
    };
    let c = Commitment {
        id: CommitmentId::parse(&get(first, "id")).map_err(at(line, "id"))?,
        kind,
        nation: NationCode::parse(&get(first, "donor")).map_err(at(line, "donor"))?,
        title: opt(get(first, "title")).ok_or((line, "title", "is empty".to_owned()))?,
        status,
        date,
        end_date: None,
        recipient: opt(get(first, "recipient"))
            .map(|r| NationCode::parse(&r).map_err(at(line, "recipient")))
            .transpose()?,
        target: None,
        instrument,
        amount,
        items,
        topic: None,
        stance: None,
        format: None,
        participants: Vec::new(),
        summary: opt(get(first, "summary")),
        sources,
        stages,
        links,
        intermediary: opt(get(first, "intermediary")),
        releasability,
    };
    c.check_stages().map_err(|(_, m)| (line, "status", m))?;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse(v: serde_json::Value) -> Commitment {
        let mut errs = ParseErrors::default();
        Commitment::from_json(&v, "c", &mut errs).unwrap_or_else(|| panic!("{errs:?}"))
    }

    fn entries() -> Vec<Commitment> {
        vec![
            parse(
                json!({"id": "PUB-GBR-EXPORT-FINANCE", "kind": "finance", "nation": "GBR",
                "title": "Export finance, for \"air-defence\" missiles, to Ukraine", "status": "announced",
                "date": "2025-03-02", "recipient": "UKR", "instrument": "export_finance",
                "amount": {"value": "1600000000", "currency": "GBP", "qualifier": "up_to"},
                "items": [{"name": "air-defence missiles", "quantity": {"value": 5000, "qualifier": "more_than"}}],
                "sources": ["WIRE-2025-03-02"], "releasability": "public"}),
            ),
            parse(
                json!({"id": "EX-AID-1", "kind": "aid", "nation": "NLD", "title": "Winter kit",
                "status": "delivered", "date": "2025-03-01", "recipient": "UKR", "instrument": "in_kind",
                "amount": {"value": "120000000", "currency": "EUR", "qualifier": "range", "low": "100000000", "high": "150000000"},
                "items": [{"name": "generators", "quantity": {"value": 400, "qualifier": "range", "low": 300, "high": 500}, "delivered": 120},
                          {"name": "tents", "quantity": {"value": 2000}}],
                "summary": "Notional, line one\nline two", "sources": ["EX-FSC-1"],
                "intermediary": "NSPA", "links": [{"rel": "follow_on_to", "id": "PUB-GBR-EXPORT-FINANCE"}],
                "stages": [
                    {"status": "announced", "date": "2025-03-01", "sources": ["EX-FSC-1"]},
                    {"status": "allocated", "date": "2025-04-01", "amount": {"value": "118500000.50", "currency": "EUR"}, "note": "contract, signed"},
                    {"status": "delivered", "date": "2025-05-01"}]}),
            ),
        ]
    }

    #[test]
    fn export_then_import_gives_the_same_entries() {
        let all = entries();
        let text = to_csv(&all).unwrap();
        assert!(text.starts_with("donor,aid_type,measure,date,value,currency,item,id,"));
        // The UK deal as Kiel would record it: a commitment of up to £1.6bn on 2 March 2025.
        assert!(text.contains(
            "GBR,finance,commitment,2025-03-02,1600000000,GBP,air-defence missiles × more than 5000,PUB-GBR-EXPORT-FINANCE,"
        ), "{text}");
        assert!(text.contains("NLD,aid,allocation,2025-04-01,118500000.50,EUR"));
        let records = csv::Reader::from_reader(text.as_bytes()).records().count();
        assert_eq!(records, 1 + 3, "one row per stage");
        let back = from_csv(&text).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(back, all);
        assert_eq!(to_csv(&back).unwrap(), text);
    }

    #[test]
    fn bad_rows_are_named_by_line_and_column() {
        let mut all = entries();
        all[1].summary = Some("Notional, on one line".into());
        let text = to_csv(&all).unwrap();
        let header = text.lines().next().unwrap();
        let row = text.lines().nth(1).unwrap();
        for (bad, want) in [
            (
                row.replacen("GBR,finance", "GBR,loan", 1),
                "line 2, aid_type",
            ),
            (row.replacen("2025-03-02", "2025-02-30", 1), "line 2, date"),
            (
                row.replacen("1600000000,GBP", "1.6e9,GBP", 1),
                "line 2, value",
            ),
            (row.replacen(",GBP,", ",POUNDS,", 1), "line 2, currency"),
            (row.replacen("more than 5000", "lots", 1), "line 2, item"),
        ] {
            let e = from_csv(&format!("{header}\n{bad}\n")).unwrap_err();
            let got: Vec<String> = e.iter().map(ToString::to_string).collect();
            assert!(got.iter().any(|g| g.starts_with(want)), "{want}: {got:?}");
        }
        let e = from_csv("donor,date\nGBR,2025-03-02\n").unwrap_err();
        assert!(e
            .iter()
            .next()
            .unwrap()
            .to_string()
            .contains("missing columns"));
        // Stages out of order are refused as the JSON reader refuses them.
        let mut rows: Vec<&str> = text.lines().collect();
        rows.swap(2, 3);
        let e = from_csv(&(rows.join("\n") + "\n")).unwrap_err();
        assert!(
            e.iter().any(|x| x.to_string().contains("cannot go from")),
            "{e:?}"
        );
    }

    #[test]
    fn what_the_layout_cannot_carry_is_an_export_error() {
        let mut odd = entries();
        odd[1].items[1].name = "tents; poles".into();
        assert!(to_csv(&odd)
            .unwrap_err()
            .contains("cannot be written in the CSV layout"));
        let mut dated = entries();
        dated[0].end_date = Some(jiff::civil::date(2025, 12, 31));
        assert!(to_csv(&dated)
            .unwrap_err()
            .contains("no column for end_date"));
    }

    #[test]
    fn the_exercise_ledger_round_trips() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../data/exercise.json"
        ))
        .unwrap_or_default();
        let s = crate::Scenario::parse(&text).unwrap_or_else(|e| panic!("{e:?}"));
        let money: Vec<Commitment> = s
            .commitments()
            .iter()
            .filter(|c| matches!(c.kind, CommitmentKind::Aid | CommitmentKind::Finance))
            .cloned()
            .collect();
        assert!(money.len() >= 3);
        let csv = to_csv(s.commitments()).unwrap();
        assert_eq!(from_csv(&csv).unwrap_or_else(|e| panic!("{e:?}")), money);
    }
}
