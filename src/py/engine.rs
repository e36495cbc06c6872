//! `Engine`: one storage folder, opened once per process and shared by every
//! entity. Each call that touches disk releases the GIL first, and the store's
//! registry lock is only ever taken while detached.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use pyo3::exceptions::PyKeyboardInterrupt;
use pyo3::prelude::*;

use super::json;
use super::objects;
use super::records::*;
use crate::config::{DataNodeConfig, ScenarioSpec};
use crate::fingerprint;
use crate::model;
use crate::orchestrator::{self, TaskExecutor, TaskOutcome};
use crate::store::{NewValue, Store};

use super::error::detached;

#[pyclass(module = "scenarium._core", frozen)]
pub struct Engine {
    store: Arc<Store>,
    /// Cancellation requests of submissions running (or about to run) in this process.
    cancels: Mutex<HashMap<String, Arc<orchestrator::Cancel>>>,
}

impl Engine {
    fn cancel_of(&self, submission_id: &str) -> Arc<orchestrator::Cancel> {
        let mut cancels = self.cancels.lock().unwrap_or_else(|e| e.into_inner());
        cancels.entry(submission_id.to_owned()).or_default().clone()
    }
}

#[pymethods]
impl Engine {
    /// Opens (creating if needed) the storage folder.
    #[new]
    fn new(py: Python<'_>, storage_folder: PathBuf) -> PyResult<Self> {
        let store = detached(py, || Store::open(&storage_folder))?;
        Ok(Engine { cancels: Mutex::default(), store: Arc::new(store) })
    }

    #[getter]
    fn storage_folder(&self) -> PathBuf {
        self.store.folder().to_owned()
    }

    /// The partition made before under memo key `identity`, if its object is still stored.
    fn part_made_from(&self, py: Python<'_>, identity: &str) -> Option<objects::PartTuple> {
        objects::part_made_from(py, &self.store.objects, identity)
    }

    /// Remembers that `part` was made under memo key `identity` (a hint: see `part_made_from`).
    fn remember_part(&self, py: Python<'_>, identity: &str, part: objects::PartTuple) -> PyResult<()> {
        objects::remember_part(py, &self.store.objects, identity, part)
    }

    /// A fresh temporary path inside the object store, for a value being written.
    #[pyo3(signature = (suffix = ""))]
    fn new_tmp_path(&self, suffix: &str) -> PyResult<PathBuf> {
        Ok(self.store.objects.new_tmp_path(suffix)?)
    }

    /// A file-like object that writes a value straight into the store (see
    /// `ObjectWriter`): polars' sinks write through it.
    #[pyo3(signature = (suffix = ""))]
    fn object_writer(&self, suffix: &str) -> PyResult<objects::ObjectWriter> {
        objects::ObjectWriter::create(&self.store.objects, suffix)
    }

    /// Where an object is; with `verify` (the default) its bytes are first
    /// checked against its name, once per process (StorageError if altered).
    #[pyo3(signature = (hash, verify = true))]
    fn object_path(&self, py: Python<'_>, hash: &str, verify: bool) -> PyResult<PathBuf> {
        if verify {
            return detached(py, || self.store.verified_object_path(hash));
        }
        Ok(self.store.objects.path_of(hash)?)
    }

    /// An object's bytes after checking them against its blake3 name; raises
    /// StorageError for a file changed since it was stored.
    fn read_object<'py>(&self, py: Python<'py>, hash: &str) -> PyResult<Bound<'py, pyo3::types::PyBytes>> {
        objects::read_object(py, &self.store.objects, hash)
    }

    /// Moves a finished temporary file into the object store. Its fingerprint
    /// is its content hash unless `fingerprint` says otherwise (for values
    /// whose bytes are not a stable description of them).
    #[pyo3(signature = (tmp_path, format, fingerprint = None))]
    fn store_file(
        &self,
        py: Python<'_>,
        tmp_path: PathBuf,
        format: String,
        fingerprint: Option<String>,
    ) -> PyResult<StoredValue> {
        objects::store_file(py, &self.store.objects, tmp_path, format, fingerprint)
    }

    /// Packs a finished temporary folder (a partitioned parquet dataset) into
    /// one object, fingerprinted by the content of its files.
    fn store_folder(&self, py: Python<'_>, folder: PathBuf, format: String) -> PyResult<StoredValue> {
        objects::store_folder(py, &self.store.objects, folder, format)
    }

    /// A read-only unpacked copy of a stored folder, checked against its fingerprint.
    fn folder_path(&self, py: Python<'_>, hash: &str, fingerprint: &str) -> PyResult<PathBuf> {
        detached(py, || self.store.verified_folder_path(hash, fingerprint))
    }

    /// Computes a stored recipe (kind "recipe") into an object and returns it
    /// as a stored Parquet table with the same fingerprint.
    fn materialize(&self, py: Python<'_>, stored: &StoredValue, data_node_id: &str) -> PyResult<StoredValue> {
        objects::materialize(py, &self.store.objects, stored, data_node_id)
    }

    /// A scalar stored inline, given as JSON text.
    fn store_inline(&self, json: String) -> StoredValue {
        objects::inline(json)
    }

    /// A value that lives only in this process's memory.
    fn store_memory(&self, token: String, fingerprint: String) -> StoredValue {
        objects::memory(token, &fingerprint)
    }

    #[pyo3(signature = (spec, defaults, name = None, creation_date = None))]
    fn create_scenario(
        &self,
        py: Python<'_>,
        spec: &Bound<'_, PyAny>,
        defaults: BTreeMap<String, PyRef<'_, StoredValue>>,
        name: Option<String>,
        creation_date: Option<f64>,
    ) -> PyResult<ScenarioRecord> {
        let spec = ScenarioSpec::from_value(json::from_python(spec, "the scenario configuration")?)?;
        let defaults: BTreeMap<String, NewValue> =
            defaults.iter().map(|(k, v)| (k.clone(), v.to_new_value())).collect();
        let store = self.store.clone();
        Ok(detached(py, move || store.create_scenario(&spec, name, creation_date, &defaults))?.into())
    }

    /// The GLOBAL data node of a data node config, created with `default` if new.
    #[pyo3(signature = (config, default = None))]
    fn create_global_data_node(
        &self,
        py: Python<'_>,
        config: &Bound<'_, PyAny>,
        default: Option<PyRef<'_, StoredValue>>,
    ) -> PyResult<DataNodeRecord> {
        let config: DataNodeConfig = serde_json::from_value(json::from_python(config, "the data node configuration")?)
            .map_err(|e| crate::error::Error::Config(format!("malformed data node configuration: {e}")))?;
        let default = default.map(|v| v.to_new_value());
        Ok(detached(py, || self.store.create_global_data_node(&config, default))?.into())
    }

    /// Brings a scenario to the given configuration when that only adds tasks
    /// or data nodes; raises ConfigVersionMismatch naming every other change.
    fn upgrade_scenario(
        &self,
        py: Python<'_>,
        id: &str,
        spec: &Bound<'_, PyAny>,
        defaults: BTreeMap<String, PyRef<'_, StoredValue>>,
    ) -> PyResult<ScenarioRecord> {
        let spec = ScenarioSpec::from_value(json::from_python(spec, "the scenario configuration")?)?;
        let defaults: BTreeMap<String, NewValue> =
            defaults.iter().map(|(k, v)| (k.clone(), v.to_new_value())).collect();
        Ok(detached(py, || self.store.upgrade_scenario(id, &spec, &defaults))?.into())
    }

    fn scenario(&self, py: Python<'_>, id: &str) -> PyResult<ScenarioRecord> {
        Ok(detached(py, || self.store.scenario(id))?.into())
    }

    fn scenarios(&self, py: Python<'_>) -> PyResult<Vec<ScenarioRecord>> {
        Ok(detached(py, || self.store.scenarios())?.into_iter().map(Into::into).collect())
    }

    /// The configuration a scenario was made from (its `config_version`).
    fn config_spec<'py>(&self, py: Python<'py>, version: &str) -> PyResult<Bound<'py, PyAny>> {
        let spec = detached(py, || self.store.config_spec(version))?;
        json::serialized_to_python(py, &spec)
    }

    /// Replaces a scenario's name, tags and primary flag.
    fn update_scenario(
        &self,
        py: Python<'_>,
        id: &str,
        name: Option<String>,
        tags: Vec<String>,
        is_primary: bool,
    ) -> PyResult<ScenarioRecord> {
        let record = detached(py, || {
            let mut record = self.store.scenario(id)?;
            record.name = name;
            record.tags = tags;
            record.is_primary = is_primary;
            self.store.update_scenario(&record)?;
            Ok(record)
        })?;
        Ok(record.into())
    }

    /// Deletes a finished job (any with `force`), taking it out of its submission.
    #[pyo3(signature = (id, force = false))]
    fn delete_job(&self, py: Python<'_>, id: &str, force: bool) -> PyResult<()> {
        detached(py, || self.store.delete_job(id, force))
    }

    /// Deletes a finished submission with its jobs (any with `force`).
    #[pyo3(signature = (id, force = false))]
    fn delete_submission(&self, py: Python<'_>, id: &str, force: bool) -> PyResult<()> {
        detached(py, || self.store.delete_submission(id, force))
    }

    /// (editor id, expiry) of a data node's edit lock, if one holds.
    fn edit_lock(&self, py: Python<'_>, data_node_id: &str) -> PyResult<Option<(Option<String>, f64)>> {
        detached(py, || self.store.edit_lock(data_node_id))
    }

    /// Locks a data node for an editor until `expires_at` (Unix time).
    #[pyo3(signature = (data_node_id, editor_id, expires_at))]
    fn lock_edit(&self, py: Python<'_>, data_node_id: &str, editor_id: Option<&str>, expires_at: f64) -> PyResult<()> {
        detached(py, || self.store.lock_edit(data_node_id, editor_id, expires_at))
    }

    /// Removes a data node's edit lock (that editor's, or any).
    #[pyo3(signature = (data_node_id, editor_id = None))]
    fn unlock_edit(&self, py: Python<'_>, data_node_id: &str, editor_id: Option<&str>) -> PyResult<()> {
        detached(py, || self.store.unlock_edit(data_node_id, editor_id))
    }

    /// The name a user gave a cycle, if any.
    fn cycle_name(&self, py: Python<'_>, id: &str) -> PyResult<Option<String>> {
        detached(py, || self.store.cycle_name(id))
    }

    /// Names a cycle (kept in the registry).
    fn set_cycle_name(&self, py: Python<'_>, id: &str, name: &str) -> PyResult<()> {
        detached(py, || self.store.set_cycle_name(id, name))
    }

    /// Replaces a scenario's sequences (name -> task config ids) and their properties.
    #[pyo3(signature = (id, sequences, properties = None))]
    fn set_sequences(
        &self,
        py: Python<'_>,
        id: &str,
        sequences: BTreeMap<String, Vec<String>>,
        properties: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<ScenarioRecord> {
        let properties = match properties {
            Some(p) => serde_json::from_value(json::from_python(p, "the sequences' properties")?)
                .map_err(|e| crate::error::Error::InvalidArgument(format!("sequence properties: {e}")))?,
            None => BTreeMap::new(),
        };
        Ok(detached(py, || self.store.set_sequences(id, sequences, properties))?.into())
    }

    /// A copy of a scenario: its own data nodes hold the latest values of the
    /// original's (the same objects, nothing copied on disk).
    #[pyo3(signature = (id, name = None))]
    fn duplicate_scenario(&self, py: Python<'_>, id: &str, name: Option<String>) -> PyResult<ScenarioRecord> {
        Ok(detached(py, || self.store.duplicate_scenario(id, name))?.into())
    }

    /// (version, config id, created at, number of scenarios) per configuration version.
    fn config_versions(&self, py: Python<'_>) -> PyResult<Vec<(String, String, f64, i64)>> {
        let versions = detached(py, || self.store.config_versions())?;
        Ok(versions.into_iter().map(|v| (v.version, v.config_id, v.created_at, v.scenarios)).collect())
    }

    /// "ok" when sound. SQLite's check of the registry and every referenced
    /// object present; with `full`, every stored object hashed again too, and
    /// what gc would clear counted.
    #[pyo3(signature = (full = false))]
    fn integrity_check(&self, py: Python<'_>, full: bool) -> PyResult<String> {
        if full {
            return detached(py, || self.store.integrity_check_full().map(|r| r.summary()));
        }
        detached(py, || self.store.integrity_check_quick())
    }

    /// Deletes unreferenced objects older than `grace_period_s`; returns
    /// (objects deleted, bytes freed, objects kept, cache entries dropped,
    /// temporary files deleted).
    #[pyo3(signature = (grace_period_s = 3600.0))]
    fn gc(&self, py: Python<'_>, grace_period_s: f64) -> PyResult<(u64, u64, u64, u64, u64)> {
        let grace = std::time::Duration::try_from_secs_f64(grace_period_s).map_err(|_| {
            pyo3::exceptions::PyValueError::new_err(format!(
                "grace_period must be a finite number of seconds >= 0, got {grace_period_s}"
            ))
        })?;
        let r = detached(py, || self.store.gc(grace))?;
        Ok((r.objects_deleted, r.bytes_freed, r.objects_kept, r.cache_entries_dropped, r.temporary_files_deleted))
    }

    fn delete_scenario(&self, py: Python<'_>, id: &str) -> PyResult<()> {
        detached(py, || self.store.delete_scenario(id))
    }

    fn data_node(&self, py: Python<'_>, id: &str) -> PyResult<DataNodeRecord> {
        Ok(detached(py, || self.store.data_node(id))?.into())
    }

    fn data_nodes(&self, py: Python<'_>) -> PyResult<Vec<DataNodeRecord>> {
        Ok(detached(py, || self.store.data_nodes())?.into_iter().map(Into::into).collect())
    }

    /// The latest version; for a file-backed node, after taking in an edit of its path.
    fn latest_version(&self, py: Python<'_>, data_node_id: &str) -> PyResult<Option<VersionRecord>> {
        let latest = detached(py, || {
            let node = self.store.data_node(data_node_id)?;
            self.store.sync_file_node(&node, true)
        })?;
        Ok(latest.map(Into::into))
    }

    fn version(&self, py: Python<'_>, data_node_id: &str, version: i64) -> PyResult<VersionRecord> {
        Ok(detached(py, || self.store.version(data_node_id, version))?.into())
    }

    fn versions(&self, py: Python<'_>, data_node_id: &str) -> PyResult<Vec<VersionRecord>> {
        let versions = detached(py, || {
            let node = self.store.data_node(data_node_id)?;
            self.store.sync_file_node(&node, true)?;
            self.store.versions(data_node_id)
        })?;
        Ok(versions.into_iter().map(Into::into).collect())
    }

    #[pyo3(signature = (data_node_id, value, writer = "user", comment = None, extra = None))]
    fn write_data_node(
        &self,
        py: Python<'_>,
        data_node_id: &str,
        value: PyRef<'_, StoredValue>,
        writer: &str,
        comment: Option<String>,
        extra: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<VersionRecord> {
        let value = value.to_new_value();
        let extra = match extra {
            Some(keys) => serde_json::from_value(json::from_python(keys, "the edit's keys")?)
                .map_err(|e| crate::error::Error::InvalidArgument(format!("edit keys must be a dict: {e}")))?,
            None => BTreeMap::new(),
        };
        Ok(detached(py, || self.store.write_data_node_edit(data_node_id, &value, writer, comment, extra))?.into())
    }

    fn task(&self, py: Python<'_>, id: &str) -> PyResult<TaskRecord> {
        Ok(detached(py, || self.store.task(id))?.into())
    }

    fn job(&self, py: Python<'_>, id: &str) -> PyResult<JobRecord> {
        Ok(detached(py, || self.store.job(id))?.into())
    }

    fn jobs(&self, py: Python<'_>) -> PyResult<Vec<JobRecord>> {
        Ok(detached(py, || self.store.jobs())?.into_iter().map(Into::into).collect())
    }

    fn submission(&self, py: Python<'_>, id: &str) -> PyResult<SubmissionRecord> {
        Ok(detached(py, || self.store.submission(id))?.into())
    }

    #[pyo3(signature = (entity_id = None))]
    fn submissions(&self, py: Python<'_>, entity_id: Option<&str>) -> PyResult<Vec<SubmissionRecord>> {
        Ok(detached(py, || self.store.submissions(entity_id))?.into_iter().map(Into::into).collect())
    }

    /// Records a submission of a scenario or task, with its jobs, ready to run.
    #[pyo3(signature = (entity_id, force = false))]
    fn create_submission(&self, py: Python<'_>, entity_id: &str, force: bool) -> PyResult<SubmissionRecord> {
        Ok(detached(py, || orchestrator::create_submission(&self.store, entity_id, force))?.into())
    }

    /// Runs a submission to its end on up to `workers` threads. `runner` runs
    /// Python task code (see `scenarium._runtime.TaskRunner`); `on_event` is
    /// called with each job state change. Ctrl-C (or a KeyboardInterrupt in a
    /// task) cancels what has not started, stops running native tasks at their
    /// next block, and is re-raised; `cancel_submission`
    /// from another thread cancels without raising.
    #[pyo3(signature = (submission_id, runner, on_event = None, workers = 1))]
    fn run_submission(
        &self,
        py: Python<'_>,
        submission_id: &str,
        runner: Py<PyAny>,
        on_event: Option<Py<PyAny>>,
        workers: usize,
    ) -> PyResult<SubmissionRecord> {
        let cancel = self.cancel_of(submission_id);
        let executor = PyExecutor::new(py, runner.clone_ref(py));
        let mut event_error: Option<PyErr> = None;
        let interrupt: Mutex<Option<PyErr>> = Mutex::new(None);
        let outcome = detached(py, || {
            let mut notify = |job: &model::JobRecord| {
                if let Some(callback) = &on_event {
                    Python::attach(|py| {
                        if let Err(e) = callback.call1(py, (JobRecord::from(job.clone()),)) {
                            // A Ctrl-C that lands while the callback runs is raised inside it:
                            // it stops the submission, not only the callback.
                            if e.is_instance_of::<PyKeyboardInterrupt>(py) {
                                interrupt.lock().unwrap_or_else(|p| p.into_inner()).get_or_insert(e);
                            } else {
                                event_error.get_or_insert(e);
                            }
                        }
                    });
                }
            };
            // Signals reach Python only on the main thread, which waits here.
            let mut interrupting = false;
            let mut should_stop = || {
                Python::attach(|py| {
                    let pending = || interrupt.lock().unwrap_or_else(|p| p.into_inner());
                    if pending().is_none() {
                        if let Err(e) = py.check_signals() {
                            pending().get_or_insert(e);
                        }
                    }
                    let stop = pending().is_some();
                    if stop && !interrupting {
                        // Python tasks running on worker threads get a KeyboardInterrupt too.
                        let _ = runner.call_method0(py, "interrupt_running");
                        interrupting = true;
                    }
                    interrupting
                })
            };
            let options = orchestrator::RunOptions { workers, cancel: &cancel };
            orchestrator::run_submission(&self.store, submission_id, &executor, &options, &mut notify, &mut should_stop)
        });
        self.cancels.lock().unwrap_or_else(|e| e.into_inner()).remove(submission_id);
        let record = outcome?;
        if let Some(e) = interrupt.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(e);
        }
        if let Some(e) = event_error {
            return Err(e);
        }
        if record.status == model::SubmissionStatus::Canceled && !cancel.requested() {
            return Err(PyKeyboardInterrupt::new_err(format!("submission {} was cancelled", record.id)));
        }
        Ok(record.into())
    }

    /// Asks a submission running in this process to start no more jobs; the
    /// jobs not started end CANCELED (or ABANDONED behind them).
    fn cancel_submission(&self, submission_id: &str) {
        self.cancel_of(submission_id).cancel_all();
    }

    /// Asks that one job of a submission in this process not start; its dependants end ABANDONED.
    fn cancel_job(&self, submission_id: &str, job_id: &str) {
        self.cancel_of(submission_id).cancel_job(job_id);
    }

    /// A dry run: (task config id, decision, reason) per task in run order,
    /// decision being "run", "skip", "may run" or "fail". Runs and writes nothing.
    #[pyo3(signature = (entity_id, runner, force = false))]
    fn plan(
        &self,
        py: Python<'_>,
        entity_id: &str,
        runner: Py<PyAny>,
        force: bool,
    ) -> PyResult<Vec<(String, String, String)>> {
        let executor = PyExecutor::new(py, runner);
        let planned = detached(py, || orchestrator::plan(&self.store, entity_id, force, &executor))?;
        Ok(planned.into_iter().map(|p| (p.task_config_id, p.decision.to_string(), p.reason)).collect())
    }

    /// Everything the cache key of task `task_id` is made of now, and what the
    /// next submit would do (``sc.why``). Runs and writes nothing.
    fn key_report<'py>(&self, py: Python<'py>, task_id: &str, runner: Py<PyAny>) -> PyResult<Bound<'py, PyAny>> {
        let executor = PyExecutor::new(py, runner);
        let report = detached(py, || orchestrator::key_report(&self.store, task_id, &executor))?;
        json::serialized_to_python(py, &report)
    }

    /// The blake3 content hash of the file at `path` (cached while `stat` shows it unchanged).
    fn file_fingerprint(&self, py: Python<'_>, path: PathBuf) -> PyResult<String> {
        detached(py, || self.store.file_fingerprint(&path))
    }

    /// A fingerprint of the folder at `path`: every file under it, by relative path and content.
    fn tree_fingerprint(&self, py: Python<'_>, path: PathBuf) -> PyResult<String> {
        detached(py, || self.store.tree_fingerprint(&path))
    }

    /// blake3 of bytes, as hex.
    #[staticmethod]
    fn blake3_hex(data: &[u8]) -> String {
        fingerprint::of_bytes(data)
    }

    fn __repr__(&self) -> String {
        format!("Engine(storage_folder={:?})", self.store.folder())
    }
}

struct PyExecutor {
    runner: Py<PyAny>,
    /// The runner sends native tasks to a cluster too (`TaskRunner.native_remote`).
    native_remote: bool,
}

impl PyExecutor {
    fn new(py: Python<'_>, runner: Py<PyAny>) -> Self {
        let native_remote = runner.getattr(py, "native_remote").and_then(|v| v.extract::<bool>(py)).unwrap_or(false);
        PyExecutor { runner, native_remote }
    }
}

impl TaskExecutor for PyExecutor {
    /// Native tasks run here, without touching Python, unless the runner sends
    /// jobs to a cluster, which then runs them on its workers.
    fn execute_native(
        &self,
        objects: &crate::store::ObjectStore,
        name: &str,
        task: &model::TaskRecord,
        inputs: &[model::VersionRecord],
        outputs: &[model::DataNodeRecord],
    ) -> TaskOutcome {
        if self.native_remote {
            self.execute(task, inputs, outputs)
        } else {
            crate::tasks::CATALOG.execute(objects, name, inputs)
        }
    }

    fn runs_native_here(&self) -> bool {
        !self.native_remote
    }

    fn worker_thread(&self, body: &mut (dyn FnMut() + Send)) {
        // Attached once, then detached: the thread keeps its Python thread
        // state, and each job's attach only takes the GIL.
        Python::attach(|py| py.detach(body));
    }

    fn code_identity(&self, task: &model::TaskRecord) -> std::result::Result<orchestrator::CodeParts, String> {
        Python::attach(|py| {
            self.runner
                .call_method1(py, "code_identity", (TaskRecord::from(task.clone()),))
                .and_then(|parts| parts.extract::<orchestrator::CodeParts>(py))
                .map_err(|e| e.to_string())
        })
    }

    fn identity_after_run(
        &self,
        task: &model::TaskRecord,
    ) -> std::result::Result<Option<orchestrator::CodeParts>, String> {
        Python::attach(|py| {
            self.runner
                .call_method1(py, "identity_after_run", (TaskRecord::from(task.clone()),))
                .and_then(|parts| parts.extract::<Option<orchestrator::CodeParts>>(py))
                .map_err(|e| format!("what the task touched could not be recorded: {e}"))
        })
    }

    fn execute(
        &self,
        task: &model::TaskRecord,
        inputs: &[model::VersionRecord],
        outputs: &[model::DataNodeRecord],
    ) -> TaskOutcome {
        Python::attach(|py| {
            let inputs: Vec<VersionRecord> = inputs.iter().cloned().map(Into::into).collect();
            let outputs: Vec<DataNodeRecord> = outputs.iter().cloned().map(Into::into).collect();
            let result = self.runner.call_method1(py, "execute", (TaskRecord::from(task.clone()), inputs, outputs));
            let result = match result {
                Ok(r) => r,
                Err(e) if e.is_instance_of::<PyKeyboardInterrupt>(py) => return TaskOutcome::Interrupted,
                Err(e) => {
                    return TaskOutcome::Failed { reason: format!("the task runner failed: {e}"), stacktrace: None }
                }
            };
            // (outputs, failure reason, traceback, why the result must not be reused)
            type RunnerResult = (Option<Vec<StoredValue>>, Option<String>, Option<String>, Option<String>);
            match result.extract::<RunnerResult>(py) {
                Ok((Some(values), _, _, note)) => {
                    let values = values.iter().map(StoredValue::to_new_value).collect();
                    match note {
                        Some(note) => TaskOutcome::CompletedNotReusable { values, note },
                        None => TaskOutcome::Completed(values),
                    }
                }
                Ok((None, reason, stacktrace, _)) => {
                    TaskOutcome::Failed { reason: reason.unwrap_or_else(|| "the task failed".into()), stacktrace }
                }
                Err(e) => TaskOutcome::Failed {
                    reason: format!("the task runner returned an unexpected value: {e}"),
                    stacktrace: None,
                },
            }
        })
    }
}
