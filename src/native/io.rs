//! Native tasks inside a submission: stored values in, stored values out.
//! Tables are scanned lazily from the object store and results streamed back
//! to it, so memory does not grow with the number of rows.

use std::path::Path;

use polars::prelude::*;

use super::arrow_object::{store_written, ArrowObject, TABLE_FORMAT};
use super::parts::write_parts;
use super::{check_arity, diagnose, Catalog, Keep, NativeInput, NativeTask, Result, Table, TaskError};
use crate::fingerprint;
use crate::model::TaskOutcome;
use crate::model::{Payload, VersionRecord};
use crate::store::{NewValue, ObjectStore};

/// A CSV file that exists and has at least a header.
pub fn check_csv(task: &'static str, path: &str) -> Result<()> {
    let meta = std::fs::metadata(path)
        .map_err(|e| TaskError::InvalidData { task, message: format!("cannot read {path}: {e}") })?;
    if meta.len() == 0 {
        return Err(TaskError::InvalidData { task, message: format!("{path} is empty: it has no header row") });
    }
    Ok(())
}

impl Catalog {
    /// A stored value as a native task's argument.
    pub fn input_from_payload(
        &self,
        store: &ObjectStore,
        task: &'static str,
        version: &VersionRecord,
    ) -> Result<NativeInput> {
        self.input_of(store, task, &version.payload, &version.data_node_id)
    }

    fn input_of(
        &self,
        store: &ObjectStore,
        task: &'static str,
        payload: &Payload,
        data_node_id: &str,
    ) -> Result<NativeInput> {
        match payload {
            Payload::Inline { json } => serde_json::from_str(json)
                .map(NativeInput::Scalar)
                .map_err(|e| TaskError::InvalidData { task, message: format!("unreadable value of {data_node_id}: {e}") }),
            Payload::External { path, format } if format == "csv" => Ok(NativeInput::Scalar(path.clone().into())),
            Payload::External { path, format } if format == "parquet" => scan_parquet(task, Path::new(path)),
            // A csv data node's file, as stored for this version.
            Payload::Object { hash, format, .. } if format.starts_with("csv/") => {
                let path =
                    store.verified_path(hash).map_err(|e| TaskError::InvalidData { task, message: e.to_string() })?;
                Ok(NativeInput::Scalar(path.to_string_lossy().into_owned().into()))
            }
            Payload::Object { hash, format, .. } if format == TABLE_FORMAT => {
                let path =
                    store.verified_path(hash).map_err(|e| TaskError::InvalidData { task, message: e.to_string() })?;
                Ok(NativeInput::Table(Table::stored(path)))
            }
            Payload::Parts { format, parts } if format == TABLE_FORMAT => {
                let paths = parts
                    .iter()
                    .map(|p| store.verified_path(&p.hash))
                    .collect::<crate::error::Result<Vec<_>>>()
                    .map_err(|e| TaskError::InvalidData { task, message: e.to_string() })?;
                let hashes = parts.iter().map(|p| p.hash.clone()).collect();
                let parts = super::partials::StoredParts { store: store.clone(), hashes };
                Ok(NativeInput::Table(Table::stored_in_parts(paths, parts)))
            }
            // Arrow IPC: pandas frames written by Python tasks (scenarium._codec).
            Payload::Object { hash, format, .. } if format.starts_with("arrow/") => {
                let path =
                    store.verified_path(hash).map_err(|e| TaskError::InvalidData { task, message: e.to_string() })?;
                scan_arrow(task, &path)
            }
            Payload::Object { hash, format, .. } if format.starts_with("parquet/") => {
                let path =
                    store.verified_path(hash).map_err(|e| TaskError::InvalidData { task, message: e.to_string() })?;
                scan_parquet(task, &path)
            }
            Payload::Recipe { task: name, version, output, inputs } => {
                let maker = self.find(name)?;
                if maker.version != *version {
                    return Err(TaskError::InvalidData {
                        task,
                        message: format!(
                            "data node {data_node_id} was computed by version {version} of {name}, and this build has \
                             version {}: submit its scenario again to recompute it",
                            maker.version
                        ),
                    });
                }
                let args: Vec<NativeInput> =
                    inputs.iter().map(|p| self.input_of(store, maker.name, p, data_node_id)).collect::<Result<_>>()?;
                let mut outputs = (maker.run)(&args)?;
                if *output >= outputs.len() {
                    return Err(TaskError::InvalidData {
                        task,
                        message: format!("data node {data_node_id}: {name} has no output number {output}"),
                    });
                }
                Ok(NativeInput::Table(outputs.swap_remove(*output).table))
            }
            Payload::Object { format, .. } | Payload::External { format, .. } | Payload::Parts { format, .. } => Err(TaskError::InvalidData {
                task,
                message: format!(
                    "data node {data_node_id} holds a {format} value; native tasks take tables stored as Parquet or CSV, \
                     and scalars"
                ),
            }),
            Payload::Memory { .. } => Err(TaskError::InvalidData {
                task,
                message: format!("data node {data_node_id} is in_memory: native tasks cannot read Python objects"),
            }),
        }
    }

    /// Computes a recipe's table and stores it as an object: (hash, size).
    /// Objects are content-addressed, so materializing twice stores one copy.
    pub fn materialize(
        &self,
        store: &ObjectStore,
        recipe: &Payload,
        data_node_id: &str,
    ) -> std::result::Result<(String, u64), String> {
        let Payload::Recipe { task, .. } = recipe else {
            return Err(format!("data node {data_node_id} holds no recipe"));
        };
        let maker = self.find(task).map_err(|e| e.to_string())?;
        let table = match self.input_of(store, maker.name, recipe, data_node_id) {
            Ok(NativeInput::Table(table)) => table,
            Ok(NativeInput::Scalar(_)) => unreachable!("a recipe's output is a table"),
            Err(e) => return Err(e.to_string()),
        };
        write_table(store, maker.name, table, Keep::Large).map_err(|e| e.to_string())
    }

    /// Runs native task `name` on stored inputs and stores its outputs.
    pub fn execute(&self, store: &ObjectStore, name: &str, inputs: &[VersionRecord]) -> TaskOutcome {
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| self.run_stored(store, name, inputs))) {
            Ok(Ok(values)) => TaskOutcome::Completed(values),
            Ok(Err(e)) => TaskOutcome::Failed { reason: e.to_string(), stacktrace: None },
            Err(panic) => {
                let message = crate::error::panic_message(panic.as_ref());
                TaskOutcome::Failed { reason: format!("native task {name} panicked: {message}"), stacktrace: None }
            }
        }
    }

    fn run_stored(
        &self,
        store: &ObjectStore,
        name: &str,
        inputs: &[VersionRecord],
    ) -> std::result::Result<Vec<NewValue>, String> {
        let task = self.find(name).map_err(|e| e.to_string())?;
        check_arity(task, inputs.len()).map_err(|e| e.to_string())?;
        let started = std::time::Instant::now();
        let args: Vec<NativeInput> = inputs
            .iter()
            .map(|v| self.input_from_payload(store, task.name, v))
            .collect::<Result<_>>()
            .map_err(|e| e.to_string())?;
        let outputs = (task.run)(&args).map_err(|e| diagnose::locate(e, &args).to_string())?;
        let recipe_possible = inputs.iter().all(|v| v.payload.is_immutable());
        let mut values = Vec::with_capacity(outputs.len());
        for (index, output) in outputs.into_iter().enumerate() {
            let parted = match &output.table {
                Table::Produced(producer) if output.keep == Keep::Large => producer.parted(),
                _ => None,
            };
            values.push(if output.keep == Keep::Recipe && recipe_possible {
                recipe_value(task, index, inputs)
            } else if let Some(parted) = parted {
                let (payload, _) =
                    write_parts(store, task.name, parted).map_err(|e| diagnose::locate(e, &args).to_string())?;
                NewValue { fingerprint: fingerprint::of_parts(payload.object_hashes()), payload, paths: Vec::new() }
            } else {
                let (hash, size) = write_table(store, task.name, output.table, output.keep)
                    .map_err(|e| diagnose::locate(e, &args).to_string())?;
                NewValue {
                    payload: Payload::Object { hash: hash.clone(), format: TABLE_FORMAT.into(), size },
                    fingerprint: hash,
                    paths: Vec::new(),
                }
            });
        }
        crate::phases::report(task.name, started.elapsed());
        Ok(values)
    }
}

fn scan_arrow(task: &'static str, path: &Path) -> Result<NativeInput> {
    let path = PlRefPath::new(path.to_string_lossy().as_ref());
    LazyFrame::scan_ipc(path, Default::default(), Default::default())
        .map(|lf| NativeInput::Table(Table::Lazy(lf)))
        .map_err(|source| TaskError::Polars { task, source })
}

fn scan_parquet(task: &'static str, path: &Path) -> Result<NativeInput> {
    let path = PlRefPath::new(path.to_string_lossy().as_ref());
    LazyFrame::scan_parquet(path, ScanArgsParquet::default())
        .map(|lf| NativeInput::Table(Table::Lazy(lf)))
        .map_err(|source| TaskError::Polars { task, source })
}

/// A recipe is named by what it computes: the task, its version, which output
/// and the fingerprints of its inputs.
fn recipe_value(task: &NativeTask, output: usize, inputs: &[VersionRecord]) -> NewValue {
    let version = task.version.to_string();
    let output_label = output.to_string();
    let mut parts = vec![("task", task.name), ("version", version.as_str()), ("output", output_label.as_str())];
    parts.extend(inputs.iter().map(|v| ("input", v.fingerprint.as_str())));
    NewValue {
        fingerprint: fingerprint::combine("scenarium native recipe", parts),
        payload: Payload::Recipe {
            task: task.name.to_owned(),
            version: task.version,
            output,
            inputs: inputs.iter().map(|v| v.payload.clone()).collect(),
        },
        paths: Vec::new(),
    }
}

/// Writes a table into a temporary Arrow IPC file, hashing what it writes,
/// and moves it into the store: (hash, size). Small tables are collected
/// first; others are written batch by batch, never whole in memory.
fn write_table(store: &ObjectStore, task: &'static str, table: Table, keep: Keep) -> Result<(String, u64)> {
    let tmp = store.new_tmp_path(".arrow").map_err(|e| TaskError::Storage { task, message: e.to_string() })?;
    let written = if keep == Keep::Small {
        table
            .lazy()
            .and_then(super::collect_streaming)
            .map_err(|source| TaskError::Polars { task, source })
            .and_then(|df| write_batches(task, &Table::Lazy(df.lazy()), &tmp))
    } else {
        write_batches(task, &table, &tmp)
    };
    store_written(store, task, &tmp, written)
}

fn write_batches(task: &'static str, table: &Table, tmp: &Path) -> Result<String> {
    let state: std::sync::Mutex<Option<ArrowObject>> = Default::default();
    table.produce(
        task,
        &mut |schema| {
            // (Re)starts the file: a new file, a new hash. The old one goes
            // first (an unfinished HashedFile removes its path when dropped).
            drop(state.lock().unwrap_or_else(|p| p.into_inner()).take());
            *state.lock().unwrap_or_else(|p| p.into_inner()) = Some(ArrowObject::create(task, tmp, schema)?);
            Ok(())
        },
        &|df| {
            let mut state = state.lock().unwrap_or_else(|p| p.into_inner());
            state.as_mut().expect("started before the first batch").write(df)
        },
    )?;
    state.into_inner().unwrap_or_else(|p| p.into_inner()).expect("started").finish()
}
