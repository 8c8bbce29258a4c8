//! Identifier newtypes. Each is parsed once and is valid from then on.

use std::fmt;

use serde::Serialize;
use serde_json::Value;

use crate::read::kind;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident, $check:expr, $what:literal) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        pub struct $name(String);

        impl $name {
            /// Parses a value, explaining what is wrong when it is not valid.
            pub fn parse(s: &str) -> Result<Self, String> {
                let check: fn(&str) -> bool = $check;
                if check(s) {
                    Ok(Self(s.to_owned()))
                } else {
                    Err(format!(concat!("\"{}\" is not ", $what), s))
                }
            }

            /// Reads the value from JSON (see [`crate::read`]).
            pub fn from_json(v: &Value) -> Result<Self, String> {
                match v.as_str() {
                    Some(s) => Self::parse(s),
                    None => Err(format!(concat!("expected ", $what, ", found {}"), kind(v))),
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0)
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let s = String::deserialize(d)?;
                Self::parse(&s).map_err(serde::de::Error::custom)
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;
            fn from_str(s: &str) -> Result<Self, String> {
                Self::parse(s)
            }
        }
    };
}

fn is_identifier(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

fn is_alpha3(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_uppercase())
}

fn is_capability(s: &str) -> bool {
    s.len() <= 64
        && s.split('.').all(|part| {
            !part.is_empty()
                && part
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
        })
        && s.as_bytes().first().is_some_and(u8::is_ascii_uppercase)
}

/// ISO 3166-2 (`UA-30`) or a named area in capitals (`BLACK-SEA`, `PL-EAST`).
fn is_region(s: &str) -> bool {
    (2..=32).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

fn is_slug(s: &str) -> bool {
    (1..=48).contains(&s.len())
        && s.as_bytes().first().is_some_and(u8::is_ascii_lowercase)
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn is_grouping(s: &str) -> bool {
    (2..=16).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-')
}

id_type!(
    /// ISO 3166-1 alpha-3 nation code.
    NationCode, is_alpha3, "an ISO 3166-1 alpha-3 nation code such as \"GBR\""
);
id_type!(
    /// Capability code in dotted capitals, e.g. `LAND.INF.BN`.
    CapabilityCode, is_capability, "a capability code in dotted capitals such as \"LAND.INF.BN\""
);
id_type!(
    OfferId,
    is_identifier,
    "an identifier (1-64 of A-Z a-z 0-9 . _ -)"
);
id_type!(
    RequirementId,
    is_identifier,
    "an identifier (1-64 of A-Z a-z 0-9 . _ -)"
);
id_type!(
    CommitmentId,
    is_identifier,
    "an identifier (1-64 of A-Z a-z 0-9 . _ -)"
);
id_type!(
    SourceId,
    is_identifier,
    "an identifier (1-64 of A-Z a-z 0-9 . _ -)"
);
id_type!(
    /// ISO 3166-2 region or a named area.
    Region, is_region, "a region: an ISO 3166-2 code such as \"UA-30\" or a named area such as \"BLACK-SEA\""
);
id_type!(
    /// Name of a planning assumption, e.g. `us_backstop`.
    Assumption, is_slug, "an assumption name in lowercase (e.g. \"us_backstop\")"
);
id_type!(
    /// Mission line of the statement of requirements, e.g. `air_policing`.
    Line, is_slug, "a mission line in lowercase (e.g. \"air_policing\")"
);
id_type!(
    /// A grouping a nation belongs to: `NATO`, `EU`, …
    Membership, is_grouping, "a grouping in capitals such as \"NATO\" or \"EU\""
);
id_type!(
    /// ISO 4217 currency code.
    Currency, is_alpha3, "an ISO 4217 currency code such as \"EUR\""
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes() {
        assert!(NationCode::parse("GBR").is_ok());
        assert!(NationCode::parse("gbr").is_err());
        assert!(NationCode::parse("GB").is_err());
        assert!(CapabilityCode::parse("LAND.INF.BN").is_ok());
        assert!(CapabilityCode::parse("LAND..BN").is_err());
        assert!(CapabilityCode::parse("land.inf").is_err());
        assert!(Region::parse("UA-30").is_ok());
        assert!(Region::parse("BLACK-SEA").is_ok());
        assert!(Region::parse("ua-30").is_err());
        assert!(OfferId::parse("GBR-01").is_ok());
        assert!(OfferId::parse("a b").is_err());
        assert!(OfferId::parse("").is_err());
        assert!(Line::parse("air_policing").is_ok());
        assert!(Line::parse("Air").is_err());
    }
}
