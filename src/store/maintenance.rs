//! Registry upkeep: duplicating scenarios, listing config versions, checking
//! integrity and collecting the objects nothing refers to any more.

use std::collections::{BTreeMap, HashSet};
use std::fs;
use std::time::{Duration, SystemTime};

use rusqlite::params;

use super::{insert_version, NewValue, Store};
use crate::error::{Error, Result};
use crate::model::{new_id, now, DataNodeRecord, ScenarioRecord, TaskRecord, Timestamp, VersionRecord};

/// One configuration version and how many scenarios use it.
#[derive(Clone, Debug, serde::Deserialize)]
pub struct ConfigVersion {
    pub version: String,
    pub config_id: String,
    pub created_at: Timestamp,
    pub scenarios: i64,
}

/// What `gc` did.
#[derive(Clone, Debug, Default)]
pub struct GcReport {
    pub objects_deleted: u64,
    pub bytes_freed: u64,
    pub objects_kept: u64,
    pub cache_entries_dropped: u64,
    /// Files a killed writer left in `objects/tmp/`, older than the grace period.
    pub temporary_files_deleted: u64,
}

/// What `integrity_check(full=True)` found.
#[derive(Clone, Debug, Default)]
pub struct IntegrityReport {
    /// Each one a place where a stored value cannot be read back as written.
    pub problems: Vec<String>,
    /// Objects no version refers to (a deleted scenario's, a killed writer's): gc removes them.
    pub orphan_objects: u64,
    /// Files in `objects/tmp/`: writes in flight, or left by a killed process.
    pub temporary_files: u64,
}

/// How long a temporary file in `objects/tmp/` is left to its writer at least.
const IN_FLIGHT: Duration = Duration::from_secs(120);

impl IntegrityReport {
    /// "ok" (with what gc would clear) or one problem per line.
    pub fn summary(&self) -> String {
        if !self.problems.is_empty() {
            return self.problems.join("\n");
        }
        let mut leftovers = Vec::new();
        if self.orphan_objects > 0 {
            leftovers.push(format!("{} object(s) no version refers to", self.orphan_objects));
        }
        if self.temporary_files > 0 {
            leftovers.push(format!("{} temporary file(s)", self.temporary_files));
        }
        if leftovers.is_empty() {
            "ok".into()
        } else {
            format!("ok ({}: sc.gc() removes them)", leftovers.join(", "))
        }
    }
}

impl Store {
    /// A copy of a scenario under a new id: its own data nodes hold the latest
    /// version of each original one (the same objects: nothing is copied on
    /// disk), shared data nodes stay shared, and it has no submissions yet.
    pub fn duplicate_scenario(&self, id: &str, name: Option<String>) -> Result<ScenarioRecord> {
        self.registry.write(|tx| {
            let original: ScenarioRecord = tx
                .one("SELECT body FROM scenarios WHERE id = ?1", params![id])?
                .ok_or_else(|| Error::NonExistingEntity(id.to_owned()))?;
            let copy_id = new_id("SCENARIO", &original.config_id);
            let mut renamed: BTreeMap<String, String> = BTreeMap::new();
            for dn_id in original.data_nodes.values() {
                let mut dn: DataNodeRecord = tx
                    .one("SELECT body FROM data_nodes WHERE id = ?1", params![dn_id])?
                    .ok_or_else(|| Error::NonExistingEntity(dn_id.clone()))?;
                if dn.owner_id.as_deref() != Some(id) {
                    continue; // cycle or global scope: shared, not copied
                }
                let latest: Option<VersionRecord> = tx.one(
                    "SELECT body FROM versions WHERE data_node_id = ?1 ORDER BY version DESC LIMIT 1",
                    params![dn_id],
                )?;
                dn.id = new_id("DATANODE", &dn.config_id);
                dn.owner_id = Some(copy_id.clone());
                tx.execute(
                    "INSERT INTO data_nodes (id, config_id, scope, owner_id, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                    params![dn.id, dn.config_id, dn.scope.as_str(), dn.owner_id, tx.encode(&dn)?],
                )?;
                if let Some(v) = latest {
                    let value = NewValue { payload: v.payload, fingerprint: v.fingerprint, paths: v.paths };
                    insert_version(tx, &dn.id, &value, &v.writer, Some(format!("duplicated from {id}")))?;
                }
                renamed.insert(dn_id.clone(), dn.id);
            }
            let rename = |dn: &String| renamed.get(dn).cloned().unwrap_or_else(|| dn.clone());
            let mut tasks = Vec::new();
            for (config_id, task_id) in &original.tasks {
                let mut task: TaskRecord = tx
                    .one("SELECT body FROM tasks WHERE id = ?1", params![task_id])?
                    .ok_or_else(|| Error::NonExistingEntity(task_id.clone()))?;
                task.id = new_id("TASK", config_id);
                task.scenario_id = copy_id.clone();
                for input in &mut task.inputs {
                    input.data_node = rename(&input.data_node);
                }
                task.outputs = task.outputs.iter().map(rename).collect();
                tx.execute(
                    "INSERT INTO tasks (id, scenario_id, body) VALUES (?1, ?2, ?3)",
                    params![task.id, copy_id, tx.encode(&task)?],
                )?;
                tasks.push((config_id.clone(), task.id));
            }
            let copy = ScenarioRecord {
                id: copy_id,
                name: name.or_else(|| original.name.as_ref().map(|n| format!("{n} (copy)"))),
                creation_date: now(),
                is_primary: false,
                data_nodes: original.data_nodes.iter().map(|(c, dn)| (c.clone(), rename(dn))).collect(),
                tasks,
                ..original
            };
            tx.execute(
                "INSERT INTO scenarios (id, config_id, creation_date, body) VALUES (?1, ?2, ?3, ?4)",
                params![copy.id, copy.config_id, copy.creation_date, tx.encode(&copy)?],
            )?;
            Ok(copy)
        })
    }

    pub fn config_versions(&self) -> Result<Vec<ConfigVersion>> {
        self.registry.read(|tx| {
            tx.all(
                "SELECT json_object('version', v.version, 'config_id', v.config_id, 'created_at', v.created_at, \
                 'scenarios', COUNT(s.id)) FROM config_versions v LEFT JOIN scenarios s \
                 ON json_extract(s.body, '$.config_version') = v.version GROUP BY v.version \
                 ORDER BY v.created_at, v.rowid",
                params![],
            )
        })
    }

    /// SQLite's own check of the registry file: "ok" when sound.
    pub fn integrity_check(&self) -> Result<String> {
        self.registry.read(|tx| tx.scalar("PRAGMA integrity_check", params![])).map(|v| v.unwrap_or_default())
    }

    /// SQLite's check, then that every object a version refers to is there
    /// as a plain file (not read): "ok", or one problem per line.
    pub fn integrity_check_quick(&self) -> Result<String> {
        let sqlite = self.integrity_check()?;
        let mut problems = Vec::new();
        if sqlite != "ok" {
            problems.push(format!("registry.sqlite: {sqlite}"));
        }
        let versions: Vec<VersionRecord> =
            self.registry.read(|tx| tx.all("SELECT body FROM versions ORDER BY data_node_id, version", params![]))?;
        let mut seen = HashSet::new();
        for version in &versions {
            for hash in version.payload.object_hashes() {
                if seen.insert(hash) {
                    if let Err(e) = super::objects::require_stored(self.objects.root(), hash) {
                        problems.push(format!("{} version {}: {e}", version.data_node_id, version.version));
                    }
                }
            }
        }
        Ok(if problems.is_empty() { "ok".into() } else { problems.join("\n") })
    }

    /// SQLite's check, then every object a version refers to read and hashed
    /// again (no cache), versions of data nodes that do not exist, links and
    /// folders where objects belong, objects nothing refers to and files a
    /// killed writer left.
    pub fn integrity_check_full(&self) -> Result<IntegrityReport> {
        let mut report = IntegrityReport::default();
        let sqlite = self.integrity_check()?;
        if sqlite != "ok" {
            report.problems.push(format!("registry.sqlite: {sqlite}"));
        }
        let (versions, nodes): (Vec<VersionRecord>, HashSet<String>) = self.registry.read(|tx| {
            let versions = tx.all("SELECT body FROM versions ORDER BY data_node_id, version", params![])?;
            let nodes: Vec<(String, i64)> = tx.rows("SELECT id, 0 FROM data_nodes", params![])?;
            Ok((versions, nodes.into_iter().map(|(id, _)| id).collect()))
        })?;
        let mut referenced = HashSet::new();
        for version in &versions {
            let label = format!("{} version {}", version.data_node_id, version.version);
            if !nodes.contains(&version.data_node_id) {
                report.problems.push(format!("{label}: a version of a data node that does not exist"));
            }
            for hash in version.payload.object_hashes() {
                if crate::interrupt::requested() {
                    return Err(Error::storage(self.objects.root(), "integrity check interrupted"));
                }
                if referenced.insert(hash.to_owned()) {
                    if let Err(e) = self.objects.check_now(hash) {
                        report.problems.push(format!("{label}: {e}"));
                    }
                }
            }
        }
        let root = self.objects.root();
        for prefix in fs::read_dir(root).map_err(|e| Error::storage(root, e))?.flatten() {
            let name = prefix.file_name().to_string_lossy().into_owned();
            let kind = prefix.file_type().map_err(|e| Error::storage(prefix.path(), e))?;
            if name == "tmp" && kind.is_dir() {
                report.temporary_files += fs::read_dir(prefix.path()).map_or(0, |e| e.count() as u64);
                continue;
            }
            if name == super::folders::TREES && kind.is_dir() {
                continue; // unpacked copies of folder objects, rebuilt from them when removed
            }
            if name.len() != 2 || !kind.is_dir() {
                report.problems.push(format!("{}: not an object folder", prefix.path().display()));
                continue;
            }
            for object in fs::read_dir(prefix.path()).map_err(|e| Error::storage(prefix.path(), e))?.flatten() {
                let hash = format!("{name}{}", object.file_name().to_string_lossy());
                let plain = object.file_type().is_ok_and(|t| t.is_file());
                if !plain {
                    report.problems.push(format!("{}: not a plain file", object.path().display()));
                } else if !referenced.contains(&hash) {
                    report.orphan_objects += 1;
                }
            }
        }
        Ok(report)
    }

    /// Deletes objects that no data-node version refers to, and cache entries
    /// whose objects are gone. Objects younger than `grace` are kept: a writer
    /// may have stored one and not yet recorded the version that refers to it
    /// (storing bytes an object already holds refreshes its age).
    ///
    /// The final decision and the deletes happen inside one registry write
    /// transaction: no version can be recorded between gc reading the
    /// references and deleting, and a version recorded after checks that its
    /// objects still exist (`insert_edit`), so no version is left naming a
    /// collected object.
    pub fn gc(&self, grace: Duration) -> Result<GcReport> {
        // None when the grace period reaches back before the clock's start: nothing is old enough.
        let cutoff = SystemTime::now().checked_sub(grace);
        let root = self.objects.root();
        // Nothing here follows a symbolic link: a link planted in the store is
        // removed as a link (or left), never walked into, so gc cannot reach a
        // file outside the storage folder.
        if !super::files::is_plain_folder(root) {
            return Err(Error::storage(
                root,
                "the object folder is not a plain folder (a link?): gc refuses to work in it",
            ));
        }
        let mut report = GcReport::default();
        // Referenced by a version, or by a partition memo a job used within the
        // grace period (it may be about to record a version naming the object).
        let referenced_now = |tx: &super::Tx<'_>| -> Result<HashSet<String>> {
            let bodies: Vec<VersionRecord> = tx.all("SELECT body FROM versions", params![])?;
            let mut referenced: HashSet<String> =
                bodies.iter().flat_map(|v| v.payload.object_hashes()).map(str::to_owned).collect();
            referenced.extend(self.objects.objects_in_use(cutoff.unwrap_or(std::time::UNIX_EPOCH)));
            Ok(referenced)
        };
        let collectable = |meta: &fs::Metadata, hash: &str, referenced: &HashSet<String>| {
            let young = cutoff.is_none_or(|cutoff| meta.modified().map_or(true, |m| m > cutoff));
            !(meta.is_dir() || (referenced.contains(hash) && meta.is_file()) || young)
        };
        // The scan runs without the write lock; only its candidates are decided again
        // and deleted under it, so writers wait for the deletes, not for the scan.
        let referenced = self.registry.read(referenced_now)?;
        let mut candidates = Vec::new();
        let entries = fs::read_dir(root).map_err(|e| Error::storage(root, e))?;
        for prefix in entries.flatten() {
            let name = prefix.file_name().to_string_lossy().into_owned();
            let is_folder = prefix.file_type().is_ok_and(|t| t.is_dir());
            if name.len() != 2 || !is_folder || !name.bytes().all(|b| b.is_ascii_hexdigit()) {
                continue; // tmp/, trees/, links and anything that is not an object folder
            }
            for object in fs::read_dir(prefix.path()).map_err(|e| Error::storage(prefix.path(), e))?.flatten() {
                let hash = format!("{name}{}", object.file_name().to_string_lossy());
                match fs::symlink_metadata(object.path()) {
                    Ok(meta) if collectable(&meta, &hash, &referenced) => candidates.push((object.path(), hash)),
                    _ => report.objects_kept += 1,
                }
            }
        }
        if !candidates.is_empty() {
            self.registry.write(|tx| {
                let referenced = referenced_now(tx)?;
                for (path, hash) in &candidates {
                    let meta = match fs::symlink_metadata(path) {
                        Ok(meta) => meta,
                        Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                        Err(e) => return Err(Error::storage(path, e)),
                    };
                    if !collectable(&meta, hash, &referenced) {
                        report.objects_kept += 1; // recorded or stored again since the scan
                        continue;
                    }
                    fs::remove_file(path).map_err(|e| Error::storage(path, e))?;
                    report.objects_deleted += 1;
                    report.bytes_freed += if meta.is_file() { meta.len() } else { 0 };
                }
                Ok(())
            })?;
        }
        if let Some(cutoff) = cutoff {
            report.temporary_files_deleted = self.remove_stale_temporary_files(cutoff)?;
        }
        report.cache_entries_dropped = self.drop_dangling_cache_entries()?;
        self.objects.drop_stale_part_memos()?;
        self.objects.drop_unpacked_orphans()?;
        Ok(report)
    }

    /// Removes what writers left in `objects/tmp/` before `cutoff` (a killed
    /// process's `.part` files); younger ones may belong to a write in flight.
    /// A `tmp` that is a link is not read: its files are not the store's.
    fn remove_stale_temporary_files(&self, cutoff: SystemTime) -> Result<u64> {
        let tmp = self.objects.tmp_dir();
        if !super::files::is_plain_folder(&tmp) {
            return Ok(0);
        }
        // A temporary file is a write in flight for as long as its writer runs,
        // whatever grace period gc was given: gc(0) must not fail a writer's
        // store_file. One left this long is a killed writer's.
        let cutoff = SystemTime::now().checked_sub(IN_FLIGHT).map_or(cutoff, |floor| cutoff.min(floor));
        let Ok(entries) = fs::read_dir(&tmp) else { return Ok(0) };
        let mut removed = 0;
        for entry in entries.flatten() {
            let meta = match fs::symlink_metadata(entry.path()) {
                Ok(meta) => meta,
                // Renamed into place (or removed) by its writer since it was listed.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
                Err(e) => return Err(Error::storage(entry.path(), e)),
            };
            if meta.modified().map_or(true, |m| m > cutoff) {
                continue;
            }
            // A folder is a partitioned dataset being packed or unpacked
            // (folders.rs); `remove_dir_all` removes links inside it as links.
            match if meta.is_dir() { fs::remove_dir_all(entry.path()) } else { fs::remove_file(entry.path()) } {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::storage(entry.path(), e)),
            }
        }
        Ok(removed)
    }

    fn drop_dangling_cache_entries(&self) -> Result<u64> {
        let entries: Vec<(String, String)> =
            self.registry.read(|tx| tx.rows("SELECT cache_key, body FROM job_cache", params![]))?;
        let dangling: Vec<String> = entries
            .into_iter()
            .filter(|(_, body)| {
                serde_json::from_str::<super::CacheEntry>(body)
                    .map_or(true, |e| !e.outputs.iter().all(|(fp, p)| self.payload_holds(p, fp)))
            })
            .map(|(key, _)| key)
            .collect();
        self.registry.write(|tx| {
            for key in &dangling {
                tx.execute("DELETE FROM job_cache WHERE cache_key = ?1", params![key])?;
                tx.execute("DELETE FROM job_cache_shapes WHERE cache_key = ?1", params![key])?;
            }
            Ok(dangling.len() as u64)
        })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;
    use std::time::{Duration, SystemTime};

    use crate::config::validate::tests::{dn, task};
    use crate::config::{ScenarioSpec, Scope};
    use crate::model::Payload;
    use crate::store::tests::{inline, open};
    use crate::store::NewValue;

    fn spec() -> ScenarioSpec {
        let mut shared = dn("shared");
        shared.scope = Scope::Global;
        ScenarioSpec {
            id: "s".into(),
            tasks: vec![task("t", &["a", "shared"], &["b"])],
            data_nodes: vec![dn("a"), dn("b"), shared],
            additional_data_nodes: vec![],
            frequency: None,
            properties: Default::default(),
        }
    }

    #[test]
    fn duplicate_copies_latest_values_and_shares_global_nodes() {
        let (_dir, store) = open();
        let s = store.create_scenario(&spec(), Some("base".into()), None, &BTreeMap::new()).unwrap();
        store.write_data_node(&s.data_nodes["a"], &inline("1"), "user", None).unwrap();
        store.write_data_node(&s.data_nodes["a"], &inline("2"), "user", None).unwrap();
        let copy = store.duplicate_scenario(&s.id, None).unwrap();
        assert_eq!(copy.name.as_deref(), Some("base (copy)"));
        assert!(!copy.is_primary);
        assert_ne!(copy.data_nodes["a"], s.data_nodes["a"]);
        assert_eq!(copy.data_nodes["shared"], s.data_nodes["shared"]);
        let versions = store.versions(&copy.data_nodes["a"]).unwrap();
        assert_eq!(versions.len(), 1);
        assert_eq!(versions[0].payload, Payload::Inline { json: "2".into() });
        let t = store.task(&copy.tasks[0].1).unwrap();
        assert_eq!(t.inputs[0].data_node, copy.data_nodes["a"]);
        assert_eq!(t.outputs, vec![copy.data_nodes["b"].clone()]);
        assert_eq!(store.config_versions().unwrap()[0].scenarios, 2);
    }

    #[test]
    fn gc_frees_only_unreferenced_objects() {
        let (_dir, store) = open();
        let s = store.create_scenario(&spec(), None, None, &BTreeMap::new()).unwrap();
        let (kept, _) = store.objects.put_bytes(b"kept").unwrap();
        let (orphan, size) = store.objects.put_bytes(b"orphan object").unwrap();
        let value = NewValue {
            payload: Payload::Object { hash: kept.clone(), format: "pickle".into(), size: 4 },
            fingerprint: kept.clone(),
            paths: Vec::new(),
        };
        store.write_data_node(&s.data_nodes["a"], &value, "user", None).unwrap();
        let young = store.gc(Duration::from_secs(3600)).unwrap();
        assert_eq!(young.objects_deleted, 0, "objects inside the grace period stay");
        let report = store.gc(Duration::ZERO).unwrap();
        assert_eq!((report.objects_deleted, report.bytes_freed), (1, size));
        assert!(store.objects.contains(&kept) && !store.objects.contains(&orphan));
        assert_eq!(store.integrity_check().unwrap(), "ok");
    }

    #[cfg(unix)]
    #[test]
    fn gc_never_follows_a_link_out_of_the_store_and_clears_old_temporary_files() {
        let (dir, store) = open();
        let outside = tempfile::tempdir().unwrap();
        let victim = outside.path().join("precious.txt");
        std::fs::write(&victim, b"keep me").unwrap();
        let old = SystemTime::now() - Duration::from_secs(7200);
        std::fs::File::options().write(true).open(&victim).unwrap().set_modified(old).unwrap();
        let root = store.objects.root().to_owned();
        std::os::unix::fs::symlink(outside.path(), root.join("ab")).unwrap();
        std::fs::create_dir_all(root.join("cd")).unwrap();
        std::os::unix::fs::symlink(&victim, root.join("cd").join("ef")).unwrap();
        let part = store.objects.tmp_dir().join("left-by-a-killed-writer.part");
        std::fs::write(&part, b"half").unwrap();
        std::fs::File::options().write(true).open(&part).unwrap().set_modified(old).unwrap();
        let stale_tree = store.objects.tmp_dir().join("left-by-a-killed-unpack.tree");
        std::fs::create_dir_all(stale_tree.join("k=1")).unwrap();
        std::fs::write(stale_tree.join("k=1").join("part-0.parquet"), b"x").unwrap();
        std::fs::File::open(&stale_tree).unwrap().set_modified(old).unwrap();
        let fresh = store.objects.tmp_dir().join("in-flight.part");
        std::fs::write(&fresh, b"writing").unwrap();
        let report = store.gc(Duration::from_secs(3600)).unwrap();
        assert_eq!(std::fs::read(&victim).unwrap(), b"keep me", "nothing outside the store is touched");
        assert!(!part.exists() && !stale_tree.exists() && fresh.exists());
        assert_eq!(report.temporary_files_deleted, 2);
        let _ = dir;
    }

    #[test]
    fn gc_keeps_a_partition_whose_memo_a_job_just_used_and_then_forgets_the_memo() {
        let (_dir, store) = open();
        let (hash, size) = store.objects.put_bytes(b"a partition no version names yet").unwrap();
        let object = store.objects.path_of(&hash).unwrap();
        age(&object, 7200);
        let identity = blake3::hash(b"its input").to_hex().to_string();
        let part = crate::model::Part { name: "bytes 0..32".into(), hash: hash.clone(), size, rows: 1 };
        store.objects.remember_part(&identity, &part).unwrap();
        let memo = store.objects.root().join("parts").join(&identity);
        age(&memo, 7200);
        assert!(store.objects.part_made_from(&identity).is_some(), "a job takes it");
        store.gc(Duration::from_secs(3600)).unwrap();
        assert!(object.exists(), "the job may record a version naming it");
        age(&memo, 7200);
        store.gc(Duration::from_secs(3600)).unwrap();
        assert!(!object.exists() && !memo.exists());
    }

    fn age(path: &std::path::Path, seconds: u64) {
        let old = SystemTime::now() - Duration::from_secs(seconds);
        std::fs::File::options().write(true).open(path).unwrap().set_modified(old).unwrap();
    }

    fn object_value(hash: &str) -> NewValue {
        NewValue {
            payload: Payload::Object { hash: hash.to_owned(), format: "pickle".into(), size: 1 },
            fingerprint: hash.to_owned(),
            paths: Vec::new(),
        }
    }

    #[test]
    fn storing_bytes_an_old_orphan_holds_makes_it_young_again() {
        let (_dir, store) = open();
        let s = store.create_scenario(&spec(), None, None, &BTreeMap::new()).unwrap();
        let (hash, _) = store.objects.put_bytes(b"a value a deleted scenario held").unwrap();
        age(&store.objects.path_of(&hash).unwrap(), 7200);
        // A writer stores the same bytes again; gc runs before it records its version.
        let (again, _) = store.objects.put_bytes(b"a value a deleted scenario held").unwrap();
        assert_eq!(again, hash);
        assert_eq!(store.gc(Duration::from_secs(3600)).unwrap().objects_deleted, 0);
        store.write_data_node(&s.data_nodes["a"], &object_value(&hash), "user", None).unwrap();
        assert_eq!(store.integrity_check_quick().unwrap(), "ok");
    }

    #[test]
    fn a_version_naming_a_collected_object_is_refused_not_recorded() {
        let (_dir, store) = open();
        let s = store.create_scenario(&spec(), None, None, &BTreeMap::new()).unwrap();
        let (hash, _) = store.objects.put_bytes(b"stored, then collected").unwrap();
        assert_eq!(store.gc(Duration::ZERO).unwrap().objects_deleted, 1);
        let error = store.write_data_node(&s.data_nodes["a"], &object_value(&hash), "user", None).unwrap_err();
        assert!(error.to_string().contains("the stored value is missing"), "{error}");
        assert!(store.versions(&s.data_nodes["a"]).unwrap().is_empty());
    }

    #[test]
    fn quick_integrity_check_finds_a_missing_object() {
        let (_dir, store) = open();
        let s = store.create_scenario(&spec(), None, None, &BTreeMap::new()).unwrap();
        let (hash, _) = store.objects.put_bytes(b"referenced").unwrap();
        store.write_data_node(&s.data_nodes["a"], &object_value(&hash), "user", None).unwrap();
        assert_eq!(store.integrity_check_quick().unwrap(), "ok");
        std::fs::remove_file(store.objects.path_of(&hash).unwrap()).unwrap();
        let found = store.integrity_check_quick().unwrap();
        assert!(found.contains("version 1") && found.contains("missing"), "{found}");
    }

    #[test]
    fn a_grace_period_beyond_the_clock_keeps_everything_without_panicking() {
        let (_dir, store) = open();
        store.objects.put_bytes(b"orphan").unwrap();
        let report = store.gc(Duration::from_secs(10_000_000_000_000_000_000)).unwrap();
        assert_eq!((report.objects_deleted, report.objects_kept), (0, 1));
    }

    #[cfg(unix)]
    #[test]
    fn gc_leaves_the_files_behind_linked_tmp_and_trees_folders() {
        let (_dir, store) = open();
        let root = store.objects.root().to_owned();
        let outside = tempfile::tempdir().unwrap();
        let files = outside.path().join("files");
        let folders = outside.path().join("folders");
        std::fs::create_dir_all(folders.join("sub")).unwrap();
        std::fs::create_dir_all(&files).unwrap();
        for (i, path) in [files.join("a.part"), files.join("b.txt"), folders.join("sub").join("c")].iter().enumerate() {
            std::fs::write(path, format!("precious {i}")).unwrap();
            age(path, 7 * 24 * 3600);
        }
        std::fs::remove_dir_all(root.join("tmp")).unwrap();
        std::os::unix::fs::symlink(&files, root.join("tmp")).unwrap();
        std::os::unix::fs::symlink(&folders, root.join(crate::store::folders::TREES)).unwrap();
        let report = store.gc(Duration::ZERO).unwrap();
        assert_eq!(report.temporary_files_deleted, 0);
        assert_eq!(std::fs::read_dir(&files).unwrap().count(), 2, "nothing outside the store is deleted");
        assert_eq!(std::fs::read(folders.join("sub").join("c")).unwrap(), b"precious 2");
        let report = store.integrity_check_full().unwrap();
        let linked = |name: &str| report.problems.iter().any(|p| p.ends_with(&format!("{name}: not an object folder")));
        assert!(linked("tmp") && linked("trees"), "{:?}", report.problems);
    }
}
