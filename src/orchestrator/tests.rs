use std::collections::BTreeMap;
use std::sync::Mutex;

use super::*;
use crate::config::validate::tests::{dn, task};
use crate::config::ScenarioSpec;
use crate::model::{Payload, ScenarioRecord};
use crate::store::tests::{inline, open};
use crate::store::NewValue;

/// Runs tasks by summing integer inline inputs; a task whose id starts with
/// "fail" fails, and every call is logged.
#[derive(Default)]
struct SumExecutor {
    calls: Mutex<Vec<String>>,
    interrupt_on: Option<&'static str>,
}

impl TaskExecutor for SumExecutor {
    fn code_identity(&self, task: &TaskRecord) -> std::result::Result<CodeParts, String> {
        Ok(CodeParts::from([("task".to_string(), format!("code:{}", task.config_id))]))
    }

    fn execute(&self, task: &TaskRecord, inputs: &[VersionRecord], outputs: &[DataNodeRecord]) -> TaskOutcome {
        self.calls.lock().unwrap().push(task.config_id.clone());
        if self.interrupt_on == Some(task.config_id.as_str()) {
            return TaskOutcome::Interrupted;
        }
        if task.config_id.starts_with("fail") {
            return TaskOutcome::Failed { reason: "boom".into(), stacktrace: Some("trace".into()) };
        }
        let sum: i64 = inputs
            .iter()
            .map(|v| match &v.payload {
                Payload::Inline { json } => json.parse::<i64>().unwrap(),
                _ => 0,
            })
            .sum();
        TaskOutcome::Completed(outputs.iter().map(|_| inline(&sum.to_string())).collect())
    }
}

pub(super) fn scenario(store: &Store, tasks: Vec<crate::config::TaskConfig>, nodes: &[&str]) -> ScenarioRecord {
    let spec = ScenarioSpec {
        id: "s".into(),
        tasks,
        data_nodes: nodes.iter().map(|n| dn(n)).collect(),
        additional_data_nodes: vec![],
        frequency: None,
        properties: Default::default(),
    };
    let defaults = BTreeMap::from([("a".to_string(), inline("1")), ("k".to_string(), inline("10"))]);
    store.create_scenario(&spec, None, None, &defaults).unwrap()
}

fn submit(store: &Store, s: &ScenarioRecord, exec: &SumExecutor, force: bool) -> (SubmissionRecord, Vec<JobRecord>) {
    let sub = create_submission(store, &s.id, force).unwrap();
    let mut events = Vec::new();
    let done = run(store, &sub.id, exec, 1, &mut |j| events.push(j.status)).unwrap();
    let jobs = done.job_ids.iter().map(|id| store.job(id).unwrap()).collect();
    assert!(!events.is_empty());
    (done, jobs)
}

pub(super) fn run(
    store: &Store,
    submission_id: &str,
    exec: &dyn TaskExecutor,
    workers: usize,
    on_event: &mut dyn FnMut(&JobRecord),
) -> Result<SubmissionRecord> {
    let cancel = Cancel::default();
    run_submission(store, submission_id, exec, &RunOptions { workers, cancel: &cancel }, on_event, &mut || false)
}

fn statuses(jobs: &[JobRecord]) -> Vec<(&str, JobStatus)> {
    jobs.iter().map(|j| (j.task_config_id.as_str(), j.status)).collect()
}

#[test]
fn runs_then_skips_then_reruns_what_changed() {
    let (_dir, store) = open();
    let s = scenario(&store, vec![task("t1", &["a"], &["b"]), task("t2", &["b", "k"], &["c"])], &["a", "b", "k", "c"]);
    let exec = SumExecutor::default();
    let (sub, jobs) = submit(&store, &s, &exec, false);
    assert_eq!(sub.status, SubmissionStatus::Completed);
    assert_eq!(statuses(&jobs), [("t1", JobStatus::Completed), ("t2", JobStatus::Completed)]);
    let c = store.latest_version(&s.data_nodes["c"]).unwrap().unwrap();
    assert_eq!(c.payload, Payload::Inline { json: "11".into() });

    let (_, jobs) = submit(&store, &s, &exec, false);
    assert_eq!(statuses(&jobs), [("t1", JobStatus::Skipped), ("t2", JobStatus::Skipped)]);
    assert_eq!(store.versions(&s.data_nodes["c"]).unwrap().len(), 1, "an up-to-date skip adds no version");

    store.write_data_node(&s.data_nodes["k"], &inline("20"), "user", None).unwrap();
    let (_, jobs) = submit(&store, &s, &exec, false);
    assert_eq!(statuses(&jobs), [("t1", JobStatus::Skipped), ("t2", JobStatus::Completed)]);

    store.write_data_node(&s.data_nodes["k"], &inline("10"), "user", None).unwrap();
    let (_, jobs) = submit(&store, &s, &exec, false);
    assert_eq!(statuses(&jobs)[1], ("t2", JobStatus::Skipped));
    let c = store.latest_version(&s.data_nodes["c"]).unwrap().unwrap();
    assert_eq!((c.payload.clone(), c.version), (Payload::Inline { json: "11".into() }, 3), "old result linked back");
    assert_eq!(exec.calls.lock().unwrap().len(), 3);

    let (_, jobs) = submit(&store, &s, &exec, true);
    assert_eq!(statuses(&jobs), [("t1", JobStatus::Completed), ("t2", JobStatus::Completed)]);
}

#[test]
fn failure_abandons_dependants_and_keeps_earlier_values() {
    let (_dir, store) = open();
    let s = scenario(
        &store,
        vec![task("fail_here", &["a"], &["b"]), task("t2", &["b"], &["c"]), task("side", &["a"], &["d"])],
        &["a", "b", "c", "d"],
    );
    store.write_data_node(&s.data_nodes["b"], &inline("5"), "user", None).unwrap();
    let exec = SumExecutor::default();
    let (sub, jobs) = submit(&store, &s, &exec, false);
    assert_eq!(sub.status, SubmissionStatus::Failed);
    let by_task: BTreeMap<&str, &JobRecord> = jobs.iter().map(|j| (j.task_config_id.as_str(), j)).collect();
    assert_eq!(by_task["fail_here"].status, JobStatus::Failed);
    assert_eq!(by_task["fail_here"].stacktrace.as_deref(), Some("trace"));
    assert_eq!(by_task["t2"].status, JobStatus::Abandoned);
    assert!(by_task["t2"].reason.as_deref().unwrap().contains("fail_here"));
    assert_eq!(by_task["side"].status, JobStatus::Completed, "independent work still runs");
    let b = store.latest_version(&s.data_nodes["b"]).unwrap().unwrap();
    assert_eq!(b.payload, Payload::Inline { json: "5".into() });
}

#[test]
fn a_never_written_input_blocks_the_job_and_its_dependants_as_in_taipy() {
    let (_dir, store) = open();
    let tasks = vec![task("t1", &["x"], &["y"]), task("t2", &["y"], &["z"]), task("side", &["a"], &["w"])];
    let s = scenario(&store, tasks, &["x", "y", "z", "a", "w"]);
    let (sub, jobs) = submit(&store, &s, &SumExecutor::default(), false);
    let by_task: BTreeMap<&str, &JobRecord> = jobs.iter().map(|j| (j.task_config_id.as_str(), j)).collect();
    assert_eq!(by_task["t1"].status, JobStatus::Blocked);
    assert!(by_task["t1"].reason.as_deref().unwrap().contains("\"x\" has no data"));
    assert_eq!(by_task["t2"].status, JobStatus::Blocked);
    assert!(by_task["t2"].reason.as_deref().unwrap().contains("t1"));
    assert_eq!(by_task["side"].status, JobStatus::Completed);
    assert_eq!(sub.status, SubmissionStatus::Blocked);
}

#[test]
fn interrupt_cancels_the_rest_and_abandons_dependants() {
    let (_dir, store) = open();
    let s = scenario(&store, vec![task("t1", &["a"], &["b"]), task("t2", &["b"], &["c"])], &["a", "b", "c"]);
    let exec = SumExecutor { interrupt_on: Some("t1"), ..Default::default() };
    let (sub, jobs) = submit(&store, &s, &exec, false);
    assert_eq!(sub.status, SubmissionStatus::Canceled);
    assert_eq!(statuses(&jobs), [("t1", JobStatus::Canceled), ("t2", JobStatus::Abandoned)]);
    assert!(run(&store, &sub.id, &exec, 1, &mut |_| {}).is_err(), "a finished submission does not rerun");
}

#[test]
fn a_changed_code_fingerprint_changes_the_cache_key() {
    let (_dir, store) = open();
    let s = scenario(&store, vec![task("t1", &["a"], &["b"])], &["a", "b"]);
    let t = store.task(&s.tasks[0].1).unwrap();
    let version = store.latest_version(&s.data_nodes["a"]).unwrap().unwrap();
    let input = InputState::new(version, String::new(), Vec::new());
    let outputs = [store.data_node(&s.data_nodes["b"]).unwrap()];
    assert_ne!(
        cache_key(&t, "code-1", std::slice::from_ref(&input), &outputs),
        cache_key(&t, "code-2", &[input], &outputs)
    );
}

#[test]
fn reasons_say_what_changed() {
    let (_dir, store) = open();
    let s = scenario(&store, vec![task("t1", &["a", "k"], &["b"])], &["a", "k", "b"]);
    let exec = SumExecutor::default();
    let (_, jobs) = submit(&store, &s, &exec, false);
    assert!(jobs[0].reason.as_deref().unwrap().starts_with("first run"));
    store.write_data_node(&s.data_nodes["k"], &inline("16"), "user", None).unwrap();
    let (_, jobs) = submit(&store, &s, &exec, false);
    assert_eq!(jobs[0].reason.as_deref(), Some("input \"k\" changed: 10 -> 16"));
    let (_, jobs) = submit(&store, &s, &exec, true);
    assert_eq!(jobs[0].reason.as_deref(), Some("forced: submit(force=True)"));
}

#[test]
fn code_changes_name_each_part() {
    let before = CodeParts::from([
        ("task".to_string(), "1".to_string()),
        ("function helpers.f".to_string(), "a".to_string()),
        ("value settings.K".to_string(), "k".to_string()),
        ("package numpy".to_string(), "numpy==1.0".to_string()),
    ]);
    let mut after = before.clone();
    after.insert("function helpers.f".into(), "b".into());
    after.insert("package numpy".into(), "numpy==2.0".into());
    after.remove("value settings.K");
    after.insert("class models.M".into(), "m".into());
    assert_eq!(
        code_changes(&before, &after),
        [
            "now reaches class models.M",
            "function helpers.f changed",
            "package numpy: numpy==1.0 -> numpy==2.0",
            "no longer reaches value settings.K"
        ]
    );
    assert!(code_changes(&before, &before).is_empty());
    assert_ne!(code_digest(&before), code_digest(&after));
}

#[test]
fn dry_run_plans_without_writing() {
    let (_dir, store) = open();
    let s = scenario(&store, vec![task("t1", &["a"], &["b"]), task("t2", &["b", "k"], &["c"])], &["a", "b", "k", "c"]);
    let exec = SumExecutor::default();
    let decisions = |p: Vec<PlannedJob>| p.into_iter().map(|j| j.decision).collect::<Vec<_>>();
    assert_eq!(decisions(plan(&store, &s.id, false, &exec).unwrap()), ["run", "may run"]);
    submit(&store, &s, &exec, false);
    assert_eq!(decisions(plan(&store, &s.id, false, &exec).unwrap()), ["skip", "skip"]);
    store.write_data_node(&s.data_nodes["k"], &inline("3"), "user", None).unwrap();
    let planned = plan(&store, &s.id, false, &exec).unwrap();
    assert_eq!(decisions(planned.clone()), ["skip", "run"]);
    assert!(planned[1].reason.contains("\"k\" changed: 10 -> 3"), "{}", planned[1].reason);
    assert_eq!(exec.calls.lock().unwrap().len(), 2, "planning runs nothing");
    assert_eq!(store.submissions(None).unwrap().len(), 1, "planning records nothing");
}

#[test]
fn cache_false_reuses_only_its_own_result() {
    let (_dir, store) = open();
    let mut side_effect = task("t1", &["a"], &["b"]);
    side_effect.properties.insert("cache".into(), serde_json::Value::Bool(false));
    let first = scenario(&store, vec![side_effect.clone()], &["a", "b"]);
    let second = scenario(&store, vec![side_effect], &["a", "b"]);
    let exec = SumExecutor::default();
    submit(&store, &first, &exec, false);
    let (_, jobs) = submit(&store, &second, &exec, false);
    assert_eq!(jobs[0].status, JobStatus::Completed);
    assert!(jobs[0].reason.as_deref().unwrap().contains("cache=False"));
    let (_, jobs) = submit(&store, &second, &exec, false);
    assert_eq!(jobs[0].status, JobStatus::Skipped);
}

#[test]
fn a_sequence_submits_only_its_tasks() {
    let (_dir, store) = open();
    let s = scenario(
        &store,
        vec![task("t1", &["a"], &["b"]), task("t2", &["b"], &["c"]), task("t3", &["k"], &["d"])],
        &["a", "b", "c", "d", "k"],
    );
    let sequences = BTreeMap::from([("first".to_string(), vec!["t1".to_string(), "t2".to_string()])]);
    let properties = BTreeMap::from([
        ("first".to_string(), BTreeMap::from([("owner".to_string(), serde_json::json!("ana"))])),
        ("gone".to_string(), BTreeMap::from([("owner".to_string(), serde_json::json!("bo"))])),
    ]);
    let s = store.set_sequences(&s.id, sequences, properties).unwrap();
    assert_eq!(s.sequence_properties.keys().collect::<Vec<_>>(), ["first"], "only a sequence's own properties stay");
    let id = crate::model::sequence_id("first", &s.id);
    assert_eq!(crate::model::parse_sequence_id(&id), Some(("first", s.id.as_str())));
    let exec = SumExecutor::default();
    let sub = create_submission(&store, &id, false).unwrap();
    run(&store, &sub.id, &exec, 1, &mut |_| {}).unwrap();
    assert_eq!(*exec.calls.lock().unwrap(), ["t1", "t2"]);
    let unknown = crate::model::sequence_id("nope", &s.id);
    assert!(matches!(create_submission(&store, &unknown, false), Err(Error::NonExistingEntity(_))));
    let bad = BTreeMap::from([("x".to_string(), vec!["t9".to_string()])]);
    let err = store.set_sequences(&s.id, bad, BTreeMap::new()).unwrap_err().to_string();
    assert!(err.contains("\"t9\"") && err.contains("t1, t2, t3"), "{err}");
}

/// Its first run's output names an object that is gone by the time it is
/// recorded (what a concurrent gc(0) does); later runs give an inline value.
#[derive(Default)]
struct CollectedOnceExecutor {
    runs: Mutex<usize>,
}

impl TaskExecutor for CollectedOnceExecutor {
    fn code_identity(&self, task: &TaskRecord) -> std::result::Result<CodeParts, String> {
        Ok(CodeParts::from([("task".to_string(), format!("code:{}", task.config_id))]))
    }

    fn execute(&self, _task: &TaskRecord, _inputs: &[VersionRecord], outputs: &[DataNodeRecord]) -> TaskOutcome {
        let mut runs = self.runs.lock().unwrap();
        *runs += 1;
        let gone = NewValue {
            payload: Payload::Object { hash: "ab".repeat(32), format: "pickle".into(), size: 1 },
            fingerprint: "fp:gone".into(),
            paths: Vec::new(),
        };
        TaskOutcome::Completed(outputs.iter().map(|_| if *runs == 1 { gone.clone() } else { inline("7") }).collect())
    }
}

#[test]
fn a_job_whose_outputs_gc_collected_before_they_were_recorded_runs_again() {
    let (_dir, store) = open();
    let s = scenario(&store, vec![task("t1", &["a"], &["b"])], &["a", "b"]);
    let exec = CollectedOnceExecutor::default();
    let sub = create_submission(&store, &s.id, false).unwrap();
    let done = run(&store, &sub.id, &exec, 1, &mut |_| {}).unwrap();
    let job = store.job(&done.job_ids[0]).unwrap();
    assert_eq!(job.status, JobStatus::Completed, "{:?}", job.reason);
    assert_eq!(*exec.runs.lock().unwrap(), 2);
}
