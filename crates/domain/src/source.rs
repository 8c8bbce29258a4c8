//! Sources: who said it, where and when, and how far to trust it.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::Value;

use crate::access::Releasability;
use crate::ids::SourceId;
use crate::read::{date, kind, scalar, string, Fields, ParseErrors};

/// NATO admiralty code: reliability of the source (A–F) and credibility of the information (1–6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grading {
    reliability: u8,
    credibility: u8,
}

impl Grading {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s.as_bytes() {
            [r @ b'A'..=b'F', c @ b'1'..=b'6'] => Ok(Self {
                reliability: *r,
                credibility: *c,
            }),
            _ => Err(format!(
                "\"{s}\" is not an admiralty grading: reliability A-F then credibility 1-6, e.g. \"B2\""
            )),
        }
    }
    fn from_json(v: &Value) -> Result<Self, String> {
        v.as_str().map(Self::parse).unwrap_or_else(|| {
            Err(format!(
                "expected a grading such as \"B2\", found {}",
                kind(v)
            ))
        })
    }
    /// `A` (completely reliable) … `F` (cannot be judged).
    pub fn reliability(&self) -> char {
        char::from(self.reliability)
    }
    /// `1` (confirmed) … `6` (cannot be judged).
    pub fn credibility(&self) -> u8 {
        self.credibility - b'0'
    }
}

impl fmt::Display for Grading {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}{}", self.reliability(), self.credibility())
    }
}

impl Serialize for Grading {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Source {
    pub id: SourceId,
    pub title: String,
    pub publisher: String,
    pub published: jiff::civil::Date,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    pub grading: Grading,
    /// `public` or `coalition`: a source has no owning nation to restrict it to.
    #[serde(skip_serializing_if = "Releasability::is_default")]
    pub releasability: Releasability,
}

fn source_releasability(v: &Value) -> Result<Releasability, String> {
    match Releasability::parse(&string(v)?)? {
        Releasability::Nation => {
            Err("a source is \"public\" or \"coalition\"; it has no owning nation".into())
        }
        r => Ok(r),
    }
}

fn url(v: &Value) -> Result<String, String> {
    let s = string(v)?;
    if (s.starts_with("https://") || s.starts_with("http://"))
        && s.len() > 8
        && !s.contains(char::is_whitespace)
    {
        Ok(s)
    } else {
        Err(format!("\"{s}\" is not an http(s) address"))
    }
}

impl Source {
    pub fn from_json(v: &Value, path: &str, errs: &mut ParseErrors) -> Option<Self> {
        let mut f = Fields::new(v, path, errs)?;
        let id = f.req("id", errs, scalar(SourceId::from_json));
        let title = f.req("title", errs, scalar(string));
        let publisher = f.req("publisher", errs, scalar(string));
        let published = f.req("published", errs, scalar(date));
        let url = f.opt("url", errs, scalar(url));
        let reference = f.opt("reference", errs, scalar(string));
        let grading = f.req("grading", errs, scalar(Grading::from_json));
        let releasability = f.opt("releasability", errs, scalar(source_releasability));
        f.finish(errs);
        Some(Self {
            id: id?,
            title: title?,
            publisher: publisher?,
            published: published?,
            url: url.ok()?,
            reference: reference.ok()?,
            grading: grading?,
            releasability: releasability.ok()?.unwrap_or_default(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grading() {
        let g = Grading::parse("B2").unwrap();
        assert_eq!((g.reliability(), g.credibility()), ('B', 2));
        assert_eq!(g.to_string(), "B2");
        for bad in ["G1", "A7", "A", "a1", "A10", ""] {
            assert!(Grading::parse(bad).is_err(), "{bad}");
        }
    }
}
