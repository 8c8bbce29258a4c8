//! Releasability in SQL: the `WHERE` fragments that keep each viewer to the records it may
//! see, and the redaction of plan files.

use serde_json::Value;

use crate::Viewer;

/// A `WHERE` clause under construction, with its positional arguments (all text).
#[derive(Debug, Clone)]
pub(crate) struct Where {
    pub clause: String,
    pub args: Vec<String>,
}

impl Where {
    pub fn new() -> Self {
        Self {
            clause: String::from("1 = 1"),
            args: Vec::new(),
        }
    }

    fn arg(&mut self, value: String) -> String {
        self.args.push(value);
        format!("${}", self.args.len())
    }

    /// `column = value` when the value is given.
    pub fn eq(&mut self, column: &str, value: Option<String>) -> &mut Self {
        if let Some(v) = value {
            let p = self.arg(v);
            self.clause.push_str(&format!(" AND {column} = {p}"));
        }
        self
    }

    /// `column op value` when the value is given.
    pub fn cmp(&mut self, column: &str, op: &str, value: Option<String>) -> &mut Self {
        if let Some(v) = value {
            let p = self.arg(v);
            self.clause.push_str(&format!(" AND {column} {op} {p}"));
        }
        self
    }

    /// Only the rows `viewer` may see, given the row's releasability and owning-nation columns.
    pub fn visible(&mut self, viewer: &Viewer, releasability: &str, nation: &str) -> &mut Self {
        let fragment = match viewer {
            Viewer::Everything => return self,
            Viewer::Public => format!("{releasability} = 'public'"),
            Viewer::Member { nation: None } => {
                format!("{releasability} IN ('public', 'coalition')")
            }
            Viewer::Member { nation: Some(n) } => {
                let p = self.arg(n.to_string());
                format!(
                    "({releasability} IN ('public', 'coalition') OR ({releasability} = 'nation' AND {nation} = {p}))"
                )
            }
        };
        self.clause.push_str(" AND ");
        self.clause.push_str(&fragment);
        self
    }

    /// Binds the arguments to a query built from this clause.
    pub fn bind<'q>(
        &'q self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for a in &self.args {
            q = q.bind(a.as_str());
        }
        q
    }
}

pub(crate) const RESTRICTED: &str = "restricted";

/// Rewrites a plan file so that every offer `hidden` names (returning its capability) appears
/// only as a restricted contribution: `offer` and `nation` become "restricted", the capability
/// is given, sizes and weeks stay. Lists of offer ids (in gap reasons) get the same treatment.
pub(crate) fn redact_plan(plan: &mut Value, hidden: &dyn Fn(&str) -> Option<String>) {
    match plan {
        Value::Object(map) => {
            let hid = map.get("offer").and_then(Value::as_str).and_then(hidden);
            if let Some(capability) = hid {
                map.insert("offer".into(), Value::from(RESTRICTED));
                if map.contains_key("nation") {
                    map.insert("nation".into(), Value::from(RESTRICTED));
                }
                map.insert("capability".into(), Value::from(capability));
                map.insert("restricted".into(), Value::Bool(true));
            }
            if let Some(Value::Array(ids)) = map.get_mut("offers") {
                for id in ids.iter_mut() {
                    if id.as_str().and_then(hidden).is_some() {
                        *id = Value::from(RESTRICTED);
                    }
                }
            }
            for (key, v) in map.iter_mut() {
                if key != "offers" {
                    redact_plan(v, hidden);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| redact_plan(v, hidden)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use domain::access::Releasability;
    use domain::ids::NationCode;

    #[test]
    fn viewers_see_what_their_releasability_allows() {
        let gbr = NationCode::parse("GBR").ok();
        let fra = NationCode::parse("FRA").ok();
        let officer = Viewer::Member {
            nation: gbr.clone(),
        };
        use Releasability::*;
        let cases = [
            (&Viewer::Public, Public, true),
            (&Viewer::Public, Coalition, false),
            (&officer, Coalition, true),
            (&officer, Nation, true),
            (&Viewer::Everything, Nation, true),
        ];
        for (viewer, r, expect) in cases {
            assert_eq!(viewer.sees(r, gbr.as_ref()), expect, "{viewer:?} {r:?}");
        }
        assert!(!officer.sees(Nation, fra.as_ref()));
        assert!(!Viewer::Member { nation: None }.sees(Nation, gbr.as_ref()));
    }

    #[test]
    fn where_clause_numbers_its_arguments() {
        let mut w = Where::new();
        let gbr = NationCode::parse("GBR").ok();
        w.eq("o.status", Some("offered".into())).visible(
            &Viewer::Member { nation: gbr },
            "o.releasability",
            "o.nation",
        );
        assert!(w.clause.contains("o.status = $1"), "{}", w.clause);
        assert!(w.clause.contains("o.nation = $2"), "{}", w.clause);
        assert_eq!(w.args, ["offered", "GBR"]);
    }

    #[test]
    fn plans_show_hidden_offers_as_restricted_contributions() {
        let mut plan = json!({"tours": [
            {"offer": "FRA-01", "nation": "FRA", "requirement": "R1", "units": 2},
            {"offer": "GBR-01", "nation": "GBR", "requirement": "R1", "units": 1}],
            "gaps": [{"reasons": [{"code": "competing_priority", "offers": ["FRA-01", "GBR-01"]}]}],
            "marginal": [{"offer": "FRA-01", "nation": "FRA", "value_per_unit": 3.0}]});
        let hidden = |id: &str| (id == "FRA-01").then(|| "INF-BN".to_owned());
        redact_plan(&mut plan, &hidden);
        let text = plan.to_string();
        assert!(!text.contains("FRA"), "{text}");
        assert_eq!(plan["tours"][0]["offer"], "restricted");
        assert_eq!(plan["tours"][0]["capability"], "INF-BN");
        assert_eq!(plan["tours"][0]["units"], 2);
        assert_eq!(plan["tours"][1]["offer"], "GBR-01");
        assert_eq!(
            plan["gaps"][0]["reasons"][0]["offers"],
            json!(["restricted", "GBR-01"])
        );
        assert_eq!(plan["marginal"][0]["nation"], "restricted");
    }
}
