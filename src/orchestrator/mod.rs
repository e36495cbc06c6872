//! Submissions: resolve the DAG, decide skip or run for each job, run it
//! through a [`TaskExecutor`], and record every state change.
//!
//! Jobs run as a DAG on up to `workers` threads (`schedule.rs`); the executor
//! decides how a Python task's code runs, native tasks run here.

mod decide;
mod parts_note;
mod schedule;

pub use decide::{
    access_descriptor, binding_labels, cache_key, code_changes, code_digest, read_descriptor, CodeIdentity, CodeParts,
    InputState,
};
use decide::{changed_while_running, decide, input_states, Decision, KeyBase};
pub use schedule::{run_submission, Cancel, RunOptions};

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::config::FunctionRef;
use crate::error::{Error, Result};
use crate::graph::{TaskGraph, TaskNode};
use crate::model::{
    new_id, now, DataNodeRecord, JobRecord, JobStatus, SubmissionRecord, SubmissionStatus, TaskRecord, VersionRecord,
};
use crate::store::{CacheEntry, CacheShape, ObjectStore, Store};
use crate::tasks;

pub use crate::model::TaskOutcome;

/// Runs Python task code (native tasks the orchestrator runs itself).
/// Implemented by the Python bindings and by tests.
pub trait TaskExecutor: Sync {
    /// The named parts of the task's code identity, or why its code cannot be found.
    fn code_identity(&self, task: &TaskRecord) -> std::result::Result<CodeParts, String>;

    fn execute(&self, task: &TaskRecord, inputs: &[VersionRecord], outputs: &[DataNodeRecord]) -> TaskOutcome;

    /// After a job of `task` completed: its code identity with what the run was
    /// seen to touch (functions it executed, files and environment variables it
    /// read) when that adds to the identity it was decided with, `Ok(None)` when
    /// the identity stands, or why the result must not be reused.
    fn identity_after_run(&self, task: &TaskRecord) -> std::result::Result<Option<CodeParts>, String> {
        let _ = task;
        Ok(None)
    }

    /// Runs native task `name`: here by default; an executor that sends jobs
    /// elsewhere (a Dask cluster) may send native ones too.
    fn execute_native(
        &self,
        objects: &ObjectStore,
        name: &str,
        task: &TaskRecord,
        inputs: &[VersionRecord],
        outputs: &[DataNodeRecord],
    ) -> TaskOutcome {
        let _ = (task, outputs);
        tasks::CATALOG.execute(objects, name, inputs)
    }

    /// Whether native tasks run in this process (where they can hash an
    /// input file as they read it, `crate::read_hashes`).
    fn runs_native_here(&self) -> bool {
        true
    }

    /// Runs a worker thread's whole life (`body`), e.g. inside one Python
    /// thread state so that each job does not create and destroy one.
    fn worker_thread(&self, body: &mut (dyn FnMut() + Send)) {
        body()
    }
}

/// The tasks a submission of `entity_id` (a scenario or a task) runs.
fn entity_tasks(store: &Store, entity_id: &str) -> Result<Vec<TaskRecord>> {
    if entity_id.starts_with("TASK_") {
        return Ok(vec![store.task(entity_id)?]);
    }
    if let Some((name, scenario_id)) = crate::model::parse_sequence_id(entity_id) {
        let scenario = store.scenario(scenario_id)?;
        let wanted = scenario.sequences.get(name).ok_or_else(|| Error::NonExistingEntity(entity_id.to_owned()))?;
        let ids = scenario.tasks.iter().filter(|(cfg, _)| wanted.contains(cfg));
        return ids.map(|(_, id)| store.task(id)).collect();
    }
    let scenario = store.scenario(entity_id)?;
    scenario.tasks.iter().map(|(_, id)| store.task(id)).collect()
}

fn task_graph(tasks: &[TaskRecord]) -> Result<TaskGraph> {
    TaskGraph::new(
        tasks
            .iter()
            .map(|t| TaskNode {
                id: t.id.clone(),
                inputs: t.inputs.iter().map(|i| i.data_node.clone()).collect(),
                outputs: t.outputs.clone(),
            })
            .collect(),
    )
}

/// Records a new submission with one SUBMITTED job per task, in run order.
pub fn create_submission(store: &Store, entity_id: &str, force: bool) -> Result<SubmissionRecord> {
    let tasks = entity_tasks(store, entity_id)?;
    let graph = task_graph(&tasks)?;
    let submission_id = new_id("SUBMISSION", entity_id.split('_').nth(1).unwrap_or("entity"));
    let created_at = now();
    let jobs: Vec<JobRecord> = graph
        .order()
        .iter()
        .map(|&i| {
            let task = &tasks[i];
            JobRecord {
                id: new_id("JOB", &task.config_id),
                submission_id: submission_id.clone(),
                task_id: task.id.clone(),
                task_config_id: task.config_id.clone(),
                status: if graph.upstream(i).is_empty() { JobStatus::Pending } else { JobStatus::Blocked },
                created_at,
                started_at: None,
                finished_at: None,
                cache_key: None,
                code_fingerprint: None,
                code_parts: None,
                inputs: Vec::new(),
                outputs: Vec::new(),
                reason: None,
                stacktrace: None,
            }
        })
        .collect();
    let submission = SubmissionRecord {
        id: submission_id,
        entity_id: entity_id.to_owned(),
        created_at,
        finished_at: None,
        status: SubmissionStatus::Submitted,
        force,
        job_ids: jobs.iter().map(|j| j.id.clone()).collect(),
    };
    store.insert_submission(&submission, &jobs)?;
    Ok(submission)
}

enum JobEnd {
    Done,
    Interrupted,
    /// Its output objects were collected before their versions were recorded
    /// (a gc with a grace period shorter than the job): nothing was recorded.
    /// Never returned by `run_job`, which runs such a job again.
    OutputsCollected(String),
}

/// How many times a job whose outputs a concurrent gc collected is run again.
const RUNS_AFTER_GC: usize = 2;

/// Finishes a job, records it and reports it.
/// Whether this task (this scenario's task) computed a reused result, or already
/// finished with it. A reused job ends SKIPPED, Taipy's word for "this task's outputs are
/// already up to date", when it is so or when its outputs already hold the result (a
/// duplicated scenario's). A result only another task computed (another scenario's, or a
/// task of the same code and inputs) is this task's first one: COMPLETED, as Taipy, which
/// would have run it, reports it; its reason names the job it came from
/// (`Job.reused_from`, README "When a task is skipped").
fn reused_here(store: &Store, task: &TaskRecord, key: &str, entry: &CacheEntry) -> Result<bool> {
    let computed_here = store.job(&entry.job_id).map(|origin| origin.task_id == task.id).unwrap_or(false);
    let finished_here = store.last_finished_job(&task.id)?.and_then(|last| last.cache_key).as_deref() == Some(key);
    Ok(computed_here || finished_here)
}

fn end_job(
    store: &Store,
    job: &mut JobRecord,
    status: JobStatus,
    reason: Option<String>,
    on_event: &mut dyn FnMut(&JobRecord),
) -> Result<()> {
    finish(job, status, reason);
    store.update_job(job)?;
    on_event(job);
    Ok(())
}

fn finish(job: &mut JobRecord, status: JobStatus, reason: Option<String>) {
    job.status = status;
    job.finished_at = Some(now());
    if reason.is_some() {
        job.reason = reason;
    }
}

fn interrupted(store: &Store, job: &mut JobRecord, on_event: &mut dyn FnMut(&JobRecord)) -> Result<JobEnd> {
    let reason = "interrupted by the user (KeyboardInterrupt)".to_string();
    end_job(store, job, JobStatus::Canceled, Some(reason), on_event)?;
    Ok(JobEnd::Interrupted)
}

/// Runs one job with the submission's `interrupt` flag on this thread
/// (crate::interrupt): native work stops part-way when it is set.
fn run_job(
    store: &Store,
    job: &mut JobRecord,
    task: &TaskRecord,
    force: bool,
    executor: &dyn TaskExecutor,
    interrupt: &Arc<AtomicBool>,
    on_event: &mut dyn FnMut(&JobRecord),
) -> Result<JobEnd> {
    let mut again = 0;
    loop {
        match run_job_once(store, job, task, force, executor, interrupt, on_event)? {
            JobEnd::OutputsCollected(reason) if again == RUNS_AFTER_GC => {
                end_job(store, job, JobStatus::Failed, Some(reason), on_event)?;
                return Ok(JobEnd::Done);
            }
            JobEnd::OutputsCollected(_) => again += 1,
            end => return Ok(end),
        }
    }
}

fn run_job_once(
    store: &Store,
    job: &mut JobRecord,
    task: &TaskRecord,
    force: bool,
    executor: &dyn TaskExecutor,
    interrupt: &Arc<AtomicBool>,
    on_event: &mut dyn FnMut(&JobRecord),
) -> Result<JobEnd> {
    // Fingerprinting a large input file takes a while: it stops on Ctrl-C too.
    // A native task run here can hash a large input file as it reads it.
    let hash_as_read = matches!(task.function, FunctionRef::Native { .. }) && executor.runs_native_here();
    let states = || input_states(store, task, true, hash_as_read);
    let mut inputs = match crate::interrupt::with(Some(interrupt.clone()), states)? {
        Ok(inputs) => inputs,
        Err(_) if interrupt.load(Ordering::SeqCst) => return interrupted(store, job, on_event),
        Err(problem) => {
            // An input never written blocks the job, as in Taipy; anything else fails it.
            let status = if problem.never_written { JobStatus::Blocked } else { JobStatus::Failed };
            end_job(store, job, status, Some(problem.reason), on_event)?;
            return Ok(JobEnd::Done);
        }
    };
    let code = match code_identity(task, executor) {
        Ok(code) => code,
        Err(reason) => {
            end_job(store, job, JobStatus::Failed, Some(reason), on_event)?;
            return Ok(JobEnd::Done);
        }
    };
    let outputs = output_records(store, task)?;
    // An output file edited by hand is kept as a version before anything replaces it.
    let file_outputs = outputs.iter().filter(|node| crate::store::file_node_path(node).is_some());
    if let Some(problem) = file_outputs.map(|node| store.sync_file_node(node, true)).find_map(|r| r.err()) {
        end_job(store, job, JobStatus::Failed, Some(problem.to_string()), on_event)?;
        return Ok(JobEnd::Done);
    }
    let key_base = KeyBase::new(task, &outputs);
    let mut wanted = None;
    if inputs.iter().any(InputState::waits_for_hash) {
        if force || !task.skippable || !store.may_cache_shape(&key_base.shape(&code.digest, &inputs))? {
            let paths = inputs.iter().filter_map(|i| i.hashed_as_read.as_ref()).map(|h| h.file.path.clone()).collect();
            wanted = Some(crate::read_hashes::Wanted::new(paths));
        } else {
            let hash = || inputs.iter_mut().try_for_each(|i| i.hash_now(store));
            if let Err(e) = crate::interrupt::with(Some(interrupt.clone()), hash) {
                if interrupt.load(Ordering::SeqCst) {
                    return interrupted(store, job, on_event);
                }
                end_job(store, job, JobStatus::Failed, Some(e.to_string()), on_event)?;
                return Ok(JobEnd::Done);
            }
        }
    }
    // With a file still to hash, this key matches nothing: `decide` says why the job runs.
    let key = key_base.key(&code.digest, &inputs);
    record_inputs(job, &inputs, &key);
    job.code_fingerprint = Some(code.digest.clone());
    job.code_parts = Some(code.parts.clone());

    match decide(store, task, &key, &code, &inputs, force)? {
        Decision::Skip(entry) => {
            let here = reused_here(store, task, &key, &entry)?;
            if let Some(linked) = store.skip_job(job, task, &entry)? {
                let status = if here || linked == 0 { JobStatus::Skipped } else { JobStatus::Completed };
                end_job(store, job, status, None, on_event)?;
                return Ok(JobEnd::Done);
            }
            job.reason = Some(format!("the cached outputs of {} were collected by gc meanwhile", entry.job_id));
        }
        Decision::Run(reason) => job.reason = Some(reason),
    }

    job.status = JobStatus::Running;
    job.started_at = Some(now());
    store.update_job(job)?;
    on_event(job);
    let versions: Vec<VersionRecord> = inputs.iter().map(|i| i.version.clone()).collect();
    // Every stored input is checked against its name before the task sees it
    // (once per process; the registry remembers files already hashed).
    let unverified =
        versions.iter().flat_map(|v| v.payload.object_hashes()).find_map(|hash| store.verified_object_path(hash).err());
    if let Some(problem) = unverified {
        end_job(store, job, JobStatus::Failed, Some(problem.to_string()), on_event)?;
        return Ok(JobEnd::Done);
    }
    let outcome = match &task.function {
        FunctionRef::Native { name, .. } => {
            let run = || executor.execute_native(&store.objects, name, task, &versions, &outputs);
            let parts = task.properties.get("partitioned") == Some(&serde_json::Value::Bool(true));
            let run = || crate::native::byte_ranges::with_partitions(parts, run);
            let run = || crate::read_hashes::with(wanted.clone(), run);
            match crate::interrupt::with(Some(interrupt.clone()), run) {
                done @ (TaskOutcome::Completed(_) | TaskOutcome::CompletedNotReusable { .. }) => done,
                // Whatever else a native task said once interrupted, it was interrupted.
                _ if interrupt.load(Ordering::SeqCst) => TaskOutcome::Interrupted,
                other => other,
            }
        }
        FunctionRef::Python { .. } => executor.execute(task, &versions, &outputs),
    };
    let (values, executor_note) = match outcome {
        TaskOutcome::Completed(values) => (values, None),
        TaskOutcome::CompletedNotReusable { values, note } => (values, Some(note)),
        TaskOutcome::Failed { reason, stacktrace } => {
            job.stacktrace = stacktrace;
            end_job(store, job, JobStatus::Failed, Some(reason), on_event)?;
            return Ok(JobEnd::Done);
        }
        TaskOutcome::Interrupted => return interrupted(store, job, on_event),
    };
    if values.len() != task.outputs.len() {
        let reason =
            format!("task {} produced {} values for its {} outputs", task.config_id, values.len(), task.outputs.len());
        end_job(store, job, JobStatus::Failed, Some(reason), on_event)?;
        return Ok(JobEnd::Done);
    }
    let mut notes: Vec<String> = executor_note.into_iter().collect();
    // What a Python task was seen to touch as it ran joins its identity: the
    // result is cached under the key that covers it.
    let mut code = code;
    let after =
        if matches!(task.function, FunctionRef::Python { .. }) { executor.identity_after_run(task) } else { Ok(None) };
    match after {
        Ok(Some(parts)) => {
            code = CodeIdentity::new(parts);
            job.code_fingerprint = Some(code.digest.clone());
            job.code_parts = Some(code.parts.clone());
        }
        Ok(None) => {}
        Err(note) => notes.push(note),
    }
    notes.extend(code.unencodable().map(|(label, why)| format!("{label}: {why}")));
    // A file the task read that changed while it ran: which content the result
    // comes from is unknown, so it is kept but never reused.
    let mut changed = match &wanted {
        Some(wanted) => hashed_as_read(store, task, &mut inputs, wanted)?,
        None => Vec::new(),
    };
    record_inputs(job, &inputs, &key_base.key(&code.digest, &inputs));
    changed.extend(changed_while_running(store, task, &inputs)?);
    if !changed.is_empty() {
        notes.push(format!("{} changed while the job ran", changed.join(", ")));
    }
    let names_files = inputs.iter().any(|i| !i.files.is_empty());
    let shape = names_files.then(|| key_base.shape(&code.digest, &inputs));
    let cache = notes.is_empty().then(|| match &shape {
        Some(shape) => CacheShape::WithFiles(shape),
        None => CacheShape::WithoutFiles,
    });
    if cache.is_none() {
        add_to_reason(job, format!("not reused later: {}", notes.join("; ")));
    }
    let parts = parts_note::parts_notes(store, &outputs, &values)?;
    if !parts.is_empty() {
        add_to_reason(job, parts.join("; "));
    }
    finish(job, JobStatus::Completed, None);
    match store.complete_job(job, task, &values, cache) {
        // An output object gone before its version was recorded (a gc with a grace
        // period shorter than the job collected it): nothing was recorded.
        Err(e @ crate::error::Error::Storage { .. }) => {
            job.outputs.clear();
            if e.to_string().contains("collected by gc") {
                return Ok(JobEnd::OutputsCollected(e.to_string()));
            }
            end_job(store, job, JobStatus::Failed, Some(e.to_string()), on_event)?;
        }
        done => {
            done?;
            // Best effort: a cache entry lost only costs a check later.
            let _ = store.remember_checked_objects(values.iter().flat_map(|v| v.payload.object_hashes()));
            on_event(job);
        }
    }
    Ok(JobEnd::Done)
}

/// `note` after what the job's reason says already.
fn add_to_reason(job: &mut JobRecord, note: String) {
    job.reason = Some(match job.reason.take() {
        Some(reason) => format!("{reason}; {note}"),
        None => note,
    });
}

/// The inputs and cache key a job records; no key while a file is still to hash.
fn record_inputs(job: &mut JobRecord, inputs: &[InputState], key: &str) {
    job.inputs =
        inputs.iter().map(|i| (i.version.data_node_id.clone(), i.version.version, i.fingerprint.clone())).collect();
    let complete = !inputs.iter().any(InputState::waits_for_hash);
    job.cache_key = complete.then(|| key.to_owned());
}

/// Sets the hashes of the files hashed as the job read them: the hash its
/// reader reported, which covers exactly the bytes it parsed, or else the
/// file's hash now. The inputs whose file changed since it was looked at.
fn hashed_as_read(
    store: &Store,
    task: &TaskRecord,
    inputs: &mut [InputState],
    wanted: &crate::read_hashes::Wanted,
) -> Result<Vec<String>> {
    let mut changed = Vec::new();
    for (binding, input) in task.inputs.iter().zip(inputs.iter_mut()) {
        let Some(hashed) = input.hashed_as_read.clone().filter(|_| input.waits_for_hash()) else { continue };
        let hash = match wanted.hash_of(&hashed.file.path) {
            Some(hash) => Ok(hash),
            None => crate::fingerprint::of_file(&hashed.file.path),
        };
        let unchanged = match &hash {
            Ok(hash) => store.remember_fingerprint(&hashed.file, hash).unwrap_or(false),
            Err(_) => false,
        };
        if !unchanged {
            let name = store.data_node(&binding.data_node)?.config_id;
            changed.push(format!("input {name:?}: {}", hashed.file.path.display()));
        }
        // A file gone since leaves its content unknown: no hash, never a match.
        input.set_file_hash(hash.unwrap_or_else(|e| format!("unreadable after the job: {e}")));
    }
    Ok(changed)
}

fn output_records(store: &Store, task: &TaskRecord) -> Result<Vec<DataNodeRecord>> {
    task.outputs.iter().map(|o| store.data_node(o)).collect()
}

/// A native task is identified by its name and the version this build has;
/// a Python callable by what the executor computes.
fn code_identity(task: &TaskRecord, executor: &dyn TaskExecutor) -> std::result::Result<CodeIdentity, String> {
    let parts = match &task.function {
        FunctionRef::Native { name, .. } => {
            let found = tasks::CATALOG.find(name).map_err(|e| e.to_string())?;
            CodeParts::from([(format!("native task {}", found.name), found.version.to_string())])
        }
        FunctionRef::Python { .. } => executor.code_identity(task)?,
    };
    Ok(CodeIdentity::new(parts))
}

/// (binding, data node config id, version, effective fingerprint, files and
/// folders it names with their fingerprints).
pub type KeyInput = (String, String, i64, String, Vec<(String, String)>);

/// Everything a task's cache key is made of right now, and what the next
/// submit would do with it (`sc.why(task)`): nothing is run or written.
#[derive(Clone, Debug, serde::Serialize)]
pub struct KeyReport {
    pub task_config_id: String,
    pub key: String,
    pub code_fingerprint: String,
    pub code: CodeParts,
    pub properties: std::collections::BTreeMap<String, serde_json::Value>,
    pub inputs: Vec<KeyInput>,
    /// How each output is stored: (data node config id, storage descriptor).
    pub outputs: Vec<(String, String)>,
    /// What the last finished job of this task had, when it differs.
    pub changed_since_last_job: Vec<String>,
    pub decision: String,
    pub reason: String,
}

pub fn key_report(store: &Store, task_id: &str, executor: &dyn TaskExecutor) -> Result<KeyReport> {
    let task = store.task(task_id)?;
    let inputs = match input_states(store, &task, false, false)? {
        Ok(inputs) => inputs,
        Err(problem) => {
            return Err(crate::error::Error::Config(format!("task {}: {}", task.config_id, problem.reason)))
        }
    };
    let code = code_identity(&task, executor).map_err(crate::error::Error::Config)?;
    let outputs = output_records(store, &task)?;
    let key = cache_key(&task, &code.digest, &inputs, &outputs);
    let previous = store.last_finished_job(&task.id)?;
    let mut changed = Vec::new();
    if let Some(previous) = &previous {
        if let Some(old) = &previous.code_parts {
            changed.extend(code_changes(old, &code.parts));
        } else if previous.code_fingerprint.as_deref() != Some(code.digest.as_str()) {
            changed.push("the task's code (recorded before code parts were kept)".into());
        }
    }
    let (decision, reason) = match decide(store, &task, &key, &code, &inputs, false)? {
        Decision::Skip(entry) => ("skip", format!("same code and inputs as {}", entry.job_id)),
        Decision::Run(reason) => ("run", reason),
    };
    let mut input_rows = Vec::new();
    for (label, state) in binding_labels(&task).into_iter().zip(&inputs) {
        let name = store.data_node(&state.version.data_node_id)?.config_id;
        input_rows.push((label, name, state.version.version, state.fingerprint.clone(), state.files.clone()));
    }
    Ok(KeyReport {
        task_config_id: task.config_id.clone(),
        key,
        code_fingerprint: code.digest.clone(),
        code: code.parts,
        properties: task.properties.clone(),
        inputs: input_rows,
        outputs: outputs.iter().map(|o| (o.config_id.clone(), access_descriptor(o))).collect(),
        changed_since_last_job: changed,
        decision: decision.into(),
        reason,
    })
}

/// What a submission would do, without running or writing anything.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PlannedJob {
    pub task_config_id: String,
    /// "run", "skip", "may run" (after an upstream task that will run) or "fail".
    pub decision: &'static str,
    pub reason: String,
}

/// A dry run: for each task of `entity_id`, in run order, whether it would run and why.
pub fn plan(store: &Store, entity_id: &str, force: bool, executor: &dyn TaskExecutor) -> Result<Vec<PlannedJob>> {
    let tasks = entity_tasks(store, entity_id)?;
    let graph = task_graph(&tasks)?;
    let mut planned: Vec<Option<PlannedJob>> = vec![None; tasks.len()];
    for &i in graph.order() {
        let task = &tasks[i];
        let busy_upstream: Vec<&str> = graph
            .upstream(i)
            .iter()
            .filter(|&&u| planned[u].as_ref().is_some_and(|p| p.decision != "skip"))
            .map(|&u| tasks[u].config_id.as_str())
            .collect();
        let (decision, reason) = if !busy_upstream.is_empty() {
            let reason = format!(
                "depends on {}, which will run: skipped only if its outputs come out unchanged",
                busy_upstream.join(", ")
            );
            ("may run", reason)
        } else {
            match (input_states(store, task, false, false)?.map_err(|p| p.reason), code_identity(task, executor)) {
                (Err(reason), _) | (_, Err(reason)) => ("fail", reason),
                (Ok(inputs), Ok(code)) => {
                    let outputs = output_records(store, task)?;
                    let key = cache_key(task, &code.digest, &inputs, &outputs);
                    match decide(store, task, &key, &code, &inputs, force)? {
                        Decision::Skip(entry) => ("skip", format!("same code and inputs as {}", entry.job_id)),
                        Decision::Run(reason) => ("run", reason),
                    }
                }
            }
        };
        planned[i] = Some(PlannedJob { task_config_id: task.config_id.clone(), decision, reason });
    }
    Ok(graph.order().iter().filter_map(|&i| planned[i].take()).collect())
}

#[cfg(test)]
mod hash_as_read_tests;
#[cfg(test)]
mod recorded_tests;
#[cfg(test)]
mod schedule_tests;
#[cfg(test)]
mod tests;
