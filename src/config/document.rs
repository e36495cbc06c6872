//! The configuration model: sections (`DATA_NODE`, `TASK`, `SCENARIO`, `JOB`,
//! `CORE`, `TAIPY`, or a kind nobody knows) of typed entries, each with the file
//! line it came from when it came from one.
//!
//! Both front ends build it: the TOML reader (`toml_file.rs`) and the Python API
//! (`python/scenarium/_config_document.py`, one section per configured object).
//! The validator (`validate.rs`) checks it, the TOML writer writes it, and Python
//! turns it into `Config` objects (only Python can import functions). A
//! scenario's flattened spec is validated as the document it stands for, so one
//! set of rules covers every way in.

use serde::{Deserialize, Serialize};

/// A configuration value with its type, as a typed string spells it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", content = "value", rename_all = "snake_case")]
pub enum Typed {
    Str(String),
    Int(i64),
    /// An integer beyond 64 bits, in decimal (TOML's integers stop at 64 bits,
    /// so it is written as a typed string).
    BigInt(String),
    /// Non-finite values cross JSON as "inf", "-inf" and "nan".
    Float(#[serde(with = "float_text")] f64),
    Bool(bool),
    /// ISO 8601, as Python's `datetime.fromisoformat` reads it.
    Datetime(String),
    /// Seconds.
    Timedelta(f64),
    Scope(String),
    Frequency(String),
    /// The id of another section (a data node of a task, a task of a scenario).
    Section(String),
    /// "module.qualname" of a function.
    Function(String),
    Class(String),
    List(Vec<Typed>),
    Table(Vec<Entry>),
    /// A Python value no configuration file can hold, by its type's name: what
    /// `Config.check()` sees of it, so that a property of the wrong type is named.
    Opaque(String),
}

/// JSON has no inf or nan: they travel as strings, finite numbers as numbers.
mod float_text {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(value: &f64, s: S) -> Result<S::Ok, S::Error> {
        match value {
            v if v.is_finite() => s.serialize_f64(*v),
            v if v.is_nan() => s.serialize_str("nan"),
            v if *v > 0.0 => s.serialize_str("inf"),
            _ => s.serialize_str("-inf"),
        }
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Number {
            Finite(f64),
            Text(String),
        }
        match Number::deserialize(d)? {
            Number::Finite(v) => Ok(v),
            Number::Text(t) => t.parse().map_err(|_| serde::de::Error::custom(format!("{t:?} is not a number"))),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Entry {
    pub key: String,
    pub value: Typed,
    /// 1-based position in the file, when the entry came from one.
    #[serde(default)]
    pub line: Option<usize>,
    #[serde(default)]
    pub column: Option<usize>,
    /// The `ENV[...]` template the value was read from, written back on export.
    #[serde(default)]
    pub template: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Section {
    /// "DATA_NODE", "TASK", "SCENARIO", "TAIPY", "JOB", "CORE", or an unknown name as written.
    pub kind: String,
    pub id: Option<String>,
    #[serde(default)]
    pub line: Option<usize>,
    pub entries: Vec<Entry>,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Document {
    /// The file it was read from, for messages.
    #[serde(default)]
    pub file: Option<String>,
    pub sections: Vec<Section>,
}

/// Hints for misspelt names, shared by the TOML reader and the validator.
pub fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let current = row[j + 1];
            row[j + 1] = (previous + usize::from(ca != *cb)).min(row[j] + 1).min(current + 1);
            previous = current;
        }
    }
    row[b.len()]
}

/// " (did you mean X?)" for the closest of `candidates` within 2 edits, or "".
pub fn did_you_mean(word: &str, candidates: &[&str]) -> String {
    candidates
        .iter()
        .map(|c| (edit_distance(&word.to_lowercase(), &c.to_lowercase()), c))
        .filter(|(d, _)| *d <= 2)
        .min()
        .map(|(_, c)| format!(" (did you mean {c}?)"))
        .unwrap_or_default()
}
