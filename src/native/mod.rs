//! The framework of native tasks: Rust functions over tables that the
//! orchestrator runs without Python (and without the GIL). The tasks
//! themselves are in `src/tasks/`, one folder each, listed in its
//! [`Catalog`]; see ARCHITECTURE.md, "Adding a native task".
//!
//! A task's `version` is its code identity for the skip rule: bump it
//! whenever its results change.

mod arrow_object;
pub mod byte_ranges;
pub mod diagnose;
mod io;
pub mod partials;
mod parts;
mod table;

use polars::prelude::*;

pub use arrow_object::TABLE_FORMAT;
pub use io::check_csv;
pub use parts::{write_parts, PartsMade};
pub use table::{PartPlan, PartedProducer, StoredTable, Table, TableProducer};

pub type Result<T, E = TaskError> = std::result::Result<T, E>;

/// What went wrong in a native task; every message names the task.
#[derive(Debug, thiserror::Error)]
pub enum TaskError {
    #[error("{task}: parameter {param:?} is {value}; expected {expected}")]
    InvalidParameter { task: &'static str, param: &'static str, value: String, expected: String },

    #[error("{task}: interrupted")]
    Interrupted { task: &'static str },
    #[error("{task}: {message}")]
    InvalidData { task: &'static str, message: String },

    #[error("{task}: {message}; its earlier versions are untouched")]
    Storage { task: &'static str, message: String },

    #[error("{}: {}", .task, diagnose::clean(.source))]
    Polars {
        task: &'static str,
        #[source]
        source: PolarsError,
    },

    #[error("unknown native task {0:?}")]
    Unknown(String),
}

/// An argument of a native task.
#[derive(Clone)]
#[allow(clippy::large_enum_variant)] // a task takes a handful of these: boxing buys nothing
pub enum NativeInput {
    /// A scalar: a number, a string (maybe a path), a bool or null.
    Scalar(serde_json::Value),
    /// A table, read from the object store or given in memory.
    Table(Table),
}

impl NativeInput {
    /// A string scalar, or an error naming the task and parameter.
    pub fn as_str(&self, task: &'static str, param: &'static str) -> Result<&str> {
        match self {
            NativeInput::Scalar(serde_json::Value::String(s)) => Ok(s),
            other => {
                Err(TaskError::InvalidParameter { task, param, value: other.describe(), expected: "a string".into() })
            }
        }
    }

    pub fn as_f64(&self, task: &'static str, param: &'static str) -> Result<f64> {
        match self {
            NativeInput::Scalar(serde_json::Value::Number(n)) => {
                n.as_f64().ok_or_else(|| unreachable_number(task, param))
            }
            other => {
                Err(TaskError::InvalidParameter { task, param, value: other.describe(), expected: "a number".into() })
            }
        }
    }

    pub fn table(&self, task: &'static str, param: &'static str) -> Result<Table> {
        match self {
            NativeInput::Table(table) => Ok(table.clone()),
            other => {
                Err(TaskError::InvalidParameter { task, param, value: other.describe(), expected: "a table".into() })
            }
        }
    }

    fn describe(&self) -> String {
        match self {
            NativeInput::Scalar(v) => v.to_string(),
            NativeInput::Table(_) => "a table".into(),
        }
    }
}

fn unreachable_number(task: &'static str, param: &'static str) -> TaskError {
    TaskError::InvalidParameter {
        task,
        param,
        value: "a number out of range".into(),
        expected: "a finite number".into(),
    }
}

/// A task's result and how to keep it.
pub struct NativeOutput {
    pub table: Table,
    pub keep: Keep,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keep {
    /// A small table: collected, then written.
    Small,
    /// A table that may be larger than memory: streamed to disk, never collected.
    Large,
    /// A large table that is cheaper to recompute than to write (a few
    /// columns computed row by row from its inputs): stored as a recipe when
    /// its inputs cannot change, streamed to disk otherwise.
    Recipe,
}

pub type TaskFn = fn(&[NativeInput]) -> Result<Vec<NativeOutput>>;

pub struct NativeTask {
    /// Full name, e.g. "customer_analysis.preprocess_and_score".
    pub name: &'static str,
    pub version: u32,
    pub params: &'static [&'static str],
    pub outputs: usize,
    /// Whether, configured `partitioned=True`, it stores its output as
    /// partitions of its input file and makes only those whose bytes changed.
    pub partitions: bool,
    pub run: TaskFn,
}

/// The native tasks a build knows, by name: what the orchestrator runs, and
/// what a stored recipe is recomputed with.
pub struct Catalog {
    pub tasks: &'static [NativeTask],
}

impl Catalog {
    pub fn find(&self, name: &str) -> Result<&'static NativeTask> {
        self.tasks.iter().find(|t| t.name == name).ok_or_else(|| TaskError::Unknown(name.to_owned()))
    }

    /// Runs a task on in-memory inputs and collects every output (for direct
    /// calls from a notebook).
    pub fn call(&self, name: &str, inputs: &[NativeInput]) -> Result<Vec<DataFrame>> {
        let task = self.find(name)?;
        check_arity(task, inputs.len())?;
        let outputs = (task.run)(inputs).map_err(|e| diagnose::locate(e, inputs))?;
        outputs.into_iter().map(|o| o.table.collect(task.name).map_err(|e| diagnose::locate(e, inputs))).collect()
    }
}

/// Runs a query on the streaming engine and returns its table. (Only a plan
/// with several sinks gives several tables, and these plans have none.)
pub fn collect_streaming(lf: LazyFrame) -> PolarsResult<DataFrame> {
    Ok(lf.collect_with_engine(Engine::Streaming)?.unwrap_single())
}

pub fn check_arity(task: &NativeTask, given: usize) -> Result<()> {
    if given != task.params.len() {
        return Err(TaskError::InvalidData {
            task: task.name,
            message: format!("takes {} inputs ({}), got {given}", task.params.len(), task.params.join(", ")),
        });
    }
    Ok(())
}

/// An error if the user interrupted the submission this work is for.
pub fn stop_if_interrupted(task: &'static str) -> Result<()> {
    if crate::interrupt::requested() {
        return Err(TaskError::Interrupted { task });
    }
    Ok(())
}
