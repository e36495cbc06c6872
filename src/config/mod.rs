//! Configuration as the core sees it: plain, serialisable specs.
//!
//! Two forms, one set of rules. The configuration model ([`document`]: sections
//! of typed entries with their file lines) is what the Python API and TOML files
//! both build and what [`validate`] checks. A scenario's [`ScenarioSpec`] (every
//! data node and task it needs, flattened, functions named) is what the core
//! stores and hashes into a config version; it is validated as the document it
//! stands for ([`validate::check_spec`]).

pub mod document;
pub mod toml_file;
pub mod validate;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

named_enum!(
    /// How a data node's value is kept. Every version is an object in the store;
    /// `csv`, `parquet`, `json`, `excel` and `pickle` (with a path) also keep the
    /// latest at a path; `sql`, `sql_table`, `generic` and `s3_object` in the user's
    /// database, functions or bucket (Python reads and writes those); `in_memory`
    /// only in the writing process.
    StorageType {
        Pickle => "pickle",
        Parquet => "parquet",
        Csv => "csv",
        Json => "json",
        Excel => "excel",
        Sql => "sql",
        SqlTable => "sql_table",
        Generic => "generic",
        S3Object => "s3_object",
        MongoCollection => "mongo_collection",
        InMemory => "in_memory",
    }
);

named_enum!(
    /// Who shares a data node: one scenario, every scenario of a cycle, or all.
    Scope { Scenario => "SCENARIO", Cycle => "CYCLE", Global => "GLOBAL" }
);

named_enum!(
    Frequency { Daily => "DAILY", Weekly => "WEEKLY", Monthly => "MONTHLY", Quarterly => "QUARTERLY", Yearly => "YEARLY" }
);

/// Where a task's code lives.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FunctionRef {
    /// A Python callable, found again by importing `module` and walking `qualname`.
    Python { module: String, qualname: String },
    /// A task implemented in Rust, identified by name and implementation version.
    Native { name: String, version: u32 },
}

impl fmt::Display for FunctionRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FunctionRef::Python { module, qualname } => write!(f, "{module}.{qualname}"),
            FunctionRef::Native { name, version } => write!(f, "native:{name}@{version}"),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataNodeConfig {
    pub id: String,
    pub storage_type: StorageType,
    pub scope: Scope,
    /// Fingerprint of the default value, so a changed default is a changed config.
    #[serde(default)]
    pub default_fingerprint: Option<String>,
    #[serde(default)]
    pub validity_period_s: Option<f64>,
    #[serde(default)]
    pub properties: BTreeMap<String, serde_json::Value>,
}

/// One input of a task: `param` is `None` for positional binding (a list in
/// `configure_task`), or the parameter name for a dict binding.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InputBinding {
    pub param: Option<String>,
    pub data_node: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskConfig {
    pub id: String,
    pub function: FunctionRef,
    pub inputs: Vec<InputBinding>,
    pub outputs: Vec<String>,
    #[serde(default)]
    pub skippable: bool,
    #[serde(default)]
    pub properties: BTreeMap<String, serde_json::Value>,
}

/// Everything needed to instantiate one scenario config.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioSpec {
    pub id: String,
    pub tasks: Vec<TaskConfig>,
    pub data_nodes: Vec<DataNodeConfig>,
    /// Data nodes not read or written by any task but part of the scenario.
    #[serde(default)]
    pub additional_data_nodes: Vec<String>,
    #[serde(default)]
    pub frequency: Option<Frequency>,
    #[serde(default)]
    pub properties: BTreeMap<String, serde_json::Value>,
}

impl ScenarioSpec {
    pub fn from_value(value: serde_json::Value) -> Result<Self> {
        serde_json::from_value(value).map_err(|e| Error::Config(format!("malformed scenario configuration: {e}")))
    }

    pub fn data_node(&self, id: &str) -> Option<&DataNodeConfig> {
        self.data_nodes.iter().find(|d| d.id == id)
    }

    /// Its tasks as a DAG: an error names the tasks and data nodes of a cycle.
    pub fn task_graph(&self) -> Result<crate::graph::TaskGraph> {
        let tasks = self
            .tasks
            .iter()
            .map(|t| crate::graph::TaskNode {
                id: t.id.clone(),
                inputs: t.inputs.iter().map(|i| i.data_node.clone()).collect(),
                outputs: t.outputs.clone(),
            })
            .collect();
        crate::graph::TaskGraph::new(tasks)
    }

    /// The sequences the config names (`sequences` property: name -> task ids).
    pub fn sequences(&self) -> BTreeMap<String, Vec<String>> {
        let Some(serde_json::Value::Object(map)) = self.properties.get("sequences") else { return BTreeMap::new() };
        map.iter()
            .map(|(name, tasks)| {
                let ids = tasks.as_array().into_iter().flatten().filter_map(|t| t.as_str().map(str::to_owned));
                (name.clone(), ids.collect())
            })
            .collect()
    }

    /// The config version: blake3 of the canonical JSON form. Field order is
    /// fixed by the struct and maps are BTreeMaps, so equal specs hash equal.
    pub fn version(&self) -> String {
        let canonical = serde_json::to_vec(self).expect("a spec always serialises");
        crate::fingerprint::of_bytes(&canonical)[..16].to_string()
    }
}
