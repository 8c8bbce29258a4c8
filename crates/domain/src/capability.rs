//! The capability catalogue.

use serde::Serialize;
use serde_json::Value;

use crate::ids::CapabilityCode;
use crate::read::{int, kind, one_of, scalar, string, Fields, ParseErrors};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Domain {
    Land,
    Air,
    Sea,
    Joint,
}

impl Domain {
    pub const ALL: &'static [(&'static str, Domain)] = &[
        ("land", Domain::Land),
        ("air", Domain::Air),
        ("sea", Domain::Sea),
        ("joint", Domain::Joint),
    ];
}

/// APP-6 symbol identification code: 20 or 30 digits (APP-6 D/E) or 15 characters (APP-6 B/C).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Sidc(String);

impl Sidc {
    pub fn parse(s: &str) -> Result<Self, String> {
        let digits = (s.len() == 20 || s.len() == 30) && s.bytes().all(|b| b.is_ascii_digit());
        let letters = s.len() == 15
            && s.bytes()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'*');
        if digits || letters {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "\"{s}\" is not an APP-6 SIDC (20 or 30 digits, or 15 characters)"
            ))
        }
    }
    fn from_json(v: &Value) -> Result<Self, String> {
        v.as_str()
            .map(Self::parse)
            .unwrap_or_else(|| Err(format!("expected a SIDC string, found {}", kind(v))))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Capability {
    pub code: CapabilityCode,
    pub name: String,
    pub domain: Domain,
    /// Personnel per unit.
    pub personnel: u32,
    pub sidc: Sidc,
}

impl Capability {
    pub fn from_json(v: &Value, path: &str, errs: &mut ParseErrors) -> Option<Self> {
        let mut f = Fields::new(v, path, errs)?;
        let code = f.req("code", errs, scalar(CapabilityCode::from_json));
        let name = f.req("name", errs, scalar(string));
        let domain = f.req("domain", errs, scalar(one_of(Domain::ALL)));
        let personnel = f.req("personnel", errs, scalar(int(0, 100_000)));
        let sidc = f.req("sidc", errs, scalar(Sidc::from_json));
        f.finish(errs);
        Some(Self {
            code: code?,
            name: name?,
            domain: domain?,
            personnel: personnel?,
            sidc: sidc?,
        })
    }
}
