//! Read-only views of registry records, handed to the Python layer.

use std::collections::BTreeMap;

use pyo3::prelude::*;

use crate::model::{self, Payload};
use crate::store::NewValue;

/// A stored value: where its bytes are and its fingerprint.
#[pyclass(module = "scenarium._core", frozen, get_all, from_py_object)]
#[derive(Clone)]
pub struct StoredValue {
    /// "inline", "object", "external" or "memory".
    pub kind: String,
    pub fingerprint: String,
    /// JSON text of an inline scalar.
    pub json: Option<String>,
    pub hash: Option<String>,
    pub format: Option<String>,
    pub size: Option<u64>,
    /// The file of an external value.
    pub path: Option<String>,
    pub token: Option<String>,
    /// Strings inside the value that may name files or folders (see `with_paths`).
    pub paths: Vec<String>,
}

impl StoredValue {
    pub fn to_new_value(&self) -> NewValue {
        let payload = match self.kind.as_str() {
            "inline" => Payload::Inline { json: self.json.clone().unwrap_or_default() },
            "object" => Payload::Object {
                hash: self.hash.clone().unwrap_or_default(),
                format: self.format.clone().unwrap_or_default(),
                size: self.size.unwrap_or(0),
            },
            "external" => Payload::External {
                path: self.path.clone().unwrap_or_default(),
                format: self.format.clone().unwrap_or_default(),
            },
            "recipe" => serde_json::from_str(self.json.as_deref().unwrap_or_default())
                .unwrap_or_else(|_| Payload::Memory { token: String::new() }),
            _ => Payload::Memory { token: self.token.clone().unwrap_or_default() },
        };
        NewValue { payload, fingerprint: self.fingerprint.clone(), paths: self.paths.clone() }
    }

    pub fn from_payload(payload: &Payload, fingerprint: &str) -> Self {
        let mut value = StoredValue {
            kind: String::new(),
            fingerprint: fingerprint.to_owned(),
            json: None,
            hash: None,
            format: None,
            size: None,
            path: None,
            token: None,
            paths: Vec::new(),
        };
        match payload {
            Payload::Inline { json } => {
                value.kind = "inline".into();
                value.json = Some(json.clone());
            }
            Payload::Object { hash, format, size } => {
                value.kind = "object".into();
                value.hash = Some(hash.clone());
                value.format = Some(format.clone());
                value.size = Some(*size);
            }
            Payload::External { path, format } => {
                value.kind = "external".into();
                value.path = Some(path.clone());
                value.format = Some(format.clone());
            }
            Payload::Memory { token } => {
                value.kind = "memory".into();
                value.token = Some(token.clone());
            }
            Payload::Recipe { .. } => {
                value.kind = "recipe".into();
                value.json = serde_json::to_string(payload).ok();
                value.format = Some(crate::native::TABLE_FORMAT.into());
            }
        }
        value
    }
}

#[pymethods]
impl StoredValue {
    /// Rebuilt from its fields, e.g. after crossing to a worker process and back.
    #[new]
    #[pyo3(signature = (kind, fingerprint, json = None, hash = None, format = None, size = None, path = None, token = None, paths = Vec::new()))]
    #[allow(clippy::too_many_arguments)] // one per field, as pickling needs them
    fn new(
        kind: String,
        fingerprint: String,
        json: Option<String>,
        hash: Option<String>,
        format: Option<String>,
        size: Option<u64>,
        path: Option<String>,
        token: Option<String>,
        paths: Vec<String>,
    ) -> Self {
        StoredValue { kind, fingerprint, json, hash, format, size, path, token, paths }
    }

    /// The same value, recording the strings inside it that may name files or
    /// folders, so that the cache key of a task reading it covers their content.
    fn with_paths(&self, paths: Vec<String>) -> StoredValue {
        StoredValue { paths, ..self.clone() }
    }

    #[allow(clippy::type_complexity)]
    fn __reduce__<'py>(
        slf: &Bound<'py, Self>,
    ) -> PyResult<(
        Bound<'py, pyo3::types::PyType>,
        (
            String,
            String,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<u64>,
            Option<String>,
            Option<String>,
            Vec<String>,
        ),
    )> {
        let v = slf.get();
        let fields = (
            v.kind.clone(),
            v.fingerprint.clone(),
            v.json.clone(),
            v.hash.clone(),
            v.format.clone(),
            v.size,
            v.path.clone(),
            v.token.clone(),
            v.paths.clone(),
        );
        Ok((slf.get_type(), fields))
    }

    fn __repr__(&self) -> String {
        format!(
            "StoredValue(kind={:?}, fingerprint={:?})",
            self.kind,
            &self.fingerprint[..12.min(self.fingerprint.len())]
        )
    }
}

#[pyclass(module = "scenarium._core", frozen, get_all)]
pub struct VersionRecord {
    pub data_node_id: String,
    pub version: i64,
    pub written_at: f64,
    pub writer: String,
    pub comment: Option<String>,
    pub fingerprint: String,
    pub value: StoredValue,
    /// Keys the writer added to the edit, as a JSON object.
    pub extra_json: String,
}

impl From<model::VersionRecord> for VersionRecord {
    fn from(v: model::VersionRecord) -> Self {
        let value = StoredValue::from_payload(&v.payload, &v.fingerprint);
        VersionRecord {
            data_node_id: v.data_node_id,
            version: v.version,
            written_at: v.written_at,
            writer: v.writer,
            comment: v.comment,
            fingerprint: v.fingerprint,
            value,
            extra_json: serde_json::to_string(&v.extra).expect("JSON values serialise"),
        }
    }
}

#[pyclass(module = "scenarium._core", frozen, get_all)]
pub struct DataNodeRecord {
    pub id: String,
    pub config_id: String,
    pub scope: String,
    pub owner_id: Option<String>,
    pub storage_type: String,
    pub validity_period_s: Option<f64>,
    /// JSON text of the configured properties.
    pub properties_json: String,
}

impl From<model::DataNodeRecord> for DataNodeRecord {
    fn from(d: model::DataNodeRecord) -> Self {
        DataNodeRecord {
            properties_json: serde_json::to_string(&d.properties).unwrap_or_else(|_| "{}".into()),
            id: d.id,
            config_id: d.config_id,
            scope: d.scope.as_str().into(),
            owner_id: d.owner_id,
            storage_type: d.storage_type.as_str().into(),
            validity_period_s: d.validity_period_s,
        }
    }
}

#[pyclass(module = "scenarium._core", frozen, get_all)]
pub struct TaskRecord {
    pub id: String,
    pub config_id: String,
    pub scenario_id: String,
    /// JSON text of the function reference: `{"kind": "python", "module": ..., "qualname": ...}`.
    pub function_json: String,
    /// (parameter name or None, data node id) per input, in binding order.
    pub inputs: Vec<(Option<String>, String)>,
    pub outputs: Vec<String>,
    pub skippable: bool,
    pub properties_json: String,
}

impl From<model::TaskRecord> for TaskRecord {
    fn from(t: model::TaskRecord) -> Self {
        TaskRecord {
            function_json: serde_json::to_string(&t.function).unwrap_or_default(),
            properties_json: serde_json::to_string(&t.properties).unwrap_or_else(|_| "{}".into()),
            inputs: t.inputs.into_iter().map(|b| (b.param, b.data_node)).collect(),
            id: t.id,
            config_id: t.config_id,
            scenario_id: t.scenario_id,
            outputs: t.outputs,
            skippable: t.skippable,
        }
    }
}

#[pyclass(module = "scenarium._core", frozen, get_all)]
pub struct ScenarioRecord {
    pub id: String,
    pub config_id: String,
    pub config_version: String,
    pub name: Option<String>,
    pub creation_date: f64,
    pub is_primary: bool,
    pub tags: Vec<String>,
    pub cycle_id: Option<String>,
    pub data_nodes: BTreeMap<String, String>,
    pub tasks: Vec<(String, String)>,
    pub sequences: BTreeMap<String, Vec<String>>,
}

impl From<model::ScenarioRecord> for ScenarioRecord {
    fn from(s: model::ScenarioRecord) -> Self {
        ScenarioRecord {
            id: s.id,
            config_id: s.config_id,
            config_version: s.config_version,
            name: s.name,
            creation_date: s.creation_date,
            is_primary: s.is_primary,
            tags: s.tags,
            cycle_id: s.cycle_id,
            data_nodes: s.data_nodes,
            tasks: s.tasks,
            sequences: s.sequences,
        }
    }
}

#[pyclass(module = "scenarium._core", frozen, get_all)]
pub struct JobRecord {
    pub id: String,
    pub submission_id: String,
    pub task_id: String,
    pub task_config_id: String,
    pub status: String,
    pub created_at: f64,
    pub started_at: Option<f64>,
    pub finished_at: Option<f64>,
    pub cache_key: Option<String>,
    pub code_fingerprint: Option<String>,
    pub code_parts: Option<std::collections::BTreeMap<String, String>>,
    pub inputs: Vec<(String, i64, String)>,
    pub outputs: Vec<(String, i64)>,
    pub reason: Option<String>,
    pub stacktrace: Option<String>,
}

impl From<model::JobRecord> for JobRecord {
    fn from(j: model::JobRecord) -> Self {
        JobRecord {
            id: j.id,
            submission_id: j.submission_id,
            task_id: j.task_id,
            task_config_id: j.task_config_id,
            status: j.status.as_str().into(),
            created_at: j.created_at,
            started_at: j.started_at,
            finished_at: j.finished_at,
            cache_key: j.cache_key,
            code_fingerprint: j.code_fingerprint,
            code_parts: j.code_parts,
            inputs: j.inputs,
            outputs: j.outputs,
            reason: j.reason,
            stacktrace: j.stacktrace,
        }
    }
}

#[pyclass(module = "scenarium._core", frozen, get_all)]
pub struct SubmissionRecord {
    pub id: String,
    pub entity_id: String,
    pub created_at: f64,
    pub finished_at: Option<f64>,
    pub status: String,
    pub force: bool,
    pub job_ids: Vec<String>,
}

impl From<model::SubmissionRecord> for SubmissionRecord {
    fn from(s: model::SubmissionRecord) -> Self {
        SubmissionRecord {
            id: s.id,
            entity_id: s.entity_id,
            created_at: s.created_at,
            finished_at: s.finished_at,
            status: s.status.as_str().into(),
            force: s.force,
            job_ids: s.job_ids,
        }
    }
}
