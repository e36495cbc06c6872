//! A large input file hashed in the job's own pass over it
//! (`crate::read_hashes`): only when no stored result could match, and always
//! with the key a separate hash would have given.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::tests::{run, scenario};
use super::*;
use crate::config::validate::tests::task;
use crate::model::{Payload, ScenarioRecord};
use crate::store::tests::open;
use crate::store::NewValue;
use polars::prelude::SerReader;

const SCORE_TASK: &str = "customer_analysis.preprocess_and_score";
const EXTRA_ROW: &str = "999999,30,USA,100.5,3,4.5,12.0,2020-01-01,True\n";

/// Runs native tasks here, noting for each job whether the orchestrator asked
/// for `csv` to be hashed as read; with `hide_request`, the task is not told
/// (as a task that reads the file some other way).
struct Watching {
    csv: PathBuf,
    asked: Mutex<Vec<bool>>,
    /// The hash the task's reader reported, each job.
    reported: Mutex<Vec<Option<String>>>,
    hide_request: bool,
    /// Appended to the file while the job runs.
    edit_during_run: Option<&'static str>,
}

impl TaskExecutor for Watching {
    fn code_identity(&self, _: &TaskRecord) -> std::result::Result<CodeParts, String> {
        Err("only native tasks here".into())
    }

    fn execute(&self, _: &TaskRecord, _: &[VersionRecord], _: &[DataNodeRecord]) -> TaskOutcome {
        unreachable!("only native tasks here")
    }

    fn execute_native(
        &self,
        objects: &ObjectStore,
        name: &str,
        _: &TaskRecord,
        inputs: &[VersionRecord],
        _: &[DataNodeRecord],
    ) -> TaskOutcome {
        self.asked.lock().unwrap().push(crate::read_hashes::hasher_for(&self.csv).is_some());
        let outcome = if self.hide_request {
            crate::read_hashes::with(None, || tasks::CATALOG.execute(objects, name, inputs))
        } else {
            tasks::CATALOG.execute(objects, name, inputs)
        };
        self.reported.lock().unwrap().push(crate::read_hashes::reported(&self.csv));
        if let Some(extra) = self.edit_during_run {
            append(&self.csv, extra);
        }
        outcome
    }
}

fn watching(csv: &Path) -> Watching {
    Watching {
        csv: csv.to_owned(),
        asked: Mutex::new(Vec::new()),
        reported: Mutex::new(Vec::new()),
        hide_request: false,
        edit_during_run: None,
    }
}

fn append(path: &Path, line: &str) {
    use std::io::Write;
    std::fs::OpenOptions::new().append(true).open(path).unwrap().write_all(line.as_bytes()).unwrap();
}

/// A CSV of the article's columns, old enough for its hash to be cached.
fn customers_csv(dir: &Path, rows: u64) -> PathBuf {
    let path = dir.join("customers.csv");
    crate::datagen::write_csv(&path, rows, 7, |_| true).unwrap();
    settle(&path);
    path
}

/// Makes `path` look unchanged for a while (past the fingerprint cache's racy window).
fn settle(path: &Path) {
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(60);
    std::fs::File::options().write(true).open(path).unwrap().set_modified(old).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(150));
}

fn score_scenario(store: &Store, csv: &Path) -> ScenarioRecord {
    let mut t = task("score", &["path"], &["scored"]);
    t.function = FunctionRef::Native { name: SCORE_TASK.into(), version: 1 };
    let s = scenario(store, vec![t], &["path", "scored"]);
    let value = serde_json::Value::String(csv.to_string_lossy().into_owned()).to_string();
    let new = NewValue { payload: Payload::Inline { json: value.clone() }, fingerprint: value, paths: Vec::new() };
    store.write_data_node(&s.data_nodes["path"], &new, "user", None).unwrap();
    s
}

/// A store, a CSV of `rows` customers beside it and a scenario scoring the CSV.
fn scoring(rows: u64) -> (tempfile::TempDir, Store, PathBuf, ScenarioRecord) {
    let (dir, store) = open();
    let csv = customers_csv(dir.path(), rows);
    let s = score_scenario(&store, &csv);
    (dir, store, csv, s)
}

fn submit(store: &Store, s: &ScenarioRecord, exec: &Watching) -> JobRecord {
    let sub = create_submission(store, &s.id, false).unwrap();
    let done = run(store, &sub.id, exec, 1, &mut |_| {}).unwrap();
    store.job(&done.job_ids[0]).unwrap()
}

/// The key a separate hash of every input file gives now.
fn key_now(store: &Store, s: &ScenarioRecord, exec: &Watching) -> String {
    key_report(store, &s.tasks[0].1, exec).unwrap().key
}

fn scored_rows(store: &Store, s: &ScenarioRecord) -> usize {
    let version = store.latest_version(&s.data_nodes["scored"]).unwrap().unwrap();
    let Payload::Object { hash, .. } = &version.payload else { panic!("a stored table: {:?}", version.payload) };
    let path = store.objects.path_of(hash).unwrap();
    let file = std::fs::File::open(path).unwrap();
    polars::prelude::IpcReader::new(file).finish().map(|df| df.height()).unwrap()
}

#[test]
fn a_first_run_hashes_its_csv_as_it_parses_it_with_the_key_a_separate_hash_gives() {
    let (_dir, store, csv, s) = scoring(2_000);
    let exec = watching(&csv);
    let first = submit(&store, &s, &exec);
    assert_eq!(first.status, JobStatus::Completed, "{:?}", first.reason);
    assert_eq!(*exec.asked.lock().unwrap(), [true], "no stored result could match: hashed as read");
    let whole_file = crate::fingerprint::of_file(&csv).unwrap();
    assert_eq!(*exec.reported.lock().unwrap(), [Some(whole_file)], "the reader hashed every byte, the header too");
    assert_eq!(first.cache_key.as_deref(), Some(key_now(&store, &s, &exec).as_str()));
    assert_eq!(scored_rows(&store, &s), 2_000);

    let again = submit(&store, &s, &exec);
    assert_eq!(again.status, JobStatus::Skipped, "{:?}", again.reason);
    // Touched, same content: hashed first, since a stored result may match, and skipped.
    settle(&csv);
    let touched = submit(&store, &s, &exec);
    assert_eq!(touched.status, JobStatus::Skipped, "{:?}", touched.reason);
    assert_eq!(*exec.asked.lock().unwrap(), [true], "the task did not run again");
}

#[test]
fn a_changed_file_is_hashed_first_while_a_result_may_match_and_its_old_content_is_served_again() {
    let (_dir, store, csv, s) = scoring(1_000);
    let original = std::fs::read(&csv).unwrap();
    let exec = watching(&csv);
    submit(&store, &s, &exec);
    append(&csv, EXTRA_ROW);
    settle(&csv);
    let changed = submit(&store, &s, &exec);
    assert_eq!(changed.status, JobStatus::Completed);
    assert!(changed.reason.as_deref().unwrap().contains("the content of"), "{:?}", changed.reason);
    assert_eq!(*exec.asked.lock().unwrap(), [true, false], "a result of the same shape exists: hashed first");
    assert_eq!(scored_rows(&store, &s), 1_001);

    std::fs::write(&csv, &original).unwrap();
    settle(&csv);
    let back = submit(&store, &s, &exec);
    assert_eq!(back.status, JobStatus::Skipped, "{:?}", back.reason);
    assert_eq!(scored_rows(&store, &s), 1_000);
}

#[test]
fn a_task_that_does_not_report_the_hash_gets_the_file_hashed_after_it() {
    let (_dir, store, csv, s) = scoring(500);
    let exec = Watching { hide_request: true, ..watching(&csv) };
    let first = submit(&store, &s, &exec);
    assert_eq!(first.status, JobStatus::Completed);
    assert_eq!(*exec.reported.lock().unwrap(), [None]);
    assert_eq!(first.cache_key.as_deref(), Some(key_now(&store, &s, &exec).as_str()));
    assert_eq!(submit(&store, &s, &exec).status, JobStatus::Skipped);
}

#[test]
fn a_file_edited_while_the_job_reads_it_leaves_a_result_never_reused() {
    let (_dir, store, csv, s) = scoring(500);
    let exec = Watching { edit_during_run: Some(EXTRA_ROW), ..watching(&csv) };
    let first = submit(&store, &s, &exec);
    assert_eq!(first.status, JobStatus::Completed);
    assert!(first.reason.as_deref().unwrap().contains("changed while the job ran"), "{:?}", first.reason);
    settle(&csv);
    let exec = watching(&csv);
    let second = submit(&store, &s, &exec);
    assert_eq!(second.status, JobStatus::Completed, "the edited file's result is not served");
    assert_eq!(scored_rows(&store, &s), 501);
}

#[test]
fn results_cached_before_shapes_were_recorded_are_assumed_to_match() {
    let (dir, store, csv, s) = scoring(500);
    let exec = watching(&csv);
    submit(&store, &s, &exec);
    // The registry as schema 1 left it: cache entries, no shapes.
    drop(store);
    let registry = rusqlite::Connection::open(dir.path().join("store").join("registry.sqlite")).unwrap();
    registry.execute_batch("DROP TABLE job_cache_shapes; PRAGMA user_version = 1;").unwrap();
    drop(registry);
    let store = Store::open(&dir.path().join("store")).unwrap();
    append(&csv, EXTRA_ROW);
    settle(&csv);
    assert_eq!(submit(&store, &s, &exec).status, JobStatus::Completed);
    assert_eq!(*exec.asked.lock().unwrap(), [true, false], "an entry of unknown shape may match: hashed first");
}
