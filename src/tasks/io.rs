//! Native tasks inside a submission: stored values in, stored values out.
//! Tables are scanned lazily from the object store and results streamed back
//! to it, so memory does not grow with the number of rows.

use std::path::Path;

use polars::prelude::*;

use super::{check_arity, diagnose, find, Keep, NativeInput, NativeTask, Result, TaskError};
use crate::fingerprint;
use crate::model::{Payload, VersionRecord};
use crate::orchestrator::TaskOutcome;
use crate::store::{NewValue, ObjectStore};

/// The format tag of tables written by native tasks (Python reads them as polars).
/// Parquet with LZ4. (Uncompressed Arrow IPC was measured too: scanning it with
/// polars 0.55 was slower, 9.7 s against 8.2 s for the median submit at 30M rows.)
pub const TABLE_FORMAT: &str = "parquet/polars";

pub(super) fn scan_csv(task: &'static str, path: &str) -> Result<LazyFrame> {
    let meta = std::fs::metadata(path)
        .map_err(|e| TaskError::InvalidData { task, message: format!("cannot read {path}: {e}") })?;
    if meta.len() == 0 {
        return Err(TaskError::InvalidData { task, message: format!("{path} is empty: it has no header row") });
    }
    LazyCsvReader::new(PlRefPath::new(path))
        .with_has_header(true)
        .with_infer_schema_length(Some(10_000))
        .finish()
        .map_err(|source| TaskError::Polars { task, source })
}

/// Makes `columns` of a scanned CSV numeric when the schema inference read them
/// as text: an error naming the file, line and value if one holds a non-number,
/// else a cast (a file with a header and no rows has text columns; pandas gives
/// it zero rows, and so does this).
pub(super) fn numeric_columns(
    task: &'static str,
    mut lf: LazyFrame,
    path: &str,
    columns: &[&str],
) -> Result<LazyFrame> {
    let schema = lf.collect_schema().map_err(|source| TaskError::Polars { task, source })?;
    for &name in columns {
        if !schema.get(name).is_some_and(|d| d.is_string()) {
            continue;
        }
        let not_a_number = col(name).is_not_null().and(col(name).cast(DataType::Float64).is_null());
        let bad = lf
            .clone()
            .select([col(name)])
            .filter(not_a_number)
            .first()
            .collect()
            .map_err(|source| TaskError::Polars { task, source })?;
        if bad.height() > 0 {
            let value = bad.column(name).ok().and_then(|c| c.str().ok()?.get(0).map(str::to_owned));
            return Err(diagnose::not_a_number(task, path, name, &value.unwrap_or_default(), 0));
        }
        lf = lf.with_column(col(name).cast(DataType::Float64));
    }
    Ok(lf)
}

/// A stored value as a native task's argument.
pub fn input_from_payload(store: &ObjectStore, task: &'static str, version: &VersionRecord) -> Result<NativeInput> {
    input_of(store, task, &version.payload, &version.data_node_id)
}

fn input_of(store: &ObjectStore, task: &'static str, payload: &Payload, data_node_id: &str) -> Result<NativeInput> {
    match payload {
        Payload::Inline { json } => serde_json::from_str(json)
            .map(NativeInput::Scalar)
            .map_err(|e| TaskError::InvalidData { task, message: format!("unreadable value of {data_node_id}: {e}") }),
        Payload::External { path, format } if format == "csv" => Ok(NativeInput::Scalar(path.clone().into())),
        Payload::External { path, format } if format == "parquet" => scan_parquet(task, Path::new(path)),
        // Arrow IPC: pandas frames written by Python tasks (scenarium._codec).
        Payload::Object { hash, format, .. } if format.starts_with("arrow/") => {
            let path = store.path_of(hash).map_err(|e| TaskError::InvalidData { task, message: e.to_string() })?;
            scan_arrow(task, &path)
        }
        Payload::Object { hash, format, .. } if format.starts_with("parquet/") => {
            let path = store.path_of(hash).map_err(|e| TaskError::InvalidData { task, message: e.to_string() })?;
            scan_parquet(task, &path)
        }
        Payload::Recipe { task: name, version, output, inputs } => {
            let maker = find(name)?;
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
                inputs.iter().map(|p| input_of(store, maker.name, p, data_node_id)).collect::<Result<_>>()?;
            let mut outputs = (maker.run)(&args)?;
            if *output >= outputs.len() {
                return Err(TaskError::InvalidData {
                    task,
                    message: format!("data node {data_node_id}: {name} has no output number {output}"),
                });
            }
            Ok(NativeInput::Frame(outputs.swap_remove(*output).frame))
        }
        Payload::Object { format, .. } | Payload::External { format, .. } => Err(TaskError::InvalidData {
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
    store: &ObjectStore,
    recipe: &Payload,
    data_node_id: &str,
) -> std::result::Result<(String, u64), String> {
    let Payload::Recipe { task, .. } = recipe else {
        return Err(format!("data node {data_node_id} holds no recipe"));
    };
    let maker = find(task).map_err(|e| e.to_string())?;
    let frame = match input_of(store, maker.name, recipe, data_node_id) {
        Ok(NativeInput::Frame(frame)) => frame,
        Ok(NativeInput::Scalar(_)) => unreachable!("a recipe's output is a table"),
        Err(e) => return Err(e.to_string()),
    };
    write_table(store, maker.name, frame, Keep::Large).map_err(|e| e.to_string())
}

fn scan_arrow(task: &'static str, path: &Path) -> Result<NativeInput> {
    let path = PlRefPath::new(path.to_string_lossy().as_ref());
    LazyFrame::scan_ipc(path, Default::default(), Default::default())
        .map(NativeInput::Frame)
        .map_err(|source| TaskError::Polars { task, source })
}

fn scan_parquet(task: &'static str, path: &Path) -> Result<NativeInput> {
    let path = PlRefPath::new(path.to_string_lossy().as_ref());
    LazyFrame::scan_parquet(path, ScanArgsParquet::default())
        .map(NativeInput::Frame)
        .map_err(|source| TaskError::Polars { task, source })
}

/// Runs native task `name` on stored inputs and stores its outputs.
pub fn execute(store: &ObjectStore, name: &str, inputs: &[VersionRecord]) -> TaskOutcome {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_stored(store, name, inputs))) {
        Ok(Ok(values)) => TaskOutcome::Completed(values),
        Ok(Err(e)) => TaskOutcome::Failed { reason: e.to_string(), stacktrace: None },
        Err(panic) => {
            let message = crate::error::panic_message(panic.as_ref());
            TaskOutcome::Failed { reason: format!("native task {name} panicked: {message}"), stacktrace: None }
        }
    }
}

fn run_stored(store: &ObjectStore, name: &str, inputs: &[VersionRecord]) -> std::result::Result<Vec<NewValue>, String> {
    let task = find(name).map_err(|e| e.to_string())?;
    check_arity(task, inputs.len()).map_err(|e| e.to_string())?;
    let args: Vec<NativeInput> = inputs
        .iter()
        .map(|v| input_from_payload(store, task.name, v))
        .collect::<Result<_>>()
        .map_err(|e| e.to_string())?;
    let outputs = (task.run)(&args).map_err(|e| diagnose::locate(e, &args).to_string())?;
    let recipe_possible = inputs.iter().all(|v| v.payload.is_immutable());
    let mut values = Vec::with_capacity(outputs.len());
    for (index, output) in outputs.into_iter().enumerate() {
        values.push(if output.keep == Keep::Recipe && recipe_possible {
            recipe_value(task, index, inputs)
        } else {
            let (hash, size) = write_table(store, task.name, output.frame, output.keep)
                .map_err(|e| diagnose::locate(e, &args).to_string())?;
            NewValue {
                payload: Payload::Object { hash: hash.clone(), format: TABLE_FORMAT.into(), size },
                fingerprint: hash,
            }
        });
    }
    Ok(values)
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
    }
}

/// LZ4 rather than polars' default zstd: intermediates are written once and read
/// a few times, soon after, so write speed matters more than size.
fn write_options() -> ParquetWriteOptions {
    ParquetWriteOptions { compression: ParquetCompression::Lz4Raw, ..Default::default() }
}

/// Writes a table into a temporary Parquet file and moves it into the store:
/// (hash, size). Small tables are collected first; others are streamed.
fn write_table(store: &ObjectStore, task: &'static str, frame: LazyFrame, keep: Keep) -> Result<(String, u64)> {
    let tmp = store.new_tmp_path(".parquet").map_err(|e| TaskError::Storage { task, message: e.to_string() })?;
    let written = if keep != Keep::Small {
        frame
            .sink(
                SinkDestination::File { target: SinkTarget::Path(PlRefPath::new(tmp.to_string_lossy().as_ref())) },
                FileWriteFormat::Parquet(Arc::new(write_options())),
                UnifiedSinkArgs::default(),
            )
            .and_then(|lf| lf.collect_with_engine(Engine::Streaming))
            .map(|_| ())
    } else {
        super::collect_streaming(frame).and_then(|mut df| {
            let file = std::fs::File::create(&tmp)?;
            ParquetWriter::new(file).with_compression(write_options().compression).finish(&mut df).map(|_| ())
        })
    };
    if let Err(source) = written {
        let _ = std::fs::remove_file(&tmp);
        if diagnose::is_io_failure(&source) {
            let message = format!("cannot store its output table in {}: {}", tmp.display(), diagnose::clean(&source));
            return Err(TaskError::Storage { task, message });
        }
        return Err(TaskError::Polars { task, source });
    }
    store.ingest(&tmp).map_err(|e| TaskError::Storage { task, message: e.to_string() })
}
