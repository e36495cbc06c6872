//! The one validator of a configuration: every rule that needs only the
//! configuration model ([`Document`]) — ids, unknown sections and keys, value
//! types, storage types, references, double writers, cycles. `Config.check()`,
//! `create_scenario` (through [`check_spec`]) and `scenarium check` all run it;
//! only the rules that must import a function (its signature) run in Python.
//! Each issue names the section, the key and, for a file, the line.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::document::{did_you_mean, Document, Entry, Section, Typed};
use super::{ScenarioSpec, StorageType};
use crate::error::{Error, Result};
use crate::graph::{cycles, TaskNode};

const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

/// Taipy requires ids to be Python identifiers so that `scenario.<id>` works.
/// The longest id: ids become parts of entity ids and file names (with a
/// prefix and a 36-character uuid), which file systems cap at 255 bytes.
pub const MAX_ID_LEN: usize = 128;

/// Why `id` cannot name a `kind` ("task", "data node", ...), if it cannot.
pub fn identifier_problem(kind: &str, id: &str) -> Option<String> {
    if id.len() > MAX_ID_LEN {
        return Some(format!(
            "{kind} id {:?}… is {} characters long; ids are at most {MAX_ID_LEN} characters (they become \
             part of file names)",
            id.chars().take(40).collect::<String>(),
            id.len()
        ));
    }
    let mut chars = id.chars();
    let valid_start = chars.next().is_some_and(|c| c == '_' || c.is_ascii_alphabetic());
    let valid_rest = chars.all(|c| c == '_' || c.is_ascii_alphanumeric());
    if !valid_start || !valid_rest || PYTHON_KEYWORDS.contains(&id) {
        return Some(format!(
            "{kind} id {id:?} is not a valid identifier: use letters, digits and underscores, \
             not starting with a digit, and not a Python keyword"
        ));
    }
    None
}

pub fn check_identifier(kind: &str, id: &str) -> Result<()> {
    identifier_problem(kind, id).map_or(Ok(()), |message| Err(Error::Config(message)))
}

/// The core's own check of a scenario's flattened spec before anything is
/// stored: the validator's errors over the document the spec stands for.
pub fn check_spec(spec: &ScenarioSpec) -> Result<()> {
    // A spec's properties are JSON stand-ins (a None is null, a class a function
    // reference): their types were checked on the configuration they came from.
    let document = spec_document(spec);
    let mut linter = Linter { document: &document, issues: Vec::new(), property_types: false };
    linter.run();
    let errors: Vec<String> = linter
        .issues
        .into_iter()
        .filter(|issue| issue.level == Level::Error)
        .map(|issue| match issue.section.split_once('.') {
            Some((kind, id)) => format!("{} {id:?}: {}", kind_name(kind).unwrap_or(kind), issue.message),
            None => format!("[{}] {}", issue.section, issue.message),
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Error::Config(format!("scenario config {:?}: {}", spec.id, errors.join("; "))))
    }
}

/// A spec property (JSON, as Python's `json_safe` wrote it) as a typed value.
fn typed_of(value: &serde_json::Value) -> Typed {
    use serde_json::Value;
    match value {
        Value::Null => Typed::Str(String::new()),
        Value::Bool(b) => Typed::Bool(*b),
        Value::Number(n) => n.as_i64().map_or_else(|| Typed::Float(n.as_f64().unwrap_or(f64::NAN)), Typed::Int),
        Value::String(s) => Typed::Str(s.clone()),
        Value::Array(items) => Typed::List(items.iter().map(typed_of).collect()),
        Value::Object(map) => match (map.get("kind"), map.get("module"), map.get("qualname")) {
            (Some(Value::String(kind)), Some(Value::String(module)), Some(Value::String(qualname)))
                if kind == "python" =>
            {
                Typed::Function(format!("{module}.{qualname}"))
            }
            _ => Typed::Table(
                map.iter()
                    .map(|(key, v)| Entry {
                        key: key.clone(),
                        value: typed_of(v),
                        line: None,
                        column: None,
                        template: None,
                    })
                    .collect(),
            ),
        },
    }
}

/// The sections a spec stands for.
fn spec_document(spec: &ScenarioSpec) -> Document {
    let entry = |key: &str, value: Typed| Entry { key: key.into(), value, line: None, column: None, template: None };
    let refs = |ids: &mut dyn Iterator<Item = &String>| Typed::List(ids.map(|id| Typed::Section(id.clone())).collect());
    let section = |kind: &str, id: &str, entries: Vec<Entry>| Section {
        kind: kind.into(),
        id: Some(id.into()),
        line: None,
        entries,
    };
    let mut sections = Vec::new();
    for dn in &spec.data_nodes {
        let mut entries = vec![
            entry("storage_type", Typed::Str(dn.storage_type.as_str().into())),
            entry("scope", Typed::Scope(dn.scope.as_str().into())),
        ];
        if let Some(seconds) = dn.validity_period_s {
            entries.push(entry("validity_period", Typed::Timedelta(seconds)));
        }
        entries.extend(dn.properties.iter().map(|(key, value)| entry(key, typed_of(value))));
        sections.push(section("DATA_NODE", &dn.id, entries));
    }
    for task in &spec.tasks {
        let mut entries = vec![
            entry("function", Typed::Function(task.function.to_string())),
            entry("inputs", refs(&mut task.inputs.iter().map(|i| &i.data_node))),
            entry("outputs", refs(&mut task.outputs.iter())),
        ];
        if task.inputs.iter().any(|i| i.param.is_some()) {
            let params = task.inputs.iter().map(|i| Typed::Str(i.param.clone().unwrap_or_default())).collect();
            entries.push(entry("input_params", Typed::List(params)));
        }
        sections.push(section("TASK", &task.id, entries));
    }
    let mut entries = vec![
        entry("tasks", refs(&mut spec.tasks.iter().map(|t| &t.id))),
        entry("additional_data_nodes", refs(&mut spec.additional_data_nodes.iter())),
    ];
    if let Some(frequency) = spec.frequency {
        entries.push(entry("frequency", Typed::Frequency(frequency.as_str().into())));
    }
    sections.push(section("SCENARIO", &spec.id, entries));
    Document { file: None, sections }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    Error,
    Warning,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Issue {
    pub level: Level,
    /// "TASK.preprocess", "JOB", ...
    pub section: String,
    pub key: Option<String>,
    pub message: String,
    pub file: Option<String>,
    pub line: Option<usize>,
}

/// What a frame-valued data node's `exposed_type` may be.
const EXPOSED_TYPES: &[&str] = &["pandas", "polars", "polars.LazyFrame", "numpy"];
/// Taipy storage types scenarium does not implement (yet): named as such, not as typos.
const TAIPY_ONLY_STORAGE_TYPES: &[&str] = &["parquet_folder"];
/// Database engines of sql and sql_table nodes, with the properties each needs.
const DB_ENGINES: &[(&str, &[&str])] = &[
    ("sqlite", &["db_name"]),
    ("postgresql", &["db_name", "db_username", "db_password"]),
    ("mysql", &["db_name", "db_username", "db_password"]),
    ("mssql", &["db_name", "db_username", "db_password"]),
];

/// The sections a configuration has, and the keys each knows (TAIPY takes any).
pub const SECTION_KINDS: &[&str] = &["TAIPY", "JOB", "CORE", "DATA_NODE", "TASK", "SCENARIO"];

pub fn known_keys(kind: &str) -> Option<&'static [&'static str]> {
    Some(match kind {
        "DATA_NODE" => &[
            "storage_type",
            "scope",
            "validity_period",
            "default_data",
            "default_path",
            "path",
            "exposed_type",
            "has_header",
            "encoding",
            "encoder",
            "decoder",
            "engine",
            "compression",
            "read_kwargs",
            "write_kwargs",
            "sheet_name",
            "db_name",
            "db_engine",
            "db_username",
            "db_password",
            "db_host",
            "db_port",
            "db_driver",
            "db_extra_args",
            "sqlite_folder_path",
            "sqlite_file_extension",
            "table_name",
            "read_query",
            "write_query_builder",
            "append_query_builder",
            "read_fct",
            "write_fct",
            "read_fct_args",
            "write_fct_args",
            "aws_access_key",
            "aws_secret_access_key",
            "aws_s3_bucket_name",
            "aws_s3_object_key",
            "aws_region",
            "aws_s3_object_parameters",
            "aws_s3_client_parameters",
            "collection_name",
            "custom_document",
            "description",
            "name",
        ],
        "TASK" => &[
            "function",
            "inputs",
            "input_params",
            "outputs",
            "skippable",
            "cache",
            "timeout",
            "partitioned",
            "depends_on",
            "description",
            "name",
        ],
        "SCENARIO" => {
            &["tasks", "additional_data_nodes", "frequency", "comparators", "sequences", "description", "name"]
        }
        "JOB" => &["mode", "max_nb_of_workers", "address"],
        "CORE" => &[
            "storage_folder",
            "root_folder",
            "repository_type",
            "repository_properties",
            "read_entity_retry",
            "mode",
            "version_number",
            "force",
            "core_version",
            "progress",
            "project_paths",
        ],
        "TAIPY" => &[],
        _ => return None,
    })
}

/// What a data node property holds. A value of another type is refused before
/// anything uses it: a `default_path` of 5 would read file descriptor 5.
#[derive(Clone, Copy)]
enum Holds {
    /// A file or folder name: text without NUL.
    Path,
    Text,
    Flag,
    Port,
    Table,
    List,
    /// A function or a class, called to read, write or build a query.
    Callable,
    Class,
    SheetName,
}

const PROPERTY_TYPES: &[(&str, Holds)] = &[
    ("path", Holds::Path),
    ("default_path", Holds::Path),
    ("sqlite_folder_path", Holds::Path),
    ("db_name", Holds::Path),
    ("has_header", Holds::Flag),
    ("encoding", Holds::Text),
    ("engine", Holds::Text),
    ("compression", Holds::Text),
    ("encoder", Holds::Class),
    ("decoder", Holds::Class),
    ("read_kwargs", Holds::Table),
    ("write_kwargs", Holds::Table),
    ("db_extra_args", Holds::Table),
    ("aws_s3_object_parameters", Holds::Table),
    ("aws_s3_client_parameters", Holds::Table),
    ("read_fct_args", Holds::List),
    ("write_fct_args", Holds::List),
    ("read_fct", Holds::Callable),
    ("write_fct", Holds::Callable),
    ("write_query_builder", Holds::Callable),
    ("append_query_builder", Holds::Callable),
    ("sheet_name", Holds::SheetName),
    ("db_port", Holds::Port),
    ("db_username", Holds::Text),
    ("db_password", Holds::Text),
    ("db_host", Holds::Text),
    ("db_driver", Holds::Text),
    ("sqlite_file_extension", Holds::Text),
    ("table_name", Holds::Text),
    ("read_query", Holds::Text),
    ("collection_name", Holds::Text),
    ("aws_access_key", Holds::Text),
    ("aws_secret_access_key", Holds::Text),
    ("aws_s3_bucket_name", Holds::Text),
    ("aws_s3_object_key", Holds::Text),
    ("aws_region", Holds::Text),
    ("description", Holds::Text),
    ("name", Holds::Text),
];

impl Holds {
    fn accepts(self, value: &Typed) -> bool {
        match (self, value) {
            (Holds::Path, Typed::Str(s)) => !s.contains('\0'),
            (Holds::Text, Typed::Str(_)) | (Holds::Flag, Typed::Bool(_)) | (Holds::Table, Typed::Table(_)) => true,
            (Holds::List, Typed::List(_)) | (Holds::Class, Typed::Class(_)) => true,
            (Holds::Callable, Typed::Function(_) | Typed::Class(_)) => true,
            (Holds::SheetName, Typed::Str(_)) => true,
            (Holds::SheetName, Typed::List(items)) => items.iter().all(|i| matches!(i, Typed::Str(_))),
            (Holds::Port, Typed::Int(port)) => (1..=65535).contains(port),
            // An untyped ENV[...] template reads as text, as in Taipy.
            (Holds::Port, Typed::Str(port)) => port.trim().parse::<u16>().is_ok_and(|p| p > 0),
            _ => false,
        }
    }

    fn what(self) -> &'static str {
        match self {
            Holds::Path => "a path (text without NUL characters)",
            Holds::Text => "text",
            Holds::Flag => "a boolean (True or False)",
            Holds::Port => "a port number from 1 to 65535",
            Holds::Table => "a table (a dict)",
            Holds::List => "a list",
            Holds::Callable => "a function",
            Holds::Class => "a class",
            Holds::SheetName => "a sheet name or a list of sheet names",
        }
    }
}

struct Linter<'a> {
    document: &'a Document,
    issues: Vec<Issue>,
    property_types: bool,
}

pub fn validate(document: &Document) -> Vec<Issue> {
    let mut linter = Linter { document, issues: Vec::new(), property_types: true };
    linter.run();
    linter.issues
}

fn section_name(section: &Section) -> String {
    match &section.id {
        Some(id) => format!("{}.{id}", section.kind),
        None => section.kind.clone(),
    }
}

fn get<'e>(section: &'e Section, key: &str) -> Option<&'e Entry> {
    section.entries.iter().find(|e| e.key == key)
}

/// Ids named by a list of sections (`["a:SECTION", ...]`; plain strings accepted too).
fn section_ids(entry: Option<&Entry>) -> Vec<(String, &Entry)> {
    let Some(entry) = entry else { return Vec::new() };
    let items: Vec<&Typed> = match &entry.value {
        Typed::List(items) => items.iter().collect(),
        single => vec![single],
    };
    items
        .into_iter()
        .filter_map(|v| match v {
            Typed::Section(id) | Typed::Str(id) => Some((id.clone(), entry)),
            _ => None,
        })
        .collect()
}

impl<'a> Linter<'a> {
    fn push(&mut self, level: Level, section: &Section, entry: Option<&Entry>, message: String) {
        self.issues.push(Issue {
            level,
            section: section_name(section),
            key: entry.map(|e| e.key.clone()),
            message,
            file: self.document.file.clone(),
            line: entry.and_then(|e| e.line).or(section.line),
        });
    }

    fn sections(&self, kind: &'static str) -> impl Iterator<Item = &'a Section> {
        let document: &'a Document = self.document;
        document.sections.iter().filter(move |s| s.kind == kind && s.id.as_deref() != Some("default"))
    }

    fn ids(&self, kind: &'static str) -> BTreeSet<String> {
        self.sections(kind).filter_map(|s| s.id.clone()).collect()
    }

    fn run(&mut self) {
        let document = self.document;
        for section in &document.sections {
            self.keys(section);
        }
        self.ids_are_identifiers_once();
        let data_nodes = self.ids("DATA_NODE");
        let tasks = self.ids("TASK");
        for section in document.sections.iter().filter(|s| s.kind == "DATA_NODE") {
            self.data_node(section);
        }
        for section in document.sections.iter().filter(|s| s.kind == "TASK" && s.id.as_deref() != Some("default")) {
            self.task(section, &data_nodes);
        }
        for section in document.sections.iter().filter(|s| s.kind == "SCENARIO" && s.id.as_deref() != Some("default")) {
            self.scenario(section, &data_nodes, &tasks);
        }
        for section in document.sections.iter().filter(|s| s.kind == "JOB") {
            self.job(section);
        }
        self.cycles();
    }

    /// Ids become attribute names (`scenario.<id>`) and parts of file names; a
    /// section given twice (possible in a spec, not in TOML) has no single meaning.
    fn ids_are_identifiers_once(&mut self) {
        let mut seen = BTreeSet::new();
        for section in &self.document.sections {
            let (Some(id), Some(kind)) = (section.id.as_deref(), kind_name(&section.kind)) else { continue };
            if id == "default" {
                continue;
            }
            if let Some(problem) = identifier_problem(kind, id) {
                self.push(Level::Error, section, None, problem);
            } else if !seen.insert((section.kind.as_str(), id)) {
                self.push(Level::Error, section, None, format!("{kind} id {id:?} is configured twice"));
            }
        }
    }

    fn keys(&mut self, section: &Section) {
        let Some(known) = known_keys(&section.kind) else {
            let kinds = SECTION_KINDS;
            self.push(
                Level::Error,
                section,
                None,
                format!("unknown section [{}]{}", section.kind, did_you_mean(&section.kind, kinds)),
            );
            return;
        };
        for entry in &section.entries {
            if known.contains(&entry.key.as_str()) || known.is_empty() {
                continue;
            }
            let hint = did_you_mean(&entry.key, known);
            if hint.is_empty() {
                let message = format!("unknown key {:?}: kept as a custom property", entry.key);
                self.push(Level::Warning, section, Some(entry), message);
            } else {
                self.push(Level::Error, section, Some(entry), format!("unknown key {:?}{hint}", entry.key));
            }
        }
    }

    fn expect_type(&mut self, section: &Section, key: &str, ok: fn(&Typed) -> bool, what: &str) {
        if let Some(entry) = get(section, key) {
            if !ok(&entry.value) {
                let message = format!("{key} must be {what}, got {}", describe(&entry.value));
                self.push(Level::Error, section, Some(entry), message);
            }
        }
    }

    fn data_node(&mut self, section: &Section) {
        let storage = match get(section, "storage_type") {
            Some(entry) => match &entry.value {
                Typed::Str(s) if StorageType::NAMES.contains(&s.as_str()) => Some(s.as_str()),
                Typed::Str(s) if TAIPY_ONLY_STORAGE_TYPES.contains(&s.as_str()) => {
                    let message = format!(
                        "storage_type {s:?} is a Taipy storage type that scenarium does not support; use one of {}",
                        StorageType::NAMES.join(", ")
                    );
                    self.push(Level::Error, section, Some(entry), message);
                    None
                }
                other => {
                    let shown = match other {
                        Typed::Str(s) => format!("{s:?}"),
                        v => describe(v),
                    };
                    let hint = match other {
                        Typed::Str(s) => did_you_mean(s, StorageType::NAMES),
                        _ => String::new(),
                    };
                    let message = format!(
                        "unknown storage_type {shown}{hint}; the storage types are {}",
                        StorageType::NAMES.join(", ")
                    );
                    self.push(Level::Error, section, Some(entry), message);
                    None
                }
            },
            None => Some("pickle"),
        };
        self.exposed_type(section);
        if let Some(storage) = storage {
            self.storage_requirements(section, storage);
        }
        self.expect_type(section, "scope", |v| matches!(v, Typed::Scope(_)), "a scope such as \"SCENARIO:SCOPE\"");
        self.expect_type(
            section,
            "validity_period",
            // Python's timedelta stops short of a billion days.
            |v| matches!(v, Typed::Timedelta(s) if s.is_finite() && *s > 0.0 && *s < 86_400.0 * 999_999_999.0),
            "a positive duration such as \"1d:timedelta\" (under 999,999,999 days)",
        );
        let rules = if self.property_types { PROPERTY_TYPES } else { &[] };
        for (key, holds) in rules {
            if let Some(entry) = get(section, key).filter(|e| !holds.accepts(&e.value)) {
                let message = format!("{key} must be {}, got {}", holds.what(), describe(&entry.value));
                self.push(Level::Error, section, Some(entry), message);
            }
        }
        if let (Some(storage @ ("csv" | "parquet")), Some(entry)) = (storage, get(section, "default_data")) {
            if !matches!(entry.value, Typed::List(_) | Typed::Table(_)) {
                let message = format!(
                    "default_data of a {storage} data node must be a table (a list of rows or a table of columns), \
                     got {}; to read an existing file, set default_path instead",
                    describe(&entry.value)
                );
                self.push(Level::Error, section, Some(entry), message);
            }
        }
    }

    /// What a database or generic node cannot work without (Taipy's required
    /// properties), named before anything runs.
    fn storage_requirements(&mut self, section: &Section, storage: &str) {
        let required: Vec<&str> = match storage {
            "sql_table" => vec!["db_engine", "table_name"],
            "sql" => vec!["db_engine", "read_query", "write_query_builder"],
            "s3_object" => vec!["aws_s3_bucket_name", "aws_s3_object_key"],
            "mongo_collection" => vec!["db_name", "collection_name"],
            "generic" if get(section, "read_fct").is_none() && get(section, "write_fct").is_none() => {
                self.push(Level::Error, section, None, "a generic data node needs a read_fct or a write_fct".into());
                return;
            }
            _ => return,
        };
        for key in &required {
            if get(section, key).is_none() {
                self.push(Level::Error, section, None, format!("a {storage} data node needs {key}"));
            }
        }
        let Some(entry) = get(section, "db_engine").filter(|_| storage != "mongo_collection") else { return };
        let engines: Vec<&str> = DB_ENGINES.iter().map(|(name, _)| *name).collect();
        match &entry.value {
            Typed::Str(engine) => match DB_ENGINES.iter().find(|(name, _)| name == engine) {
                Some((_, needs)) => {
                    for key in needs.iter().filter(|key| get(section, key).is_none()) {
                        let message = format!("a {storage} data node on {engine} needs {key}");
                        self.push(Level::Error, section, None, message);
                    }
                }
                None => {
                    let message = format!(
                        "unknown db_engine {engine:?}{}; the engines are {}",
                        did_you_mean(engine, &engines),
                        engines.join(", ")
                    );
                    self.push(Level::Error, section, Some(entry), message);
                }
            },
            other => {
                let message = format!("db_engine must be one of {}, got {}", engines.join(", "), describe(other));
                self.push(Level::Error, section, Some(entry), message);
            }
        }
    }

    /// How values are handed to tasks and readers: a frame library, or numpy.
    /// Taipy's custom classes (rows as instances) are refused rather than read
    /// silently as something else.
    fn exposed_type(&mut self, section: &Section) {
        let Some(entry) = get(section, "exposed_type") else { return };
        let message = match &entry.value {
            Typed::Str(s) if EXPOSED_TYPES.contains(&s.as_str()) => return,
            Typed::Str(s) => format!(
                "unknown exposed_type {s:?}{}; the exposed types are {}",
                did_you_mean(s, EXPOSED_TYPES),
                EXPOSED_TYPES.join(", ")
            ),
            // A class: rows are read as its instances (a spec names it as a function).
            Typed::Class(_) | Typed::Function(_) => return,
            other => format!("exposed_type must be one of {}, got {}", EXPOSED_TYPES.join(", "), describe(other)),
        };
        self.push(Level::Error, section, Some(entry), message);
    }

    fn task(&mut self, section: &Section, data_nodes: &BTreeSet<String>) {
        match get(section, "function") {
            None => self.push(Level::Error, section, None, "has no function".into()),
            Some(entry) if !matches!(entry.value, Typed::Function(_)) => {
                let message =
                    format!("function must be a \"module.name:function\" reference, got {}", describe(&entry.value));
                self.push(Level::Error, section, Some(entry), message);
            }
            Some(_) => {}
        }
        self.expect_type(section, "skippable", |v| matches!(v, Typed::Bool(_)), "a boolean such as \"True:bool\"");
        self.expect_type(section, "partitioned", |v| matches!(v, Typed::Bool(_)), "a boolean such as \"True:bool\"");
        let inputs = section_ids(get(section, "inputs"));
        let outputs = section_ids(get(section, "outputs"));
        for (id, entry) in inputs.iter().chain(&outputs) {
            if !data_nodes.contains(id) {
                let known: Vec<&str> = data_nodes.iter().map(String::as_str).collect();
                let message =
                    format!("{} {id:?} is not a [DATA_NODE.{id}] section{}", entry.key, did_you_mean(id, &known));
                self.push(Level::Error, section, Some(entry), message);
            }
        }
        for (id, entry) in &outputs {
            if inputs.iter().any(|(i, _)| i == id) {
                let message = format!("data node {id:?} is both an input and an output of this task");
                self.push(Level::Error, section, Some(entry), message);
            }
        }
        if inputs.is_empty() && outputs.is_empty() {
            // Taipy runs such a task (for what it does besides returning): so does scenarium,
            // on every submit (nothing it writes can be reused), with this reminder.
            let message = "has neither inputs nor outputs: it runs on every submit, for its side effects only";
            self.push(Level::Warning, section, None, message.into());
        }
        if let Some(entry @ Entry { value: Typed::List(params), .. }) = get(section, "input_params") {
            let mut bound = BTreeSet::new();
            for param in params {
                if let Typed::Str(name) = param {
                    if !name.is_empty() && !bound.insert(name.as_str()) {
                        self.push(Level::Error, section, Some(entry), format!("binds parameter {name:?} twice"));
                    }
                }
            }
        }
    }

    fn scenario(&mut self, section: &Section, data_nodes: &BTreeSet<String>, tasks: &BTreeSet<String>) {
        let task_refs = section_ids(get(section, "tasks"));
        for (id, entry) in &task_refs {
            if !tasks.contains(id) {
                let known: Vec<&str> = tasks.iter().map(String::as_str).collect();
                let message = format!("task {id:?} is not a [TASK.{id}] section{}", did_you_mean(id, &known));
                self.push(Level::Error, section, Some(entry), message);
            }
        }
        for (id, entry) in section_ids(get(section, "additional_data_nodes")) {
            if !data_nodes.contains(&id) {
                let message = format!("additional data node {id:?} is not a [DATA_NODE.{id}] section");
                self.push(Level::Error, section, Some(entry), message);
            }
        }
        self.ids_name_one_thing(section, &task_refs);
        if let Some(Entry { value: Typed::Table(sequences), .. }) = get(section, "sequences") {
            for sequence in sequences {
                for (id, _) in section_ids(Some(sequence)) {
                    if !task_refs.iter().any(|(t, _)| *t == id) {
                        let message = format!(
                            "sequence {:?} names task {id:?}, which is not a task of this scenario",
                            sequence.key
                        );
                        self.push(Level::Error, section, Some(sequence), message);
                    }
                }
            }
        }
        self.expect_type(
            section,
            "frequency",
            |v| matches!(v, Typed::Frequency(_)),
            "a frequency such as \"DAILY:FREQUENCY\"",
        );
        // A data node written by two tasks of one scenario has no single truth.
        let mut writers: BTreeMap<String, String> = BTreeMap::new();
        let task_sections: BTreeMap<&str, &Section> =
            self.sections("TASK").filter_map(|s| Some((s.id.as_deref()?, s))).collect();
        for (task_id, _) in &task_refs {
            let Some(task) = task_sections.get(task_id.as_str()) else { continue };
            for (output, _) in section_ids(get(task, "outputs")) {
                if let Some(first) = writers.insert(output.clone(), task_id.clone()) {
                    if first != *task_id {
                        let entry = get(section, "tasks");
                        let message = format!(
                            "data node {output:?} is written by more than one task ({first:?} and {task_id:?})"
                        );
                        self.push(Level::Error, section, entry, message);
                    }
                }
            }
        }
    }

    /// `scenario.<id>` must name one thing: not a task and a data node at once.
    fn ids_name_one_thing(&mut self, section: &Section, task_refs: &[(String, &Entry)]) {
        let task_sections: BTreeMap<&str, &Section> =
            self.sections("TASK").filter_map(|s| Some((s.id.as_deref()?, s))).collect();
        let mut data_nodes: BTreeSet<String> =
            section_ids(get(section, "additional_data_nodes")).into_iter().map(|(id, _)| id).collect();
        for (task_id, _) in task_refs {
            if let Some(task) = task_sections.get(task_id.as_str()) {
                let used = section_ids(get(task, "inputs")).into_iter().chain(section_ids(get(task, "outputs")));
                data_nodes.extend(used.map(|(id, _)| id));
            }
        }
        let scenario = section.id.as_deref().unwrap_or_default();
        for (task_id, entry) in task_refs {
            if data_nodes.contains(task_id) {
                let message = format!(
                    "id {task_id:?} names both a task and a data node of scenario {scenario:?}: \
                     `scenario.{task_id}` would be ambiguous"
                );
                self.push(Level::Error, section, Some(entry), message);
            }
        }
    }

    fn job(&mut self, section: &Section) {
        if let Some(entry) = get(section, "mode") {
            let modes = ["development", "standalone", "dask"];
            if !matches!(&entry.value, Typed::Str(m) if modes.contains(&m.as_str())) {
                let shown = describe(&entry.value);
                let hint = match &entry.value {
                    Typed::Str(s) if s == "cluster" => {
                        " (Taipy Enterprise's cluster mode: scenarium runs jobs past one machine with mode \"dask\")"
                            .to_owned()
                    }
                    Typed::Str(s) => did_you_mean(s, &modes),
                    _ => String::new(),
                };
                let message = format!("mode must be \"development\", \"standalone\" or \"dask\", got {shown}{hint}");
                self.push(Level::Error, section, Some(entry), message);
            }
        }
        self.expect_type(
            section,
            "max_nb_of_workers",
            |v| matches!(v, Typed::Int(n) if *n >= 1),
            "a positive integer such as \"2:int\"",
        );
    }

    /// A cycle among tasks: a task that (through others) reads its own output.
    /// (A task reading its own output is reported by `task`.)
    fn cycles(&mut self) {
        let tasks: Vec<&Section> = self.sections("TASK").collect();
        let nodes: Vec<TaskNode> = tasks
            .iter()
            .map(|t| TaskNode {
                id: t.id.clone().unwrap_or_default(),
                inputs: section_ids(get(t, "inputs")).into_iter().map(|(id, _)| id).collect(),
                outputs: section_ids(get(t, "outputs")).into_iter().map(|(id, _)| id).collect(),
            })
            .collect();
        for cycle in cycles(&nodes).into_iter().filter(|c| c.tasks.len() > 1) {
            if let Some(first) = tasks.iter().find(|t| t.id.as_deref() == Some(cycle.tasks[0].as_str())) {
                self.push(Level::Error, first, get(first, "inputs"), cycle.to_string());
            }
        }
    }
}

/// The words a message uses for a section kind with ids.
fn kind_name(kind: &str) -> Option<&'static str> {
    match kind {
        "DATA_NODE" => Some("data node"),
        "TASK" => Some("task"),
        "SCENARIO" => Some("scenario"),
        _ => None,
    }
}

fn describe(value: &Typed) -> String {
    match value {
        Typed::Str(s) => format!("the string {s:?}"),
        Typed::Int(i) => format!("the integer {i}"),
        Typed::BigInt(i) => format!("the integer {i}"),
        Typed::Float(f) => format!("the number {f}"),
        Typed::Bool(b) => format!("the boolean {b}"),
        Typed::Datetime(d) => format!("the date-time {d}"),
        Typed::Timedelta(s) => format!("the duration {s} s"),
        Typed::Scope(s) => format!("the scope {s}"),
        Typed::Frequency(f) => format!("the frequency {f}"),
        Typed::Section(id) => format!("a reference to section {id}"),
        Typed::Function(f) => format!("the function {f}"),
        Typed::Class(c) => format!("the class {c}"),
        Typed::List(_) => "a list".into(),
        Typed::Table(_) => "a table".into(),
        Typed::Opaque(type_name) => format!("a Python {type_name}"),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::{DataNodeConfig, FunctionRef, InputBinding, Scope, TaskConfig};

    pub(crate) fn dn(id: &str) -> DataNodeConfig {
        DataNodeConfig {
            id: id.into(),
            storage_type: StorageType::Pickle,
            scope: Scope::Scenario,
            default_fingerprint: None,
            validity_period_s: None,
            properties: Default::default(),
        }
    }

    pub(crate) fn task(id: &str, inputs: &[&str], outputs: &[&str]) -> TaskConfig {
        TaskConfig {
            id: id.into(),
            function: FunctionRef::Python { module: "m".into(), qualname: id.into() },
            inputs: inputs.iter().map(|i| InputBinding { param: None, data_node: i.to_string() }).collect(),
            outputs: outputs.iter().map(|o| o.to_string()).collect(),
            skippable: true,
            properties: Default::default(),
        }
    }

    fn spec(tasks: Vec<TaskConfig>, dns: &[&str]) -> ScenarioSpec {
        ScenarioSpec {
            id: "s".into(),
            tasks,
            data_nodes: dns.iter().map(|d| dn(d)).collect(),
            additional_data_nodes: vec![],
            frequency: None,
            properties: Default::default(),
        }
    }

    #[test]
    fn identifiers() {
        assert!(check_identifier("task", "preprocess_and_score").is_ok());
        for bad in ["", "1abc", "a-b", "class", "a b", "é"] {
            let err = check_identifier("task", bad).unwrap_err().to_string();
            assert!(err.contains(&format!("{bad:?}")), "{err}");
        }
    }

    #[test]
    fn duplicate_writer_names_both_tasks() {
        let s = spec(vec![task("t1", &["a"], &["b"]), task("t2", &["a"], &["b"])], &["a", "b"]);
        let err = check_spec(&s).unwrap_err().to_string();
        assert!(err.contains("\"b\"") && err.contains("\"t1\"") && err.contains("\"t2\""), "{err}");
    }

    #[test]
    fn unknown_data_node_is_named() {
        let s = spec(vec![task("t1", &["a"], &["zzz"])], &["a"]);
        let err = check_spec(&s).unwrap_err().to_string();
        assert!(err.contains("\"zzz\"") && err.contains("\"t1\""), "{err}");
    }

    #[test]
    fn task_and_data_node_share_an_id() {
        let s = spec(vec![task("a", &["a"], &["b"])], &["a", "b"]);
        assert!(check_spec(&s).unwrap_err().to_string().contains("ambiguous"));
    }

    #[test]
    fn version_is_stable_and_sensitive() {
        let s1 = spec(vec![task("t1", &["a"], &["b"])], &["a", "b"]);
        let mut s2 = s1.clone();
        assert_eq!(s1.version(), s2.version());
        s2.tasks[0].skippable = false;
        assert_ne!(s1.version(), s2.version());
    }

    #[test]
    fn a_property_of_the_wrong_type_is_named_with_its_line() {
        let entry =
            |key: &str, value: Typed| Entry { key: key.into(), value, line: Some(7), column: None, template: None };
        let section =
            |entries: Vec<Entry>| Section { kind: "DATA_NODE".into(), id: Some("a".into()), line: Some(1), entries };
        let wrong = vec![
            entry("storage_type", Typed::Str("csv".into())),
            entry("default_path", Typed::Int(5)),
            entry("has_header", Typed::Str("no".into())),
            entry("path", Typed::Str("a\0b".into())),
            entry("db_port", Typed::Int(70_000)),
            entry("read_kwargs", Typed::Opaque("bytes".into())),
            entry("validity_period", Typed::Timedelta(1e300)),
        ];
        let issues = validate(&Document { file: None, sections: vec![section(wrong)] });
        let keys: Vec<_> = issues.iter().filter(|i| i.level == Level::Error).filter_map(|i| i.key.clone()).collect();
        for key in ["default_path", "has_header", "path", "db_port", "read_kwargs", "validity_period"] {
            assert!(keys.iter().any(|k| k == key), "{key} not named: {issues:?}");
        }
        assert!(issues.iter().all(|i| i.line == Some(7)), "{issues:?}");
        let right = vec![
            entry("storage_type", Typed::Str("csv".into())),
            entry("default_path", Typed::Str("data/a.csv".into())),
            entry("has_header", Typed::Bool(false)),
            entry("sheet_name", Typed::List(vec![Typed::Str("s".into())])),
            entry("read_fct", Typed::Class("m.C".into())),
            entry("db_port", Typed::Str("5432".into())),
        ];
        let issues = validate(&Document { file: None, sections: vec![section(right)] });
        assert!(issues.iter().all(|i| i.level != Level::Error), "{issues:?}");
    }

    #[test]
    fn a_spec_gets_every_rule_of_the_validator() {
        let mut s = spec(vec![task("t1", &[], &[])], &["a"]);
        s.data_nodes[0].validity_period_s = Some(f64::INFINITY);
        let err = check_spec(&s).unwrap_err().to_string();
        assert!(!err.contains("has neither inputs nor outputs"), "a warning, not an error: {err}");
        assert!(err.contains("data node \"a\": validity_period must be a positive duration"), "{err}");
        let mut twice = spec(vec![task("t1", &["a"], &["b"])], &["a", "b"]);
        twice.data_nodes.push(dn("a"));
        assert!(check_spec(&twice).unwrap_err().to_string().contains("data node id \"a\" is configured twice"));
        let mut bound = spec(vec![task("t1", &["a", "b"], &["c"])], &["a", "b", "c"]);
        bound.tasks[0].inputs.iter_mut().for_each(|i| i.param = Some("x".into()));
        assert!(check_spec(&bound).unwrap_err().to_string().contains("binds parameter \"x\" twice"));
        let looped = spec(vec![task("t1", &["a"], &["b"]), task("t2", &["b"], &["a"])], &["a", "b"]);
        let err = check_spec(&looped).unwrap_err().to_string();
        assert!(err.contains("cycle through tasks \"t1\", \"t2\" and data nodes \"a\", \"b\""), "{err}");
        let bad_id = spec(vec![task("t1", &["a"], &["b"])], &["a", "b", "1x"]);
        assert!(check_spec(&bad_id).unwrap_err().to_string().contains("\"1x\" is not a valid identifier"));
    }
}
