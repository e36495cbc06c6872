//! Native tasks inside a submission: stored values in, stored values out.
//! Tables are scanned lazily from the object store and results streamed back
//! to it, so memory does not grow with the number of rows.

use std::path::Path;

use polars::prelude::*;

use super::{check_arity, find, NativeInput, NativeOutput, Result, TaskError};
use crate::model::{Payload, VersionRecord};
use crate::orchestrator::TaskOutcome;
use crate::store::{NewValue, Store};

/// The format tag of tables written by native tasks (Python reads them as polars).
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

/// A stored value as a native task's argument.
pub fn input_from_payload(store: &Store, task: &'static str, version: &VersionRecord) -> Result<NativeInput> {
    match &version.payload {
        Payload::Inline { json } => serde_json::from_str(json).map(NativeInput::Scalar).map_err(|e| {
            TaskError::InvalidData { task, message: format!("unreadable value of {}: {e}", version.data_node_id) }
        }),
        Payload::External { path, format } if format == "csv" => Ok(NativeInput::Scalar(path.clone().into())),
        Payload::External { path, format } if format == "parquet" => scan_parquet(task, Path::new(path)),
        Payload::Object { hash, format, .. } if format.starts_with("parquet/") => {
            scan_parquet(task, &store.objects.path_of(hash))
        }
        Payload::Object { format, .. } | Payload::External { format, .. } => Err(TaskError::InvalidData {
            task,
            message: format!(
                "data node {} holds a {format} value; native tasks take tables stored as Parquet or CSV, and scalars",
                version.data_node_id
            ),
        }),
        Payload::Memory { .. } => Err(TaskError::InvalidData {
            task,
            message: format!(
                "data node {} is in_memory: native tasks cannot read Python objects",
                version.data_node_id
            ),
        }),
    }
}

fn scan_parquet(task: &'static str, path: &Path) -> Result<NativeInput> {
    let path = PlRefPath::new(path.to_string_lossy().as_ref());
    LazyFrame::scan_parquet(path, ScanArgsParquet::default())
        .map(NativeInput::Frame)
        .map_err(|source| TaskError::Polars { task, source })
}

/// Runs native task `name` on stored inputs and stores its outputs.
pub fn execute(store: &Store, name: &str, inputs: &[VersionRecord]) -> TaskOutcome {
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| run_stored(store, name, inputs))) {
        Ok(Ok(values)) => TaskOutcome::Completed(values),
        Ok(Err(e)) => TaskOutcome::Failed { reason: e.to_string(), stacktrace: None },
        Err(panic) => {
            let message = crate::error::panic_message(panic.as_ref());
            TaskOutcome::Failed { reason: format!("native task {name} panicked: {message}"), stacktrace: None }
        }
    }
}

fn run_stored(store: &Store, name: &str, inputs: &[VersionRecord]) -> std::result::Result<Vec<NewValue>, String> {
    let task = find(name).map_err(|e| e.to_string())?;
    check_arity(task, inputs.len()).map_err(|e| e.to_string())?;
    let args: Vec<NativeInput> = inputs
        .iter()
        .map(|v| input_from_payload(store, task.name, v))
        .collect::<Result<_>>()
        .map_err(|e| e.to_string())?;
    let outputs = (task.run)(&args).map_err(|e| e.to_string())?;
    outputs.into_iter().map(|o| write_output(store, task.name, o)).collect()
}

/// LZ4 rather than polars' default zstd: intermediates are written once and read
/// a few times, soon after, so write speed matters more than size.
fn write_options() -> ParquetWriteOptions {
    ParquetWriteOptions { compression: ParquetCompression::Lz4Raw, ..Default::default() }
}

/// Streams a result into a temporary Parquet file and moves it into the store.
fn write_output(store: &Store, task: &'static str, output: NativeOutput) -> std::result::Result<NewValue, String> {
    let tmp = store.objects.new_tmp_path(".parquet");
    let written = if output.large {
        output
            .frame
            .sink(
                SinkDestination::File { target: SinkTarget::Path(PlRefPath::new(tmp.to_string_lossy().as_ref())) },
                FileWriteFormat::Parquet(Arc::new(write_options())),
                UnifiedSinkArgs::default(),
            )
            .and_then(|lf| lf.collect_with_engine(Engine::Streaming))
            .map(|_| ())
    } else {
        super::collect_streaming(output.frame).and_then(|mut df| {
            let file = std::fs::File::create(&tmp)?;
            ParquetWriter::new(file).with_compression(write_options().compression).finish(&mut df).map(|_| ())
        })
    };
    if let Err(source) = written {
        let _ = std::fs::remove_file(&tmp);
        return Err(TaskError::Polars { task, source }.to_string());
    }
    let (hash, size) = store.objects.ingest(&tmp).map_err(|e| e.to_string())?;
    Ok(NewValue {
        payload: Payload::Object { hash: hash.clone(), format: TABLE_FORMAT.into(), size },
        fingerprint: hash,
    })
}
