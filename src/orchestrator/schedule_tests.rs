//! The scheduler: parallelism, failure containment, cancellation.

use std::sync::{Condvar, Mutex};
use std::time::Duration;

use super::tests::{run, scenario};
use super::*;
use crate::config::validate::tests::task;
use crate::store::tests::{inline, open};
use crate::store::Store;

/// Each task waits (up to 5 s) until `expected` tasks are inside `execute` at
/// once, and records the most it saw: a rendezvous, not a timing.
struct Rendezvous {
    inside: Mutex<usize>,
    most: Mutex<usize>,
    changed: Condvar,
    expected: usize,
    fail: &'static str,
}

impl Rendezvous {
    fn new(expected: usize, fail: &'static str) -> Self {
        Rendezvous { inside: Mutex::new(0), most: Mutex::new(0), changed: Condvar::new(), expected, fail }
    }
}

impl TaskExecutor for Rendezvous {
    fn code_identity(&self, task: &TaskRecord) -> std::result::Result<CodeParts, String> {
        Ok(CodeParts::from([("task".to_string(), format!("code:{}", task.config_id))]))
    }

    fn execute(&self, task: &TaskRecord, _: &[VersionRecord], outputs: &[DataNodeRecord]) -> TaskOutcome {
        if task.config_id == self.fail {
            return TaskOutcome::Failed { reason: "boom".into(), stacktrace: None };
        }
        let mut inside = self.inside.lock().unwrap();
        *inside += 1;
        {
            let mut most = self.most.lock().unwrap();
            *most = (*most).max(*inside);
        }
        self.changed.notify_all();
        let reached = |_: &mut usize| *self.most.lock().unwrap() < self.expected;
        let (mut inside, _) = self.changed.wait_timeout_while(inside, Duration::from_secs(5), reached).unwrap();
        *inside -= 1;
        TaskOutcome::Completed(outputs.iter().map(|_| inline("1")).collect())
    }
}

fn independent_pair(store: &Store) -> crate::model::ScenarioRecord {
    scenario(store, vec![task("left", &["a"], &["b"]), task("right", &["k"], &["c"])], &["a", "b", "k", "c"])
}

#[test]
fn independent_jobs_run_at_the_same_time_with_two_workers() {
    let (_dir, store) = open();
    let s = independent_pair(&store);
    let exec = Rendezvous::new(2, "");
    let sub = create_submission(&store, &s.id, false).unwrap();
    let done = run(&store, &sub.id, &exec, 2, &mut |_| {}).unwrap();
    assert_eq!(done.status, SubmissionStatus::Completed);
    assert_eq!(*exec.most.lock().unwrap(), 2, "both tasks were running at once");
}

#[test]
fn one_worker_runs_one_job_at_a_time() {
    let (_dir, store) = open();
    let s = independent_pair(&store);
    let exec = Rendezvous::new(1, "");
    let sub = create_submission(&store, &s.id, false).unwrap();
    run(&store, &sub.id, &exec, 1, &mut |_| {}).unwrap();
    assert_eq!(*exec.most.lock().unwrap(), 1);
}

#[test]
fn a_failure_abandons_dependants_and_spares_independent_jobs() {
    let (_dir, store) = open();
    let s = scenario(
        &store,
        vec![task("fail1", &["a"], &["b"]), task("after", &["b"], &["c"]), task("aside", &["k"], &["d"])],
        &["a", "b", "c", "k", "d"],
    );
    let exec = Rendezvous::new(1, "fail1");
    let sub = create_submission(&store, &s.id, false).unwrap();
    let done = run(&store, &sub.id, &exec, 2, &mut |_| {}).unwrap();
    assert_eq!(done.status, SubmissionStatus::Failed);
    let status = |name: &str| {
        let job = done.job_ids.iter().map(|id| store.job(id).unwrap()).find(|j| j.task_config_id == name).unwrap();
        (job.status, job.reason.unwrap_or_default())
    };
    assert_eq!(status("fail1").0, JobStatus::Failed);
    assert_eq!(status("after").0, JobStatus::Abandoned);
    assert!(status("after").1.contains("upstream task fail1"), "{:?}", status("after"));
    assert_eq!(status("aside").0, JobStatus::Completed);
}

#[test]
fn canceling_a_job_before_it_starts_abandons_its_dependants() {
    let (_dir, store) = open();
    let s = scenario(&store, vec![task("t1", &["a"], &["b"]), task("t2", &["b"], &["c"])], &["a", "b", "c"]);
    let sub = create_submission(&store, &s.id, false).unwrap();
    let cancel = Cancel::default();
    cancel.cancel_job(&sub.job_ids[0]);
    let exec = Rendezvous::new(1, "");
    let options = RunOptions { workers: 2, cancel: &cancel };
    let done = run_submission(&store, &sub.id, &exec, &options, &mut |_| {}, &mut || false).unwrap();
    let jobs: Vec<JobRecord> = done.job_ids.iter().map(|id| store.job(id).unwrap()).collect();
    assert_eq!((jobs[0].status, jobs[1].status), (JobStatus::Canceled, JobStatus::Abandoned));
    assert_eq!(done.status, SubmissionStatus::Canceled);
}

#[test]
fn stopping_cancels_what_has_not_started_and_leaves_nothing_running() {
    let (_dir, store) = open();
    let s = scenario(
        &store,
        vec![task("t1", &["a"], &["b"]), task("t2", &["b"], &["c"]), task("t3", &["c"], &["d"])],
        &["a", "b", "c", "d"],
    );
    let sub = create_submission(&store, &s.id, false).unwrap();
    let cancel = Cancel::default();
    let exec = Rendezvous::new(1, "");
    let options = RunOptions { workers: 2, cancel: &cancel };
    // Cancel as soon as the first job completes.
    let mut on_event = |j: &JobRecord| {
        if j.status == JobStatus::Completed {
            cancel.cancel_all();
        }
    };
    let done = run_submission(&store, &sub.id, &exec, &options, &mut on_event, &mut || false).unwrap();
    let jobs: Vec<JobStatus> = done.job_ids.iter().map(|id| store.job(id).unwrap().status).collect();
    assert_eq!(jobs, [JobStatus::Completed, JobStatus::Canceled, JobStatus::Abandoned]);
    assert_eq!(done.status, SubmissionStatus::Canceled);
    assert!(store.jobs().unwrap().iter().all(|j| j.status != JobStatus::Running));
}

/// A submission left RUNNING by a process that died: the next open ends it.
fn leave_running(store: &Store) -> SubmissionRecord {
    let s = scenario(store, vec![task("t1", &["a"], &["b"]), task("t2", &["b"], &["c"])], &["a", "b", "c"]);
    let mut sub = create_submission(store, &s.id, false).unwrap();
    sub.status = SubmissionStatus::Running;
    store.update_submission(&sub).unwrap();
    let mut first = store.job(&sub.job_ids[0]).unwrap();
    first.status = JobStatus::Running;
    store.update_job(&first).unwrap();
    sub
}

#[test]
fn opening_the_store_ends_runs_whose_process_is_gone() {
    let (dir, store) = open();
    let sub = leave_running(&store);
    drop(store);
    let store = Store::open(&dir.path().join("store")).unwrap();
    let jobs: Vec<JobRecord> = sub.job_ids.iter().map(|id| store.job(id).unwrap()).collect();
    assert_eq!((jobs[0].status, jobs[1].status), (JobStatus::Failed, JobStatus::Abandoned));
    assert!(jobs[0].reason.as_deref().unwrap().contains("process running this job ended"));
    assert_eq!(store.submission(&sub.id).unwrap().status, SubmissionStatus::Failed);
}

#[test]
fn a_run_whose_process_is_alive_is_left_alone() {
    let (dir, store) = open();
    let sub = leave_running(&store);
    let _alive = store.run_lock(&sub.id).unwrap();
    let other = Store::open(&dir.path().join("store")).unwrap();
    assert_eq!(other.submission(&sub.id).unwrap().status, SubmissionStatus::Running);
    assert_eq!(other.job(&sub.job_ids[0]).unwrap().status, JobStatus::Running);
}
