//! Reading JSON into domain values while collecting *every* error with its JSON path.
//!
//! Parsers have the shape `fn(&Value, &str, &mut ParseErrors) -> Option<T>`: they report what is
//! wrong under the given path and return `None`, so a caller can go on and find the next mistake.

use std::fmt;

use serde_json::{Map, Value};

/// One mistake in an input document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    /// JSON path such as `offers[3].nation`; empty for the document itself.
    pub path: String,
    pub message: String,
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// All the mistakes found in one document, in document order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ParseErrors(Vec<FieldError>);

impl ParseErrors {
    pub fn push(&mut self, path: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            path: path.to_owned(),
            message: message.into(),
        });
    }
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    pub fn len(&self) -> usize {
        self.0.len()
    }
    pub fn iter(&self) -> impl Iterator<Item = &FieldError> {
        self.0.iter()
    }
    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }
}

impl fmt::Display for ParseErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for ParseErrors {}

/// `parent.key`, or `key` at the top.
pub fn join(parent: &str, key: &str) -> String {
    if parent.is_empty() {
        key.to_owned()
    } else {
        format!("{parent}.{key}")
    }
}

/// Marks a value that was present but invalid; the reason has been reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid;

/// A JSON object being read field by field; [`Fields::finish`] reports unknown keys.
pub struct Fields<'v> {
    map: &'v Map<String, Value>,
    path: String,
    used: Vec<&'static str>,
}

impl<'v> Fields<'v> {
    pub fn new(value: &'v Value, path: &str, errs: &mut ParseErrors) -> Option<Self> {
        match value {
            Value::Object(map) => Some(Self {
                map,
                path: path.to_owned(),
                used: Vec::new(),
            }),
            other => {
                errs.push(path, format!("expected an object, found {}", kind(other)));
                None
            }
        }
    }

    pub fn path(&self) -> &str {
        &self.path
    }

    /// A required field.
    pub fn req<T>(
        &mut self,
        key: &'static str,
        errs: &mut ParseErrors,
        parse: impl FnOnce(&Value, &str, &mut ParseErrors) -> Option<T>,
    ) -> Option<T> {
        self.used.push(key);
        let path = join(&self.path, key);
        match self.map.get(key) {
            None | Some(Value::Null) => {
                errs.push(&path, "missing required field");
                None
            }
            Some(v) => parse(v, &path, errs),
        }
    }

    /// An optional field: `Ok(None)` when absent or null, `Err(Invalid)` when present but invalid
    /// (the reason is already in `errs`).
    pub fn opt<T>(
        &mut self,
        key: &'static str,
        errs: &mut ParseErrors,
        parse: impl FnOnce(&Value, &str, &mut ParseErrors) -> Option<T>,
    ) -> Result<Option<T>, Invalid> {
        self.used.push(key);
        let path = join(&self.path, key);
        match self.map.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => parse(v, &path, errs).map(Some).ok_or(Invalid),
        }
    }

    /// An optional list that is empty when absent.
    pub fn list<T>(
        &mut self,
        key: &'static str,
        errs: &mut ParseErrors,
        item: impl FnMut(&Value, &str, &mut ParseErrors) -> Option<T>,
    ) -> Option<Vec<T>> {
        self.opt(key, errs, |v, p, e| list(v, p, e, item))
            .ok()
            .map(Option::unwrap_or_default)
    }

    /// Looks at a field without marking it as read.
    pub fn map_get(&self, key: &str) -> Option<&'v Value> {
        self.map.get(key)
    }

    /// The raw value of a field, marking it as read.
    pub fn raw(&mut self, key: &'static str) -> Option<&'v Value> {
        self.used.push(key);
        self.map.get(key)
    }

    /// Reports every key that no reader asked for.
    pub fn finish(self, errs: &mut ParseErrors) {
        for key in self.map.keys() {
            if !self.used.contains(&key.as_str()) {
                errs.push(&join(&self.path, key), "unknown field");
            }
        }
    }
}

/// Reads a JSON array, item by item; `None` if it is not an array or any item is invalid.
pub fn list<T>(
    value: &Value,
    path: &str,
    errs: &mut ParseErrors,
    mut item: impl FnMut(&Value, &str, &mut ParseErrors) -> Option<T>,
) -> Option<Vec<T>> {
    let Value::Array(items) = value else {
        errs.push(path, format!("expected a list, found {}", kind(value)));
        return None;
    };
    let mut out = Vec::with_capacity(items.len());
    let mut ok = true;
    for (i, v) in items.iter().enumerate() {
        match item(v, &format!("{path}[{i}]"), errs) {
            Some(t) => out.push(t),
            None => ok = false,
        }
    }
    ok.then_some(out)
}

/// Reads a JSON array keeping the valid items (the invalid ones are reported), so checks that
/// span items can still run on the rest.
pub fn valid_items<T>(
    value: Option<&Value>,
    path: &str,
    errs: &mut ParseErrors,
    mut item: impl FnMut(&Value, &str, &mut ParseErrors) -> Option<T>,
) -> Vec<T> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => items
            .iter()
            .enumerate()
            .filter_map(|(i, v)| item(v, &format!("{path}[{i}]"), errs))
            .collect(),
        Some(other) => {
            errs.push(path, format!("expected a list, found {}", kind(other)));
            Vec::new()
        }
    }
}

/// Adapts a scalar parser that returns a reason into the collecting shape; usable for one
/// field or, inside [`list`], once per item.
pub fn scalar<T>(
    parse: impl Fn(&Value) -> Result<T, String>,
) -> impl FnMut(&Value, &str, &mut ParseErrors) -> Option<T> {
    move |v, path, errs| match parse(v) {
        Ok(t) => Some(t),
        Err(reason) => {
            errs.push(path, reason);
            None
        }
    }
}

pub fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

pub fn string(v: &Value) -> Result<String, String> {
    match v {
        Value::String(s) if s.trim().is_empty() => Err("must not be empty".into()),
        Value::String(s) if s.chars().any(|c| c.is_control() && c != '\n' && c != '\t') => {
            Err("must not contain control characters".into())
        }
        Value::String(s) => Ok(s.clone()),
        other => Err(format!("expected a string, found {}", kind(other))),
    }
}

pub fn boolean(v: &Value) -> Result<bool, String> {
    v.as_bool()
        .ok_or_else(|| format!("expected true or false, found {}", kind(v)))
}

/// An integer in `min..=max`.
pub fn int(min: u64, max: u64) -> impl Fn(&Value) -> Result<u32, String> {
    move |v| {
        let n = v.as_u64().filter(|_| v.is_u64()).ok_or_else(|| match v {
            Value::Number(n) if n.is_i64() => format!("must be at least {min}, found {n}"),
            Value::Number(n) => format!("expected a whole number, found {n}"),
            other => format!("expected a whole number, found {}", kind(other)),
        })?;
        if n < min || n > max {
            return Err(format!("must be between {min} and {max}, found {n}"));
        }
        u32::try_from(n).map_err(|_| format!("too large: {n}"))
    }
}

/// A finite number ≥ 0.
pub fn non_negative(v: &Value) -> Result<f64, String> {
    let n = v
        .as_f64()
        .ok_or_else(|| format!("expected a number, found {}", kind(v)))?;
    if !n.is_finite() || n < 0.0 {
        return Err(format!("must be a number ≥ 0, found {n}"));
    }
    Ok(n)
}

pub fn date(v: &Value) -> Result<jiff::civil::Date, String> {
    let s = v
        .as_str()
        .ok_or_else(|| format!("expected a date (YYYY-MM-DD), found {}", kind(v)))?;
    if s.len() != 10 {
        return Err(format!("expected a date (YYYY-MM-DD), found \"{s}\""));
    }
    s.parse()
        .map_err(|_| format!("expected a date (YYYY-MM-DD), found \"{s}\""))
}

pub fn timestamp(v: &Value) -> Result<jiff::Timestamp, String> {
    let s = v
        .as_str()
        .ok_or_else(|| format!("expected an RFC 3339 timestamp, found {}", kind(v)))?;
    s.parse().map_err(|_| {
        format!("expected an RFC 3339 timestamp such as 2025-03-18T12:00:00Z, found \"{s}\"")
    })
}

/// One of a fixed set of words.
pub fn one_of<T: Copy>(
    choices: &'static [(&'static str, T)],
) -> impl Fn(&Value) -> Result<T, String> {
    move |v| {
        let s = v
            .as_str()
            .ok_or_else(|| format!("expected a string, found {}", kind(v)))?;
        choices
            .iter()
            .find(|(name, _)| *name == s)
            .map(|(_, t)| *t)
            .ok_or_else(|| {
                let names: Vec<_> = choices.iter().map(|(n, _)| *n).collect();
                format!(
                    "unknown value \"{s}\"; expected one of {}",
                    names.join(", ")
                )
            })
    }
}

/// Writes a number without a fractional part as an integer (`5000`, not `5000.0`), so files
/// keep the form people write them in.
pub fn whole_if_integral<S: serde::Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53
    if x.fract() == 0.0 && x.abs() < EXACT {
        #[expect(clippy::cast_possible_truncation, reason = "integral and below 2^53")]
        let n = *x as i64;
        s.serialize_i64(n)
    } else {
        s.serialize_f64(*x)
    }
}

pub fn opt_whole_if_integral<S: serde::Serializer>(
    x: &Option<f64>,
    s: S,
) -> Result<S::Ok, S::Error> {
    match x {
        Some(x) => whole_if_integral(x, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fields_report_missing_unknown_and_invalid_with_paths() {
        let v = json!({"a": "x", "b": -1, "zz": true});
        let mut errs = ParseErrors::default();
        let mut f = Fields::new(&v, "top[2]", &mut errs).unwrap();
        assert_eq!(f.req("a", &mut errs, scalar(string)), Some("x".into()));
        assert_eq!(f.req("b", &mut errs, scalar(int(0, 9))), None);
        assert_eq!(f.req("c", &mut errs, scalar(string)), None);
        f.finish(&mut errs);
        let got: Vec<String> = errs.iter().map(ToString::to_string).collect();
        assert_eq!(
            got,
            [
                "top[2].b: must be at least 0, found -1",
                "top[2].c: missing required field",
                "top[2].zz: unknown field"
            ]
        );
    }

    #[test]
    fn scalars_reject_what_they_should() {
        assert!(int(1, 5)(&json!(1.5)).is_err());
        assert!(int(1, 5)(&json!(6)).is_err());
        assert_eq!(int(1, 5)(&json!(5)), Ok(5));
        assert!(non_negative(&json!(-0.5)).is_err());
        assert!(date(&json!("2025-02-30")).is_err());
        assert!(date(&json!("2025-3-1")).is_err());
        assert!(date(&json!("2025-03-01")).is_ok());
        assert!(timestamp(&json!("2025-03-01")).is_err());
        assert!(timestamp(&json!("2025-03-01T10:00:00Z")).is_ok());
        assert!(string(&json!("  ")).is_err());
        assert!(string(&json!("a\u{0}b")).is_err());
    }
}
