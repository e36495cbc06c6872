//! Memos of partitioned work, kept beside the objects:
//! - `objects/parts/<identity>`: which stored object holds a partition made
//!   from given input (JSON of a `model::Part`);
//! - `objects/partials/<key>`: what a reduction computed over one partition
//!   (its object's hash, a line end, then the task's own bytes).
//!
//! A memo is a hint, never a value: a missing, torn or stale one only makes
//! the work be done again, and gc drops those whose object it collected.

use std::fs;
use std::path::PathBuf;

use super::objects::ObjectStore;
use crate::error::{Error, Result};
use crate::model::Part;

impl ObjectStore {
    fn memo_path(&self, identity: &str) -> Option<PathBuf> {
        self.memo_in("parts", identity)
    }

    fn memo_in(&self, folder: &str, key: &str) -> Option<PathBuf> {
        let plain = key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit());
        plain.then(|| self.root().join(folder).join(key))
    }

    /// What was remembered under `key` of the partition stored as `part`.
    pub fn partial(&self, key: &str, part: &str) -> Option<Vec<u8>> {
        let mut bytes = fs::read(self.memo_in("partials", key)?).ok()?;
        let rest = bytes.strip_prefix(part.as_bytes())?.strip_prefix(b"\n")?.to_vec();
        bytes.clear();
        Some(rest)
    }

    /// Remembers `bytes` under `key` for the partition stored as `part`.
    pub fn remember_partial(&self, key: &str, part: &str, bytes: &[u8]) -> Result<()> {
        let Some(path) = self.memo_in("partials", key) else { return Ok(()) };
        let mut text = Vec::with_capacity(part.len() + 1 + bytes.len());
        text.extend_from_slice(part.as_bytes());
        text.push(b'\n');
        text.extend_from_slice(bytes);
        self.write_memo(&path, &text)
    }

    fn write_memo(&self, path: &std::path::Path, text: &[u8]) -> Result<()> {
        let folder = path.parent().expect("a memo is in a folder");
        if !fs::symlink_metadata(folder).is_ok_and(|m| m.is_dir()) {
            fs::create_dir(folder).map_err(|e| Error::storage(folder, e))?;
        }
        let tmp = self.new_tmp_path(".memo")?;
        fs::write(&tmp, text).and_then(|_| fs::rename(&tmp, path)).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            Error::storage(path, e)
        })
    }

    /// The partition made from `identity` before, if its object is still
    /// stored. The memo's age is refreshed, not the object's: gc keeps the
    /// objects of memos used within its grace period (`objects_in_use`),
    /// and the object's own times stay those the fingerprint cache knows, so
    /// the next job does not hash it again to check it.
    pub fn part_made_from(&self, identity: &str) -> Option<Part> {
        let memo = self.memo_path(identity)?;
        let text = fs::read(&memo).ok()?;
        let part: Part = serde_json::from_slice(&text).ok()?;
        let path = self.path_of(&part.hash).ok()?;
        let meta = fs::symlink_metadata(&path).ok()?;
        if !meta.is_file() || meta.len() != part.size {
            return None;
        }
        let _ = fs::File::options().write(true).open(&memo).and_then(|f| f.set_modified(std::time::SystemTime::now()));
        Some(part)
    }

    /// The objects of the partition memos used (or written) after `since`:
    /// a job may be about to record a version naming them.
    pub fn objects_in_use(&self, since: std::time::SystemTime) -> std::collections::HashSet<String> {
        let folder = self.root().join("parts");
        let Ok(entries) = fs::read_dir(&folder) else { return Default::default() };
        let recent = |e: &fs::DirEntry| e.metadata().ok().and_then(|m| m.modified().ok()).is_some_and(|t| t > since);
        entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()) && recent(e))
            .filter_map(|e| serde_json::from_slice::<Part>(&fs::read(e.path()).ok()?).ok())
            .map(|p| p.hash)
            .collect()
    }

    /// Remembers that `part` was made from `identity` (temporary file, rename:
    /// no fsync, a memo lost in a crash costs only the work again).
    pub fn remember_part(&self, identity: &str, part: &Part) -> Result<()> {
        let Some(path) = self.memo_path(identity) else { return Ok(()) };
        let text = serde_json::to_vec(part).map_err(|e| Error::storage(&path, e))?;
        self.write_memo(&path, &text)
    }

    /// Removes the memos whose object is gone (after gc); how many.
    pub fn drop_stale_part_memos(&self) -> Result<u64> {
        let part_of = |folder: &str, bytes: &[u8]| -> Option<String> {
            if folder == "parts" {
                serde_json::from_slice::<Part>(bytes).ok().map(|p| p.hash)
            } else {
                bytes.get(..64).and_then(|h| std::str::from_utf8(h).ok()).map(str::to_owned)
            }
        };
        let mut dropped = 0;
        for folder in ["parts", "partials"] {
            let path = self.root().join(folder);
            // A folder that is a link is not read: its files are not the store's.
            if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
                continue;
            }
            for entry in fs::read_dir(&path).map_err(|e| Error::storage(&path, e))?.flatten() {
                let name = entry.file_name().to_string_lossy().into_owned();
                let plain = self.memo_in(folder, &name).is_some() && entry.file_type().is_ok_and(|t| t.is_file());
                let live = plain
                    && fs::read(entry.path()).ok().and_then(|b| part_of(folder, &b)).is_some_and(|h| self.contains(&h));
                if !live && fs::remove_file(entry.path()).is_ok() {
                    dropped += 1;
                }
            }
        }
        Ok(dropped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_memo_names_its_object_until_gc_takes_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectStore::open(dir.path().join("objects")).unwrap();
        let (hash, size) = store.put_bytes(b"partition bytes").unwrap();
        let part = Part { name: "bytes 0..15".into(), hash: hash.clone(), size, rows: 3 };
        let identity = blake3::hash(b"input").to_hex().to_string();
        assert_eq!(store.part_made_from(&identity), None);
        store.remember_part(&identity, &part).unwrap();
        assert_eq!(store.part_made_from(&identity), Some(part.clone()));
        assert_eq!(store.drop_stale_part_memos().unwrap(), 0);
        fs::remove_file(store.path_of(&hash).unwrap()).unwrap();
        assert_eq!(store.part_made_from(&identity), None, "its object is gone");
        assert_eq!(store.drop_stale_part_memos().unwrap(), 1);
        fs::write(dir.path().join("objects/parts").join(&identity), b"{torn").unwrap();
        assert_eq!(store.part_made_from(&identity), None);
        assert_eq!(store.part_made_from("../../etc/passwd"), None);

        let (part, _) = store.put_bytes(b"another partition").unwrap();
        let key = blake3::hash(b"a question").to_hex().to_string();
        store.remember_partial(&key, &part, b"\x00\x01 what it found").unwrap();
        assert_eq!(store.partial(&key, &part).as_deref(), Some(&b"\x00\x01 what it found"[..]));
        assert_eq!(store.partial(&key, &hash), None, "remembered for another partition");
        assert_eq!(store.drop_stale_part_memos().unwrap(), 1, "the torn part memo");
        fs::remove_file(store.path_of(&part).unwrap()).unwrap();
        assert_eq!(store.drop_stale_part_memos().unwrap(), 1);
        assert_eq!(store.partial(&key, &part), None);
    }
}
