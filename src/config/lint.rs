//! `Config.check()`'s rules that need only the configuration document:
//! unknown sections and keys, references, self-loops, cycles, double writers,
//! storage types and default values. (Rules that import functions run in
//! Python.) Each issue names the section, the key and, for a file, the line.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::toml_file::{did_you_mean, Document, Entry, Section, Typed};

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

pub const STORAGE_TYPES: &[&str] = &["pickle", "parquet", "csv", "json", "in_memory"];
/// What a frame-valued data node's `exposed_type` may be.
const EXPOSED_TYPES: &[&str] = &["pandas", "polars", "numpy"];
/// Taipy storage types scenarium does not implement (yet): named as such, not as typos.
const TAIPY_ONLY_STORAGE_TYPES: &[&str] =
    &["excel", "sql", "sql_table", "mongo_collection", "generic", "s3_object", "parquet_folder"];

fn known_keys(kind: &str) -> Option<&'static [&'static str]> {
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
        ],
        "TAIPY" => &[],
        _ => return None,
    })
}

struct Linter<'a> {
    document: &'a Document,
    issues: Vec<Issue>,
}

pub fn lint(document: &Document) -> Vec<Issue> {
    let mut linter = Linter { document, issues: Vec::new() };
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

    fn keys(&mut self, section: &Section) {
        let Some(known) = known_keys(&section.kind) else {
            let kinds = ["TAIPY", "JOB", "CORE", "DATA_NODE", "TASK", "SCENARIO"];
            self.push(
                Level::Error,
                section,
                None,
                format!("unknown section [{}]{}", section.kind, did_you_mean(&section.kind, &kinds)),
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
                Typed::Str(s) if STORAGE_TYPES.contains(&s.as_str()) => Some(s.as_str()),
                Typed::Str(s) if TAIPY_ONLY_STORAGE_TYPES.contains(&s.as_str()) => {
                    let message = format!(
                        "storage_type {s:?} is a Taipy storage type that scenarium does not support; use one of {}",
                        STORAGE_TYPES.join(", ")
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
                        Typed::Str(s) => did_you_mean(s, STORAGE_TYPES),
                        _ => String::new(),
                    };
                    let message = format!(
                        "unknown storage_type {shown}{hint}; the storage types are {}",
                        STORAGE_TYPES.join(", ")
                    );
                    self.push(Level::Error, section, Some(entry), message);
                    None
                }
            },
            None => Some("pickle"),
        };
        self.exposed_type(section);
        self.expect_type(section, "scope", |v| matches!(v, Typed::Scope(_)), "a scope such as \"SCENARIO:SCOPE\"");
        self.expect_type(
            section,
            "validity_period",
            |v| matches!(v, Typed::Timedelta(s) if *s > 0.0),
            "a positive duration such as \"1d:timedelta\"",
        );
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
            Typed::Class(c) => format!(
                "exposed_type {c} (a class) is not supported by scenarium: values cannot be read as its \
                 instances; use one of {}",
                EXPOSED_TYPES.join(", ")
            ),
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

    fn job(&mut self, section: &Section) {
        if let Some(entry) = get(section, "mode") {
            let modes = ["development", "standalone", "dask"];
            if !matches!(&entry.value, Typed::Str(m) if modes.contains(&m.as_str())) {
                let shown = describe(&entry.value);
                let hint = match &entry.value {
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
    fn cycles(&mut self) {
        let tasks: Vec<&Section> = self.sections("TASK").collect();
        let mut graph = petgraph::graph::DiGraph::<&str, ()>::new();
        let nodes: Vec<_> = tasks.iter().map(|t| graph.add_node(t.id.as_deref().unwrap_or_default())).collect();
        let mut writers: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for (writer, task) in tasks.iter().enumerate() {
            for (output, _) in section_ids(get(task, "outputs")) {
                writers.entry(output).or_default().push(writer);
            }
        }
        for (reader, task) in tasks.iter().enumerate() {
            for (input, _) in section_ids(get(task, "inputs")) {
                for &writer in writers.get(&input).into_iter().flatten() {
                    graph.add_edge(nodes[writer], nodes[reader], ());
                }
            }
        }
        for component in petgraph::algo::tarjan_scc(&graph) {
            if component.len() > 1 {
                let mut names: Vec<&str> = component.iter().map(|n| graph[*n]).collect();
                names.sort_unstable();
                let members: Vec<&&Section> =
                    tasks.iter().filter(|t| names.contains(&t.id.as_deref().unwrap_or_default())).collect();
                let written: BTreeSet<String> =
                    members.iter().flat_map(|t| section_ids(get(t, "outputs"))).map(|(id, _)| id).collect();
                let read: BTreeSet<String> =
                    members.iter().flat_map(|t| section_ids(get(t, "inputs"))).map(|(id, _)| id).collect();
                let quoted = |items: Vec<&str>| items.iter().map(|i| format!("{i:?}")).collect::<Vec<_>>().join(", ");
                let message = format!(
                    "cycle through tasks {} and data nodes {}: each needs another's output",
                    quoted(names.clone()),
                    quoted(written.intersection(&read).map(String::as_str).collect())
                );
                if let Some(first) = tasks.iter().find(|t| t.id.as_deref() == Some(names[0])) {
                    self.push(Level::Error, first, get(first, "inputs"), message);
                }
            }
        }
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
    }
}
