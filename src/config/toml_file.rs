//! Taipy's TOML configuration format, read and written: sections
//! `[TAIPY]`, `[JOB]`, `[CORE]`, `[DATA_NODE.id]`, `[TASK.id]`, `[SCENARIO.id]`,
//! and values as typed strings (`"1000:int"`, `"id:SECTION"`,
//! `"module.fn:function"`, `"ENV[VAR]:int"`, ...).
//!
//! The file becomes a [`Document`]: sections of entries, each entry with its
//! typed value and the line and column it came from, so that later checks can
//! point at the file. Python turns a document into `Config` objects (it alone
//! can import functions) and back.

use super::document::{did_you_mean, edit_distance, Document, Entry, Section, Typed};
use toml::de::{DeTable, DeValue};
use toml::Spanned;

/// Sections with an id (`[KIND.id]`); the others hold entries directly.
pub const SECTIONS_WITH_ID: &[&str] = &["DATA_NODE", "TASK", "SCENARIO"];
pub const SECTIONS_WITHOUT_ID: &[&str] = &["TAIPY", "JOB", "CORE"];

/// The `:type` suffixes of Taipy's typed strings.
pub const TYPES: &[&str] =
    &["bool", "str", "int", "float", "datetime", "timedelta", "function", "class", "SCOPE", "FREQUENCY", "SECTION"];

fn is_big_integer(text: &str) -> bool {
    let digits = text.strip_prefix(['-', '+']).unwrap_or(text);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// A file that cannot be read as a configuration: where, and why.
#[derive(Debug, thiserror::Error)]
#[error("{file}:{line}:{column}: {message}")]
pub struct FileError {
    pub file: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

struct Reader<'a> {
    file: &'a str,
    text: &'a str,
    env: &'a dyn Fn(&str) -> Option<String>,
}

/// Reads a configuration file's text; `file` names it in errors and `env`
/// resolves `ENV[VAR]` templates.
pub fn parse(file: &str, text: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Document, FileError> {
    let reader = Reader { file, text, env };
    let root = DeTable::parse(text).map_err(|e| {
        let start = e.span().map_or(0, |s| s.start);
        reader.error(start, format!("invalid TOML: {}", e.message().trim_end()))
    })?;
    let mut sections = Vec::new();
    for (name, value) in root.get_ref() {
        let kind = name.get_ref().to_string();
        let at = name.span().start;
        let Some(table) = value.get_ref().as_table() else {
            return Err(reader.error(value.span().start, format!("{kind} must be a section ([{kind}]), not a value")));
        };
        if SECTIONS_WITH_ID.contains(&kind.as_str()) {
            for (id, body) in table {
                let Some(body) = body.get_ref().as_table() else {
                    return Err(reader.error(
                        body.span().start,
                        format!("{kind}.{} must be a section ([{kind}.{}]), not a value", id.get_ref(), id.get_ref()),
                    ));
                };
                let line = Some(reader.position(id.span().start).0);
                let entries = reader.entries(body)?;
                sections.push(Section { kind: kind.clone(), id: Some(id.get_ref().to_string()), line, entries });
            }
        } else {
            let line = Some(reader.position(at).0);
            sections.push(Section { kind, id: None, line, entries: reader.entries(table)? });
        }
    }
    Ok(Document { file: Some(file.to_owned()), sections })
}

impl Reader<'_> {
    fn position(&self, offset: usize) -> (usize, usize) {
        let before = &self.text[..offset.min(self.text.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        (line, column)
    }

    fn error(&self, offset: usize, message: String) -> FileError {
        let (line, column) = self.position(offset);
        FileError { file: self.file.to_owned(), line, column, message }
    }

    fn entries(&self, table: &DeTable<'_>) -> Result<Vec<Entry>, FileError> {
        table
            .iter()
            .map(|(key, value)| {
                let (line, column) = self.position(key.span().start);
                let (value, template) = self.value(key.get_ref(), value)?;
                Ok(Entry { key: key.get_ref().to_string(), value, line: Some(line), column: Some(column), template })
            })
            .collect()
    }

    fn value(&self, key: &str, value: &Spanned<DeValue<'_>>) -> Result<(Typed, Option<String>), FileError> {
        let at = value.span().start;
        let typed = match value.get_ref() {
            DeValue::String(s) => return self.typed_string(key, s, at),
            DeValue::Integer(i) => i64::from_str_radix(i.as_str(), i.radix())
                .map(Typed::Int)
                .map_err(|e| self.error(at, format!("{key}: {e}")))?,
            DeValue::Float(f) => {
                Typed::Float(parse_float(f.as_str()).ok_or_else(|| self.error(at, format!("{key}: not a number")))?)
            }
            DeValue::Boolean(b) => Typed::Bool(*b),
            DeValue::Datetime(d) => Typed::Datetime(d.to_string()),
            DeValue::Array(items) => {
                Typed::List(items.iter().map(|item| Ok(self.value(key, item)?.0)).collect::<Result<_, FileError>>()?)
            }
            DeValue::Table(table) => Typed::Table(self.entries(table)?),
        };
        Ok((typed, None))
    }

    fn typed_string(&self, key: &str, raw: &str, at: usize) -> Result<(Typed, Option<String>), FileError> {
        let (body, type_name) = split_type(raw);
        if let Some(unknown) = type_name.filter(|t| !TYPES.contains(t)) {
            return Err(self.error(
                at,
                format!(
                    "{key}: {raw:?} has an unknown type :{unknown}{}; the types are {}",
                    did_you_mean(unknown, TYPES),
                    TYPES.iter().map(|t| format!(":{t}")).collect::<Vec<_>>().join(", ")
                ),
            ));
        }
        let (body, template) = match env_var_name(body) {
            Some(var) => match (self.env)(var) {
                Some(resolved) => (resolved, Some(raw.to_owned())),
                None => {
                    return Err(
                        self.error(at, format!("{key}: environment variable {var} is not set (used as {raw:?})"))
                    )
                }
            },
            None => (body.to_owned(), None),
        };
        let typed =
            convert(&body, type_name.unwrap_or("str")).map_err(|why| self.error(at, format!("{key}: {why}")))?;
        Ok((typed, template))
    }
}

fn parse_float(text: &str) -> Option<f64> {
    match text.trim_start_matches(['+', '-']) {
        "inf" => Some(if text.starts_with('-') { f64::NEG_INFINITY } else { f64::INFINITY }),
        "nan" => Some(f64::NAN),
        _ => text.replace('_', "").parse().ok(),
    }
}

/// "1000:int" -> ("1000", Some("int")). A suffix counts as a type only when it
/// looks like one (letters only, and a known type or a near miss of one), so
/// that "http://host" or "note:todo" stay plain strings as in Taipy.
fn split_type(raw: &str) -> (&str, Option<&str>) {
    let Some((body, suffix)) = raw.rsplit_once(':') else { return (raw, None) };
    let looks_like_type = !suffix.is_empty()
        && suffix.chars().all(|c| c.is_ascii_alphabetic())
        && (TYPES.contains(&suffix) || TYPES.iter().any(|t| near_type(t, suffix)));
    if looks_like_type {
        (body, Some(suffix))
    } else {
        (raw, None)
    }
}

/// "intt", "integer", "boolean", "func": a misspelt type rather than text after a colon.
fn near_type(known: &str, suffix: &str) -> bool {
    let (known, suffix) = (known.to_lowercase(), suffix.to_lowercase());
    edit_distance(&known, &suffix) <= 2
        || (suffix.len() >= 3 && (known.starts_with(&suffix) || suffix.starts_with(&known)))
}

fn env_var_name(body: &str) -> Option<&str> {
    body.strip_prefix("ENV[")?.strip_suffix(']').filter(|v| !v.is_empty())
}

/// The value of typed string `body:type_name`.
fn convert(body: &str, type_name: &str) -> Result<Typed, String> {
    Ok(match type_name {
        "str" => Typed::Str(body.to_owned()),
        "int" => match body.trim().parse() {
            Ok(i) => Typed::Int(i),
            Err(_) if is_big_integer(body.trim()) => Typed::BigInt(body.trim().trim_start_matches('+').to_owned()),
            Err(_) => return Err(format!("{body:?} is not an integer (:int)")),
        },
        "float" => Typed::Float(body.trim().parse().map_err(|_| format!("{body:?} is not a number (:float)"))?),
        "bool" => Typed::Bool(match body.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" => true,
            "false" | "0" | "no" => false,
            _ => return Err(format!("{body:?} is not a boolean (:bool): write True or False")),
        }),
        "datetime" => {
            body.trim()
                .parse::<toml::value::Datetime>()
                .map_err(|_| format!("{body:?} is not an ISO 8601 date-time (:datetime), e.g. 2024-01-31T08:00:00"))?;
            Typed::Datetime(body.trim().to_owned())
        }
        "timedelta" => Typed::Timedelta(parse_timedelta(body.trim()).ok_or_else(|| {
            format!("{body:?} is not a duration (:timedelta): write days, hours, minutes, seconds as in 1d2h30m15s")
        })?),
        "SCOPE" => {
            let scope = body.trim().to_ascii_uppercase();
            if !["SCENARIO", "CYCLE", "GLOBAL"].contains(&scope.as_str()) {
                return Err(format!("{body:?} is not a scope (:SCOPE): SCENARIO, CYCLE or GLOBAL"));
            }
            Typed::Scope(scope)
        }
        "FREQUENCY" => {
            let frequency = body.trim().to_ascii_uppercase();
            if !["DAILY", "WEEKLY", "MONTHLY", "QUARTERLY", "YEARLY"].contains(&frequency.as_str()) {
                return Err(format!(
                    "{body:?} is not a frequency (:FREQUENCY): DAILY, WEEKLY, MONTHLY, QUARTERLY or YEARLY"
                ));
            }
            Typed::Frequency(frequency)
        }
        "SECTION" => Typed::Section(body.trim().to_owned()),
        "function" | "class" => {
            let path = body.trim();
            let valid = path.split('.').all(|part| {
                let mut chars = part.chars();
                chars.next().is_some_and(|c| c == '_' || c.is_alphabetic())
                    && chars.all(|c| c == '_' || c.is_alphanumeric())
            });
            if !valid || !path.contains('.') {
                return Err(format!("{body:?} is not a dotted import path (module.name:{type_name})"));
            }
            if type_name == "function" {
                Typed::Function(path.to_owned())
            } else {
                Typed::Class(path.to_owned())
            }
        }
        other => unreachable!("split_type only returns known types, got {other}"),
    })
}

/// Taipy's duration format: "1d2h3m4s", each part optional (seconds may have decimals).
fn parse_timedelta(text: &str) -> Option<f64> {
    if text.is_empty() {
        return None;
    }
    let (mut total, mut number, mut last_unit) = (0.0, String::new(), 0);
    for c in text.chars() {
        if c.is_ascii_digit() || c == '.' {
            number.push(c);
            continue;
        }
        let (rank, seconds) = match c {
            'd' => (1, 86_400.0),
            'h' => (2, 3_600.0),
            'm' => (3, 60.0),
            's' => (4, 1.0),
            _ => return None,
        };
        if rank <= last_unit || number.is_empty() {
            return None;
        }
        total += number.parse::<f64>().ok()? * seconds;
        number.clear();
        last_unit = rank;
    }
    number.is_empty().then_some(total)
}

fn format_timedelta(seconds: f64) -> String {
    let whole = seconds.trunc() as u64;
    let (days, hours, minutes) = (whole / 86_400, whole % 86_400 / 3_600, whole % 3_600 / 60);
    let secs = seconds - (whole - whole % 60) as f64;
    let mut out = String::new();
    for (n, unit) in [(days, 'd'), (hours, 'h'), (minutes, 'm')] {
        if n > 0 {
            out.push_str(&format!("{n}{unit}"));
        }
    }
    if secs > 0.0 || out.is_empty() {
        out.push_str(&format!("{secs}s"));
    }
    out
}

/// Levenshtein distance, for "did you mean" hints.
/// The TOML text of a document, in Taipy's typed-string format.
pub fn write(document: &Document) -> String {
    let mut root = toml::Table::new();
    for section in &document.sections {
        let body = table_of(&section.entries);
        match &section.id {
            Some(id) => {
                let kind = root.entry(section.kind.clone()).or_insert_with(|| toml::Value::Table(toml::Table::new()));
                if let toml::Value::Table(kind) = kind {
                    kind.insert(id.clone(), toml::Value::Table(body));
                }
            }
            None => {
                root.insert(section.kind.clone(), toml::Value::Table(body));
            }
        }
    }
    toml::to_string(&root).expect("a table of strings, arrays and tables always serialises")
}

fn table_of(entries: &[Entry]) -> toml::Table {
    entries
        .iter()
        .map(|e| {
            let value = match &e.template {
                Some(template) => toml::Value::String(template.clone()),
                None => toml_value(&e.value),
            };
            (e.key.clone(), value)
        })
        .collect()
}

fn toml_value(value: &Typed) -> toml::Value {
    let typed = |body: String, type_name: &str| toml::Value::String(format!("{body}:{type_name}"));
    match value {
        // A string that would read back as something else keeps an explicit :str.
        Typed::Str(s) if split_type(s).1.is_some() || env_var_name(s).is_some() => typed(s.clone(), "str"),
        Typed::Str(s) => toml::Value::String(s.clone()),
        Typed::Int(i) => typed(i.to_string(), "int"),
        Typed::BigInt(i) => typed(i.clone(), "int"),
        Typed::Float(f) => typed(format!("{f:?}"), "float"),
        Typed::Bool(b) => typed(if *b { "True" } else { "False" }.into(), "bool"),
        Typed::Datetime(d) => typed(d.clone(), "datetime"),
        Typed::Timedelta(s) => typed(format_timedelta(*s), "timedelta"),
        Typed::Scope(s) => typed(s.clone(), "SCOPE"),
        Typed::Frequency(f) => typed(f.clone(), "FREQUENCY"),
        Typed::Section(id) => typed(id.clone(), "SECTION"),
        Typed::Function(path) => typed(path.clone(), "function"),
        Typed::Class(path) => typed(path.clone(), "class"),
        // Never in a document that is written (Python refuses such values first).
        Typed::Opaque(type_name) => toml::Value::String(type_name.clone()),
        Typed::List(items) => toml::Value::Array(items.iter().map(toml_value).collect()),
        Typed::Table(entries) => toml::Value::Table(table_of(entries)),
    }
}

#[cfg(test)]
mod tests;
