//! `ObjectStore`: the object store of a storage folder without its registry,
//! for processes that compute but do not record (Dask workers). `Engine`
//! answers the same calls through the same functions here.

use std::path::PathBuf;

use pyo3::prelude::*;

use super::error::detached;
use super::records::StoredValue;
use crate::fingerprint;
use crate::model::TaskOutcome;
use crate::model::{Payload, VersionRecord};
use crate::store::ObjectStore as Objects;

pub(super) fn read_object<'py>(
    py: Python<'py>,
    objects: &Objects,
    hash: &str,
) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
    let size = detached(py, || objects.stored_size(hash))?;
    // Read straight into the `bytes` object: the value is in memory once, and an
    // allocation that fails is an `OutOfMemory` naming the object, not a panic.
    let mut read = Ok(());
    let made = pyo3::types::PyBytes::new_with(py, size as usize, |buffer| {
        read = detached(py, || objects.read_verified_into(hash, buffer));
        Ok(())
    });
    match made {
        Ok(bytes) => read.map(|()| bytes),
        Err(e) if e.is_instance_of::<pyo3::exceptions::PyMemoryError>(py) => {
            Err(objects.out_of_memory(hash, size, "no memory left for it in Python").into())
        }
        Err(e) => Err(e),
    }
}

pub(super) fn store_file(
    py: Python<'_>,
    objects: &Objects,
    tmp_path: PathBuf,
    format: String,
    fingerprint: Option<String>,
) -> PyResult<StoredValue> {
    let (hash, size) = detached(py, move || objects.ingest(&tmp_path))?;
    let fp = fingerprint.unwrap_or_else(|| hash.clone());
    Ok(StoredValue::from_payload(&Payload::Object { hash, format, size }, &fp))
}

/// Packs a finished temporary folder (a partitioned parquet dataset) into one
/// object; its fingerprint is the folder's content, as `tree_fingerprint` reads it.
pub(super) fn store_folder(
    py: Python<'_>,
    objects: &Objects,
    folder: PathBuf,
    format: String,
) -> PyResult<StoredValue> {
    let stored = detached(py, move || objects.ingest_folder(&folder))?;
    let payload = Payload::Object { hash: stored.hash, format, size: stored.size };
    Ok(StoredValue::from_payload(&payload, &stored.fingerprint))
}

pub(super) fn materialize(
    py: Python<'_>,
    objects: &Objects,
    stored: &StoredValue,
    data_node_id: &str,
) -> PyResult<StoredValue> {
    let payload = stored.to_new_value().payload;
    let outcome = py.detach(|| {
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            crate::tasks::CATALOG.materialize(objects, &payload, data_node_id)
        }))
    });
    match outcome {
        Ok(Ok((hash, size))) => {
            let table = Payload::Object { hash, format: crate::native::TABLE_FORMAT.into(), size };
            Ok(StoredValue::from_payload(&table, &stored.fingerprint))
        }
        Ok(Err(message)) => Err(super::exceptions::TaskError::new_err(message)),
        Err(panic) => Err(super::error::panic_error(&format!(" while computing {data_node_id}"), panic.as_ref())),
    }
}

/// A partition as it crosses to Python: (name, object hash, size, rows; 0 when unknown).
pub(super) type PartTuple = (String, String, u64, u64);

/// A partitioned value made of stored objects, in order, each in `format`;
/// its fingerprint is the native tasks' (`fingerprint::of_parts`).
///
/// Example (Python): `_core.parts_value("parquet/polars", [("day=1", hash, size, rows)])`
#[pyfunction]
pub fn parts_value(format: String, parts: Vec<PartTuple>) -> StoredValue {
    let parts: Vec<crate::model::Part> =
        parts.into_iter().map(|(name, hash, size, rows)| crate::model::Part { name, hash, size, rows }).collect();
    let fingerprint = fingerprint::of_parts(parts.iter().map(|p| p.hash.as_str()));
    StoredValue::from_payload(&Payload::Parts { format, parts }, &fingerprint)
}

/// The memo key of one partition's run (`run/partitions.py`): a BLAKE3 of the
/// labelled fields, as `ObjectStore::part_made_from` takes it.
#[pyfunction]
pub fn partition_key(fields: Vec<(String, String)>) -> String {
    fingerprint::combine("scenarium python partition", fields.iter().map(|(l, v)| (l.as_str(), v.as_str())))
}

pub(super) fn part_made_from(py: Python<'_>, objects: &Objects, identity: &str) -> Option<PartTuple> {
    py.detach(|| objects.part_made_from(identity)).map(|p| (p.name, p.hash, p.size, p.rows))
}

pub(super) fn remember_part(py: Python<'_>, objects: &Objects, identity: &str, part: PartTuple) -> PyResult<()> {
    let (name, hash, size, rows) = part;
    detached(py, || objects.remember_part(identity, &crate::model::Part { name, hash, size, rows }))
}

pub(super) fn inline(json: String) -> StoredValue {
    let fp = fingerprint::combine("scenarium inline value", [("json", json.as_str())]);
    StoredValue::from_payload(&Payload::Inline { json }, &fp)
}

pub(super) fn memory(token: String, fingerprint: &str) -> StoredValue {
    crate::store::register_memory_value(&token);
    StoredValue::from_payload(&Payload::Memory { token }, fingerprint)
}

/// The objects of a storage folder, without its registry: what a worker on
/// another machine needs to read a job's inputs and store its outputs.
///
/// Example (Python): `ObjectStore(".scenarium").store_inline("42")`
#[pyclass(module = "scenarium._core", frozen)]
pub struct ObjectStore {
    objects: Objects,
    folder: PathBuf,
}

#[pymethods]
impl ObjectStore {
    #[new]
    fn new(py: Python<'_>, storage_folder: PathBuf) -> PyResult<Self> {
        let root = storage_folder.join("objects");
        let objects = detached(py, || Objects::open(root))?;
        Ok(ObjectStore { objects, folder: storage_folder })
    }

    #[getter]
    fn storage_folder(&self) -> PathBuf {
        self.folder.clone()
    }

    #[pyo3(signature = (suffix = ""))]
    fn new_tmp_path(&self, suffix: &str) -> PyResult<PathBuf> {
        Ok(self.objects.new_tmp_path(suffix)?)
    }

    #[pyo3(signature = (suffix = ""))]
    fn object_writer(&self, suffix: &str) -> PyResult<ObjectWriter> {
        ObjectWriter::create(&self.objects, suffix)
    }

    #[pyo3(signature = (hash, verify = true))]
    fn object_path(&self, py: Python<'_>, hash: &str, verify: bool) -> PyResult<PathBuf> {
        if verify {
            return detached(py, || self.objects.verified_path(hash));
        }
        Ok(self.objects.path_of(hash)?)
    }

    fn read_object<'py>(&self, py: Python<'py>, hash: &str) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
        read_object(py, &self.objects, hash)
    }

    #[pyo3(signature = (tmp_path, format, fingerprint = None))]
    fn store_file(
        &self,
        py: Python<'_>,
        tmp_path: PathBuf,
        format: String,
        fingerprint: Option<String>,
    ) -> PyResult<StoredValue> {
        store_file(py, &self.objects, tmp_path, format, fingerprint)
    }

    fn store_folder(&self, py: Python<'_>, folder: PathBuf, format: String) -> PyResult<StoredValue> {
        store_folder(py, &self.objects, folder, format)
    }

    fn folder_path(&self, py: Python<'_>, hash: &str, fingerprint: &str) -> PyResult<PathBuf> {
        detached(py, || self.objects.verified_folder_path_with(hash, fingerprint, fingerprint::of_file))
    }

    fn materialize(&self, py: Python<'_>, stored: &StoredValue, data_node_id: &str) -> PyResult<StoredValue> {
        materialize(py, &self.objects, stored, data_node_id)
    }

    fn store_inline(&self, json: String) -> StoredValue {
        inline(json)
    }

    fn store_memory(&self, token: String, fingerprint: String) -> StoredValue {
        memory(token, &fingerprint)
    }

    /// The partition made before under memo key `identity`, if its object is still here.
    fn part_made_from(&self, py: Python<'_>, identity: &str) -> Option<PartTuple> {
        part_made_from(py, &self.objects, identity)
    }

    /// Remembers that `part` was made under memo key `identity` (a hint: see `part_made_from`).
    fn remember_part(&self, py: Python<'_>, identity: &str, part: PartTuple) -> PyResult<()> {
        remember_part(py, &self.objects, identity, part)
    }

    /// Runs native task `name` on stored inputs, storing its outputs here:
    /// (outputs, None) or (None, why it failed). The GIL is released meanwhile.
    /// `partitioned`: the task's `partitioned=True` (its output stored as partitions);
    /// `stride` `(index, of)`: make and remember only every `of`-th partition from
    /// `index`, one of several such jobs side by side (the outputs are then not values
    /// to record: a job without `stride` follows and takes every partition made).
    #[pyo3(signature = (name, inputs, partitioned = false, stride = None))]
    fn run_native(
        &self,
        py: Python<'_>,
        name: &str,
        inputs: Vec<PyRef<'_, StoredValue>>,
        partitioned: bool,
        stride: Option<(usize, usize)>,
    ) -> (Option<Vec<StoredValue>>, Option<String>) {
        let versions: Vec<VersionRecord> = inputs
            .iter()
            .enumerate()
            .map(|(i, stored)| {
                let value = stored.to_new_value();
                VersionRecord {
                    data_node_id: format!("input {}", i + 1),
                    version: 0,
                    written_at: 0.0,
                    writer: "dask".into(),
                    comment: None,
                    fingerprint: value.fingerprint,
                    payload: value.payload,
                    paths: value.paths,
                    extra: Default::default(),
                }
            })
            .collect();
        let run = || crate::tasks::CATALOG.execute(&self.objects, name, &versions);
        let run = || crate::native::byte_ranges::with_stride(stride, run);
        match py.detach(|| crate::native::byte_ranges::with_partitions(partitioned, run)) {
            TaskOutcome::Completed(values) | TaskOutcome::CompletedNotReusable { values, .. } => {
                (Some(values.iter().map(|v| StoredValue::from_payload(&v.payload, &v.fingerprint)).collect()), None)
            }
            TaskOutcome::Failed { reason, .. } => (None, Some(reason)),
            TaskOutcome::Interrupted => (None, Some(format!("native task {name} was interrupted"))),
        }
    }
}

/// Starts the disk on a file another library is still writing (polars'
/// `sink_parquet`, pyarrow), so that storing it does not wait for all of it
/// at the end (`store::writeback`). A context manager; `stop()` ends it.
#[pyclass(module = "scenarium._core", frozen)]
pub struct WriteBack(std::sync::Mutex<Option<crate::store::writeback::Follower>>);

#[pymethods]
impl WriteBack {
    #[new]
    fn new(path: PathBuf) -> Self {
        WriteBack(std::sync::Mutex::new(Some(crate::store::writeback::Follower::start(path))))
    }

    /// Stops following the file (waits at most one poll, 20 ms, without the GIL).
    fn stop(&self, py: Python<'_>) -> PyResult<()> {
        let follower = self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
        detached(py, move || {
            drop(follower);
            Ok(())
        })
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        py: Python<'_>,
        _kind: Option<Py<PyAny>>,
        _value: Option<Py<PyAny>>,
        _traceback: Option<Py<PyAny>>,
    ) -> PyResult<bool> {
        self.stop(py)?;
        Ok(false)
    }
}

/// A value written into the object store through a file-like object, as
/// polars' `sink_parquet(writer)` writes: hashed as it is written (the bytes
/// pass here in order; there is no `seek`), sent to the disk as they come,
/// and stored by `store` without being read back (`store::HashedFile`).
#[pyclass(module = "scenarium._core", frozen)]
pub struct ObjectWriter {
    objects: Objects,
    path: PathBuf,
    file: std::sync::Mutex<Option<crate::store::HashedFile>>,
}

impl ObjectWriter {
    pub(super) fn create(objects: &Objects, suffix: &str) -> PyResult<ObjectWriter> {
        let path = objects.new_tmp_path(suffix)?;
        let file = crate::store::HashedFile::create(&path)
            .map_err(|e| crate::Error::storage(&path, format!("cannot create the value's file: {e}")))?;
        Ok(ObjectWriter { objects: objects.clone(), path, file: std::sync::Mutex::new(Some(file)) })
    }

    fn with_file<T: Send>(
        &self,
        py: Python<'_>,
        f: impl FnOnce(&mut crate::store::HashedFile) -> std::io::Result<T> + Send,
    ) -> PyResult<T> {
        detached(py, || {
            let mut file = self.file.lock().unwrap_or_else(|p| p.into_inner());
            let file =
                file.as_mut().ok_or_else(|| crate::Error::storage(&self.path, "the value was already stored"))?;
            f(file).map_err(|e| crate::Error::storage(&self.path, format!("cannot write the value: {e}")))
        })
    }
}

#[pymethods]
impl ObjectWriter {
    fn write(&self, py: Python<'_>, data: pyo3::pybacked::PyBackedBytes) -> PyResult<usize> {
        use std::io::Write;
        self.with_file(py, |file| file.write_all(&data).map(|()| data.len()))
    }

    fn flush(&self, py: Python<'_>) -> PyResult<()> {
        use std::io::Write;
        self.with_file(py, |file| file.flush())
    }

    /// Bytes written so far (where the next write lands).
    fn tell(&self, py: Python<'_>) -> PyResult<u64> {
        self.with_file(py, |file| Ok(file.written()))
    }

    fn writable(&self) -> bool {
        true
    }

    fn seekable(&self) -> bool {
        false
    }

    fn readable(&self) -> bool {
        false
    }

    /// Flushes the value to the disk and moves it into the store under its hash.
    fn store(&self, py: Python<'_>, format: String) -> PyResult<StoredValue> {
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner()).take();
        let file = file.ok_or_else(|| crate::Error::storage(&self.path, "the value was already stored"))?;
        let (hash, size) = detached(py, || {
            let stored = file
                .finish()
                .map_err(|e| crate::Error::storage(&self.path, format!("cannot flush the value to disk: {e}")))
                .and_then(|hash| self.objects.ingest_synced(&self.path, &hash));
            if stored.is_err() {
                let _ = std::fs::remove_file(&self.path); // never stored: nothing to keep
            }
            stored
        })?;
        Ok(StoredValue::from_payload(&Payload::Object { hash: hash.clone(), format, size }, &hash))
    }

    /// Drops an unstored value (its temporary file goes).
    fn discard(&self, py: Python<'_>) -> PyResult<()> {
        let file = self.file.lock().unwrap_or_else(|p| p.into_inner()).take();
        detached(py, move || {
            drop(file);
            Ok(())
        })
    }
}
