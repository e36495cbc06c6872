//! Validation of a [`ScenarioSpec`] before anything is stored. Each failure
//! names the ids at fault.

use std::collections::{BTreeMap, BTreeSet};

use super::ScenarioSpec;
use crate::error::{Error, Result};

const PYTHON_KEYWORDS: &[&str] = &[
    "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del",
    "elif", "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal",
    "not", "or", "pass", "raise", "return", "try", "while", "with", "yield",
];

/// Taipy requires ids to be Python identifiers so that `scenario.<id>` works.
/// The longest id: ids become parts of entity ids and file names (with a
/// prefix and a 36-character uuid), which file systems cap at 255 bytes.
pub const MAX_ID_LEN: usize = 128;

pub fn check_identifier(kind: &str, id: &str) -> Result<()> {
    if id.len() > MAX_ID_LEN {
        return Err(Error::Config(format!(
            "{kind} id {:?}… is {} characters long; ids are at most {MAX_ID_LEN} characters (they become \
             part of file names)",
            id.chars().take(40).collect::<String>(),
            id.len()
        )));
    }
    let mut chars = id.chars();
    let valid_start = chars.next().is_some_and(|c| c == '_' || c.is_ascii_alphabetic());
    let valid_rest = chars.all(|c| c == '_' || c.is_ascii_alphanumeric());
    if !valid_start || !valid_rest || PYTHON_KEYWORDS.contains(&id) {
        return Err(Error::Config(format!(
            "{kind} id {id:?} is not a valid identifier: use letters, digits and underscores, \
             not starting with a digit, and not a Python keyword"
        )));
    }
    Ok(())
}

pub fn check_spec(spec: &ScenarioSpec) -> Result<()> {
    check_identifier("scenario", &spec.id)?;
    let mut data_nodes = BTreeSet::new();
    for dn in &spec.data_nodes {
        check_identifier("data node", &dn.id)?;
        if !data_nodes.insert(dn.id.as_str()) {
            return Err(Error::Config(format!(
                "data node id {:?} is configured twice in scenario {:?}",
                dn.id, spec.id
            )));
        }
        if let Some(period) = dn.validity_period_s {
            if !(period.is_finite() && period > 0.0) {
                return Err(Error::Config(format!(
                    "data node {:?}: validity_period must be a positive duration, got {period} s",
                    dn.id
                )));
            }
        }
    }
    let mut task_ids = BTreeSet::new();
    let mut writers: BTreeMap<&str, &str> = BTreeMap::new();
    for task in &spec.tasks {
        check_identifier("task", &task.id)?;
        if !task_ids.insert(task.id.as_str()) {
            return Err(Error::Config(format!("task id {:?} appears twice in scenario {:?}", task.id, spec.id)));
        }
        if data_nodes.contains(task.id.as_str()) {
            return Err(Error::Config(format!(
                "id {:?} names both a task and a data node in scenario {:?}: `scenario.{}` would be ambiguous",
                task.id, spec.id, task.id
            )));
        }
        let mut params = BTreeSet::new();
        for input in &task.inputs {
            if !data_nodes.contains(input.data_node.as_str()) {
                return Err(Error::Config(format!(
                    "task {:?} reads data node {:?}, which is not configured",
                    task.id, input.data_node
                )));
            }
            if let Some(param) = &input.param {
                if !params.insert(param.as_str()) {
                    return Err(Error::Config(format!("task {:?} binds parameter {param:?} twice", task.id)));
                }
            }
        }
        if task.outputs.is_empty() && task.inputs.is_empty() {
            return Err(Error::Config(format!("task {:?} has neither inputs nor outputs", task.id)));
        }
        for output in &task.outputs {
            if !data_nodes.contains(output.as_str()) {
                return Err(Error::Config(format!(
                    "task {:?} writes data node {:?}, which is not configured",
                    task.id, output
                )));
            }
            if let Some(other) = writers.insert(output, &task.id) {
                let (first, second) =
                    if other == task.id { (other, "itself again") } else { (other, task.id.as_str()) };
                return Err(Error::Config(format!(
                    "data node {output:?} is written by more than one task ({first:?} and {second:?}); \
                     each data node may have at most one writer"
                )));
            }
        }
    }
    for extra in &spec.additional_data_nodes {
        if !data_nodes.contains(extra.as_str()) {
            return Err(Error::Config(format!(
                "scenario {:?} lists additional data node {extra:?}, which is not configured",
                spec.id
            )));
        }
    }
    spec.task_graph()?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::{DataNodeConfig, FunctionRef, InputBinding, Scope, StorageType, TaskConfig};

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
}
