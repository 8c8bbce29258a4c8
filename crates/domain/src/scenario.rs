//! The scenario file `coalition.scenario/1`: parsing with every error and its path, the
//! cross-reference rules, and the canonical export form.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Serialize;
use serde_json::Value;

use crate::capability::Capability;
use crate::commitment::Commitment;
use crate::ids::{Assumption, NationCode, SourceId};
use crate::nation::Nation;
use crate::offer::{Offer, OfferStatus};
use crate::read::{
    boolean, date, int, join, kind, scalar, string, valid_items, Fields, ParseErrors,
};
use crate::requirement::Requirement;
use crate::source::Source;

pub const FORMAT: &str = "coalition.scenario/1";

/// The longest horizon a scenario may have (20 years).
pub const MAX_WEEKS: u32 = 1040;

/// A whole, valid scenario. Built only by [`Scenario::parse`] / [`Scenario::from_value`], so every
/// reference inside it resolves.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    name: String,
    description: Option<String>,
    exercise: bool,
    start: jiff::civil::Date,
    weeks: u32,
    assumptions: BTreeMap<Assumption, bool>,
    nations: Vec<Nation>,
    capabilities: Vec<Capability>,
    sources: Vec<Source>,
    offers: Vec<Offer>,
    requirements: Vec<Requirement>,
    commitments: Vec<Commitment>,
}

#[derive(Serialize)]
struct Wire<'a> {
    format: &'static str,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    exercise: bool,
    start: jiff::civil::Date,
    weeks: u32,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    assumptions: &'a BTreeMap<Assumption, bool>,
    nations: &'a [Nation],
    capabilities: &'a [Capability],
    #[serde(skip_serializing_if = "<[Source]>::is_empty")]
    sources: &'a [Source],
    #[serde(skip_serializing_if = "<[Offer]>::is_empty")]
    offers: &'a [Offer],
    #[serde(skip_serializing_if = "<[Requirement]>::is_empty")]
    requirements: &'a [Requirement],
    #[serde(skip_serializing_if = "<[Commitment]>::is_empty")]
    commitments: &'a [Commitment],
}

fn format_tag(v: &Value) -> Result<(), String> {
    match v.as_str() {
        Some(FORMAT) => Ok(()),
        Some(other) => Err(format!(
            "unsupported format \"{other}\"; expected \"{FORMAT}\""
        )),
        None => Err(format!("expected \"{FORMAT}\", found {}", kind(v))),
    }
}

fn assumptions(
    v: &Value,
    path: &str,
    errs: &mut ParseErrors,
) -> Option<BTreeMap<Assumption, bool>> {
    let Value::Object(map) = v else {
        errs.push(
            path,
            format!("expected an object of name: true/false, found {}", kind(v)),
        );
        return None;
    };
    let mut out = BTreeMap::new();
    let mut ok = true;
    for (k, v) in map {
        let p = join(path, k);
        match (Assumption::parse(k), boolean(v)) {
            (Ok(name), Ok(b)) => {
                out.insert(name, b);
            }
            (Err(e), _) | (_, Err(e)) => {
                errs.push(&p, e);
                ok = false;
            }
        }
    }
    ok.then_some(out)
}

/// Reports duplicate keys in a list; returns the set of keys.
fn unique<'a, T, K: std::hash::Hash + Eq + std::fmt::Display>(
    items: &'a [T],
    list: &str,
    field: &str,
    key: impl Fn(&'a T) -> K,
    errs: &mut ParseErrors,
) -> HashSet<K> {
    let mut seen = HashSet::new();
    for (i, item) in items.iter().enumerate() {
        let k = key(item);
        let shown = k.to_string();
        if !seen.insert(k) {
            errs.push(
                &format!("{list}[{i}].{field}"),
                format!("duplicate {field} \"{shown}\""),
            );
        }
    }
    seen
}

impl Scenario {
    /// Parses a scenario file's text, reporting every mistake with its JSON path.
    pub fn parse(text: &str) -> Result<Self, ParseErrors> {
        // A byte-order mark, as some editors write, is not part of the document.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let value: Value = serde_json::from_str(text).map_err(|e| {
            let mut errs = ParseErrors::default();
            errs.push("", format!("not valid JSON: {e}"));
            errs
        })?;
        Self::from_value(&value)
    }

    pub fn from_value(v: &Value) -> Result<Self, ParseErrors> {
        let mut errs = ParseErrors::default();
        // Read what can be read, then check references among the entities that parsed, so one
        // run reports every mistake.
        let parsed = Self::read(v, &mut errs);
        if let Some(s) = &parsed {
            s.check_references(&mut errs);
        }
        match parsed {
            Some(s) if errs.is_empty() => Ok(s),
            _ => Err(errs),
        }
    }

    fn read(v: &Value, errs: &mut ParseErrors) -> Option<Self> {
        let mut f = Fields::new(v, "", errs)?;
        let format = f.req("format", errs, scalar(format_tag));
        let name = f.req("name", errs, scalar(string));
        let description = f.opt("description", errs, scalar(string));
        let exercise = f.opt("exercise", errs, scalar(boolean));
        let start = f.req("start", errs, scalar(date));
        let weeks = f.req("weeks", errs, scalar(int(1, 1040)));
        let assumptions = f.opt("assumptions", errs, assumptions);
        for required in ["nations", "capabilities"] {
            if matches!(f.map_get(required), None | Some(Value::Null)) {
                errs.push(required, "missing required field");
            }
        }
        let nations = valid_items(f.raw("nations"), "nations", errs, Nation::from_json);
        let capabilities = valid_items(
            f.raw("capabilities"),
            "capabilities",
            errs,
            Capability::from_json,
        );
        let sources = valid_items(f.raw("sources"), "sources", errs, Source::from_json);
        let offers = valid_items(f.raw("offers"), "offers", errs, Offer::from_json);
        let requirements = valid_items(
            f.raw("requirements"),
            "requirements",
            errs,
            Requirement::from_json,
        );
        let commitments = valid_items(
            f.raw("commitments"),
            "commitments",
            errs,
            Commitment::from_json,
        );
        f.finish(errs);
        // Placeholders stand in for invalid top-level fields (already reported) so that the
        // entities can still be cross-checked; such a scenario is never returned as valid.
        let _ = format;
        Some(Self {
            name: name.unwrap_or_default(),
            description: description.ok().flatten(),
            exercise: exercise.ok().flatten().unwrap_or(false),
            start: start.unwrap_or_default(),
            weeks: weeks.unwrap_or(MAX_WEEKS),
            assumptions: assumptions.ok().flatten().unwrap_or_default(),
            nations,
            capabilities,
            sources,
            offers,
            requirements,
            commitments,
        })
    }

    fn check_references(&self, errs: &mut ParseErrors) {
        let nations = unique(&self.nations, "nations", "code", |n| &n.code, errs);
        let caps = unique(
            &self.capabilities,
            "capabilities",
            "code",
            |c| &c.code,
            errs,
        );
        let sources = unique(&self.sources, "sources", "id", |s| &s.id, errs);
        unique(&self.offers, "offers", "id", |o| &o.id, errs);
        unique(&self.requirements, "requirements", "id", |r| &r.id, errs);
        unique(&self.commitments, "commitments", "id", |c| &c.id, errs);
        let last = self.weeks - 1;
        let nation = |code: &NationCode, path: String, errs: &mut ParseErrors| {
            if !nations.contains(code) {
                errs.push(&path, format!("unknown nation \"{code}\""));
            }
        };
        let source = |id: &SourceId, path: String, errs: &mut ParseErrors| {
            if !sources.contains(id) {
                errs.push(&path, format!("unknown source \"{id}\""));
            }
        };
        for (i, o) in self.offers.iter().enumerate() {
            let p = format!("offers[{i}]");
            nation(&o.nation, format!("{p}.nation"), errs);
            if !caps.contains(&o.capability) {
                errs.push(
                    &format!("{p}.capability"),
                    format!("unknown capability \"{}\"", o.capability),
                );
            }
            if o.to_week > last {
                errs.push(
                    &format!("{p}.to_week"),
                    format!("is after the last week of the scenario ({last})"),
                );
            }
            for (j, a) in o.requires.iter().enumerate() {
                if !self.assumptions.contains_key(a) {
                    errs.push(
                        &format!("{p}.requires[{j}]"),
                        format!("unknown assumption \"{a}\"; declare it in assumptions"),
                    );
                }
            }
            for (j, s) in o.sources.iter().enumerate() {
                source(s, format!("{p}.sources[{j}]"), errs);
            }
            for (j, c) in o.history.iter().enumerate() {
                if let Some(s) = &c.source {
                    source(s, format!("{p}.history[{j}].source"), errs);
                }
            }
        }
        for (i, r) in self.requirements.iter().enumerate() {
            let p = format!("requirements[{i}]");
            if !caps.contains(&r.capability) {
                errs.push(
                    &format!("{p}.capability"),
                    format!("unknown capability \"{}\"", r.capability),
                );
            }
            if r.to_week > last {
                errs.push(
                    &format!("{p}.to_week"),
                    format!("is after the last week of the scenario ({last})"),
                );
            }
        }
        for (i, c) in self.commitments.iter().enumerate() {
            let p = format!("commitments[{i}]");
            nation(&c.nation, format!("{p}.nation"), errs);
            if let Some(r) = &c.recipient {
                nation(r, format!("{p}.recipient"), errs);
            }
            for (j, s) in c.sources.iter().enumerate() {
                source(s, format!("{p}.sources[{j}]"), errs);
            }
            for (j, stage) in c.stages.iter().enumerate() {
                for (k, s) in stage.sources.iter().enumerate() {
                    source(s, format!("{p}.stages[{j}].sources[{k}]"), errs);
                }
            }
            for (j, link) in c.links.iter().enumerate() {
                if !self.commitments.iter().any(|o| o.id == link.id) {
                    errs.push(
                        &format!("{p}.links[{j}].id"),
                        format!("unknown commitment \"{}\"", link.id),
                    );
                }
            }
            for (j, who) in c.participants.iter().enumerate() {
                if let Ok(code) = NationCode::parse(who) {
                    nation(&code, format!("{p}.participants[{j}]"), errs);
                }
            }
        }
    }

    /// The canonical file form: keys in documented order, two-space indentation, newline at the end.
    pub fn to_json_pretty(&self) -> String {
        let mut out = serde_json::to_string_pretty(&self.wire()).unwrap_or_default();
        out.push('\n');
        out
    }

    pub fn to_value(&self) -> Value {
        serde_json::to_value(self.wire()).unwrap_or(Value::Null)
    }

    fn wire(&self) -> Wire<'_> {
        Wire {
            format: FORMAT,
            name: &self.name,
            description: self.description.as_deref(),
            exercise: self.exercise,
            start: self.start,
            weeks: self.weeks,
            assumptions: &self.assumptions,
            nations: &self.nations,
            capabilities: &self.capabilities,
            sources: &self.sources,
            offers: &self.offers,
            requirements: &self.requirements,
            commitments: &self.commitments,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn description(&self) -> Option<&str> {
        self.description.as_deref()
    }
    pub fn exercise(&self) -> bool {
        self.exercise
    }
    pub fn start(&self) -> jiff::civil::Date {
        self.start
    }
    pub fn weeks(&self) -> u32 {
        self.weeks
    }
    pub fn assumptions(&self) -> &BTreeMap<Assumption, bool> {
        &self.assumptions
    }
    pub fn nations(&self) -> &[Nation] {
        &self.nations
    }
    pub fn capabilities(&self) -> &[Capability] {
        &self.capabilities
    }
    pub fn sources(&self) -> &[Source] {
        &self.sources
    }
    pub fn offers(&self) -> &[Offer] {
        &self.offers
    }
    pub fn requirements(&self) -> &[Requirement] {
        &self.requirements
    }
    pub fn commitments(&self) -> &[Commitment] {
        &self.commitments
    }

    /// The Monday that begins `week`.
    pub fn week_start(&self, week: u32) -> jiff::civil::Date {
        self.start
            .checked_add(jiff::Span::new().days(i64::from(week) * 7))
            .unwrap_or(self.start)
    }

    pub fn summary(&self) -> Summary {
        let mut s = Summary {
            name: self.name.clone(),
            exercise: self.exercise,
            weeks: self.weeks,
            nations: self.nations.len(),
            contributing_nations: 0,
            offers: self.offers.len(),
            offers_by_status: BTreeMap::new(),
            requirements: self.requirements.len(),
            requirements_by_line: BTreeMap::new(),
            commitments_by_kind: BTreeMap::new(),
            sources: self.sources.len(),
        };
        let mut contributing: HashSet<&NationCode> = HashSet::new();
        for o in &self.offers {
            *s.offers_by_status.entry(o.status.as_str()).or_default() += 1;
            if o.status != OfferStatus::Withdrawn {
                contributing.insert(&o.nation);
            }
        }
        s.contributing_nations = contributing.len();
        for r in &self.requirements {
            let e = s
                .requirements_by_line
                .entry(r.line.to_string())
                .or_default();
            e.lines += 1;
            e.unit_weeks += r.unit_weeks();
        }
        let mut kinds: HashMap<&'static str, usize> = HashMap::new();
        for c in &self.commitments {
            *kinds.entry(c.kind.as_str()).or_default() += 1;
        }
        s.commitments_by_kind = kinds.into_iter().collect();
        s
    }
}

/// Counts for a readable overview.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub name: String,
    pub exercise: bool,
    pub weeks: u32,
    pub nations: usize,
    /// Nations with at least one offer that is not withdrawn.
    pub contributing_nations: usize,
    pub offers: usize,
    pub offers_by_status: BTreeMap<&'static str, usize>,
    pub requirements: usize,
    pub requirements_by_line: BTreeMap<String, LineSummary>,
    pub commitments_by_kind: BTreeMap<&'static str, usize>,
    pub sources: usize,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LineSummary {
    pub lines: usize,
    pub unit_weeks: u64,
}

#[cfg(test)]
mod tests;
