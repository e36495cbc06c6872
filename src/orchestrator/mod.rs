//! Submissions: resolve the DAG, decide skip or run for each job, run it
//! through a [`TaskExecutor`], and record every state change.
//!
//! Jobs run one after another in topological order on the submitting thread;
//! the executor decides how a task's code runs (Python callable or native).

use crate::error::{Error, Result};
use crate::fingerprint;
use crate::graph::{TaskGraph, TaskNode};
use crate::model::{
    new_id, now, DataNodeRecord, JobRecord, JobStatus, Payload, SubmissionRecord, SubmissionStatus, TaskRecord,
    VersionRecord,
};
use crate::store::{NewValue, Store};

/// How a task ended, as its executor reports it.
pub enum TaskOutcome {
    /// One value per output, in the task's output order, already in the store.
    Completed(Vec<NewValue>),
    Failed {
        reason: String,
        stacktrace: Option<String>,
    },
    /// The user interrupted (Ctrl-C); the submission is cancelled.
    Interrupted,
}

/// Runs task code. Implemented by the Python bindings and by tests.
pub trait TaskExecutor {
    /// A fingerprint of the task's code, or why it cannot be found.
    fn code_fingerprint(&self, task: &TaskRecord) -> std::result::Result<String, String>;

    fn execute(&self, task: &TaskRecord, inputs: &[VersionRecord], outputs: &[DataNodeRecord]) -> TaskOutcome;
}

const CACHE_KEY_DOMAIN: &str = "scenarium 2026-11 job cache key v1";

/// The tasks a submission of `entity_id` (a scenario or a task) runs.
fn entity_tasks(store: &Store, entity_id: &str) -> Result<Vec<TaskRecord>> {
    if entity_id.starts_with("TASK_") {
        return Ok(vec![store.task(entity_id)?]);
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

/// Runs a created submission to its end. `on_event` sees every job state change.
pub fn run_submission(
    store: &Store,
    submission_id: &str,
    executor: &dyn TaskExecutor,
    on_event: &mut dyn FnMut(&JobRecord),
) -> Result<SubmissionRecord> {
    let mut submission = store.submission(submission_id)?;
    if submission.status != SubmissionStatus::Submitted {
        return Err(Error::InvalidArgument(format!(
            "submission {submission_id} has already run (status {})",
            submission.status.as_str()
        )));
    }
    let mut jobs: Vec<JobRecord> = submission.job_ids.iter().map(|id| store.job(id)).collect::<Result<_>>()?;
    let tasks: Vec<TaskRecord> = jobs.iter().map(|j| store.task(&j.task_id)).collect::<Result<_>>()?;
    let graph = task_graph(&tasks)?;
    submission.status = SubmissionStatus::Running;
    store.update_submission(&submission)?;

    let mut interrupted = false;
    for &i in graph.order() {
        let task = &tasks[i];
        if interrupted {
            let job = &mut jobs[i];
            end_job(store, job, JobStatus::Canceled, Some("the submission was interrupted".into()), on_event)?;
            continue;
        }
        let failed_upstream: Vec<&str> = graph
            .upstream(i)
            .iter()
            .filter(|&&u| !jobs[u].status.is_success())
            .map(|&u| tasks[u].config_id.as_str())
            .collect();
        let job = &mut jobs[i];
        if !failed_upstream.is_empty() {
            let reason = format!("abandoned because upstream task {} did not complete", failed_upstream.join(", "));
            end_job(store, job, JobStatus::Abandoned, Some(reason), on_event)?;
            continue;
        }
        match run_job(store, job, task, submission.force, executor, on_event)? {
            JobEnd::Interrupted => interrupted = true,
            JobEnd::Done => {}
        }
    }
    submission.status = if interrupted {
        SubmissionStatus::Canceled
    } else if jobs.iter().all(|j| j.status.is_success()) {
        SubmissionStatus::Completed
    } else {
        SubmissionStatus::Failed
    };
    submission.finished_at = Some(now());
    store.update_submission(&submission)?;
    Ok(submission)
}

enum JobEnd {
    Done,
    Interrupted,
}

/// Finishes a job, records it and reports it.
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

fn run_job(
    store: &Store,
    job: &mut JobRecord,
    task: &TaskRecord,
    force: bool,
    executor: &dyn TaskExecutor,
    on_event: &mut dyn FnMut(&JobRecord),
) -> Result<JobEnd> {
    let inputs = match input_versions(store, task)? {
        Ok(inputs) => inputs,
        Err(reason) => {
            end_job(store, job, JobStatus::Failed, Some(reason), on_event)?;
            return Ok(JobEnd::Done);
        }
    };
    let code = match executor.code_fingerprint(task) {
        Ok(code) => code,
        Err(reason) => {
            end_job(store, job, JobStatus::Failed, Some(reason), on_event)?;
            return Ok(JobEnd::Done);
        }
    };
    job.inputs = inputs.iter().map(|v| (v.data_node_id.clone(), v.version, v.fingerprint.clone())).collect();
    job.cache_key = Some(cache_key(task, &code, &inputs));
    job.code_fingerprint = Some(code);

    if task.skippable && !force {
        if let Some(entry) = reusable_entry(store, job, task)? {
            store.skip_job(job, task, &entry)?;
            end_job(store, job, JobStatus::Skipped, None, on_event)?;
            return Ok(JobEnd::Done);
        }
    }

    let outputs: Vec<DataNodeRecord> = task.outputs.iter().map(|o| store.data_node(o)).collect::<Result<_>>()?;
    job.status = JobStatus::Running;
    job.started_at = Some(now());
    store.update_job(job)?;
    on_event(job);
    match executor.execute(task, &inputs, &outputs) {
        TaskOutcome::Completed(values) if values.len() == task.outputs.len() => {
            finish(job, JobStatus::Completed, None);
            store.complete_job(job, task, &values, true)?;
            on_event(job);
        }
        TaskOutcome::Completed(values) => {
            let reason = format!(
                "task {} produced {} values for its {} outputs",
                task.config_id,
                values.len(),
                task.outputs.len()
            );
            end_job(store, job, JobStatus::Failed, Some(reason), on_event)?;
        }
        TaskOutcome::Failed { reason, stacktrace } => {
            job.stacktrace = stacktrace;
            end_job(store, job, JobStatus::Failed, Some(reason), on_event)?;
        }
        TaskOutcome::Interrupted => {
            let reason = "interrupted by the user (KeyboardInterrupt)".to_string();
            end_job(store, job, JobStatus::Canceled, Some(reason), on_event)?;
            return Ok(JobEnd::Interrupted);
        }
    }
    Ok(JobEnd::Done)
}

/// The latest version of each input, in binding order, or why the job cannot run.
fn input_versions(store: &Store, task: &TaskRecord) -> Result<std::result::Result<Vec<VersionRecord>, String>> {
    let mut inputs = Vec::with_capacity(task.inputs.len());
    for binding in &task.inputs {
        let Some(version) = store.latest_version(&binding.data_node)? else {
            let dn = store.data_node(&binding.data_node)?;
            return Ok(Err(Error::NoData(dn.config_id).to_string()));
        };
        match refresh_external(store, version) {
            Ok(version) => inputs.push(version),
            Err(e) => return Ok(Err(e.to_string())),
        }
    }
    Ok(Ok(inputs))
}

/// A file-backed data node's file may have changed since it was recorded: if
/// so, record its current content as a new version, so the job reads (and is
/// fingerprinted by) what is on disk now.
fn refresh_external(store: &Store, version: VersionRecord) -> Result<VersionRecord> {
    let Payload::External { path, .. } = &version.payload else {
        return Ok(version);
    };
    let current = fingerprint::of_file(std::path::Path::new(path))?;
    if current == version.fingerprint {
        return Ok(version);
    }
    let value = NewValue { payload: version.payload.clone(), fingerprint: current };
    store.write_data_node(&version.data_node_id, &value, "file", Some(format!("{path} changed on disk")))
}

/// blake3 over the task's code, its declared properties and its inputs'
/// fingerprints in binding order (with parameter names for named bindings).
pub fn cache_key(task: &TaskRecord, code: &str, inputs: &[VersionRecord]) -> String {
    let properties = serde_json::to_string(&task.properties).unwrap_or_default();
    let outputs = task.outputs.len().to_string();
    let labels: Vec<String> =
        task.inputs.iter().enumerate().map(|(i, b)| b.param.clone().unwrap_or_else(|| format!("#{i}"))).collect();
    let mut parts: Vec<(&str, &str)> = vec![("code", code), ("properties", &properties), ("outputs", &outputs)];
    parts.extend(labels.iter().map(String::as_str).zip(inputs.iter().map(|v| v.fingerprint.as_str())));
    fingerprint::combine(CACHE_KEY_DOMAIN, parts)
}

/// A cache entry for this job's key whose outputs are all still there and
/// still inside their data nodes' validity periods.
fn reusable_entry(store: &Store, job: &JobRecord, task: &TaskRecord) -> Result<Option<crate::store::CacheEntry>> {
    let Some(key) = &job.cache_key else {
        return Ok(None);
    };
    let Some(entry) = store.cache_entry(key)? else {
        return Ok(None);
    };
    if entry.outputs.len() != task.outputs.len() || !entry.outputs.iter().all(|(_, p)| store.payload_present(p)) {
        return Ok(None);
    }
    let age = now() - entry.created_at;
    for dn in &task.outputs {
        if let Some(period) = store.data_node(dn)?.validity_period_s {
            if age > period {
                return Ok(None);
            }
        }
    }
    Ok(Some(entry))
}

#[cfg(test)]
mod tests;
