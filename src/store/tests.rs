use std::collections::BTreeMap;

use super::*;
use crate::config::validate::tests::{dn, task};
use crate::config::Scope;
use crate::config::{Frequency, ScenarioSpec};

fn spec() -> ScenarioSpec {
    let mut shared = dn("shared");
    shared.scope = Scope::Global;
    ScenarioSpec {
        id: "pipeline".into(),
        tasks: vec![task("t2", &["b", "shared"], &["c"]), task("t1", &["a"], &["b"])],
        data_nodes: vec![dn("a"), dn("b"), dn("c"), shared],
        additional_data_nodes: vec![],
        frequency: None,
        properties: Default::default(),
    }
}

pub(crate) fn inline(json: &str) -> NewValue {
    NewValue { payload: Payload::Inline { json: json.into() }, fingerprint: format!("fp:{json}"), paths: Vec::new() }
}

pub(crate) fn open() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("store")).unwrap();
    (dir, store)
}

#[test]
fn scenario_creation_orders_tasks_and_writes_defaults() {
    let (_dir, store) = open();
    let defaults = BTreeMap::from([("a".to_string(), inline("1"))]);
    let s = store.create_scenario(&spec(), Some("base".into()), None, &defaults).unwrap();
    let order: Vec<&str> = s.tasks.iter().map(|(c, _)| c.as_str()).collect();
    assert_eq!(order, ["t1", "t2"]);
    let a = store.latest_version(&s.data_nodes["a"]).unwrap().unwrap();
    assert_eq!((a.version, a.writer.as_str()), (1, "default"));
    assert!(store.latest_version(&s.data_nodes["b"]).unwrap().is_none());
    assert!(s.is_primary);
    let again = store.create_scenario(&spec(), None, None, &defaults).unwrap();
    assert!(!again.is_primary);
    assert_eq!(again.data_nodes["shared"], s.data_nodes["shared"], "GLOBAL data nodes are shared");
    assert_ne!(again.data_nodes["a"], s.data_nodes["a"]);
    assert_eq!(store.scenarios().unwrap().len(), 2);
}

#[test]
fn versions_accumulate_and_reopen() {
    let (dir, store) = open();
    let s = store.create_scenario(&spec(), None, None, &BTreeMap::new()).unwrap();
    let a = &s.data_nodes["a"];
    store.write_data_node(a, &inline("1"), "user", None).unwrap();
    store.write_data_node(a, &inline("2"), "user", Some("second".into())).unwrap();
    drop(store);
    let store = Store::open(&dir.path().join("store")).unwrap();
    let versions = store.versions(a).unwrap();
    assert_eq!(versions.iter().map(|v| v.version).collect::<Vec<_>>(), [1, 2]);
    assert_eq!(versions[1].comment.as_deref(), Some("second"));
    assert_eq!(store.version(a, 1).unwrap().fingerprint, "fp:1");
    assert!(matches!(store.version(a, 9), Err(Error::NonExistingEntity(_))));
}

#[test]
fn writing_to_an_unknown_data_node_fails() {
    let (_dir, store) = open();
    let err = store.write_data_node("DATANODE_x_1", &inline("1"), "user", None).unwrap_err();
    assert!(err.to_string().contains("DATANODE_x_1"));
}

#[test]
fn delete_keeps_shared_data_nodes() {
    let (_dir, store) = open();
    let s = store.create_scenario(&spec(), None, None, &BTreeMap::new()).unwrap();
    store.write_data_node(&s.data_nodes["shared"], &inline("7"), "user", None).unwrap();
    store.delete_scenario(&s.id).unwrap();
    assert!(store.data_node(&s.data_nodes["a"]).is_err());
    assert!(store.latest_version(&s.data_nodes["shared"]).unwrap().is_some());
    assert!(store.delete_scenario(&s.id).is_err());
}

#[test]
fn invalid_spec_stores_nothing() {
    let (_dir, store) = open();
    let mut bad = spec();
    bad.tasks.push(task("t3", &["c"], &["a"]));
    assert!(matches!(store.create_scenario(&bad, None, None, &BTreeMap::new()), Err(Error::Config(_))));
    assert!(store.scenarios().unwrap().is_empty());
}

#[test]
fn cycles_follow_frequency() {
    let (_dir, store) = open();
    let mut monthly = spec();
    monthly.frequency = Some(Frequency::Monthly);
    // 2026-11-26 and 2026-11-02 share a month; 2026-12-01 does not.
    let nov = store.create_scenario(&monthly, None, Some(1_795_651_200.0), &BTreeMap::new()).unwrap();
    let nov2 = store.create_scenario(&monthly, None, Some(1_793_577_600.0), &BTreeMap::new()).unwrap();
    let dec = store.create_scenario(&monthly, None, Some(1_796_083_200.0), &BTreeMap::new()).unwrap();
    assert_eq!(nov.cycle_id.as_deref(), Some("CYCLE_MONTHLY_2026-11"));
    assert_eq!(nov2.cycle_id, nov.cycle_id);
    assert_eq!(dec.cycle_id.as_deref(), Some("CYCLE_MONTHLY_2026-12"));
    assert!(nov.is_primary && !nov2.is_primary && dec.is_primary);
}

#[test]
fn unwritable_folder_is_a_storage_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("file");
    std::fs::write(&file, b"x").unwrap();
    let err = Store::open(&file.join("store")).err().unwrap();
    assert!(matches!(err, Error::Storage { .. }), "{err}");
}

#[test]
fn a_missing_registry_beside_stored_objects_is_an_error_not_an_empty_start() {
    let (dir, store) = open();
    store.objects.put_bytes(b"a stored value").unwrap();
    drop(store);
    let folder = dir.path().join("store");
    for file in ["registry.sqlite", "registry.sqlite-wal", "registry.sqlite-shm"] {
        let _ = std::fs::remove_file(folder.join(file));
    }
    let err = Store::open(&folder).err().expect("must not open empty").to_string();
    assert!(err.contains("registry is missing") && err.contains("1 stored value"), "{err}");
    assert!(!folder.join("registry.sqlite").exists(), "nothing was created");
}

#[test]
fn deleting_jobs_and_submissions_keeps_the_rest_consistent() {
    use crate::orchestrator::create_submission;
    let (_dir, store) = open();
    let spec = crate::config::ScenarioSpec {
        id: "s".into(),
        tasks: vec![task("t", &["a"], &["b"])],
        data_nodes: vec![dn("a"), dn("b")],
        additional_data_nodes: vec![],
        frequency: None,
        properties: Default::default(),
    };
    let s = store.create_scenario(&spec, None, None, &Default::default()).unwrap();
    let sub = create_submission(&store, &s.id, false).unwrap();
    let job = sub.job_ids[0].clone();
    let err = store.delete_job(&job, false).unwrap_err().to_string();
    assert!(err.contains("only a finished job"), "{err}");
    assert!(store.delete_submission(&sub.id, false).unwrap_err().to_string().contains("only a finished submission"));
    store.delete_job(&job, true).unwrap();
    assert!(store.job(&job).is_err());
    assert!(store.submission(&sub.id).unwrap().job_ids.is_empty());
    store.delete_submission(&sub.id, true).unwrap();
    assert!(store.submission(&sub.id).is_err());
    // A task's own submission goes with its scenario.
    let task_sub = create_submission(&store, &s.tasks[0].1, false).unwrap();
    store.delete_scenario(&s.id).unwrap();
    assert!(store.submission(&task_sub.id).is_err() && store.job(&task_sub.job_ids[0]).is_err());
}

#[test]
fn cycles_keep_the_names_users_give_them() {
    let (_dir, store) = open();
    let spec = crate::config::ScenarioSpec {
        id: "s".into(),
        tasks: vec![],
        data_nodes: vec![],
        additional_data_nodes: vec![],
        frequency: Some(Frequency::Monthly),
        properties: Default::default(),
    };
    let s = store.create_scenario(&spec, None, Some(1_795_000_000.0), &Default::default()).unwrap();
    let cycle = s.cycle_id.clone().unwrap();
    assert_eq!(store.cycle_name(&cycle).unwrap(), None);
    store.set_cycle_name(&cycle, "November").unwrap();
    assert_eq!(store.cycle_name(&cycle).unwrap().as_deref(), Some("November"));
    assert!(matches!(store.set_cycle_name("CYCLE_MONTHLY_1999-01", "x"), Err(Error::NonExistingEntity(_))));
}

#[test]
fn objects_written_here_are_remembered_as_checked_once_out_of_the_racy_window_by_a_later_call() {
    let (_dir, store) = open();
    let (hash, _) = store.objects.put_bytes(b"a partition").unwrap();
    let path = store.objects.path_of(&hash).unwrap();
    store.remember_checked_objects([hash.as_str()]).unwrap();
    assert!(matches!(store.file_state(&path).unwrap(), FileState::Unhashed(_)), "written in the clock's last tick");
    std::thread::sleep(std::time::Duration::from_millis(150));
    store.remember_checked_objects([]).unwrap();
    assert!(matches!(store.file_state(&path).unwrap(), FileState::Known(ref fp) if *fp == hash));
}
