//! Whether a job must run, and why: the cache key, the skip rule and the
//! explanation a user reads when a task ran.

use std::collections::BTreeMap;
use std::path::Path;

use crate::error::{Error, Result};
use crate::fingerprint;
use crate::model::{DataNodeRecord, JobRecord, Payload, TaskRecord, VersionRecord};
use crate::store::{CacheEntry, FileState, NewValue, Store, UnhashedFile};

const CACHE_KEY_DOMAIN: &str = "scenarium 2026-12 job cache key v2";
const CODE_DOMAIN: &str = "scenarium 2026-12 code identity v2";

/// The named parts of a task's code identity (`_code_identity.py`): label -> hash.
pub type CodeParts = BTreeMap<String, String>;

/// One fingerprint of all the parts.
pub fn code_digest(parts: &CodeParts) -> String {
    fingerprint::combine(CODE_DOMAIN, parts.iter().map(|(k, v)| (k.as_str(), v.as_str())))
}

/// An input as the cache key sees it: its version and its effective
/// fingerprint, which also covers the files its value names and how the task
/// reads it (storage type, `exposed_type`, encodings).
#[derive(Clone, Debug)]
pub struct InputState {
    pub version: VersionRecord,
    /// Empty while a file it names is still to be hashed as it is read.
    pub fingerprint: String,
    /// The files and folders the input stands for, with their fingerprints.
    pub files: Vec<(String, String)>,
    /// How the task reads it ([`access_descriptor`]).
    access: String,
    /// A file it names that the job hashes as it reads it (`crate::read_hashes`).
    pub hashed_as_read: Option<HashedAsRead>,
}

/// A large file, new or changed since it was last hashed, that is hashed in
/// the job's own pass over it rather than in a pass of its own first. Only
/// when no stored result could be reused whatever it holds
/// ([`KeyBase::shape`]): the job runs anyway, so reading it twice buys nothing.
#[derive(Clone, Debug)]
pub struct HashedAsRead {
    /// Its place in [`InputState::files`].
    index: usize,
    pub file: UnhashedFile,
    /// Whether its hash is known now (the job ran).
    done: bool,
}

/// From how many bytes an input file may be hashed as the job reads it
/// (`SCENARIUM_HASH_AS_READ_FROM` overrides, for tests). Below, hashing it
/// first costs little: 64 MiB take ~25 ms on one core.
fn hash_as_read_from() -> u64 {
    let default = if cfg!(test) { 1 } else { 64 << 20 };
    std::env::var("SCENARIUM_HASH_AS_READ_FROM").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

impl InputState {
    pub(super) fn new(version: VersionRecord, access: String, files: Vec<(String, String)>) -> Self {
        let mut state = InputState { version, fingerprint: String::new(), files, access, hashed_as_read: None };
        state.fingerprint = state.combined();
        state
    }

    fn combined(&self) -> String {
        let mut parts: Vec<(&str, &str)> =
            vec![("value", self.version.fingerprint.as_str()), ("read as", self.access.as_str())];
        // The same bytes stored from pandas or from polars (`csv/pandas`, `csv/polars`)
        // are decoded as different frames: what the task is handed differs.
        if let Some(format) = self.stored_format() {
            parts.push(("stored as", format));
        }
        parts.extend(self.files.iter().map(|(p, fp)| (p.as_str(), fp.as_str())));
        fingerprint::combine("scenarium input v2", parts)
    }

    /// The frame library a stored table is decoded with, when its format names one.
    fn stored_format(&self) -> Option<&str> {
        match &self.version.payload {
            Payload::Object { format, .. } | Payload::Parts { format, .. } | Payload::External { format, .. }
                if format.contains('/') =>
            {
                Some(format.as_str())
            }
            _ => None,
        }
    }

    /// The input with its files' contents left out: what [`KeyBase::shape`] covers.
    fn shape(&self) -> String {
        let mut parts: Vec<(&str, &str)> =
            vec![("value", self.version.fingerprint.as_str()), ("read as", self.access.as_str())];
        if let Some(format) = self.stored_format() {
            parts.push(("stored as", format));
        }
        parts.extend(self.files.iter().map(|(p, _)| ("file", p.as_str())));
        fingerprint::combine("scenarium input shape v1", parts)
    }

    /// Whether a file it names is still to be hashed.
    pub fn waits_for_hash(&self) -> bool {
        self.hashed_as_read.as_ref().is_some_and(|h| !h.done)
    }

    /// Sets the hash of the file hashed as read, which completes the fingerprint.
    pub fn set_file_hash(&mut self, fp: String) {
        if let Some(hashed) = &mut self.hashed_as_read {
            self.files[hashed.index].1 = fp;
            hashed.done = true;
            self.fingerprint = self.combined();
        }
    }

    /// Gives up hashing as read: the file is hashed now (a stored result may match).
    pub fn hash_now(&mut self, store: &Store) -> Result<()> {
        if self.waits_for_hash() {
            let hashed = self.hashed_as_read.take().expect("waits for a hash");
            self.files[hashed.index].1 = store.hash_file(&hashed.file)?;
            self.fingerprint = self.combined();
        }
        Ok(())
    }
}

/// Why a task cannot run with its inputs.
#[derive(Debug)]
pub struct InputProblem {
    pub reason: String,
    /// An input was never written: Taipy leaves such a job BLOCKED, not FAILED.
    pub never_written: bool,
}

impl From<String> for InputProblem {
    fn from(reason: String) -> Self {
        InputProblem { reason, never_written: false }
    }
}

/// The inputs of `task`, latest versions in binding order, or why it cannot
/// run. With `record`, a file-backed data node whose file changed on disk gets
/// a new version first; without (a dry run), nothing is written.
/// With `hash_as_read`, one large file an inline value names that is new or
/// changed since it was last hashed is left unhashed
/// ([`InputState::hashed_as_read`]).
pub fn input_states(
    store: &Store,
    task: &TaskRecord,
    record: bool,
    hash_as_read: bool,
) -> Result<std::result::Result<Vec<InputState>, InputProblem>> {
    let mut may_defer = hash_as_read;
    let mut inputs = Vec::with_capacity(task.inputs.len());
    for binding in &task.inputs {
        let node = store.data_node(&binding.data_node)?;
        // A file-backed node's path edited by hand is a new version first.
        let latest = match store.sync_file_node(&node, record) {
            Ok(latest) => latest,
            Err(e) => return Ok(Err(e.to_string().into())),
        };
        let Some(version) = latest else {
            let reason = match crate::store::file_node_path(&node) {
                // A node read from its path: say which path is missing.
                Some(path) if crate::store::reads_partitions(&node) => format!(
                    "data node {} reads its partitions from {}, which does not exist",
                    node.config_id,
                    path.display()
                ),
                _ => Error::NoData(node.config_id).to_string(),
            };
            return Ok(Err(InputProblem { reason, never_written: true }));
        };
        match input_state(store, &node, version, record, &mut may_defer) {
            Ok(state) => inputs.push(state),
            Err(e) => return Ok(Err(e.to_string().into())),
        }
    }
    Ok(Ok(inputs))
}

/// Properties of a data node that change neither what a task reads from it
/// nor what is written to it. Every other property counts (a denylist, so that
/// a new read option can never be left out of the key).
const NOT_READ: &[&str] = &["default_data", "description", "name", "label", "owner_id", "tags", "comment"];

/// How a data node's value reaches a task (or is stored): its storage type and
/// the properties that shape it, as canonical JSON.
pub fn access_descriptor(node: &DataNodeRecord) -> String {
    descriptor(node, &[])
}

fn descriptor(node: &DataNodeRecord, also_left_out: &[&str]) -> String {
    let properties: BTreeMap<&String, &serde_json::Value> = node
        .properties
        .iter()
        .filter(|(k, _)| !NOT_READ.contains(&k.as_str()) && !also_left_out.contains(&k.as_str()))
        .collect();
    serde_json::json!({"storage_type": node.storage_type.as_str(), "properties": properties}).to_string()
}

/// How a task reads an input: [`access_descriptor`] without where a file-backed
/// node's file is. The task is handed the content (the version's fingerprint), so
/// the same file at a new path is the same input.
pub fn read_descriptor(node: &DataNodeRecord) -> String {
    match crate::store::file_node_path(node) {
        Some(_) => descriptor(node, &["path", "default_path"]),
        None => access_descriptor(node),
    }
}

fn input_state(
    store: &Store,
    node: &DataNodeRecord,
    version: VersionRecord,
    record: bool,
    may_defer: &mut bool,
) -> Result<InputState> {
    let mut hashed_as_read = None;
    let (version, files) = match version.payload.clone() {
        Payload::External { path, .. } => {
            let current = store.file_fingerprint(Path::new(&path))?;
            let version = if current == version.fingerprint || !record {
                version
            } else {
                let value =
                    NewValue { payload: version.payload.clone(), fingerprint: current.clone(), paths: Vec::new() };
                store.write_data_node(&version.data_node_id, &value, "file", Some(format!("{path} changed on disk")))?
            };
            (version, vec![(path, current)])
        }
        // A string naming an existing file or folder, anywhere in the value
        // (a list or dict of paths too), stands for its content as well, so a
        // CSV changed in place at the same path is never served stale.
        Payload::Inline { json } => {
            let mut files = Vec::new();
            for path in named_paths(&json).into_iter().chain(version.paths.iter().filter(|p| is_path(p)).cloned()) {
                let fp = if *may_defer && Path::new(&path).is_file() {
                    match store.file_state(Path::new(&path))? {
                        FileState::Known(fp) => fp,
                        FileState::Unhashed(file) if file.size >= hash_as_read_from() => {
                            *may_defer = false;
                            hashed_as_read = Some(HashedAsRead { index: files.len(), file, done: false });
                            String::new()
                        }
                        FileState::Unhashed(file) => store.hash_file(&file)?,
                    }
                } else {
                    path_fingerprint(store, &path)?
                };
                files.push((path, fp));
            }
            (version, files)
        }
        _ => {
            let named: Vec<String> = version.paths.iter().filter(|p| is_path(p)).cloned().collect();
            let files = named
                .into_iter()
                .map(|path| path_fingerprint(store, &path).map(|fp| (path, fp)))
                .collect::<Result<Vec<_>>>()?;
            (version, files)
        }
    };
    let mut state = InputState::new(version, read_descriptor(node), files);
    if hashed_as_read.is_some() {
        state.hashed_as_read = hashed_as_read;
        state.fingerprint = String::new();
    }
    Ok(state)
}

/// The strings of a JSON value that name an existing file or folder, in order.
/// All of them, however many: a file left out would be a change unseen, and the
/// stat cache makes thousands cheap.
fn named_paths(json: &str) -> Vec<String> {
    fn walk(value: &serde_json::Value, found: &mut Vec<String>, seen: &mut std::collections::HashSet<String>) {
        match value {
            serde_json::Value::String(s) if !seen.contains(s) && is_path(s) => {
                seen.insert(s.clone());
                found.push(s.clone());
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| walk(v, found, seen)),
            serde_json::Value::Object(map) => map.iter().for_each(|(k, v)| {
                walk(&serde_json::Value::String(k.clone()), found, seen);
                walk(v, found, seen)
            }),
            _ => {}
        }
    }
    let mut found = Vec::new();
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(json) {
        walk(&value, &mut found, &mut std::collections::HashSet::new());
    }
    found
}

/// Whether a string names an existing file or folder.
fn is_path(s: &str) -> bool {
    !s.is_empty() && s.len() < 4096 && !s.contains('\0') && Path::new(s).exists()
}

fn path_fingerprint(store: &Store, path: &str) -> Result<String> {
    let path = Path::new(path);
    if path.is_dir() {
        store.tree_fingerprint(path)
    } else {
        store.file_fingerprint(path)
    }
}

/// blake3 over the task's code, its declared properties, how its outputs are
/// stored and its inputs' fingerprints in binding order (with parameter names
/// for named bindings).
pub fn cache_key(task: &TaskRecord, code: &str, inputs: &[InputState], outputs: &[DataNodeRecord]) -> String {
    KeyBase::new(task, outputs).key(code, inputs)
}

/// What a job's cache key and its shape share, computed once per job.
pub struct KeyBase {
    properties: String,
    stored_as: String,
    labels: Vec<String>,
}

impl KeyBase {
    pub fn new(task: &TaskRecord, outputs: &[DataNodeRecord]) -> Self {
        let stored_as: Vec<String> = outputs.iter().map(access_descriptor).collect();
        KeyBase {
            properties: serde_json::to_string(&task.properties).unwrap_or_default(),
            stored_as: serde_json::to_string(&stored_as).unwrap_or_default(),
            labels: binding_labels(task),
        }
    }

    fn combine<'a>(&'a self, domain: &str, code: &'a str, per_input: impl Iterator<Item = &'a str>) -> String {
        let mut parts: Vec<(&str, &str)> =
            vec![("code", code), ("properties", &self.properties), ("outputs", &self.stored_as)];
        parts.extend(self.labels.iter().map(String::as_str).zip(per_input));
        fingerprint::combine(domain, parts)
    }

    pub fn key(&self, code: &str, inputs: &[InputState]) -> String {
        self.combine(CACHE_KEY_DOMAIN, code, inputs.iter().map(|v| v.fingerprint.as_str()))
    }

    /// The cache key with the contents of the files the inputs name left out.
    /// Every cached result whose inputs name files is recorded with its shape
    /// (`Store::may_cache_shape`), so when none has the shape of a job with a
    /// file still to hash, none can match its key whatever the file holds:
    /// the job runs, and the file is hashed as the job reads it.
    pub fn shape(&self, code: &str, inputs: &[InputState]) -> String {
        let shapes: Vec<String> = inputs.iter().map(InputState::shape).collect();
        self.combine("scenarium 2026-12 job cache key shape v1", code, shapes.iter().map(String::as_str))
    }
}

/// Each input's name in the key: its parameter name, or `#i` when bound by position.
pub fn binding_labels(task: &TaskRecord) -> Vec<String> {
    task.inputs.iter().enumerate().map(|(i, b)| b.param.clone().unwrap_or_else(|| format!("#{i}"))).collect()
}

/// The inputs whose files changed since `before` was taken (while the job ran).
pub fn changed_while_running(store: &Store, task: &TaskRecord, before: &[InputState]) -> Result<Vec<String>> {
    let mut changed = Vec::new();
    for (binding, state) in task.inputs.iter().zip(before) {
        // A file hashed as read was checked when its hash was set.
        let checked = state.hashed_as_read.as_ref().map(|h| h.index);
        for (_, (path, fp)) in state.files.iter().enumerate().filter(|(i, _)| Some(*i) != checked) {
            let now = path_fingerprint(store, path).ok();
            if now.as_deref() != Some(fp.as_str()) {
                let name = store.data_node(&binding.data_node)?.config_id;
                changed.push(format!("input {name:?}: {path}"));
            }
        }
    }
    Ok(changed)
}

pub enum Decision {
    Skip(CacheEntry),
    Run(String),
}

/// `Config.configure_task(..., cache=False)`: reuse only this task's own last
/// result, never another scenario's (for tasks with side effects).
fn reuses_other_scenarios(task: &TaskRecord) -> bool {
    task.properties.get("cache") != Some(&serde_json::Value::Bool(false))
}

/// The skip rule (README "When a task is skipped"), with the reason when the job runs.
pub fn decide(
    store: &Store,
    task: &TaskRecord,
    key: &str,
    code: &CodeIdentity,
    inputs: &[InputState],
    force: bool,
) -> Result<Decision> {
    if !task.skippable {
        return Ok(Decision::Run("not skippable: runs on every submit".into()));
    }
    if force {
        return Ok(Decision::Run("forced: submit(force=True)".into()));
    }
    if let Some((label, why)) = code.unencodable().next() {
        let what = label.strip_prefix(UNENCODABLE).unwrap_or(label);
        return Ok(Decision::Run(format!(
            "{what} has no canonical encoding ({why}): this task re-runs on every submit; give the value an \
             identity (register_identity, __scenarium_identity__) or declare what the task reads with depends_on"
        )));
    }
    let Some(entry) = store.cache_entry(key)? else {
        let previous = store.last_finished_job(&task.id)?;
        return Ok(Decision::Run(what_changed(store, previous.as_ref(), code, inputs)?));
    };
    if !reuses_other_scenarios(task) {
        // Only this task's own last result may be reused; look it up only then.
        let previous = store.last_finished_job(&task.id)?;
        if previous.as_ref().and_then(|p| p.cache_key.as_deref()) != Some(key) {
            let changed = what_changed(store, previous.as_ref(), code, inputs)?;
            return Ok(Decision::Run(format!("{changed} (cache=False: other scenarios' results are not reused)")));
        }
    }
    if entry.outputs.len() != task.outputs.len() || !entry.outputs.iter().all(|(fp, p)| store.payload_holds(p, fp)) {
        return Ok(Decision::Run(format!(
            "the outputs of {}, which had the same code and inputs, are no longer stored",
            entry.job_id
        )));
    }
    let age = crate::model::now() - entry.created_at;
    for dn in &task.outputs {
        let node = store.data_node(dn)?;
        if let Some(period) = node.validity_period_s {
            if age > period {
                return Ok(Decision::Run(format!(
                    "the result of {} expired: output {:?} is valid for {period} s and is {age:.0} s old",
                    entry.job_id, node.config_id
                )));
            }
        }
    }
    Ok(Decision::Skip(entry))
}

/// A task's code identity: the digest that enters the cache key and the
/// named parts it was computed from, which say what changed.
#[derive(Clone, Debug)]
pub struct CodeIdentity {
    pub digest: String,
    pub parts: CodeParts,
}

/// The label prefix of a part that has no canonical encoding (`_code_identity.py`:
/// an open file, a lock, an object that cannot be reduced): a task whose identity
/// has one is never reused.
const UNENCODABLE: &str = "unencodable ";

impl CodeIdentity {
    pub fn new(parts: CodeParts) -> Self {
        CodeIdentity { digest: code_digest(&parts), parts }
    }

    /// The parts that could not be encoded: (where and what, why).
    pub fn unencodable(&self) -> impl Iterator<Item = (&str, &str)> {
        self.parts.iter().filter(|(label, _)| label.starts_with(UNENCODABLE)).map(|(l, w)| (l.as_str(), w.as_str()))
    }
}

/// How many changed parts of a task's code a reason names before "and N more".
const NAMED_CHANGES: usize = 6;

/// What differs between two code identities, part by part, in words.
pub fn code_changes(before: &CodeParts, after: &CodeParts) -> Vec<String> {
    let mut changes = Vec::new();
    for (label, value) in after {
        match before.get(label) {
            Some(old) if old == value => {}
            Some(old) if label.starts_with("package ") || label == "python" || label.starts_with("native task") => {
                changes.push(format!("{label}: {old} -> {value}"))
            }
            Some(_) if label == "task" => changes.push("the task's function is another one".into()),
            Some(_) => changes.push(format!("{label} changed")),
            None => changes.push(format!("now reaches {label}")),
        }
    }
    for label in before.keys().filter(|l| !after.contains_key(*l)) {
        changes.push(format!("no longer reaches {label}"));
    }
    changes
}

/// How many files a reason names before "and N more".
const NAMED_FILES: usize = 5;

/// Which of an input's files changed: the ones modified since the last job
/// ended (the job keeps the input's combined fingerprint, not each file's).
fn files_changed(name: &str, files: &[(String, String)], since: Option<f64>) -> String {
    let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    if paths.len() <= NAMED_FILES {
        return format!("input {name:?}: the content of {} changed", paths.join(", "));
    }
    let modified_since = |path: &str| {
        let modified = std::fs::metadata(path).and_then(|m| m.modified()).ok();
        let secs = modified.and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok()).map(|d| d.as_secs_f64());
        matches!((secs, since), (Some(secs), Some(since)) if secs >= since)
    };
    let recent: Vec<&str> = paths.iter().copied().filter(|p| modified_since(p)).collect();
    if recent.is_empty() {
        return format!("input {name:?}: the content of one or more of its {} files changed", paths.len());
    }
    let more = recent.len().saturating_sub(NAMED_FILES);
    let mut named = recent.iter().take(NAMED_FILES).copied().collect::<Vec<_>>().join(", ");
    if more > 0 {
        named.push_str(&format!(" and {more} more"));
    }
    format!(
        "input {name:?}: {named} changed on disk since the last job ({} of its {} files)",
        recent.len(),
        paths.len()
    )
}

/// Why a job with no cached result runs, compared with this task's last result.
fn what_changed(
    store: &Store,
    previous: Option<&JobRecord>,
    code: &CodeIdentity,
    inputs: &[InputState],
) -> Result<String> {
    let Some(previous) = previous else {
        return Ok("first run: no earlier result for these inputs and code".into());
    };
    let mut changes = Vec::new();
    if previous.code_fingerprint.as_deref() != Some(code.digest.as_str()) {
        let parts = previous.code_parts.as_ref().map(|old| code_changes(old, &code.parts)).unwrap_or_default();
        if parts.is_empty() {
            changes.push("the task's code changed".to_string());
        } else {
            let more = parts.len().saturating_sub(NAMED_CHANGES);
            let mut named = parts.into_iter().take(NAMED_CHANGES).collect::<Vec<_>>().join(", ");
            if more > 0 {
                named.push_str(&format!(" and {more} more"));
            }
            changes.push(format!("the task's code changed: {named}"));
        }
    }
    for (i, input) in inputs.iter().enumerate() {
        let Some((old_dn, old_version, old_fp)) = previous.inputs.get(i) else { continue };
        if old_fp == &input.fingerprint {
            continue;
        }
        let name = store.data_node(&input.version.data_node_id)?.config_id;
        let same_version = old_dn == &input.version.data_node_id && *old_version == input.version.version;
        let old_payload = if old_dn == &input.version.data_node_id {
            store.version(old_dn, *old_version).ok().map(|v| v.payload)
        } else {
            None
        };
        if let Some(hashed) = &input.hashed_as_read {
            let path = &input.files[hashed.index].0;
            changes.push(format!(
                "input {name:?}: {path} is new or changed on disk since it was last hashed (hashed as the task reads it)"
            ));
            continue;
        }
        changes.push(match (&old_payload, &input.version.payload) {
            (Some(Payload::Inline { json: old }), Payload::Inline { json: new }) if old != new => {
                format!("input {name:?} changed: {} -> {}", short(old), short(new))
            }
            _ if !input.files.is_empty() => files_changed(&name, &input.files, previous.finished_at),
            _ if same_version => format!(
                "input {name:?} is read differently (its storage type or read options, such as exposed_type, changed)"
            ),
            _ => format!(
                "input {name:?} changed: version {} -> {} (content {} -> {})",
                old_version,
                input.version.version,
                prefix(old_fp),
                prefix(&input.fingerprint)
            ),
        });
    }
    if changes.is_empty() {
        changes
            .push("the task's configuration or its outputs' storage changed, or its cached result was removed".into());
    }
    Ok(changes.join("; "))
}

fn prefix(fingerprint: &str) -> String {
    fingerprint.chars().take(8).collect()
}

fn short(json: &str) -> String {
    if json.chars().count() <= 40 {
        json.to_owned()
    } else {
        format!("{}…", json.chars().take(40).collect::<String>())
    }
}
