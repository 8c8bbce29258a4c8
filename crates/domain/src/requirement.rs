//! The statement of requirements.

use serde::Serialize;
use serde_json::Value;

use crate::ids::{CapabilityCode, Line, Region, RequirementId};
use crate::offer::{Roe, MAX_WEEK};
use crate::read::{int, join, one_of, scalar, string, Fields, ParseErrors};

/// Units needed on a sub-window of a requirement, overriding its base number.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProfileStep {
    pub from_week: u32,
    pub to_week: u32,
    pub units: u32,
}

impl ProfileStep {
    fn from_json(v: &Value, path: &str, errs: &mut ParseErrors) -> Option<Self> {
        let mut f = Fields::new(v, path, errs)?;
        let from_week = f.req("from_week", errs, scalar(int(0, MAX_WEEK)));
        let to_week = f.req("to_week", errs, scalar(int(0, MAX_WEEK)));
        let units = f.req("units", errs, scalar(int(0, 10_000)));
        f.finish(errs);
        Some(Self {
            from_week: from_week?,
            to_week: to_week?,
            units: units?,
        })
    }
}

/// One line of the statement of requirements.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Requirement {
    pub id: RequirementId,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub line: Line,
    pub capability: CapabilityCode,
    pub region: Region,
    pub units: u32,
    pub from_week: u32,
    pub to_week: u32,
    pub roe: Roe,
    pub priority: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max_nations: Option<u32>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub profile: Vec<ProfileStep>,
}

impl Requirement {
    pub fn from_json(v: &Value, path: &str, errs: &mut ParseErrors) -> Option<Self> {
        let mut f = Fields::new(v, path, errs)?;
        let id = f.req("id", errs, scalar(RequirementId::from_json));
        let name = f.opt("name", errs, scalar(string));
        let line = f.req("line", errs, scalar(Line::from_json));
        let capability = f.req("capability", errs, scalar(CapabilityCode::from_json));
        let region = f.req("region", errs, scalar(Region::from_json));
        let units = f.req("units", errs, scalar(int(1, 10_000)));
        let from_week = f.req("from_week", errs, scalar(int(0, MAX_WEEK)));
        let to_week = f.req("to_week", errs, scalar(int(0, MAX_WEEK)));
        let roe = f.req("roe", errs, scalar(one_of(Roe::ALL)));
        let priority = f.req("priority", errs, scalar(int(1, 1_000)));
        let max_nations = f.opt("max_nations", errs, scalar(int(1, 1_000)));
        let profile = f.list("profile", errs, ProfileStep::from_json);
        f.finish(errs);
        let (from_week, to_week) = (from_week?, to_week?);
        let mut ok = true;
        if from_week > to_week {
            errs.push(
                &join(path, "to_week"),
                format!("must not be before from_week ({from_week}), found {to_week}"),
            );
            ok = false;
        }
        let profile = profile?;
        let mut steps: Vec<(usize, &ProfileStep)> = profile.iter().enumerate().collect();
        steps.sort_by_key(|(_, s)| s.from_week);
        for (i, s) in &steps {
            let p = format!("{path}.profile[{i}]");
            if s.from_week > s.to_week {
                errs.push(&p, "to_week is before from_week");
                ok = false;
            } else if s.from_week < from_week || s.to_week > to_week {
                errs.push(
                    &p,
                    format!(
                        "weeks {}-{} fall outside the requirement's window {from_week}-{to_week}",
                        s.from_week, s.to_week
                    ),
                );
                ok = false;
            }
        }
        for pair in steps.windows(2) {
            if pair[1].1.from_week <= pair[0].1.to_week {
                errs.push(
                    &format!("{path}.profile[{}]", pair[1].0),
                    format!("overlaps profile[{}]", pair[0].0),
                );
                ok = false;
            }
        }
        if !ok {
            return None;
        }
        Some(Self {
            id: id?,
            name: name.ok()?,
            line: line?,
            capability: capability?,
            region: region?,
            units: units?,
            from_week,
            to_week,
            roe: roe?,
            priority: priority?,
            max_nations: max_nations.ok()?,
            profile,
        })
    }

    /// Units required in `week` (0 outside the window).
    pub fn demand(&self, week: u32) -> u32 {
        if week < self.from_week || week > self.to_week {
            return 0;
        }
        self.profile
            .iter()
            .find(|s| (s.from_week..=s.to_week).contains(&week))
            .map_or(self.units, |s| s.units)
    }

    /// Total unit-weeks required over the window.
    pub fn unit_weeks(&self) -> u64 {
        (self.from_week..=self.to_week)
            .map(|w| u64::from(self.demand(w)))
            .sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn profile_overrides_units_on_its_weeks() {
        let v = json!({"id": "R1", "line": "land", "capability": "LAND.INF.BN", "region": "UA-30",
            "units": 2, "from_week": 0, "to_week": 9, "roe": "mandate", "priority": 5,
            "profile": [{"from_week": 0, "to_week": 3, "units": 4}, {"from_week": 8, "to_week": 9, "units": 0}]});
        let mut errs = ParseErrors::default();
        let r = Requirement::from_json(&v, "r", &mut errs).unwrap();
        assert!(errs.is_empty());
        let weeks: Vec<u32> = (0..11).map(|w| r.demand(w)).collect();
        assert_eq!(weeks, [4, 4, 4, 4, 2, 2, 2, 2, 0, 0, 0]);
        assert_eq!(r.unit_weeks(), 24);
    }

    #[test]
    fn overlapping_or_outside_profiles_are_errors() {
        let v = json!({"id": "R1", "line": "land", "capability": "LAND.INF.BN", "region": "UA-30",
            "units": 2, "from_week": 2, "to_week": 9, "roe": "mandate", "priority": 5,
            "profile": [{"from_week": 4, "to_week": 6, "units": 4}, {"from_week": 0, "to_week": 3, "units": 1},
                        {"from_week": 6, "to_week": 7, "units": 1}]});
        let mut errs = ParseErrors::default();
        assert!(Requirement::from_json(&v, "r", &mut errs).is_none());
        let got: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "r.profile[1]: weeks 0-3 fall outside the requirement's window 2-9",
                "r.profile[2]: overlaps profile[0]"
            ]
        );
    }
}
