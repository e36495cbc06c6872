//! Entities as the registry records them: scenarios, data nodes and their
//! versions, tasks, jobs and submissions.

use std::collections::BTreeMap;
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::config::{FunctionRef, InputBinding, Scope, StorageType};

/// Seconds since the Unix epoch, UTC.
pub type Timestamp = f64;

pub fn now() -> Timestamp {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0.0, |d| d.as_secs_f64())
}

/// Proleptic Gregorian (year, month, day) of a day count since 1970-01-01.
pub fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Taipy-style ids: `SCENARIO_scenario_1_<uuid>`.
pub fn new_id(prefix: &str, config_id: &str) -> String {
    format!("{prefix}_{config_id}_{}", uuid::Uuid::new_v4())
}

/// A stored value: small scalars inline in the registry, everything else an
/// object in the content-addressed store, or a file at a user's path.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Payload {
    /// JSON text of a scalar (None, bool, int, float, str).
    Inline { json: String },
    /// An object named by the blake3 of its bytes; `format` says how to decode it.
    Object { hash: String, format: String, size: u64 },
    /// A file-backed data node's file, fingerprinted at the time of writing.
    External { path: String, format: String },
    /// A value kept only in the memory of the process that wrote it.
    Memory { token: String },
    /// A native task's table kept as the way to compute it: output `output` of
    /// native task `task` over `inputs`, which are themselves stored values that
    /// cannot change (objects, inline scalars, other recipes). Materialized when
    /// read; cheaper than writing it when the table is wide and feeds only
    /// reductions (ARCHITECTURE.md, "The storage folder").
    Recipe { task: String, version: u32, output: usize, inputs: Vec<Payload> },
    /// A table stored as partitions, in order, each an object of its own in
    /// `format`: a partition whose input did not change is the same object
    /// from version to version (ARCHITECTURE.md, "Partitions").
    Parts { format: String, parts: Vec<Part> },
}

/// One partition of a [`Payload::Parts`] value.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Part {
    /// What the partition holds, e.g. `bytes 67108864..134217728` of a CSV file.
    pub name: String,
    pub hash: String,
    pub size: u64,
    pub rows: u64,
}

impl Payload {
    /// The object hashes this value needs in order to be read.
    pub fn object_hashes(&self) -> Vec<&str> {
        match self {
            Payload::Object { hash, .. } => vec![hash.as_str()],
            Payload::Recipe { inputs, .. } => inputs.iter().flat_map(Payload::object_hashes).collect(),
            Payload::Parts { parts, .. } => parts.iter().map(|p| p.hash.as_str()).collect(),
            _ => Vec::new(),
        }
    }

    /// Whether the value stays the same forever (so a recipe may refer to it).
    pub fn is_immutable(&self) -> bool {
        match self {
            Payload::Inline { .. } | Payload::Object { .. } | Payload::Parts { .. } => true,
            Payload::Recipe { inputs, .. } => inputs.iter().all(Payload::is_immutable),
            Payload::External { .. } | Payload::Memory { .. } => false,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VersionRecord {
    pub data_node_id: String,
    pub version: i64,
    pub written_at: Timestamp,
    /// A job id, `"user"` or `"default"`.
    pub writer: String,
    pub comment: Option<String>,
    pub fingerprint: String,
    pub payload: Payload,
    /// Strings inside the value that may name files or folders.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<String>,
    /// Keys a writer added to the edit (Taipy's `write(data, **kwargs)`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DataNodeRecord {
    pub id: String,
    pub config_id: String,
    pub scope: Scope,
    /// The scenario (SCENARIO scope) or cycle (CYCLE scope) that owns it.
    pub owner_id: Option<String>,
    pub storage_type: StorageType,
    pub validity_period_s: Option<f64>,
    pub properties: BTreeMap<String, serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TaskRecord {
    pub id: String,
    pub config_id: String,
    pub scenario_id: String,
    pub function: FunctionRef,
    /// Bindings with data node *instance* ids.
    pub inputs: Vec<InputBinding>,
    pub outputs: Vec<String>,
    pub skippable: bool,
    pub properties: BTreeMap<String, serde_json::Value>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ScenarioRecord {
    pub id: String,
    pub config_id: String,
    pub config_version: String,
    pub name: Option<String>,
    pub creation_date: Timestamp,
    pub is_primary: bool,
    pub tags: Vec<String>,
    pub cycle_id: Option<String>,
    /// Data node config id -> data node id.
    pub data_nodes: BTreeMap<String, String>,
    /// Task config id -> task id, in run order.
    pub tasks: Vec<(String, String)>,
    /// Sequence name -> the task config ids it runs (Taipy's sequences: a part of
    /// the scenario that can be submitted on its own).
    #[serde(default)]
    pub sequences: BTreeMap<String, Vec<String>>,
    /// Sequence name -> the properties given when it was added (`add_sequence`).
    #[serde(default)]
    pub sequence_properties: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
}

/// The id of a scenario's sequence, as Taipy forms it.
pub fn sequence_id(name: &str, scenario_id: &str) -> String {
    format!("SEQUENCE_{name}_{scenario_id}")
}

/// (sequence name, scenario id) of a sequence id.
pub fn parse_sequence_id(id: &str) -> Option<(&str, &str)> {
    let rest = id.strip_prefix("SEQUENCE_")?;
    let at = rest.rfind("_SCENARIO_")?;
    Some((&rest[..at], &rest[at + 1..]))
}

named_enum!(
    /// A job's status, with Taipy's names.
    JobStatus {
        Submitted => "SUBMITTED", Blocked => "BLOCKED", Pending => "PENDING", Running => "RUNNING",
        Completed => "COMPLETED", Failed => "FAILED", Canceled => "CANCELED", Skipped => "SKIPPED",
        Abandoned => "ABANDONED",
    }
);

impl JobStatus {
    /// Completed or skipped: its outputs are there for dependants.
    pub fn is_success(&self) -> bool {
        matches!(self, JobStatus::Completed | JobStatus::Skipped)
    }

    /// Nothing more will happen to the job.
    pub fn is_finished(&self) -> bool {
        matches!(
            self,
            JobStatus::Completed | JobStatus::Skipped | JobStatus::Failed | JobStatus::Canceled | JobStatus::Abandoned
        )
    }
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct JobRecord {
    pub id: String,
    pub submission_id: String,
    pub task_id: String,
    pub task_config_id: String,
    pub status: JobStatus,
    pub created_at: Timestamp,
    pub started_at: Option<Timestamp>,
    pub finished_at: Option<Timestamp>,
    /// blake3 of task code and input fingerprints; set once inputs are known.
    pub cache_key: Option<String>,
    pub code_fingerprint: Option<String>,
    /// The named parts of the code identity (`code_fingerprint` is their
    /// digest), so that a later job can say which one changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_parts: Option<BTreeMap<String, String>>,
    /// (data node id, version, fingerprint) of each input, in binding order.
    pub inputs: Vec<(String, i64, String)>,
    /// (data node id, version) written or linked by this job.
    pub outputs: Vec<(String, i64)>,
    /// Why the job was skipped, or why it failed.
    pub reason: Option<String>,
    pub stacktrace: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SubmissionRecord {
    pub id: String,
    pub entity_id: String,
    pub created_at: Timestamp,
    pub finished_at: Option<Timestamp>,
    pub status: SubmissionStatus,
    pub force: bool,
    pub job_ids: Vec<String>,
}

named_enum!(
    SubmissionStatus {
        Submitted => "SUBMITTED", Running => "RUNNING", Completed => "COMPLETED", Failed => "FAILED",
        Canceled => "CANCELED", Blocked => "BLOCKED",
    }
);

/// A value about to be stored, with its fingerprint.
#[derive(Clone, Debug)]
pub struct NewValue {
    pub payload: Payload,
    pub fingerprint: String,
    /// Strings inside the value that may name files or folders (a list or dict
    /// of paths): the cache key covers the content of those that exist.
    pub paths: Vec<String>,
}

/// How a task ended, as its executor reports it.
pub enum TaskOutcome {
    /// One value per output, in the task's output order, already in the store.
    Completed(Vec<NewValue>),
    /// Completed, but the result must never be reused: `note` says why (the
    /// code that ran was not the code fingerprinted at submit time).
    CompletedNotReusable {
        values: Vec<NewValue>,
        note: String,
    },
    Failed {
        reason: String,
        stacktrace: Option<String>,
    },
    /// The user interrupted (Ctrl-C); the submission is cancelled.
    Interrupted,
}
