//! Who may read a record: its releasability.

use serde::Serialize;

/// How far a record may travel. Ordered from the most open to the most restricted.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Releasability {
    /// Anyone, signed in or not, through the public view.
    Public,
    /// Every signed-in user of the coalition. The default when a record does not say.
    #[default]
    Coalition,
    /// The owning nation's officers, coalition planners and administrators only.
    Nation,
}

impl Releasability {
    pub const ALL: &'static [(&'static str, Releasability)] = &[
        ("public", Releasability::Public),
        ("coalition", Releasability::Coalition),
        ("nation", Releasability::Nation),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Releasability::Public => "public",
            Releasability::Coalition => "coalition",
            Releasability::Nation => "nation",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, r)| *r)
            .ok_or_else(|| format!("unknown releasability \"{s}\" (public, coalition, nation)"))
    }

    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips_and_rejects_unknown() {
        for (name, r) in Releasability::ALL {
            assert_eq!(Releasability::parse(name), Ok(*r));
            assert_eq!(r.as_str(), *name);
        }
        assert!(Releasability::parse("secret").is_err());
        assert_eq!(Releasability::default(), Releasability::Coalition);
    }
}

/// What a signed-in user may do; see the server's access rules for the details.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Manages users and sees everything.
    Admin,
    /// Coalition HQ: sees and plans with everything.
    Planner,
    /// A nation's liaison officer: manages that nation's offers, sees its restricted records.
    NationOfficer,
    /// Submits ceasefire observations.
    Monitor,
    /// Reads what the coalition may read.
    Observer,
}

impl Role {
    pub const ALL: &'static [(&'static str, Role)] = &[
        ("admin", Role::Admin),
        ("planner", Role::Planner),
        ("nation_officer", Role::NationOfficer),
        ("monitor", Role::Monitor),
        ("observer", Role::Observer),
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Planner => "planner",
            Role::NationOfficer => "nation_officer",
            Role::Monitor => "monitor",
            Role::Observer => "observer",
        }
    }

    pub fn parse(s: &str) -> Result<Self, String> {
        Self::ALL
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, r)| *r)
            .ok_or_else(|| {
                format!("unknown role \"{s}\" (admin, planner, nation_officer, monitor, observer)")
            })
    }

    /// Coalition HQ roles see every record, whatever its releasability.
    pub fn sees_everything(self) -> bool {
        matches!(self, Role::Admin | Role::Planner)
    }
}

/// A user name: 3–64 characters of lower-case letters, digits, `.`, `_` and `-`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Username(String);

impl Username {
    pub fn parse(s: &str) -> Result<Self, String> {
        let ok = (3..=64).contains(&s.len())
            && s.bytes().all(|b| {
                b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
            });
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(format!(
                "user name \"{}\" must be 3-64 characters of a-z, 0-9, '.', '_' or '-'",
                s.chars().take(64).collect::<String>()
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Username {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod role_tests {
    use super::*;

    #[test]
    fn roles_and_names() {
        for (name, r) in Role::ALL {
            assert_eq!(Role::parse(name), Ok(*r));
        }
        assert!(Role::parse("root").is_err());
        assert!(Role::Planner.sees_everything() && !Role::NationOfficer.sees_everything());
        assert!(Username::parse("gbr.lno-1").is_ok());
        for bad in ["ab", "Admin", "a b", "x'; drop", ""] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }
}
