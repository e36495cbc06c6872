//! Registry records handed to the Python layer: the core's own records
//! (`crate::model`), wrapped, each field a read-only attribute. Free-form parts
//! (properties, a function reference, an edit's keys) come as dicts, typed in
//! `_core.pyi`.

use pyo3::prelude::*;
use pyo3::IntoPyObjectExt;

use super::json;

use crate::model::{self, Payload};
use crate::store::NewValue;

/// A stored value: where its bytes are and its fingerprint.
#[pyclass(module = "scenarium._core", frozen, get_all, from_py_object)]
#[derive(Clone)]
pub struct StoredValue {
    /// "inline", "object", "external", "memory", "recipe" or "parts".
    pub kind: String,
    pub fingerprint: String,
    /// JSON text of an inline scalar; a recipe's or partitions' payload.
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
            "recipe" | "parts" => serde_json::from_str(self.json.as_deref().unwrap_or_default())
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
            Payload::Parts { format, parts } => {
                value.kind = "parts".into();
                value.json = serde_json::to_string(payload).ok();
                value.format = Some(format.clone());
                value.size = Some(parts.iter().map(|p| p.size).sum());
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

/// A pyclass around a model record: `plain` fields are handed over as they
/// are (cloned), `shown` ones through an expression of the record (`r`).
macro_rules! record_view {
    (
        $name:ident wraps $model:ty;
        plain { $($field:ident: $ty:ty),* $(,)? }
        shown { $($shown:ident = |$r:ident, $py:ident| $get:expr),* $(,)? }
    ) => {
        #[pyclass(module = "scenarium._core", frozen)]
        pub struct $name(pub $model);

        impl From<$model> for $name {
            fn from(record: $model) -> Self {
                $name(record)
            }
        }

        #[pymethods]
        impl $name {
            $(
                #[getter]
                fn $field(&self) -> $ty {
                    self.0.$field.clone()
                }
            )*
            $(
                #[getter]
                fn $shown<'py>(&self, $py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
                    let $r = &self.0;
                    $get
                }
            )*
        }
    };
}

record_view! {
    VersionRecord wraps model::VersionRecord;
    plain { data_node_id: String, version: i64, written_at: f64, writer: String, comment: Option<String>,
            fingerprint: String }
    shown {
        value = |r, py| StoredValue::from_payload(&r.payload, &r.fingerprint).into_bound_py_any(py),
        // Keys the writer added to the edit.
        extra = |r, py| json::map_to_python(py, &r.extra),
    }
}

record_view! {
    DataNodeRecord wraps model::DataNodeRecord;
    plain { id: String, config_id: String, owner_id: Option<String>, validity_period_s: Option<f64> }
    shown {
        scope = |r, py| r.scope.as_str().into_bound_py_any(py),
        storage_type = |r, py| r.storage_type.as_str().into_bound_py_any(py),
        properties = |r, py| json::map_to_python(py, &r.properties),
        // How a task reads the node and how its values are stored, as cache keys have them.
        read_as = |r, py| crate::orchestrator::read_descriptor(r).into_bound_py_any(py),
        stored_as = |r, py| crate::orchestrator::access_descriptor(r).into_bound_py_any(py),
    }
}

record_view! {
    TaskRecord wraps model::TaskRecord;
    plain { id: String, config_id: String, scenario_id: String, outputs: Vec<String>, skippable: bool }
    shown {
        // {"kind": "python", "module": ..., "qualname": ...} or {"kind": "native", "name": ...}.
        function = |r, py| json::to_python(py, &serde_json::to_value(&r.function).unwrap_or_default()),
        // (parameter name or None, data node id) per input, in binding order.
        inputs = |r, py| {
            let pairs: Vec<(Option<&str>, &str)> =
                r.inputs.iter().map(|b| (b.param.as_deref(), b.data_node.as_str())).collect();
            pairs.into_bound_py_any(py)
        },
        properties = |r, py| json::map_to_python(py, &r.properties),
    }
}

record_view! {
    ScenarioRecord wraps model::ScenarioRecord;
    plain { id: String, config_id: String, config_version: String, name: Option<String>, creation_date: f64,
            is_primary: bool, tags: Vec<String>, cycle_id: Option<String>,
            data_nodes: std::collections::BTreeMap<String, String>, tasks: Vec<(String, String)>,
            sequences: std::collections::BTreeMap<String, Vec<String>> }
    shown {
        sequence_properties = |r, py| {
            let all = serde_json::to_value(&r.sequence_properties).unwrap_or_default();
            json::to_python(py, &all)
        },
    }
}

record_view! {
    JobRecord wraps model::JobRecord;
    plain { id: String, submission_id: String, task_id: String, task_config_id: String, created_at: f64,
            started_at: Option<f64>, finished_at: Option<f64>, cache_key: Option<String>,
            code_fingerprint: Option<String>, code_parts: Option<std::collections::BTreeMap<String, String>>,
            inputs: Vec<(String, i64, String)>, outputs: Vec<(String, i64)>, reason: Option<String>,
            stacktrace: Option<String> }
    shown { status = |r, py| r.status.as_str().into_bound_py_any(py) }
}

record_view! {
    SubmissionRecord wraps model::SubmissionRecord;
    plain { id: String, entity_id: String, created_at: f64, finished_at: Option<f64>, force: bool,
            job_ids: Vec<String> }
    shown { status = |r, py| r.status.as_str().into_bound_py_any(py) }
}
