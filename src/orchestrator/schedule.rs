//! Runs a submission's jobs as a DAG: a job is ready when every upstream job
//! has completed or been skipped, and up to `workers` ready jobs run at once.
//!
//! One scheduler thread (the caller's) owns the job records, dispatches ready
//! jobs to scoped worker threads and reports every state change; workers send
//! their updates back over a channel. With one worker, jobs run on the
//! caller's thread itself, so that a Python task sees Ctrl-C directly; a
//! native job runs on a worker thread and stops at its next block when the
//! scheduler, which keeps polling, sees Ctrl-C (`Cancel::interrupt`).

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::{end_job, run_job, task_graph, JobEnd, TaskExecutor};
use crate::config::FunctionRef;
use crate::error::{Error, Result};
use crate::graph::TaskGraph;
use crate::model::{now, JobRecord, JobStatus, SubmissionRecord, SubmissionStatus, TaskRecord};
use crate::store::Store;

/// How often the scheduler looks at cancellation and `should_stop` while jobs run.
const POLL: Duration = Duration::from_millis(50);

/// Cancellation requests for one submission, from any thread.
#[derive(Default)]
pub struct Cancel {
    all: AtomicBool,
    jobs: Mutex<HashSet<String>>,
    /// Set on Ctrl-C: running native jobs stop at their next block.
    interrupt: Arc<AtomicBool>,
}

impl Cancel {
    /// Jobs not started will not start, and running native jobs stop.
    pub fn interrupt(&self) {
        self.cancel_all();
        self.interrupt.store(true, Ordering::SeqCst);
    }

    /// Jobs not started yet will not start.
    pub fn cancel_all(&self) {
        self.all.store(true, Ordering::SeqCst);
    }

    /// This job will not start (if it has not); its dependants are abandoned.
    pub fn cancel_job(&self, job_id: &str) {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner()).insert(job_id.to_owned());
    }

    /// Whether anyone asked to cancel (all of it or a job).
    pub fn requested(&self) -> bool {
        self.all_canceled() || !self.jobs.lock().unwrap_or_else(|e| e.into_inner()).is_empty()
    }

    fn all_canceled(&self) -> bool {
        self.all.load(Ordering::SeqCst)
    }

    fn job_canceled(&self, job_id: &str) -> bool {
        self.jobs.lock().unwrap_or_else(|e| e.into_inner()).contains(job_id)
    }
}

pub struct RunOptions<'a> {
    /// Jobs running at once (at least 1).
    pub workers: usize,
    pub cancel: &'a Cancel,
}

fn is_native(task: &TaskRecord) -> bool {
    matches!(task.function, FunctionRef::Native { .. })
}

enum Message {
    Event(usize, JobRecord),
    Finished(usize, Result<(JobRecord, JobEnd)>),
}

/// Runs a created submission to its end. `on_event` sees every job state
/// change, on this thread; `should_stop` is asked between events (e.g. for
/// Ctrl-C) and, when true, cancels the jobs not yet started.
pub fn run_submission(
    store: &Store,
    submission_id: &str,
    executor: &dyn TaskExecutor,
    options: &RunOptions<'_>,
    on_event: &mut dyn FnMut(&JobRecord),
    should_stop: &mut dyn FnMut() -> bool,
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
    // Held until the end: another process opening the store can tell this run is alive.
    let _alive = store.run_lock(submission_id)?;
    let mut downstream: Vec<Vec<usize>> = vec![Vec::new(); jobs.len()];
    for d in 0..jobs.len() {
        for &u in graph.upstream(d) {
            downstream[u].push(d);
        }
    }
    submission.status = SubmissionStatus::Running;
    store.update_submission(&submission)?;

    let mut waiting: Vec<usize> = (0..jobs.len()).map(|i| graph.upstream(i).len()).collect();
    let mut ready: VecDeque<usize> = graph.order().iter().copied().filter(|&i| waiting[i] == 0).collect();
    let mut finished = vec![false; jobs.len()];
    let mut stop_reason: Option<&'static str> = None;
    let mut first_error: Option<Error> = None;
    let force = submission.force;
    // Jobs run on worker threads when more than one may run at once (this thread then
    // stays free for Ctrl-C); more threads than jobs would only wait, so a huge
    // configured number starts no more than there are jobs.
    let on_workers = options.workers > 1 || tasks.iter().any(is_native);
    let workers = options.workers.clamp(1, tasks.len().max(1));

    // Long-lived workers (for the submission): a thread that attaches to
    // Python per job would pay for a new interpreter thread state each time.
    let (work_tx, work_rx) = mpsc::channel::<(usize, JobRecord)>();
    let work_rx = Mutex::new(work_rx);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<Message>();
        // With one worker, native jobs run on a worker too: this thread then
        // keeps asking `should_stop`, and a Ctrl-C stops them part-way.
        if on_workers {
            let interrupt = &options.cancel.interrupt;
            for _ in 0..workers {
                let (tx, work_rx, tasks) = (tx.clone(), &work_rx, &tasks);
                scope.spawn(move || {
                    executor.worker_thread(&mut || loop {
                        let next = work_rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                        let Ok((i, mut job)) = next else { return };
                        let mut report = |j: &JobRecord| {
                            let _ = tx.send(Message::Event(i, j.clone()));
                        };
                        // A panic must still report the job finished, or the scheduler would wait forever.
                        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                            run_job(store, &mut job, &tasks[i], force, executor, interrupt, &mut report)
                        }))
                        .unwrap_or_else(|panic| Err(Error::Internal(crate::error::panic_message(panic.as_ref()))));
                        let _ = tx.send(Message::Finished(i, outcome.map(|end| (job, end))));
                    })
                });
            }
        }
        let mut running = 0usize;
        let release = |i: usize, waiting: &mut Vec<usize>, ready: &mut VecDeque<usize>| {
            for &d in &downstream[i] {
                waiting[d] -= 1;
                if waiting[d] == 0 {
                    ready.push_back(d);
                }
            }
        };
        loop {
            while stop_reason.is_none() && running < workers {
                if options.cancel.all_canceled() {
                    stop_reason = Some("the submission was canceled");
                    break;
                }
                let Some(i) = ready.pop_front() else { break };
                let ended = if blocked_upstream(&graph, &jobs, i) {
                    Some((JobStatus::Blocked, blocked_reason(&graph, &jobs, &tasks, i)))
                } else if let Some(reason) = abandoned(&graph, &jobs, &tasks, i) {
                    Some((JobStatus::Abandoned, reason))
                } else if options.cancel.job_canceled(&jobs[i].id) {
                    Some((JobStatus::Canceled, "canceled before it started".to_owned()))
                } else {
                    None
                };
                if let Some((status, reason)) = ended {
                    if let Err(e) = end_job(store, &mut jobs[i], status, Some(reason), on_event) {
                        first_error.get_or_insert(e);
                    }
                    finished[i] = true;
                    release(i, &mut waiting, &mut ready);
                    continue;
                }
                if options.workers <= 1 && !is_native(&tasks[i]) {
                    let interrupt = &options.cancel.interrupt;
                    let outcome = run_job(store, &mut jobs[i], &tasks[i], force, executor, interrupt, on_event);
                    finished[i] = true;
                    match outcome {
                        Ok(JobEnd::Interrupted) => stop_reason = Some("the submission was interrupted"),
                        Ok(JobEnd::Done | JobEnd::OutputsCollected(_)) => {}
                        Err(e) => {
                            first_error.get_or_insert(e);
                            stop_reason = Some("the submission stopped on a storage error");
                        }
                    }
                    release(i, &mut waiting, &mut ready);
                    continue;
                }
                running += 1;
                let _ = work_tx.send((i, jobs[i].clone()));
            }
            if running == 0 && (ready.is_empty() || stop_reason.is_some()) {
                break;
            }
            match rx.recv_timeout(POLL) {
                Ok(Message::Event(i, job)) => {
                    on_event(&job);
                    jobs[i] = job;
                }
                Ok(Message::Finished(i, outcome)) => {
                    running -= 1;
                    finished[i] = true;
                    match outcome {
                        Ok((job, end)) => {
                            jobs[i] = job;
                            if matches!(end, JobEnd::Interrupted) {
                                stop_reason.get_or_insert("the submission was interrupted");
                            }
                        }
                        Err(e) => {
                            first_error.get_or_insert(e);
                            stop_reason.get_or_insert("the submission stopped on a storage error");
                        }
                    }
                    release(i, &mut waiting, &mut ready);
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    if stop_reason.is_none() && should_stop() {
                        stop_reason = Some("the submission was interrupted");
                        options.cancel.interrupt();
                    }
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => unreachable!("the scheduler holds a sender"),
            }
        }
        drop(work_tx); // the workers end
    });

    // Whatever did not start: canceled if it was free to start, else abandoned.
    if let Some(why) = stop_reason {
        for i in graph.order().iter().copied() {
            if finished[i] {
                continue;
            }
            let (status, reason) = match abandoned(&graph, &jobs, &tasks, i) {
                Some(_) if blocked_upstream(&graph, &jobs, i) => {
                    (JobStatus::Blocked, blocked_reason(&graph, &jobs, &tasks, i))
                }
                Some(reason) => (JobStatus::Abandoned, reason),
                None => (JobStatus::Canceled, why.to_owned()),
            };
            end_job(store, &mut jobs[i], status, Some(reason), on_event)?;
            finished[i] = true;
        }
    }
    if let Some(e) = first_error {
        return Err(e);
    }
    let canceled = jobs.iter().any(|j| j.status == JobStatus::Canceled);
    let failed = jobs.iter().any(|j| j.status == JobStatus::Failed);
    let blocked = jobs.iter().any(|j| j.status == JobStatus::Blocked);
    submission.status = if stop_reason.is_some() || (canceled && !failed) {
        SubmissionStatus::Canceled
    } else if jobs.iter().all(|j| j.status.is_success()) {
        SubmissionStatus::Completed
    } else if blocked && !failed {
        SubmissionStatus::Blocked
    } else {
        SubmissionStatus::Failed
    };
    submission.finished_at = Some(now());
    store.update_submission(&submission)?;
    // Outputs written too recently to be remembered after their job may be now.
    let _ = store.remember_checked_objects([]);
    Ok(submission)
}

/// Waiting on a blocked job is being blocked too: Taipy's jobs wait for their inputs.
fn blocked_reason(graph: &TaskGraph, jobs: &[JobRecord], tasks: &[TaskRecord], i: usize) -> String {
    let blocked: Vec<&str> = graph
        .upstream(i)
        .iter()
        .filter(|&&u| jobs[u].status == JobStatus::Blocked)
        .map(|&u| tasks[u].config_id.as_str())
        .collect();
    format!("blocked: upstream task {} is blocked (an input was never written)", blocked.join(", "))
}

/// Whether an upstream job of `i` is blocked (and none failed).
fn blocked_upstream(graph: &TaskGraph, jobs: &[JobRecord], i: usize) -> bool {
    let upstream = graph.upstream(i);
    upstream.iter().any(|&u| jobs[u].status == JobStatus::Blocked)
        && !upstream.iter().any(|&u| jobs[u].status == JobStatus::Failed)
}

/// Why job `i` cannot run: the upstream tasks that did not complete, if any.
fn abandoned(graph: &TaskGraph, jobs: &[JobRecord], tasks: &[TaskRecord], i: usize) -> Option<String> {
    let failed: Vec<&str> = graph
        .upstream(i)
        .iter()
        .filter(|&&u| !jobs[u].status.is_success())
        .map(|&u| tasks[u].config_id.as_str())
        .collect();
    (!failed.is_empty()).then(|| format!("abandoned because upstream task {} did not complete", failed.join(", ")))
}
