//! The storage folder: the registry and the object store, and every entity
//! operation that touches them.

mod file_nodes;
mod files;
pub use files::{FileState, UnhashedFile};
mod folders;
mod hashed_file;
pub use file_nodes::{file_node_path, reads_partitions, EXTERNAL_WRITER};
pub use folders::{is_folder_format, StoredFolder};
pub use hashed_file::HashedFile;
mod maintenance;
pub mod objects;
mod part_folders;
mod part_memos;
mod recovery;
pub mod registry;
pub use recovery::RunLock;
mod scenarios;
pub mod writeback;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use rusqlite::params;
use serde::{Deserialize, Serialize};

use crate::config::ScenarioSpec;
use crate::error::{Error, Result};
pub use crate::model::NewValue;
use crate::model::{
    now, DataNodeRecord, JobRecord, Payload, ScenarioRecord, SubmissionRecord, TaskRecord, Timestamp, VersionRecord,
};
pub use maintenance::{ConfigVersion, GcReport, IntegrityReport};
pub use objects::ObjectStore;
pub use registry::{Registry, Tx};

/// How a completed job's result is cached: with the shape of its key when its
/// inputs name files (see [`Store::may_cache_shape`]).
#[derive(Clone, Copy, Debug)]
pub enum CacheShape<'a> {
    WithFiles(&'a str),
    WithoutFiles,
}

/// What a completed job produced, kept so an identical job can be skipped.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct CacheEntry {
    pub job_id: String,
    pub created_at: Timestamp,
    /// (fingerprint, payload) per output, in the task's output order.
    pub outputs: Vec<(String, Payload)>,
    /// The paths each output's value names (see [`NewValue::paths`]).
    #[serde(default)]
    pub paths: Vec<Vec<String>>,
}

pub struct Store {
    folder: PathBuf,
    pub registry: Registry,
    pub objects: ObjectStore,
    /// Objects written here still too young to be remembered as checked.
    young_objects: std::sync::Mutex<Vec<String>>,
}

impl Store {
    pub fn open(folder: &Path) -> Result<Self> {
        fs::create_dir_all(folder)
            .map_err(|e| Error::storage(folder, format!("cannot create the storage folder: {e}")))?;
        // A name of its own: processes opening the same folder at once would
        // otherwise remove each other's probe.
        let probe = folder.join(format!(".write-probe-{}", uuid::Uuid::new_v4().simple()));
        fs::write(&probe, b"")
            .and_then(|_| fs::remove_file(&probe))
            .map_err(|e| Error::storage(folder, format!("the storage folder is not writable: {e}")))?;
        let registry_path = folder.join("registry.sqlite");
        if !registry_path.exists() {
            let stored = stored_object_count(&folder.join("objects"));
            if stored > 0 {
                // Starting empty would make every stored value unreachable and
                // the next gc would delete them all.
                return Err(Error::storage(
                    &registry_path,
                    format!(
                        "the registry is missing while objects/ holds {stored} stored value(s): restore \
                         registry.sqlite from a backup, or move objects/ away to start an empty store here"
                    ),
                ));
            }
        }
        let objects = ObjectStore::open(folder.join("objects"))?;
        let registry = Registry::open(&registry_path)?;
        let store = Store { folder: folder.to_owned(), registry, objects, young_objects: Default::default() };
        store.recover_dead_runs()?;
        Ok(store)
    }

    pub fn folder(&self) -> &Path {
        &self.folder
    }

    // ---------------------------------------------------------------- scenarios

    pub fn scenario(&self, id: &str) -> Result<ScenarioRecord> {
        self.registry
            .read(|tx| tx.one("SELECT body FROM scenarios WHERE id = ?1", params![id]))?
            .ok_or_else(|| Error::NonExistingEntity(id.to_owned()))
    }

    pub fn scenarios(&self) -> Result<Vec<ScenarioRecord>> {
        self.registry.read(|tx| tx.all("SELECT body FROM scenarios ORDER BY creation_date, rowid", params![]))
    }

    /// Who is editing a data node and until when (Taipy's `lock_edit`), if the lock
    /// has not expired.
    pub fn edit_lock(&self, data_node_id: &str) -> Result<Option<(Option<String>, Timestamp)>> {
        let found: Option<(Option<String>, Timestamp)> = self.registry.read(|tx| {
            tx.row("SELECT editor_id, expires_at FROM edit_locks WHERE data_node_id = ?1", params![data_node_id])
        })?;
        Ok(found.filter(|(_, expires_at)| *expires_at > now()))
    }

    /// Locks a data node for `editor_id` until `expires_at` (one transaction). A lock
    /// held by another editor that has not expired is refused, naming the holder.
    pub fn lock_edit(&self, data_node_id: &str, editor_id: Option<&str>, expires_at: Timestamp) -> Result<()> {
        self.data_node(data_node_id)?;
        self.registry.write(|tx| {
            let held: Option<(Option<String>, Timestamp)> =
                tx.row("SELECT editor_id, expires_at FROM edit_locks WHERE data_node_id = ?1", params![data_node_id])?;
            if let Some((holder, until)) = held {
                if until > now() && holder.is_some() && holder.as_deref() != editor_id {
                    return Err(Error::InvalidArgument(format!(
                        "data node {data_node_id} is being edited by {} until {until:.0} (Unix time)",
                        holder.unwrap_or_default()
                    )));
                }
            }
            tx.execute(
                "INSERT OR REPLACE INTO edit_locks (data_node_id, editor_id, expires_at) VALUES (?1, ?2, ?3)",
                params![data_node_id, editor_id, expires_at],
            )?;
            Ok(())
        })
    }

    /// Removes a data node's lock (that of `editor_id`, or any with None).
    pub fn unlock_edit(&self, data_node_id: &str, editor_id: Option<&str>) -> Result<()> {
        self.registry.write(|tx| {
            match editor_id {
                Some(editor) => tx.execute(
                    "DELETE FROM edit_locks WHERE data_node_id = ?1 AND (editor_id IS NULL OR editor_id = ?2)",
                    params![data_node_id, editor],
                )?,
                None => tx.execute("DELETE FROM edit_locks WHERE data_node_id = ?1", params![data_node_id])?,
            };
            Ok(())
        })
    }

    /// The name a user gave a cycle (Taipy's `cycle.name = ...`), if any.
    pub fn cycle_name(&self, id: &str) -> Result<Option<String>> {
        self.registry.read(|tx| tx.scalar("SELECT name FROM cycle_names WHERE id = ?1", params![id]))
    }

    /// Names a cycle some scenario was created in.
    pub fn set_cycle_name(&self, id: &str, name: &str) -> Result<()> {
        self.registry.write(|tx| {
            let known: Option<i64> =
                tx.scalar("SELECT 1 FROM scenarios WHERE json_extract(body, '$.cycle_id') = ?1 LIMIT 1", params![id])?;
            if known.is_none() {
                return Err(Error::NonExistingEntity(id.to_owned()));
            }
            tx.execute("INSERT OR REPLACE INTO cycle_names (id, name) VALUES (?1, ?2)", params![id, name])?;
            Ok(())
        })
    }

    pub fn update_scenario(&self, record: &ScenarioRecord) -> Result<()> {
        self.registry.write(|tx| {
            if record.is_primary {
                // One primary scenario per config and cycle, as in Taipy.
                let others: Vec<ScenarioRecord> = tx.all(
                    "SELECT body FROM scenarios WHERE config_id = ?1 AND id != ?2 AND json_extract(body, '$.is_primary')",
                    params![record.config_id, record.id],
                )?;
                for mut other in others.into_iter().filter(|o| o.cycle_id == record.cycle_id) {
                    other.is_primary = false;
                    tx.execute("UPDATE scenarios SET body = ?2 WHERE id = ?1", params![other.id, tx.encode(&other)?])?;
                }
            }
            let n = tx.execute("UPDATE scenarios SET body = ?2 WHERE id = ?1", params![record.id, tx.encode(record)?])?;
            if n == 0 {
                return Err(Error::NonExistingEntity(record.id.clone()));
            }
            Ok(())
        })
    }

    /// Replaces a scenario's sequences and their properties in one transaction;
    /// every task a sequence names must be one of the scenario's.
    pub fn set_sequences(
        &self,
        id: &str,
        sequences: BTreeMap<String, Vec<String>>,
        mut properties: BTreeMap<String, BTreeMap<String, serde_json::Value>>,
    ) -> Result<ScenarioRecord> {
        self.registry.write(|tx| {
            let mut record: ScenarioRecord = tx
                .one("SELECT body FROM scenarios WHERE id = ?1", params![id])?
                .ok_or_else(|| Error::NonExistingEntity(id.to_owned()))?;
            for (name, tasks) in &sequences {
                if name.is_empty() {
                    return Err(Error::InvalidArgument("a sequence needs a name".into()));
                }
                if let Some(task) = tasks.iter().find(|t| !record.tasks.iter().any(|(cfg, _)| cfg == *t)) {
                    let known: Vec<&str> = record.tasks.iter().map(|(cfg, _)| cfg.as_str()).collect();
                    return Err(Error::InvalidArgument(format!(
                        "sequence {name:?} names task {task:?}, which is not a task of scenario {id} ({})",
                        known.join(", ")
                    )));
                }
            }
            properties.retain(|name, props| sequences.contains_key(name) && !props.is_empty());
            record.sequences = sequences;
            record.sequence_properties = properties;
            tx.execute("UPDATE scenarios SET body = ?2 WHERE id = ?1", params![record.id, tx.encode(&record)?])?;
            Ok(record)
        })
    }

    pub fn config_spec(&self, version: &str) -> Result<ScenarioSpec> {
        self.registry
            .read(|tx| tx.one("SELECT body FROM config_versions WHERE version = ?1", params![version]))?
            .ok_or_else(|| Error::NonExistingEntity(format!("config version {version}")))
    }

    /// Deletes a scenario with its own data nodes, versions, tasks, jobs and
    /// submissions. Shared (cycle or global) data nodes stay. Objects stay
    /// until garbage-collected, as other versions may point at them.
    pub fn delete_scenario(&self, id: &str) -> Result<()> {
        self.registry.write(|tx| {
            let n = tx.execute("DELETE FROM scenarios WHERE id = ?1", params![id])?;
            if n == 0 {
                return Err(Error::NonExistingEntity(id.to_owned()));
            }
            tx.execute(
                "DELETE FROM versions WHERE data_node_id IN (SELECT id FROM data_nodes WHERE owner_id = ?1 AND scope = 'SCENARIO')",
                params![id],
            )?;
            tx.execute("DELETE FROM data_nodes WHERE owner_id = ?1 AND scope = 'SCENARIO'", params![id])?;
            // Submissions of the scenario, of one of its tasks or of one of its sequences.
            let of_scenario = "SELECT id FROM submissions WHERE entity_id = ?1 \
                 OR entity_id IN (SELECT id FROM tasks WHERE scenario_id = ?1) \
                 OR (entity_id LIKE 'SEQUENCE\\_%' ESCAPE '\\' AND substr(entity_id, -length(?1)) = ?1)";
            tx.execute(&format!("DELETE FROM jobs WHERE submission_id IN ({of_scenario})"), params![id])?;
            tx.execute(&format!("DELETE FROM submissions WHERE id IN ({of_scenario})"), params![id])?;
            tx.execute("DELETE FROM tasks WHERE scenario_id = ?1", params![id])?;
            Ok(())
        })
    }

    /// Deletes a finished job (any job with `force`) and takes it out of its
    /// submission's list; the cache keeps what the job computed.
    pub fn delete_job(&self, id: &str, force: bool) -> Result<()> {
        self.registry.write(|tx| {
            let job: JobRecord = tx
                .one("SELECT body FROM jobs WHERE id = ?1", params![id])?
                .ok_or_else(|| Error::NonExistingEntity(id.to_owned()))?;
            if !force && !job.status.is_finished() {
                return Err(Error::InvalidArgument(format!(
                    "job {id} is {}: only a finished job can be deleted (force=True deletes it anyway)",
                    job.status
                )));
            }
            tx.execute("DELETE FROM jobs WHERE id = ?1", params![id])?;
            let submission: Option<SubmissionRecord> =
                tx.one("SELECT body FROM submissions WHERE id = ?1", params![job.submission_id])?;
            if let Some(mut submission) = submission {
                submission.job_ids.retain(|j| j != id);
                let body = tx.encode(&submission)?;
                tx.execute("UPDATE submissions SET body = ?2 WHERE id = ?1", params![submission.id, body])?;
            }
            Ok(())
        })
    }

    /// Deletes a finished submission and its jobs (any submission with `force`).
    pub fn delete_submission(&self, id: &str, force: bool) -> Result<()> {
        self.registry.write(|tx| {
            let submission: SubmissionRecord = tx
                .one("SELECT body FROM submissions WHERE id = ?1", params![id])?
                .ok_or_else(|| Error::NonExistingEntity(id.to_owned()))?;
            if !force && submission.finished_at.is_none() {
                return Err(Error::InvalidArgument(format!(
                    "submission {id} is {}: only a finished submission can be deleted (force=True deletes it anyway)",
                    submission.status
                )));
            }
            tx.execute("DELETE FROM jobs WHERE submission_id = ?1", params![id])?;
            tx.execute("DELETE FROM submissions WHERE id = ?1", params![id])?;
            Ok(())
        })
    }

    // --------------------------------------------------------------- data nodes

    pub fn data_node(&self, id: &str) -> Result<DataNodeRecord> {
        self.registry
            .read(|tx| tx.one("SELECT body FROM data_nodes WHERE id = ?1", params![id]))?
            .ok_or_else(|| Error::NonExistingEntity(id.to_owned()))
    }

    pub fn data_nodes(&self) -> Result<Vec<DataNodeRecord>> {
        self.registry.read(|tx| tx.all("SELECT body FROM data_nodes ORDER BY rowid", params![]))
    }

    pub fn latest_version(&self, data_node_id: &str) -> Result<Option<VersionRecord>> {
        self.registry.read(|tx| latest_version(tx, data_node_id))
    }

    pub fn versions(&self, data_node_id: &str) -> Result<Vec<VersionRecord>> {
        self.registry.read(|tx| {
            tx.all("SELECT body FROM versions WHERE data_node_id = ?1 ORDER BY version", params![data_node_id])
        })
    }

    pub fn version(&self, data_node_id: &str, version: i64) -> Result<VersionRecord> {
        self.registry
            .read(|tx| {
                tx.one(
                    "SELECT body FROM versions WHERE data_node_id = ?1 AND version = ?2",
                    params![data_node_id, version],
                )
            })?
            .ok_or_else(|| Error::NonExistingEntity(format!("{data_node_id} version {version}")))
    }

    /// Records a user's write. The value must already be stored (see [`ObjectStore::ingest`]).
    pub fn write_data_node(
        &self,
        data_node_id: &str,
        value: &NewValue,
        writer: &str,
        comment: Option<String>,
    ) -> Result<VersionRecord> {
        self.write_data_node_edit(data_node_id, value, writer, comment, BTreeMap::new())
    }

    /// A user's write with the keys they added to the edit (Taipy's `write(data, **kwargs)`).
    pub fn write_data_node_edit(
        &self,
        data_node_id: &str,
        value: &NewValue,
        writer: &str,
        comment: Option<String>,
        extra: BTreeMap<String, serde_json::Value>,
    ) -> Result<VersionRecord> {
        // What a person wrote at a file node's path is kept before it is replaced.
        let node = self.data_node(data_node_id)?;
        self.sync_file_node(&node, true)?;
        let version = self.registry.write(|tx| insert_edit(tx, data_node_id, value, writer, comment, extra))?;
        self.write_copy(&node, &version)?;
        Ok(version)
    }

    /// The path of an object checked against its name (see
    /// [`ObjectStore::verified_path`]), through the registry's cache of file
    /// fingerprints: a table verified by one process is not hashed by the next.
    pub fn verified_object_path(&self, hash: &str) -> Result<PathBuf> {
        self.objects.verified_path_with(hash, |path| self.file_fingerprint(path))
    }

    /// Records the objects named `hashes` that this process wrote (hashed as
    /// written) or checked in the fingerprint cache, so that another process
    /// need not read them again to check them: a partitioned table's old
    /// partitions are not hashed again by every later submit. An object
    /// changed in the clock's last tick (`files.rs`, the racy window) is kept
    /// for the next call, which the end of a submission makes.
    pub fn remember_checked_objects<'a>(&self, hashes: impl IntoIterator<Item = &'a str>) -> Result<()> {
        let mut young = self.young_objects.lock().unwrap_or_else(|p| p.into_inner());
        let wanted: Vec<String> = young.drain(..).chain(hashes.into_iter().map(str::to_owned)).collect();
        for hash in wanted {
            let Ok(path) = self.objects.path_of(&hash) else { continue };
            if !objects::verified_here(&path) {
                continue;
            }
            match self.file_state(&path) {
                // (Bounded: a hint, not a promise.)
                Ok(FileState::Unhashed(file)) if self.is_racy(&file) && young.len() < 100_000 => young.push(hash),
                Ok(FileState::Unhashed(file)) => {
                    self.remember_fingerprint(&file, &hash)?;
                }
                _ => {}
            }
        }
        Ok(())
    }

    // ---------------------------------------------------------- tasks and jobs

    pub fn task(&self, id: &str) -> Result<TaskRecord> {
        self.registry
            .read(|tx| tx.one("SELECT body FROM tasks WHERE id = ?1", params![id]))?
            .ok_or_else(|| Error::NonExistingEntity(id.to_owned()))
    }

    pub fn job(&self, id: &str) -> Result<JobRecord> {
        self.registry
            .read(|tx| tx.one("SELECT body FROM jobs WHERE id = ?1", params![id]))?
            .ok_or_else(|| Error::NonExistingEntity(id.to_owned()))
    }

    pub fn jobs(&self) -> Result<Vec<JobRecord>> {
        self.registry.read(|tx| tx.all("SELECT jobs.body FROM jobs ORDER BY rowid", params![]))
    }

    pub fn submission(&self, id: &str) -> Result<SubmissionRecord> {
        self.registry
            .read(|tx| tx.one("SELECT body FROM submissions WHERE id = ?1", params![id]))?
            .ok_or_else(|| Error::NonExistingEntity(id.to_owned()))
    }

    pub fn submissions(&self, entity_id: Option<&str>) -> Result<Vec<SubmissionRecord>> {
        self.registry.read(|tx| match entity_id {
            Some(id) => tx.all("SELECT body FROM submissions WHERE entity_id = ?1 ORDER BY rowid", params![id]),
            None => tx.all("SELECT body FROM submissions ORDER BY rowid", params![]),
        })
    }

    pub fn insert_submission(&self, submission: &SubmissionRecord, jobs: &[JobRecord]) -> Result<()> {
        self.registry.write(|tx| {
            tx.execute(
                "INSERT INTO submissions (id, entity_id, created_at, pid, body) VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    submission.id,
                    submission.entity_id,
                    submission.created_at,
                    std::process::id(),
                    tx.encode(submission)?
                ],
            )?;
            for (seq, job) in jobs.iter().enumerate() {
                tx.execute(
                    "INSERT INTO jobs (id, submission_id, task_id, seq, status, body) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![job.id, job.submission_id, job.task_id, seq as i64, job.status.as_str(), tx.encode(job)?],
                )?;
            }
            Ok(())
        })
    }

    pub fn update_submission(&self, submission: &SubmissionRecord) -> Result<()> {
        self.registry.write(|tx| {
            tx.execute(
                "UPDATE submissions SET body = ?2 WHERE id = ?1",
                params![submission.id, tx.encode(submission)?],
            )?;
            Ok(())
        })
    }

    pub fn update_job(&self, job: &JobRecord) -> Result<()> {
        self.registry.write(|tx| update_job(tx, job))
    }

    /// A job's outputs, its final state and its cache entry, in one transaction.
    pub fn complete_job(
        &self,
        job: &mut JobRecord,
        task: &TaskRecord,
        outputs: &[NewValue],
        cache: Option<CacheShape<'_>>,
    ) -> Result<()> {
        let written = self.registry.write(|tx| {
            job.outputs.clear();
            let mut written = Vec::with_capacity(outputs.len());
            for (dn, value) in task.outputs.iter().zip(outputs) {
                let version = insert_version(tx, dn, value, &job.id, None)?;
                job.outputs.push((dn.clone(), version.version));
                written.push(version);
            }
            update_job(tx, job)?;
            if let (Some(shape), Some(key)) = (cache, &job.cache_key) {
                let entry = CacheEntry {
                    job_id: job.id.clone(),
                    created_at: job.finished_at.unwrap_or_else(now),
                    outputs: outputs.iter().map(|o| (o.fingerprint.clone(), o.payload.clone())).collect(),
                    paths: outputs.iter().map(|o| o.paths.clone()).collect(),
                };
                tx.execute(
                    "INSERT OR REPLACE INTO job_cache (cache_key, job_id, created_at, body) VALUES (?1, ?2, ?3, ?4)",
                    params![key, job.id, now(), tx.encode(&entry)?],
                )?;
                // Only a shape with files can be asked for (`may_cache_shape`): no
                // row, and no write, for the others.
                if let CacheShape::WithFiles(shape) = shape {
                    tx.execute(
                        "INSERT OR REPLACE INTO job_cache_shapes (cache_key, shape) VALUES (?1, ?2)",
                        params![key, shape],
                    )?;
                }
            }
            Ok(written)
        })?;
        self.copy_outputs(job, &written)
    }

    /// Writes the configured paths of a job's committed outputs; what could
    /// not be written is said in the job's reason (its versions are stored).
    fn copy_outputs(&self, job: &mut JobRecord, written: &[VersionRecord]) -> Result<()> {
        let problems = self.write_copies(written);
        if problems.is_empty() {
            return Ok(());
        }
        let note = problems.join("; ");
        job.reason = Some(match job.reason.take() {
            Some(reason) => format!("{reason}; {note}"),
            None => note,
        });
        self.update_job(job)
    }

    /// Gives a job the cached outputs without running it, linking them into its data
    /// nodes as new versions where the latest version holds something else. None (and
    /// nothing written) when a cached object was collected since the decision: the job
    /// must run; else how many outputs were linked (0: they were already up to date).
    pub fn skip_job(&self, job: &mut JobRecord, task: &TaskRecord, entry: &CacheEntry) -> Result<Option<usize>> {
        let mut written = Vec::new();
        let skipped = self.registry.write(|tx| {
            let root = self.objects.root();
            let mut hashes = entry.outputs.iter().flat_map(|(_, p)| p.object_hashes());
            if hashes.any(|h| objects::require_stored(root, h).is_err()) {
                return Ok(None);
            }
            job.outputs.clear();
            written.clear();
            let mut linked = 0;
            for (i, (dn, (fingerprint, payload))) in task.outputs.iter().zip(&entry.outputs).enumerate() {
                let version = match latest_version(tx, dn)? {
                    Some(latest) if &latest.fingerprint == fingerprint => latest,
                    _ => {
                        linked += 1;
                        let paths = entry.paths.get(i).cloned().unwrap_or_default();
                        let value = NewValue { payload: payload.clone(), fingerprint: fingerprint.clone(), paths };
                        let version =
                            insert_version(tx, dn, &value, &job.id, Some(format!("reused from {}", entry.job_id)))?;
                        written.push(version.clone());
                        version
                    }
                };
                job.outputs.push((dn.clone(), version.version));
            }
            job.reason = Some(if linked == 0 {
                format!("outputs are up to date: same code and inputs as {}", entry.job_id)
            } else {
                format!("same code and inputs as {}: its outputs were reused without running", entry.job_id)
            });
            update_job(tx, job)?;
            Ok(Some(linked))
        })?;
        if skipped.is_some() {
            self.copy_outputs(job, &written)?;
        }
        Ok(skipped)
    }

    /// The most recent job of this task that completed or was skipped.
    pub fn last_finished_job(&self, task_id: &str) -> Result<Option<JobRecord>> {
        self.registry.read(|tx| {
            tx.one(
                "SELECT body FROM jobs WHERE task_id = ?1 AND status IN ('COMPLETED', 'SKIPPED') \
                 ORDER BY rowid DESC LIMIT 1",
                params![task_id],
            )
        })
    }

    pub fn cache_entry(&self, cache_key: &str) -> Result<Option<CacheEntry>> {
        self.registry.read(|tx| tx.one("SELECT body FROM job_cache WHERE cache_key = ?1", params![cache_key]))
    }

    /// Whether a cached result may have `shape` (`orchestrator::decide::KeyBase::shape`,
    /// which covers at least one file): one has, or one has an unknown shape (cached
    /// before shapes were recorded).
    pub fn may_cache_shape(&self, shape: &str) -> Result<bool> {
        let found: Option<bool> = self.registry.read(|tx| {
            tx.scalar("SELECT EXISTS (SELECT 1 FROM job_cache_shapes WHERE shape IN (?1, '*'))", params![shape])
        })?;
        Ok(found != Some(false))
    }

    /// Whether a stored payload can still be read.
    pub fn payload_present(&self, payload: &Payload) -> bool {
        match payload {
            Payload::Inline { .. } => true,
            Payload::Object { hash, .. } => self.objects.contains(hash),
            Payload::Recipe { .. } | Payload::Parts { .. } => {
                payload.object_hashes().iter().all(|h| self.objects.contains(h))
            }
            // A file at a user's path or a value in some process's memory may
            // have changed since: never reuse them blindly.
            Payload::External { .. } | Payload::Memory { .. } => false,
        }
    }

    /// Whether a stored payload can still be read and still holds the value
    /// fingerprinted `fingerprint`: a user's file unchanged since, a value in
    /// this process's memory.
    pub fn payload_holds(&self, payload: &Payload, fingerprint: &str) -> bool {
        match payload {
            Payload::External { path, .. } => {
                self.file_fingerprint(std::path::Path::new(path)).is_ok_and(|fp| fp == fingerprint)
            }
            Payload::Memory { token } => memory_value_is_live(token),
            _ => self.payload_present(payload),
        }
    }
}

/// How many stored objects a storage folder's `objects/` holds (its two-hex
/// prefix folders' files; temporary files do not count).
fn stored_object_count(objects: &Path) -> usize {
    let Ok(prefixes) = fs::read_dir(objects) else { return 0 };
    prefixes
        .flatten()
        .filter(|p| {
            let name = p.file_name().to_string_lossy().into_owned();
            name.len() == 2 && p.file_type().is_ok_and(|t| t.is_dir())
        })
        .map(|p| fs::read_dir(p.path()).map_or(0, |files| files.count()))
        .sum()
}

/// Tokens of the in_memory values this process holds (the bindings keep the
/// values themselves): only those can be reused, and only here.
static LIVE_MEMORY: std::sync::LazyLock<std::sync::Mutex<std::collections::HashSet<String>>> =
    std::sync::LazyLock::new(Default::default);

pub fn register_memory_value(token: &str) {
    LIVE_MEMORY.lock().unwrap_or_else(|p| p.into_inner()).insert(token.to_owned());
}

fn memory_value_is_live(token: &str) -> bool {
    LIVE_MEMORY.lock().unwrap_or_else(|p| p.into_inner()).contains(token)
}

fn latest_version(tx: &Tx<'_>, data_node_id: &str) -> Result<Option<VersionRecord>> {
    tx.one("SELECT body FROM versions WHERE data_node_id = ?1 ORDER BY version DESC LIMIT 1", params![data_node_id])
}

fn insert_version(
    tx: &Tx<'_>,
    data_node_id: &str,
    value: &NewValue,
    writer: &str,
    comment: Option<String>,
) -> Result<VersionRecord> {
    insert_edit(tx, data_node_id, value, writer, comment, BTreeMap::new())
}

/// A new version with the keys its writer added to the edit.
fn insert_edit(
    tx: &Tx<'_>,
    data_node_id: &str,
    value: &NewValue,
    writer: &str,
    comment: Option<String>,
    extra: BTreeMap<String, serde_json::Value>,
) -> Result<VersionRecord> {
    // A version is recorded only if its objects are still there, checked in its
    // own transaction: gc takes its decision and deletes in one transaction
    // too, so either gc saw this version or this check sees what gc deleted.
    let root = tx.registry_path().with_file_name("objects");
    for hash in value.payload.object_hashes() {
        objects::require_stored(&root, hash).map_err(|e| match e {
            Error::Storage { path, message } => Error::Storage {
                path,
                message: format!("{message}: the version that names it was not recorded; write the value again"),
            },
            other => other,
        })?;
    }
    let next: i64 = tx
        .scalar("SELECT MAX(version) FROM versions WHERE data_node_id = ?1", params![data_node_id])?
        .flatten()
        .unwrap_or(0)
        + 1;
    let record = VersionRecord {
        data_node_id: data_node_id.to_owned(),
        version: next,
        written_at: now(),
        writer: writer.to_owned(),
        comment,
        fingerprint: value.fingerprint.clone(),
        payload: value.payload.clone(),
        paths: value.paths.clone(),
        extra,
    };
    tx.execute(
        "INSERT INTO versions (data_node_id, version, body) VALUES (?1, ?2, ?3)",
        params![data_node_id, next, tx.encode(&record)?],
    )?;
    Ok(record)
}

fn update_job(tx: &Tx<'_>, job: &JobRecord) -> Result<()> {
    tx.execute(
        "UPDATE jobs SET status = ?2, body = ?3 WHERE id = ?1",
        params![job.id, job.status.as_str(), tx.encode(job)?],
    )?;
    Ok(())
}

#[cfg(test)]
pub(crate) mod tests;
