//! A Python task's identity completed by what its run touched
//! (`TaskExecutor::identity_after_run`), and identities that cannot be
//! encoded (never reused).

use std::sync::Mutex;

use super::tests::{run, scenario};
use super::*;
use crate::config::validate::tests::task;
use crate::model::ScenarioRecord;
use crate::store::tests::{inline, open};

/// Its identity before a run is what earlier runs recorded (`recorded`); a run
/// records `touched`. `extra` parts are added to every identity.
struct Recording {
    recorded: Mutex<Option<String>>,
    touched: String,
    extra: CodeParts,
    runs: Mutex<usize>,
}

impl Recording {
    fn new(touched: &str, extra: &[(&str, &str)]) -> Self {
        Recording {
            recorded: Mutex::new(None),
            touched: touched.into(),
            extra: extra.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            runs: Mutex::new(0),
        }
    }

    fn parts(&self, recorded: Option<&String>) -> CodeParts {
        let mut parts = self.extra.clone();
        parts.insert("task".into(), "code".into());
        if let Some(item) = recorded {
            parts.insert(format!("read file {item}"), "content".into());
        }
        parts
    }
}

impl TaskExecutor for Recording {
    fn code_identity(&self, _task: &TaskRecord) -> std::result::Result<CodeParts, String> {
        Ok(self.parts(self.recorded.lock().unwrap().as_ref()))
    }

    fn execute(&self, _task: &TaskRecord, _inputs: &[VersionRecord], outputs: &[DataNodeRecord]) -> TaskOutcome {
        *self.runs.lock().unwrap() += 1;
        TaskOutcome::Completed(outputs.iter().map(|_| inline("1")).collect())
    }

    fn identity_after_run(&self, _task: &TaskRecord) -> std::result::Result<Option<CodeParts>, String> {
        let mut recorded = self.recorded.lock().unwrap();
        if recorded.as_ref() == Some(&self.touched) {
            return Ok(None);
        }
        *recorded = Some(self.touched.clone());
        Ok(Some(self.parts(recorded.as_ref())))
    }
}

fn submit_once(store: &Store, s: &ScenarioRecord, exec: &dyn TaskExecutor) -> JobRecord {
    let sub = create_submission(store, &s.id, false).unwrap();
    let done = run(store, &sub.id, exec, 1, &mut |_| {}).unwrap();
    store.job(&done.job_ids[0]).unwrap()
}

#[test]
fn a_result_is_cached_under_the_identity_completed_by_what_its_run_touched() {
    let (_dir, store) = open();
    let s = scenario(&store, vec![task("t", &["a"], &["b"])], &["a", "b"]);
    let exec = Recording::new("lookup.csv", &[]);
    let first = submit_once(&store, &s, &exec);
    assert_eq!(first.status, JobStatus::Completed);
    assert!(first.code_parts.as_ref().unwrap().contains_key("read file lookup.csv"), "the job keeps what it read");
    // The next submit's identity covers the recorded file: the result is found.
    let second = submit_once(&store, &s, &exec);
    assert_eq!(second.status, JobStatus::Skipped, "{:?}", second.reason);
    assert_eq!(*exec.runs.lock().unwrap(), 1);
}

#[test]
fn an_identity_with_a_part_that_could_not_be_encoded_is_never_reused_and_says_which() {
    let (_dir, store) = open();
    let s = scenario(&store, vec![task("t", &["a"], &["b"])], &["a", "b"]);
    let why = "cannot be reduced as pickle would";
    let exec = Recording::new("x", &[("unencodable value app.LOCK (_thread.lock)", why)]);
    for _ in 0..2 {
        let job = submit_once(&store, &s, &exec);
        assert_eq!(job.status, JobStatus::Completed);
        let reason = job.reason.unwrap();
        assert!(reason.contains("value app.LOCK (_thread.lock) has no canonical encoding"), "{reason}");
        assert!(reason.contains("re-runs on every submit"), "{reason}");
    }
    assert_eq!(*exec.runs.lock().unwrap(), 2);
    let report = key_report(&store, &s.tasks[0].1, &exec).unwrap();
    assert_eq!(report.decision, "run");
    assert!(report.reason.contains("no canonical encoding"), "{}", report.reason);
}

#[test]
fn a_run_that_could_not_be_recorded_is_kept_but_not_reused() {
    struct Unrecorded(Recording);
    impl TaskExecutor for Unrecorded {
        fn code_identity(&self, task: &TaskRecord) -> std::result::Result<CodeParts, String> {
            self.0.code_identity(task)
        }
        fn execute(&self, task: &TaskRecord, inputs: &[VersionRecord], outputs: &[DataNodeRecord]) -> TaskOutcome {
            self.0.execute(task, inputs, outputs)
        }
        fn identity_after_run(&self, _task: &TaskRecord) -> std::result::Result<Option<CodeParts>, String> {
            Err("another profiler was active".into())
        }
    }
    let (_dir, store) = open();
    let s = scenario(&store, vec![task("t", &["a"], &["b"])], &["a", "b"]);
    let exec = Unrecorded(Recording::new("x", &[]));
    let first = submit_once(&store, &s, &exec);
    assert!(first.reason.unwrap().contains("not reused later: another profiler was active"));
    assert_eq!(submit_once(&store, &s, &exec).status, JobStatus::Completed);
}
