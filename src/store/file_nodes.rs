//! File-backed data nodes (csv, parquet, json with a `path`): versioned like
//! every other node. Each version's bytes are an object in the store; the
//! configured path is a copy of the latest version, written by temporary
//! file and rename only after the version's transaction committed, so a
//! failed job never touches it and `read(version=n)` reads version n.
//!
//! `materialized_files` remembers what scenarium last wrote at each path.
//! When a path holds anything else, a person or another program wrote it:
//! its content becomes a new version attributed to "external" the next time
//! the node is read or a job reads or writes it. When the path holds what
//! scenarium wrote before but the node's latest version is newer, the
//! process stopped between the commit and the copy: the copy is written again.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use rusqlite::params;

use super::folders::{self, is_folder_format};
use super::{insert_version, latest_version, NewValue, Store};
use crate::config::StorageType;
use crate::error::{Error, Result};
use crate::model::{DataNodeRecord, Payload, VersionRecord};

/// Who wrote a version found at a node's path.
pub const EXTERNAL_WRITER: &str = "external";

/// The path a csv, parquet, json, excel or pickle data node reads and writes, if it has one.
pub fn file_node_path(node: &DataNodeRecord) -> Option<PathBuf> {
    use StorageType::*;
    if !matches!(node.storage_type, Csv | Parquet | Json | Excel | Pickle) {
        return None;
    }
    let path = node.properties.get("path").or_else(|| node.properties.get("default_path"))?;
    path.as_str().filter(|p| !p.is_empty()).map(PathBuf::from)
}

/// Whether a node reads its folder as partitions (`part_folders.rs`).
pub fn reads_partitions(node: &DataNodeRecord) -> bool {
    matches!(node.storage_type, StorageType::Csv | StorageType::Parquet)
        && node.properties.get("partitioned") == Some(&serde_json::Value::Bool(true))
}

/// The object format of a file found at a node's path: its storage type and
/// the frame library it is read with.
pub fn file_format(node: &DataNodeRecord) -> String {
    match node.storage_type {
        StorageType::Json => "json".into(),
        StorageType::Pickle => "pickle".into(),
        other => {
            let exposed = node.properties.get("exposed_type").and_then(|v| v.as_str());
            let frame = if exposed.is_some_and(|e| e.starts_with("polars")) { "polars" } else { "pandas" };
            let folder = other == StorageType::Parquet && file_node_path(node).is_some_and(|p| p.is_dir());
            format!("{}/{frame}", if folder { "parquet-folder" } else { other.as_str() })
        }
    }
}

/// Whether a node's path may be a folder: a partitioned parquet dataset.
fn takes_folder(node: &DataNodeRecord) -> bool {
    node.storage_type == StorageType::Parquet
}

/// The object a version's bytes are, when they are a whole csv, parquet,
/// json, excel or pickle file, or a parquet folder (a native task's table is
/// kept in its own format, not copied).
fn object_hash(payload: &Payload) -> Option<&str> {
    match payload {
        Payload::Object { hash, format, .. }
            if format == "json"
                || format == "pickle"
                || ["csv/", "parquet/", "excel/", "parquet-folder/"].iter().any(|kind| format.starts_with(kind)) =>
        {
            Some(hash)
        }
        _ => None,
    }
}

/// What a node's path holds when it holds `version`, as [`Store::path_identity`]
/// reads it: a file's content hash (its object's name), a folder's tree fingerprint.
fn held_identity(version: &VersionRecord) -> Option<&str> {
    match &version.payload {
        Payload::Object { format, .. } if is_folder_format(format) => Some(&version.fingerprint),
        Payload::External { .. } => Some(&version.fingerprint),
        payload => object_hash(payload),
    }
}

impl Store {
    /// The node's latest version after taking in what its path holds now:
    /// a new version by "external" when someone else wrote the file, the
    /// copy written again when a crash left it behind. With `record` false
    /// nothing is written: an outside edit comes back as the version it would
    /// become (not stored, numbered one past the latest).
    pub fn sync_file_node(&self, node: &DataNodeRecord, record: bool) -> Result<Option<VersionRecord>> {
        let latest = self.latest_version(&node.id)?;
        let Some(path) = file_node_path(node) else { return Ok(latest) };
        self.refuse_path_in_store(node, &path)?;
        if reads_partitions(node) && (path.is_dir() || path.is_file()) {
            return self.sync_partitioned_folder(node, &path, latest, record);
        }
        let is_folder = path.is_dir() && takes_folder(node);
        if !path.is_file() && !is_folder {
            return Ok(latest);
        }
        let current = if is_folder { self.tree_fingerprint(&path)? } else { self.file_fingerprint(&path)? };
        if let Some(v) = &latest {
            match held_identity(v) {
                None => return Ok(latest), // a value the path does not hold (a native task's table)
                Some(held) if held == current => return Ok(latest),
                Some(_) => {}
            }
        }
        let key = path_key(&path);
        let written: Option<(String, String)> = self
            .registry
            .read(|tx| tx.row("SELECT data_node_id, hash FROM materialized_files WHERE path = ?1", params![key]))?;
        if let (Some(latest), Some((owner, hash))) = (&latest, &written) {
            if *hash == current {
                // What scenarium wrote there: this node's copy is pending, or
                // another node sharing the path wrote it since.
                if *owner == node.id && record {
                    self.write_copy(node, latest)?;
                }
                return Ok(Some(latest.clone()));
            }
        }
        let comment = Some(match &latest {
            Some(_) => format!("{} changed outside scenarium", path.display()),
            None => format!("{} as found", path.display()),
        });
        if !record {
            let format = file_format(node);
            let size = if is_folder { 0 } else { fs::metadata(&path).map_or(0, |m| m.len()) };
            let next = latest.as_ref().map_or(1, |v| v.version + 1);
            return Ok(Some(VersionRecord {
                data_node_id: node.id.clone(),
                version: next,
                written_at: crate::model::now(),
                writer: EXTERNAL_WRITER.into(),
                comment,
                fingerprint: current.clone(),
                payload: Payload::Object { hash: current, format, size },
                paths: Vec::new(),
                extra: Default::default(),
            }));
        }
        let (hash, size, identity) = if is_folder {
            let folder = self.objects.ingest_folder(&path)?;
            (folder.hash, folder.size, folder.fingerprint)
        } else {
            let (hash, size) = self.objects.ingest_copy(&path)?;
            (hash.clone(), size, hash)
        };
        let value = NewValue {
            payload: Payload::Object { hash, format: file_format(node), size },
            fingerprint: identity.clone(),
            paths: Vec::new(),
        };
        let version = self.registry.write(|tx| {
            // Another process may have taken the same edit in meanwhile.
            if let Some(now_latest) = latest_version(tx, &node.id)? {
                if held_identity(&now_latest) == Some(identity.as_str()) {
                    return Ok(now_latest);
                }
            }
            let version = insert_version(tx, &node.id, &value, EXTERNAL_WRITER, comment.clone())?;
            tx.execute(
                "INSERT OR REPLACE INTO materialized_files (path, data_node_id, hash) VALUES (?1, ?2, ?3)",
                params![key, node.id, identity],
            )?;
            Ok(version)
        })?;
        Ok(Some(version))
    }

    /// Writes the configured paths of the file-backed nodes among `versions`
    /// (just committed). Returns what could not be written: the versions are
    /// stored either way, and the copy is written again at the next read.
    pub(super) fn write_copies(&self, versions: &[VersionRecord]) -> Vec<String> {
        let mut problems = Vec::new();
        for version in versions {
            let node = match self.data_node(&version.data_node_id) {
                Ok(node) => node,
                Err(e) => {
                    problems.push(e.to_string());
                    continue;
                }
            };
            if file_node_path(&node).is_some() {
                if let Err(e) = self.write_copy(&node, version) {
                    problems.push(e.to_string());
                }
            }
        }
        problems
    }

    /// Replaces the node's path with the bytes of `version` (temporary copy in
    /// the store's tmp folder, fsync, rename), then records that scenarium wrote them.
    pub(super) fn write_copy(&self, node: &DataNodeRecord, version: &VersionRecord) -> Result<()> {
        let (Some(path), Some(hash), Some(identity)) =
            (file_node_path(node), object_hash(&version.payload), held_identity(version))
        else {
            return Ok(());
        };
        self.refuse_path_in_store(node, &path)?;
        if matches!(&version.payload, Payload::Object { format, .. } if is_folder_format(format)) {
            return self.write_folder_copy(node, version, hash, identity, &path);
        }
        let source = self.objects.verified_path(hash)?;
        let folder = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&folder).map_err(|e| Error::storage(&folder, format!("cannot create the folder: {e}")))?;
        // The temporary copy is made in the store, so that a kill leaves nothing
        // beside the user's file; beside it only when the path is on another file system.
        let in_store = self.objects.new_tmp_path(".part")?;
        let mut outcome = copy_then_rename(&source, &in_store, &path);
        if matches!(&outcome, Err(e) if e.raw_os_error() == Some(CROSS_DEVICE)) {
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            let beside = folder.join(format!(".{name}.{}.part", uuid::Uuid::new_v4().simple()));
            outcome = copy_then_rename(&source, &beside, &path);
        }
        if let Err(e) = outcome {
            return Err(Error::storage(
                &path,
                format!(
                    "version {} of data node {} is stored, but its copy at this path could not be written ({e}); \
                     it is written again when the node is next read",
                    version.version, node.id
                ),
            ));
        }
        if let Ok(dir) = File::open(&folder) {
            let _ = dir.sync_all();
        }
        self.record_materialized(node, &path, identity)
    }

    /// `write_copy` of a folder version: unpacked in the store (beside the path
    /// when that is another file system), flushed, then swapped with the path
    /// in one rename, so that no reader sees half of the old and half of the new.
    fn write_folder_copy(
        &self,
        node: &DataNodeRecord,
        version: &VersionRecord,
        hash: &str,
        identity: &str,
        path: &Path,
    ) -> Result<()> {
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| Error::storage(&parent, format!("cannot create the folder: {e}")))?;
        let failed = |e: String| {
            Error::storage(
                path,
                format!(
                    "version {} of data node {} is stored, but its copy at this path could not be written ({e}); \
                     it is written again when the node is next read",
                    version.version, node.id
                ),
            )
        };
        let mut staged = self.objects.new_tmp_path(".tree")?;
        self.objects.unpack_folder(hash, &staged)?;
        let mut outcome = folders::replace_with_folder(&staged, path);
        if matches!(&outcome, Err(e) if e.raw_os_error() == Some(CROSS_DEVICE)) {
            let _ = fs::remove_dir_all(&staged);
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
            staged = parent.join(format!(".{name}.{}.part", uuid::Uuid::new_v4().simple()));
            self.objects.unpack_folder(hash, &staged)?;
            outcome = folders::replace_with_folder(&staged, path);
        }
        if let Err(e) = outcome {
            let _ = fs::remove_dir_all(&staged);
            return Err(failed(e.to_string()));
        }
        if let Ok(dir) = File::open(&parent) {
            let _ = dir.sync_all();
        }
        self.record_materialized(node, path, identity)
    }

    /// Refuses a scenario whose file-backed data nodes have a path that resolves
    /// into the storage folder, before anything of it is recorded (an imported
    /// archive's configuration, one never checked).
    pub(crate) fn refuse_spec_paths_in_store(&self, spec: &crate::config::ScenarioSpec) -> Result<()> {
        let store = fs::canonicalize(&self.folder).unwrap_or_else(|_| self.folder.clone());
        for dn in &spec.data_nodes {
            use StorageType::*;
            if !matches!(dn.storage_type, Csv | Parquet | Json | Excel | Pickle) {
                continue;
            }
            let Some(path) = dn.properties.get("path").or_else(|| dn.properties.get("default_path")) else { continue };
            let Some(path) = path.as_str().filter(|p| !p.is_empty()) else { continue };
            if resolved_path(Path::new(path)).starts_with(&store) {
                return Err(Error::Config(format!(
                    "data node {}: its path {path} resolves into the storage folder {}: scenarium would overwrite \
                     what the store holds; configure a path outside it",
                    dn.id,
                    store.display()
                )));
            }
        }
        Ok(())
    }

    /// A configured path that resolves into the storage folder (its registry,
    /// an object, a folder of it) is never read as a user's file nor written:
    /// writing it would destroy what the store holds. `Config.check()` says so
    /// first; this holds for a configuration that was never checked.
    fn refuse_path_in_store(&self, node: &DataNodeRecord, path: &Path) -> Result<()> {
        let store = fs::canonicalize(&self.folder).unwrap_or_else(|_| self.folder.clone());
        let resolved = resolved_path(path);
        if resolved.starts_with(&store) {
            return Err(Error::Config(format!(
                "data node {} ({}): its path {} resolves into the storage folder {}: scenarium would overwrite \
                 what the store holds; configure a path outside it",
                node.config_id,
                node.id,
                path.display(),
                store.display()
            )));
        }
        Ok(())
    }

    /// Records that the node's path now holds what scenarium wrote (`identity`:
    /// a file's hash, a folder's tree fingerprint).
    fn record_materialized(&self, node: &DataNodeRecord, path: &Path, identity: &str) -> Result<()> {
        let key = path_key(path);
        self.registry.write(|tx| {
            tx.execute(
                "INSERT OR REPLACE INTO materialized_files (path, data_node_id, hash) VALUES (?1, ?2, ?3)",
                params![key, node.id, identity],
            )
            .map(|_| ())
        })
    }

    /// The unpacked copy of a folder version, checked against the version's
    /// fingerprint through the file fingerprint cache.
    pub fn verified_folder_path(&self, hash: &str, fingerprint: &str) -> Result<PathBuf> {
        self.objects.verified_folder_path_with(hash, fingerprint, |path| self.file_fingerprint(path))
    }
}

/// `EXDEV`: a rename across file systems.
const CROSS_DEVICE: i32 = 18;

/// Copies `source` to `tmp`, flushes it and renames it onto `target`; `tmp` is
/// removed when anything fails.
fn copy_then_rename(source: &Path, tmp: &Path, target: &Path) -> std::io::Result<()> {
    let done = fs::copy(source, tmp)
        .and_then(|_| File::options().write(true).open(tmp)?.sync_all())
        .and_then(|_| fs::rename(tmp, target));
    if done.is_err() {
        let _ = fs::remove_file(tmp);
    }
    done
}

/// `path` absolute, `..` taken lexically, and its deepest existing folder's
/// links resolved: where a write to it would land.
fn resolved_path(path: &Path) -> PathBuf {
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
    let mut lexical = PathBuf::new();
    for part in absolute.components() {
        match part {
            std::path::Component::ParentDir => {
                lexical.pop();
            }
            std::path::Component::CurDir => {}
            other => lexical.push(other),
        }
    }
    let mut rest = Vec::new();
    let mut existing = lexical.as_path();
    loop {
        if let Ok(real) = fs::canonicalize(existing) {
            return rest.iter().rev().fold(real, |p, name| p.join(name));
        }
        match (existing.parent(), existing.file_name()) {
            (Some(parent), Some(name)) => {
                rest.push(name.to_owned());
                existing = parent;
            }
            _ => return lexical,
        }
    }
}

/// A path as the registry keys it: absolute, its links resolved when it exists.
fn path_key(path: &Path) -> String {
    fs::canonicalize(path)
        .or_else(|_| std::path::absolute(path))
        .unwrap_or_else(|_| path.to_owned())
        .to_string_lossy()
        .into_owned()
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::validate::tests::dn;
    use crate::config::ScenarioSpec;
    use crate::store::tests::open;

    /// A store with one json data node whose path is `path`; returns its record.
    fn json_node(store: &Store, path: &Path) -> DataNodeRecord {
        let mut config = dn("doc");
        config.storage_type = StorageType::Json;
        config.properties.insert("path".into(), path.to_string_lossy().into_owned().into());
        let spec = ScenarioSpec {
            id: "s".into(),
            tasks: vec![],
            data_nodes: vec![config],
            additional_data_nodes: vec!["doc".into()],
            frequency: None,
            properties: Default::default(),
        };
        let scenario = store.create_scenario(&spec, None, None, &BTreeMap::new()).unwrap();
        store.data_node(&scenario.data_nodes["doc"]).unwrap()
    }

    fn json_value(store: &Store, text: &str) -> NewValue {
        let (hash, size) = store.objects.put_bytes(text.as_bytes()).unwrap();
        NewValue {
            payload: Payload::Object { hash: hash.clone(), format: "json".into(), size },
            fingerprint: hash,
            paths: vec![],
        }
    }

    #[test]
    fn a_copy_a_crash_left_behind_is_written_again_not_taken_for_an_edit() {
        let (dir, store) = open();
        let path = dir.path().join("doc.json");
        let node = json_node(&store, &path);
        store.write_data_node(&node.id, &json_value(&store, "[1]"), "user", None).unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"[1]");
        // Committed, then the process died before writing the copy.
        let second = json_value(&store, "[1, 2]");
        store.registry.write(|tx| insert_version(tx, &node.id, &second, "JOB_x", None)).unwrap();
        let latest = store.sync_file_node(&node, true).unwrap().unwrap();
        assert_eq!((latest.version, latest.writer.as_str()), (2, "JOB_x"));
        assert_eq!(fs::read(&path).unwrap(), b"[1, 2]");
        assert_eq!(store.versions(&node.id).unwrap().len(), 2, "no version by external");
    }

    #[test]
    fn an_edit_is_a_version_and_looking_does_not_record_it() {
        let (dir, store) = open();
        let path = dir.path().join("doc.json");
        let node = json_node(&store, &path);
        store.write_data_node(&node.id, &json_value(&store, "[1]"), "user", None).unwrap();
        fs::write(&path, b"[9]").unwrap();
        let preview = store.sync_file_node(&node, false).unwrap().unwrap();
        assert_eq!((preview.version, preview.writer.as_str()), (2, EXTERNAL_WRITER));
        assert_eq!(store.versions(&node.id).unwrap().len(), 1, "record=false writes nothing");
        let taken = store.sync_file_node(&node, true).unwrap().unwrap();
        assert_eq!((taken.version, taken.fingerprint.as_str()), (2, preview.fingerprint.as_str()));
        assert_eq!(store.objects.read_verified(&taken.fingerprint).unwrap(), b"[9]");
        assert_eq!(store.sync_file_node(&node, true).unwrap().unwrap().version, 2);
        let first = store.version(&node.id, 1).unwrap();
        assert_eq!(store.objects.read_verified(object_hash(&first.payload).unwrap()).unwrap(), b"[1]");
    }
}
