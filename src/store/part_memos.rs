//! Which stored object holds a partition made from given input:
//! `objects/parts/<identity>` names it (JSON of a `model::Part`). A memo is a
//! hint, never a value: a missing, torn or stale one only makes the
//! partition be computed again, and gc drops those whose object it collected.

use std::fs;
use std::path::PathBuf;

use super::objects::ObjectStore;
use crate::error::{Error, Result};
use crate::model::Part;

impl ObjectStore {
    fn memo_path(&self, identity: &str) -> Option<PathBuf> {
        let plain = identity.len() == 64 && identity.bytes().all(|b| b.is_ascii_hexdigit());
        plain.then(|| self.root().join("parts").join(identity))
    }

    /// The partition made from `identity` before, if its object is still
    /// stored (its age is refreshed, so gc's grace period covers the job).
    pub fn part_made_from(&self, identity: &str) -> Option<Part> {
        let text = fs::read(self.memo_path(identity)?).ok()?;
        let part: Part = serde_json::from_slice(&text).ok()?;
        let path = self.path_of(&part.hash).ok()?;
        let meta = fs::symlink_metadata(&path).ok()?;
        if !meta.is_file() || meta.len() != part.size {
            return None;
        }
        super::objects::refresh_age(&path);
        Some(part)
    }

    /// Remembers that `part` was made from `identity` (temporary file, rename:
    /// no fsync, a memo lost in a crash costs only the work again).
    pub fn remember_part(&self, identity: &str, part: &Part) -> Result<()> {
        let Some(path) = self.memo_path(identity) else { return Ok(()) };
        let folder = self.root().join("parts");
        if !fs::symlink_metadata(&folder).is_ok_and(|m| m.is_dir()) {
            fs::create_dir(&folder).map_err(|e| Error::storage(&folder, e))?;
        }
        let tmp = self.new_tmp_path(".memo")?;
        let text = serde_json::to_vec(part).map_err(|e| Error::storage(&tmp, e))?;
        fs::write(&tmp, text).and_then(|_| fs::rename(&tmp, &path)).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            Error::storage(&path, e)
        })
    }

    /// Removes the memos whose object is gone (after gc); how many.
    pub fn drop_stale_part_memos(&self) -> Result<u64> {
        let folder = self.root().join("parts");
        // A `parts` that is a link is not read: its files are not the store's.
        if !fs::symlink_metadata(&folder).is_ok_and(|m| m.is_dir()) {
            return Ok(0);
        }
        let mut dropped = 0;
        for entry in fs::read_dir(&folder).map_err(|e| Error::storage(&folder, e))?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if self.memo_path(&name).is_some() && self.part_made_from_quietly(&name) {
                continue;
            }
            if entry.file_type().is_ok_and(|t| t.is_file() || t.is_symlink()) && fs::remove_file(entry.path()).is_ok() {
                dropped += 1;
            }
        }
        Ok(dropped)
    }

    /// Whether the memo `identity` names an object still stored (no refresh).
    fn part_made_from_quietly(&self, identity: &str) -> bool {
        let read = self.memo_path(identity).and_then(|p| fs::read(p).ok());
        let part: Option<Part> = read.and_then(|t| serde_json::from_slice(&t).ok());
        part.is_some_and(|p| self.contains(&p.hash))
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
    }
}
