//! Whether a job must run, and why: the cache key, the skip rule and the
//! explanation a user reads when a task ran.

use std::path::Path;

use crate::error::{Error, Result};
use crate::fingerprint;
use crate::model::{JobRecord, Payload, TaskRecord, VersionRecord};
use crate::store::{CacheEntry, NewValue, Store};

const CACHE_KEY_DOMAIN: &str = "scenarium 2026-11 job cache key v1";

/// An input as the cache key sees it: its version and its effective
/// fingerprint (a path string also covers the file it names).
#[derive(Clone, Debug)]
pub struct InputState {
    pub version: VersionRecord,
    pub fingerprint: String,
    /// The file a string input names, when it names one.
    pub file: Option<String>,
}

/// The inputs of `task`, latest versions in binding order, or why it cannot
/// run. With `record`, a file-backed data node whose file changed on disk gets
/// a new version first; without (a dry run), nothing is written.
pub fn input_states(
    store: &Store,
    task: &TaskRecord,
    record: bool,
) -> Result<std::result::Result<Vec<InputState>, String>> {
    let mut inputs = Vec::with_capacity(task.inputs.len());
    for binding in &task.inputs {
        let Some(version) = store.latest_version(&binding.data_node)? else {
            let dn = store.data_node(&binding.data_node)?;
            return Ok(Err(Error::NoData(dn.config_id).to_string()));
        };
        match input_state(store, version, record) {
            Ok(state) => inputs.push(state),
            Err(e) => return Ok(Err(e.to_string())),
        }
    }
    Ok(Ok(inputs))
}

fn input_state(store: &Store, version: VersionRecord, record: bool) -> Result<InputState> {
    match version.payload.clone() {
        Payload::External { path, .. } => {
            let current = store.file_fingerprint(Path::new(&path))?;
            let version = if current == version.fingerprint || !record {
                version
            } else {
                let value = NewValue { payload: version.payload.clone(), fingerprint: current.clone() };
                store.write_data_node(&version.data_node_id, &value, "file", Some(format!("{path} changed on disk")))?
            };
            Ok(InputState { version, fingerprint: current, file: Some(path) })
        }
        Payload::Inline { json } => {
            // A string naming an existing file stands for the file's content too,
            // so a CSV changed in place at the same path is never served stale.
            let named_file = serde_json::from_str::<String>(&json).ok().filter(|p| Path::new(p).is_file());
            match named_file {
                Some(path) => {
                    let file_fp = store.file_fingerprint(Path::new(&path))?;
                    let fingerprint = fingerprint::combine(
                        "scenarium path input",
                        [("value", version.fingerprint.as_str()), ("file", file_fp.as_str())],
                    );
                    Ok(InputState { version, fingerprint, file: Some(path) })
                }
                None => Ok(InputState { fingerprint: version.fingerprint.clone(), version, file: None }),
            }
        }
        _ => Ok(InputState { fingerprint: version.fingerprint.clone(), version, file: None }),
    }
}

/// blake3 over the task's code, its declared properties and its inputs'
/// fingerprints in binding order (with parameter names for named bindings).
pub fn cache_key(task: &TaskRecord, code: &str, inputs: &[InputState]) -> String {
    let properties = serde_json::to_string(&task.properties).unwrap_or_default();
    let outputs = task.outputs.len().to_string();
    let labels: Vec<String> =
        task.inputs.iter().enumerate().map(|(i, b)| b.param.clone().unwrap_or_else(|| format!("#{i}"))).collect();
    let mut parts: Vec<(&str, &str)> = vec![("code", code), ("properties", &properties), ("outputs", &outputs)];
    parts.extend(labels.iter().map(String::as_str).zip(inputs.iter().map(|v| v.fingerprint.as_str())));
    fingerprint::combine(CACHE_KEY_DOMAIN, parts)
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

/// The skip rule (DESIGN.md, "Skipping"), with the reason when the job runs.
pub fn decide(
    store: &Store,
    task: &TaskRecord,
    key: &str,
    code: &str,
    inputs: &[InputState],
    force: bool,
) -> Result<Decision> {
    if !task.skippable {
        return Ok(Decision::Run("not skippable: runs on every submit".into()));
    }
    if force {
        return Ok(Decision::Run("forced: submit(force=True)".into()));
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
    if entry.outputs.len() != task.outputs.len() || !entry.outputs.iter().all(|(_, p)| store.payload_present(p)) {
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

/// Why a job with no cached result runs, compared with this task's last result.
fn what_changed(store: &Store, previous: Option<&JobRecord>, code: &str, inputs: &[InputState]) -> Result<String> {
    let Some(previous) = previous else {
        return Ok("first run: no earlier result for these inputs and code".into());
    };
    let mut changes = Vec::new();
    if previous.code_fingerprint.as_deref() != Some(code) {
        changes.push("the task's code changed".to_string());
    }
    for (i, input) in inputs.iter().enumerate() {
        let Some((old_dn, old_version, old_fp)) = previous.inputs.get(i) else { continue };
        if old_fp == &input.fingerprint {
            continue;
        }
        let name = store.data_node(&input.version.data_node_id)?.config_id;
        let old_payload = if old_dn == &input.version.data_node_id {
            store.version(old_dn, *old_version).ok().map(|v| v.payload)
        } else {
            None
        };
        changes.push(match (&old_payload, &input.version.payload) {
            (Some(Payload::Inline { json: old }), Payload::Inline { json: new }) if old != new => {
                format!("input {name:?} changed: {} -> {}", short(old), short(new))
            }
            _ if input.file.is_some() => {
                format!("input {name:?}: the content of {} changed", input.file.as_deref().unwrap_or_default())
            }
            _ => format!("input {name:?} changed (content {} -> {})", prefix(old_fp), prefix(&input.fingerprint)),
        });
    }
    if changes.is_empty() {
        changes.push("the task's configuration changed, or its cached result was removed".into());
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
