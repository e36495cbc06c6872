//! A folder read as partitions: a csv or parquet data node configured
//! `partitioned=True` whose path is a folder holds one partition per file (a
//! day's export, a Spark part file). Its version is a `Payload::Parts`, one
//! object per file, named by the file's relative path: a file that did not
//! change is the same object from version to version (the fingerprint cache
//! knows it by its stat, so it is neither read nor copied again), and a task
//! mapping over the node re-runs only for the files that are new or changed.
//!
//! Only files of the node's type are partitions (`.csv`/`.tsv`, or
//! `.parquet`/`.parq`/`.pq`), and not those under a name starting with `.` or
//! `_` (`_SUCCESS`, hidden temporary files), as pyarrow's datasets leave them
//! out. Partitions are in natural order (`day-9` before `day-10`). A path that
//! is a file is one partition.

use std::fs;
use std::path::{Path, PathBuf};

use super::file_nodes::{file_format, EXTERNAL_WRITER};
use super::folders::files_under;
use super::{insert_version, latest_version, Store};
use crate::config::StorageType;
use crate::error::{Error, Result};
use crate::fingerprint;
use crate::model::{DataNodeRecord, NewValue, Part, Payload, VersionRecord};

/// The object format of each of a partitioned folder's files.
fn part_format(node: &DataNodeRecord) -> String {
    // A folder's own format names the folder; each partition is one file of the node's type.
    file_format(node).replace("parquet-folder/", "parquet/")
}

/// Whether a file is one of a partitioned node's partitions by its name: a README,
/// a `_metadata` or a checksum beside the data is not.
fn is_partition_file(storage: StorageType, name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    let extensions: &[&str] =
        if storage == StorageType::Parquet { &[".parquet", ".parq", ".pq"] } else { &[".csv", ".tsv"] };
    extensions.iter().any(|e| name.ends_with(e))
}

/// A name cut into runs of digits and of other characters, digits compared as
/// numbers: `day-9.csv` comes before `day-10.csv`.
fn natural_key(name: &str) -> Vec<(u8, usize, String)> {
    let mut key = Vec::new();
    let mut rest = name;
    while let Some(first) = rest.chars().next() {
        let digits = first.is_ascii_digit();
        let end = rest.find(|c: char| c.is_ascii_digit() != digits).unwrap_or(rest.len());
        let (run, tail) = rest.split_at(end);
        key.push(if digits {
            let value = run.trim_start_matches('0');
            (0, value.len(), value.to_owned())
        } else {
            (1, 0, run.to_owned())
        });
        rest = tail;
    }
    key
}

/// The partition files under `root`, by relative path (with `/`), in natural order;
/// a file `root` is its own one partition.
fn partition_files(root: &Path, storage: StorageType) -> Result<Vec<(String, PathBuf)>> {
    if root.is_file() {
        let name = root.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        return Ok(vec![(name, root.to_owned())]);
    }
    let mut files = files_under(root, "reading a partitioned folder", |relative| {
        let hidden = relative.components().any(|c| c.as_os_str().to_string_lossy().starts_with(['.', '_']));
        !hidden && is_partition_file(storage, &relative.to_string_lossy())
    })?;
    files.sort_by_cached_key(|(name, _)| (natural_key(name), name.clone()));
    Ok(files)
}

impl Store {
    /// `sync_file_node` of a node that reads its folder as partitions: the
    /// node's latest version after taking in what the folder holds now.
    pub(super) fn sync_partitioned_folder(
        &self,
        node: &DataNodeRecord,
        path: &Path,
        latest: Option<VersionRecord>,
        record: bool,
    ) -> Result<Option<VersionRecord>> {
        let files = partition_files(path, node.storage_type)?;
        let mut parts = Vec::with_capacity(files.len());
        for (name, file) in &files {
            let size = fs::metadata(file).map_err(|e| Error::storage(file, e))?.len();
            parts.push(Part { name: name.clone(), hash: self.file_fingerprint(file)?, size, rows: 0 });
        }
        let current = fingerprint::of_parts(parts.iter().map(|p| p.hash.as_str()));
        let same_names = |v: &VersionRecord| match &v.payload {
            Payload::Parts { parts: held, .. } => held.iter().map(|p| &p.name).eq(parts.iter().map(|p| &p.name)),
            _ => false,
        };
        if let Some(v) = &latest {
            if v.fingerprint == current && same_names(v) {
                return Ok(latest);
            }
        }
        let comment = Some(match &latest {
            Some(_) => format!("{} changed outside scenarium", path.display()),
            None => format!("{} as found", path.display()),
        });
        let format = part_format(node);
        if !record {
            return Ok(Some(VersionRecord {
                data_node_id: node.id.clone(),
                version: latest.as_ref().map_or(1, |v| v.version + 1),
                written_at: crate::model::now(),
                writer: EXTERNAL_WRITER.into(),
                comment,
                fingerprint: current,
                payload: Payload::Parts { format, parts },
                paths: Vec::new(),
                extra: Default::default(),
            }));
        }
        // Only files the store does not hold yet are copied; what is stored is
        // what was copied, whatever the file held when it was looked at.
        for (part, (_, file)) in parts.iter_mut().zip(&files) {
            if !self.objects.contains(&part.hash) {
                let (hash, size) = self.objects.ingest_copy(file)?;
                (part.hash, part.size) = (hash, size);
            }
        }
        let value = NewValue {
            fingerprint: fingerprint::of_parts(parts.iter().map(|p| p.hash.as_str())),
            payload: Payload::Parts { format, parts },
            paths: Vec::new(),
        };
        let version = self.registry.write(|tx| {
            // Another process may have taken the same folder in meanwhile.
            if let Some(now_latest) = latest_version(tx, &node.id)? {
                if now_latest.fingerprint == value.fingerprint && now_latest.payload == value.payload {
                    return Ok(now_latest);
                }
            }
            insert_version(tx, &node.id, &value, EXTERNAL_WRITER, comment.clone())
        })?;
        Ok(Some(version))
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeMap;

    use super::*;
    use crate::config::validate::tests::dn;
    use crate::config::ScenarioSpec;
    use crate::store::tests::open as open_store;

    /// A partitioned csv node reading the folder `dir`.
    fn node(store: &Store, dir: &Path) -> DataNodeRecord {
        let mut config = dn("daily");
        config.storage_type = StorageType::Csv;
        config.properties.insert("path".into(), dir.to_string_lossy().into_owned().into());
        config.properties.insert("partitioned".into(), true.into());
        let spec = ScenarioSpec {
            id: "s".into(),
            tasks: vec![],
            data_nodes: vec![config],
            additional_data_nodes: vec!["daily".into()],
            frequency: None,
            properties: Default::default(),
        };
        let scenario = store.create_scenario(&spec, None, None, &BTreeMap::new()).unwrap();
        store.data_node(&scenario.data_nodes["daily"]).unwrap()
    }

    fn parts_of(version: &VersionRecord) -> Vec<Part> {
        match &version.payload {
            Payload::Parts { parts, .. } => parts.clone(),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_new_file_is_a_new_partition_and_the_others_stay_the_same_objects() {
        let (_dir, store) = open_store();
        let data = tempfile::tempdir().unwrap();
        fs::write(data.path().join("2026-01-01.csv"), "a\n1\n").unwrap();
        fs::write(data.path().join("2026-01-02.csv"), "a\n2\n").unwrap();
        fs::write(data.path().join("_SUCCESS"), "").unwrap();
        fs::write(data.path().join("README.txt"), "days of sales").unwrap();
        fs::create_dir(data.path().join(".tmp")).unwrap();
        fs::write(data.path().join(".tmp/x.csv"), "a\n9\n").unwrap();
        let node = node(&store, data.path());
        let first = store.sync_file_node(&node, true).unwrap().unwrap();
        let before = parts_of(&first);
        assert_eq!(before.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["2026-01-01.csv", "2026-01-02.csv"]);
        assert_eq!(store.sync_file_node(&node, true).unwrap().unwrap().version, first.version, "nothing changed");

        fs::write(data.path().join("2026-01-03.csv"), "a\n3\n").unwrap();
        let looked = store.sync_file_node(&node, false).unwrap().unwrap();
        assert_eq!(looked.version, first.version + 1);
        assert_eq!(store.latest_version(&node.id).unwrap().unwrap().version, first.version, "looking records nothing");
        let second = store.sync_file_node(&node, true).unwrap().unwrap();
        let after = parts_of(&second);
        assert_eq!(after.len(), 3);
        assert_eq!(after[..2], before[..], "the unchanged files are the same partitions");
        assert_eq!(second.fingerprint, looked.fingerprint);
        assert_eq!(store.objects.read_verified(&after[2].hash).unwrap(), b"a\n3\n");
    }

    #[test]
    fn a_renamed_file_is_a_new_version_with_the_same_objects() {
        let (_dir, store) = open_store();
        let data = tempfile::tempdir().unwrap();
        fs::write(data.path().join("a.csv"), "a\n1\n").unwrap();
        let node = node(&store, data.path());
        let first = store.sync_file_node(&node, true).unwrap().unwrap();
        fs::rename(data.path().join("a.csv"), data.path().join("b.csv")).unwrap();
        let second = store.sync_file_node(&node, true).unwrap().unwrap();
        assert_eq!(second.version, first.version + 1);
        assert_eq!(parts_of(&second)[0].name, "b.csv");
    }

    #[test]
    fn a_link_in_the_folder_is_refused_with_its_path() {
        let (_dir, store) = open_store();
        let data = tempfile::tempdir().unwrap();
        let outside = tempfile::tempdir().unwrap();
        fs::write(outside.path().join("x.csv"), "a\n1\n").unwrap();
        std::os::unix::fs::symlink(outside.path().join("x.csv"), data.path().join("x.csv")).unwrap();
        let err = store.sync_file_node(&node(&store, data.path()), true).unwrap_err().to_string();
        assert!(err.contains("x.csv") && err.contains("link"), "{err}");
    }

    #[test]
    fn partitions_are_in_natural_order() {
        let mut names = vec!["day-10.csv", "day-9.csv", "day-09b.csv", "a/day-2.csv", "day-100.csv"];
        names.sort_by_cached_key(|n| (natural_key(n), n.to_string()));
        assert_eq!(names, ["a/day-2.csv", "day-9.csv", "day-09b.csv", "day-10.csv", "day-100.csv"]);
    }
}
