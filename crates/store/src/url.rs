//! Database URLs: the backend is chosen here, once.

use std::fmt;
use std::path::{Path, PathBuf};

use crate::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        })
    }
}

/// A checked database URL. Its `Display` hides any password.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// `sqlite://relative/path.db`, `sqlite:///absolute/path.db` or `sqlite::memory:`.
    Sqlite {
        path: Option<PathBuf>,
    },
    Postgres {
        url: String,
    },
}

impl DatabaseUrl {
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let bad = |why: &str| StoreError::InvalidUrl(format!("{why} (in {})", redact(url)));
        if let Some(rest) = url.strip_prefix("sqlite:") {
            if rest == ":memory:" {
                return Ok(Self::Sqlite { path: None });
            }
            let Some(path) = rest.strip_prefix("//") else {
                return Err(bad("a SQLite URL looks like sqlite://coalition.db or sqlite:///var/lib/coalition.db"));
            };
            if path.is_empty() || path.ends_with('/') {
                return Err(bad("the SQLite URL names no file"));
            }
            if path.contains(['?', '#', '%']) || path.chars().any(char::is_control) {
                return Err(bad(
                    "SQLite file names may not contain ?, #, % or control characters",
                ));
            }
            let path = PathBuf::from(path);
            let parent = path
                .parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."));
            if !parent.is_dir() {
                return Err(bad(&format!(
                    "the folder {} does not exist",
                    parent.display()
                )));
            }
            return Ok(Self::Sqlite { path: Some(path) });
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            if url.contains(char::is_whitespace) {
                return Err(bad("the URL contains whitespace"));
            }
            return Ok(Self::Postgres {
                url: url.to_owned(),
            });
        }
        Err(bad(
            "unknown database scheme; use sqlite://FILE or postgres://…",
        ))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Self::Sqlite { .. } => Backend::Sqlite,
            Self::Postgres { .. } => Backend::Postgres,
        }
    }

    /// The URL handed to the driver.
    pub(crate) fn driver_url(&self) -> String {
        match self {
            Self::Sqlite { path: None } => "sqlite::memory:".to_owned(),
            Self::Sqlite { path: Some(p) } => format!("sqlite://{}?mode=rwc", p.display()),
            Self::Postgres { url } => url.clone(),
        }
    }
}

/// Replaces the password in `scheme://user:password@host` with `***`.
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let (auth, host) = match rest.split_once('@') {
        Some(parts) => parts,
        None => return url.to_owned(),
    };
    match auth.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:***@{host}"),
        None => url.to_owned(),
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Sqlite { path: None } => f.write_str("sqlite::memory:"),
            Self::Sqlite { path: Some(p) } => write!(f, "sqlite://{}", p.display()),
            Self::Postgres { url } => f.write_str(&redact(url)),
        }
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "DatabaseUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert!(matches!(
            DatabaseUrl::parse("sqlite://coalition.db"),
            Ok(DatabaseUrl::Sqlite { .. })
        ));
        assert!(matches!(
            DatabaseUrl::parse("sqlite::memory:"),
            Ok(DatabaseUrl::Sqlite { path: None })
        ));
        assert!(matches!(
            DatabaseUrl::parse("postgres://u:p@h/db"),
            Ok(DatabaseUrl::Postgres { .. })
        ));
        for bad in [
            "sqlite:coalition.db",
            "sqlite://",
            "sqlite://dir/",
            "sqlite://x.db?mode=ro",
            "sqlite://no/such/folder/x.db",
            "mysql://h/db",
            "coalition.db",
            "",
        ] {
            assert!(DatabaseUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn passwords_are_never_shown() {
        let u = DatabaseUrl::parse("postgres://admin:s3cret@db.example/coalition").unwrap();
        assert_eq!(u.to_string(), "postgres://admin:***@db.example/coalition");
        assert!(!format!("{u:?}").contains("s3cret"));
        let e = DatabaseUrl::parse("mysql://admin:s3cret@h/db").unwrap_err();
        assert!(!e.to_string().contains("s3cret"));
    }
}
