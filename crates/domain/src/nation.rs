//! Nations and their part in the coalition.

use serde::Serialize;
use serde_json::Value;

use crate::ids::{Membership, NationCode};
use crate::read::{one_of, scalar, string, Fields, ParseErrors};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NationRole {
    /// Offers forces or other contributions.
    #[default]
    Contributor,
    /// The nation the force deploys to.
    Host,
    /// A guarantor outside the force (the possible US backstop).
    Backstop,
    /// A party to the conflict outside the coalition, listed so its statements can be recorded.
    Party,
}

impl NationRole {
    pub const ALL: &'static [(&'static str, NationRole)] = &[
        ("contributor", NationRole::Contributor),
        ("host", NationRole::Host),
        ("backstop", NationRole::Backstop),
        ("party", NationRole::Party),
    ];
    fn is_default(&self) -> bool {
        *self == NationRole::Contributor
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Nation {
    pub code: NationCode,
    pub name: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub memberships: Vec<Membership>,
    #[serde(skip_serializing_if = "NationRole::is_default")]
    pub role: NationRole,
}

impl Nation {
    pub fn from_json(v: &Value, path: &str, errs: &mut ParseErrors) -> Option<Self> {
        let mut f = Fields::new(v, path, errs)?;
        let code = f.req("code", errs, scalar(NationCode::from_json));
        let name = f.req("name", errs, scalar(string));
        let memberships = f.list("memberships", errs, scalar(Membership::from_json));
        let role = f.opt("role", errs, scalar(one_of(NationRole::ALL)));
        f.finish(errs);
        Some(Self {
            code: code?,
            name: name?,
            memberships: memberships?,
            role: role.ok()?.unwrap_or_default(),
        })
    }

    pub fn is_member_of(&self, grouping: &str) -> bool {
        self.memberships.iter().any(|m| m.as_str() == grouping)
    }
}
