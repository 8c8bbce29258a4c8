//! Observations from Cursor-on-Target XML, as TAK devices send them.
//!
//! Each `<event>` is one observation: `uid` its id, `start` and `time` when it was seen and
//! reported, `<point lat lon ce>` where (with `ce`, the circular error in metres, as its
//! radius), and a `<coalition>` element in `<detail>` for what monitoring needs that CoT has no
//! field for (kind, observer, counts…); `<remarks>` becomes its text. Documents with a DOCTYPE
//! are refused outright, so no entity is ever expanded and nothing is ever fetched.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{json, Map, Value};

use crate::ingest::{Batch, Rejected};

/// CoT's "unknown" circular error.
const CE_UNKNOWN: f64 = 9_999_999.0;

/// Largest document taken (bytes).
pub const MAX_BYTES: usize = 16 * 1024 * 1024;

fn attrs(e: &BytesStart<'_>) -> Result<Map<String, Value>, String> {
    let mut out = Map::new();
    for a in e.attributes() {
        let a = a.map_err(|e| format!("bad attribute: {e}"))?;
        let key = String::from_utf8_lossy(a.key.as_ref()).into_owned();
        let value = a
            .unescape_value()
            .map_err(|e| format!("attribute {key}: {e}"))?
            .into_owned();
        out.insert(key, Value::String(value));
    }
    Ok(out)
}

#[derive(Default)]
struct Pending {
    line: usize,
    event: Map<String, Value>,
    point: Option<Map<String, Value>>,
    coalition: Option<Map<String, Value>>,
    contact: Option<Map<String, Value>>,
    remarks: String,
    in_remarks: bool,
}

fn text(m: &Map<String, Value>, k: &str) -> Option<String> {
    m.get(k)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
}

fn number(m: &Map<String, Value>, k: &str, what: &str) -> Result<f64, String> {
    let s = text(m, k).ok_or_else(|| format!("{what}: missing {k}"))?;
    s.parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| format!("{what}: {k}=\"{s}\" is not a number"))
}

fn whole(m: &Map<String, Value>, k: &str, default: u32) -> Result<u32, String> {
    match text(m, k) {
        None => Ok(default),
        Some(s) => s
            .parse()
            .map_err(|_| format!("coalition: {k}=\"{s}\" is not a whole number ≥ 0")),
    }
}

impl Pending {
    /// The observation this event describes, as the JSON an observation is read from.
    fn observation(&self) -> Result<Value, String> {
        let ev = &self.event;
        let id = text(ev, "uid").ok_or("event: missing uid")?;
        let start = text(ev, "start")
            .or_else(|| text(ev, "time"))
            .ok_or("event: missing start and time")?;
        let time = text(ev, "time").ok_or("event: missing time")?;
        let point = self.point.as_ref().ok_or("event: missing <point>")?;
        let lat = number(point, "lat", "point")?;
        let lon = number(point, "lon", "point")?;
        let ce = match text(point, "ce") {
            None => 0.0,
            Some(_) => number(point, "ce", "point")?,
        };
        if ce >= CE_UNKNOWN {
            return Err("point: ce=9999999 means the position is unknown".into());
        }
        let c = self
            .coalition
            .as_ref()
            .ok_or("detail: missing <coalition kind=\"…\"> (what was observed)")?;
        let kind = text(c, "kind").ok_or("coalition: missing kind")?;
        let best = whole(c, "count_best", 1)?;
        let mut o = json!({
            "id": id,
            "observed_from": start,
            "observed_to": text(c, "observed_to").unwrap_or_else(|| start.clone()),
            "reported": time,
            "observer": text(c, "observer").unwrap_or_else(|| "partner".into()),
            "kind": kind,
            "count": {"low": whole(c, "count_low", best)?, "best": best, "high": whole(c, "count_high", best)?},
            "location": {"type": "point", "lat": lat, "lon": lon, "radius_m": ce},
        });
        let Some(map) = o.as_object_mut() else {
            return Err("internal: not an object".into());
        };
        let observer_id = text(c, "observer_id")
            .or_else(|| self.contact.as_ref().and_then(|k| text(k, "callsign")));
        for (key, value) in [
            ("observer_id", observer_id),
            ("grading", text(c, "grading")),
            ("attribution", text(c, "attribution")),
            ("releasability", text(c, "releasability")),
            (
                "text",
                Some(self.remarks.trim().to_owned()).filter(|s| !s.is_empty()),
            ),
        ] {
            if let Some(v) = value {
                map.insert(key.into(), Value::String(v));
            }
        }
        match text(c, "against_coalition").as_deref() {
            None | Some("false") => {}
            Some("true") => {
                map.insert("against_coalition".into(), Value::Bool(true));
            }
            Some(other) => {
                return Err(format!(
                    "coalition: against_coalition=\"{other}\" is not true or false"
                ))
            }
        }
        Ok(o)
    }
}

fn finish(p: Pending, batch: &mut Batch) {
    match p.observation() {
        Ok(v) => batch.take(p.line, v),
        Err(reason) => batch.rejected.push(Rejected {
            line: p.line,
            id: text(&p.event, "uid"),
            reason,
        }),
    }
}

/// Reads every `<event>` of a CoT document (one event, or events inside any wrapper element).
/// A document that is not well-formed XML, or declares a DOCTYPE, is refused whole; otherwise
/// each event is taken or rejected on its own, with its line.
pub fn read_cot(xml: &str) -> Result<Batch, String> {
    if xml.len() > MAX_BYTES {
        return Err(format!("the document is larger than {MAX_BYTES} bytes"));
    }
    let mut reader = Reader::from_str(xml);
    reader.config_mut().trim_text(true);
    let mut batch = Batch::default();
    let mut pending: Option<Pending> = None;
    // The line of the first non-blank character at or after `pos`.
    let line_at = |pos: u64| {
        let bytes = xml.as_bytes();
        let mut at = usize::try_from(pos).unwrap_or(0).min(bytes.len());
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        bytes[..at].iter().filter(|b| **b == b'\n').count() + 1
    };
    let mut depth = 0usize;
    loop {
        let pos = reader.buffer_position();
        let event = reader.read_event().map_err(|e| {
            format!(
                "line {}: not well-formed XML: {e}",
                line_at(reader.buffer_position())
            )
        })?;
        match event {
            Event::DocType(_) => {
                return Err(format!(
                    "line {}: a DOCTYPE is not accepted (entities are never expanded)",
                    line_at(pos)
                ))
            }
            Event::Empty(e) if e.local_name().as_ref() == b"event" => {
                if pending.is_some() {
                    return Err(format!("line {}: an event inside an event", line_at(pos)));
                }
                let open = Pending {
                    line: line_at(pos),
                    event: attrs(&e)?,
                    ..Pending::default()
                };
                finish(open, &mut batch);
            }
            Event::Start(e) if e.local_name().as_ref() == b"event" => {
                if pending.is_some() {
                    return Err(format!("line {}: an event inside an event", line_at(pos)));
                }
                depth += 1;
                pending = Some(Pending {
                    line: line_at(pos),
                    event: attrs(&e)?,
                    ..Pending::default()
                });
            }
            Event::Start(e) => {
                depth += 1;
                if depth > 64 {
                    return Err(format!("line {}: elements nested too deeply", line_at(pos)));
                }
                if let Some(p) = pending.as_mut() {
                    match e.local_name().as_ref() {
                        b"point" => p.point = Some(attrs(&e)?),
                        b"coalition" => p.coalition = Some(attrs(&e)?),
                        b"contact" => p.contact = Some(attrs(&e)?),
                        b"remarks" => p.in_remarks = true,
                        _ => {}
                    }
                }
            }
            Event::Empty(e) => {
                if let Some(p) = pending.as_mut() {
                    match e.local_name().as_ref() {
                        b"point" => p.point = Some(attrs(&e)?),
                        b"coalition" => p.coalition = Some(attrs(&e)?),
                        b"contact" => p.contact = Some(attrs(&e)?),
                        _ => {}
                    }
                }
            }
            Event::Text(t) => {
                if let Some(p) = pending.as_mut().filter(|p| p.in_remarks) {
                    let s = t.unescape().map_err(|e| {
                        format!("line {}: remarks: {e}", line_at(reader.buffer_position()))
                    })?;
                    p.remarks.push_str(&s);
                }
            }
            Event::CData(t) => {
                if let Some(p) = pending.as_mut().filter(|p| p.in_remarks) {
                    p.remarks.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::End(e) => {
                depth = depth.saturating_sub(1);
                let name = e.local_name();
                match name.as_ref() {
                    b"remarks" => {
                        if let Some(p) = pending.as_mut() {
                            p.in_remarks = false;
                        }
                    }
                    b"event" => {
                        if let Some(p) = pending.take() {
                            finish(p, &mut batch);
                        }
                    }
                    _ => {}
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Ok(batch)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<events>
  <event version="2.0" uid="OP-A-0001" type="b-m-p-s-m" how="h-g-i-g-o"
         time="2025-03-18T12:03:00Z" start="2025-03-18T12:00:00Z" stale="2025-03-18T13:00:00Z">
    <point lat="48.0" lon="37.9" hae="0" ce="150" le="9999999"/>
    <detail>
      <contact callsign="OP-ALPHA"/>
      <coalition kind="shelling" observer="fixed_camera" count_low="2" count_best="3" count_high="4"
                 observed_to="2025-03-18T12:02:00Z" grading="B2" against_coalition="true"/>
      <remarks>impacts &amp; smoke, north-east of the post</remarks>
    </detail>
  </event>
  <event version="2.0" uid="OP-A-0002" type="b-m-p-s-m" time="2025-03-18T12:10:00Z" start="2025-03-18T12:09:00Z" stale="2025-03-18T13:00:00Z">
    <point lat="48.0" lon="37.9" ce="9999999"/>
    <detail><coalition kind="shelling"/></detail>
  </event>
  <event uid="OP-A-0003" time="2025-03-18T12:10:00Z" start="2025-03-18T12:09:00Z"/>
</events>"#;

    #[test]
    fn events_become_observations_and_bad_events_are_named() {
        let batch = read_cot(TWO).unwrap_or_default();
        assert_eq!(batch.accepted.len(), 1, "{:?}", batch.rejected);
        let (o, place) = &batch.accepted[0];
        assert_eq!(o.id, "OP-A-0001");
        assert_eq!(o.observer_id.as_deref(), Some("OP-ALPHA"));
        assert_eq!(
            o.text.as_deref(),
            Some("impacts & smoke, north-east of the post")
        );
        assert!(o.against_coalition);
        assert_eq!((o.count.low, o.count.best, o.count.high), (2, 3, 4));
        assert_eq!(place.radius_m(), 150.0);
        let bad: Vec<(usize, &str)> = batch
            .rejected
            .iter()
            .map(|r| (r.line, r.reason.as_str()))
            .collect();
        assert_eq!(bad.len(), 2);
        assert_eq!(bad[0].0, 13);
        assert!(bad[0].1.contains("position is unknown"), "{bad:?}");
        assert!(bad[1].1.contains("missing <point>"), "{bad:?}");
    }

    #[test]
    fn entities_are_never_expanded_and_nothing_is_fetched() {
        let billion = r#"<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;">]>
<event uid="x" time="2025-03-18T12:00:00Z"><detail><remarks>&lol2;</remarks></detail></event>"#;
        assert!(read_cot(billion)
            .unwrap_err()
            .contains("DOCTYPE is not accepted"));
        let external = r#"<?xml version="1.0"?>
<!DOCTYPE e [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><event uid="x"/>"#;
        assert!(read_cot(external).unwrap_err().contains("DOCTYPE"));
        // An undeclared entity is an error in that event, not a lookup.
        let undeclared = r#"<event uid="u" time="2025-03-18T12:00:00Z" start="2025-03-18T12:00:00Z"><point lat="48" lon="37"/><detail><coalition kind="shelling"/><remarks>&xxe;</remarks></detail></event>"#;
        assert!(read_cot(undeclared).is_err());
    }

    #[test]
    fn broken_documents_are_refused_whole() {
        assert!(read_cot("<event uid='a'><point lat='1' lon='2'></event>").is_err());
        assert!(read_cot("<events><event uid='a'><event uid='b'/></event></events>").is_err());
        let deep = "<a>".repeat(100) + &"</a>".repeat(100);
        assert!(read_cot(&deep).unwrap_err().contains("nested too deeply"));
        assert_eq!(read_cot("").map(|b| b.accepted.len()), Ok(0));
    }
}
