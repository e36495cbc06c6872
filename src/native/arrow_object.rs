//! One Arrow IPC file being written into the object store: batches in,
//! hashed as written, then moved into place under its hash.

use std::path::Path;
use std::sync::{Arc, Mutex};

use polars::prelude::*;

use super::{diagnose, Result, TaskError};
use crate::phases::{timed, Phase};
use crate::store::{HashedFile, ObjectStore};

/// The format tag of tables written by native tasks (Python reads them as polars):
/// uncompressed Arrow IPC, in batches. Against Parquet with LZ4 at 30M rows
/// (benches/results/intermediates.md): 2 s to write instead of 5 s, and tasks
/// 3 and 4 read it memory-mapped, in place (`StoredTable::for_each_block`).
pub const TABLE_FORMAT: &str = "arrow/polars";

pub struct ArrowObject {
    task: &'static str,
    writer: polars::io::ipc::BatchedWriter<SharedFile>,
    file: Arc<Mutex<HashedFile>>,
    pub rows: u64,
}

impl ArrowObject {
    /// A new file at `tmp` (a temporary path of the store) for batches of `schema`.
    pub fn create(task: &'static str, tmp: &Path, schema: &Schema) -> Result<ArrowObject> {
        let polars_err = |source| TaskError::Polars { task, source };
        let file = HashedFile::create(tmp).map_err(|e| polars_err(e.into()))?;
        let file = Arc::new(Mutex::new(file));
        let arrow_schema = schema.to_arrow(CompatLevel::newest());
        let fields = polars_arrow::io::ipc::write::default_ipc_fields(arrow_schema.iter_values());
        let writer = IpcWriter::new(SharedFile(file.clone())).batched(schema, fields).map_err(polars_err)?;
        Ok(ArrowObject { task, writer, file, rows: 0 })
    }

    pub fn write(&mut self, mut df: DataFrame) -> Result<()> {
        df.align_chunks();
        self.rows += df.height() as u64;
        timed(Phase::Encode, || self.writer.write_batch(&df))
            .map_err(|source| TaskError::Polars { task: self.task, source })
    }

    /// Ends the file: its blake3 hash (the file stays at its temporary path).
    pub fn finish(mut self) -> Result<String> {
        let task = self.task;
        let polars_err = |source| TaskError::Polars { task, source };
        timed(Phase::Encode, || self.writer.finish()).map_err(polars_err)?;
        drop(self.writer);
        let file = Arc::try_unwrap(self.file)
            .ok()
            .expect("the writer is gone")
            .into_inner()
            .unwrap_or_else(|p| p.into_inner());
        file.finish().map_err(|e| polars_err(e.into()))
    }
}

/// Moves a finished file into the store: (hash, size). A write that failed
/// for want of room or rights is a storage error naming the file.
pub fn store_written(
    store: &ObjectStore,
    task: &'static str,
    tmp: &Path,
    written: Result<String>,
) -> Result<(String, u64)> {
    let hash = written.map_err(|e| {
        let _ = std::fs::remove_file(tmp);
        match e {
            TaskError::Polars { source, .. } if diagnose::is_io_failure(&source) => {
                let message =
                    format!("cannot store its output table in {}: {}", tmp.display(), diagnose::clean(&source));
                TaskError::Storage { task, message }
            }
            other => other,
        }
    })?;
    store.ingest_synced(tmp, &hash).map_err(|e| TaskError::Storage { task, message: e.to_string() })
}

/// The IPC writer's handle on the file, which `finish` takes back once the
/// writer is done.
struct SharedFile(Arc<Mutex<HashedFile>>);

impl std::io::Write for SharedFile {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).write(bytes)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).flush()
    }
}
