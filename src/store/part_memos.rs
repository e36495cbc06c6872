//! Memos of partitioned work, kept beside the objects:
//! - `objects/parts/<identity>`: which stored object holds a partition made
//!   from given input (JSON of a `model::Part`);
//! - `objects/partials/<key>`: what a reduction computed over one partition
//!   (its object's hash, a line end, then the task's own bytes).
//!
//! A memo is a hint, never a value: a missing, torn, moved or altered one
//! only makes the work be done again. Each file starts with the key it was
//! written under and the BLAKE3 hash of its body, both checked when it is
//! read (a memo copied under another name or with a flipped bit is not
//! taken); gc drops those whose object it collected. A memo forged with its
//! hash recomputed is, like a registry edited by hand, outside what is checked.

use std::fs;
use std::path::PathBuf;

use super::objects::ObjectStore;
use crate::error::{Error, Result};
use crate::model::Part;

const PARTS: &str = "parts";
const PARTIALS: &str = "partials";

impl ObjectStore {
    fn memo_in(&self, folder: &str, key: &str) -> Option<PathBuf> {
        let plain = key.len() == 64 && key.bytes().all(|b| b.is_ascii_hexdigit());
        plain.then(|| self.root().join(folder).join(key))
    }

    /// The body of the memo `key` in `folder`, if it is whole and was written under that key.
    fn read_memo(&self, folder: &str, key: &str) -> Option<Vec<u8>> {
        let text = fs::read(self.memo_in(folder, key)?).ok()?;
        let rest = text.strip_prefix(key.as_bytes())?.strip_prefix(b"\n")?;
        let (check, body) = rest.split_at_checked(64)?;
        let body = body.strip_prefix(b"\n")?;
        (blake3::hash(body).to_hex().as_bytes() == check).then(|| body.to_vec())
    }

    fn write_memo(&self, folder: &str, key: &str, body: &[u8]) -> Result<()> {
        let Some(path) = self.memo_in(folder, key) else { return Ok(()) };
        let parent = path.parent().expect("a memo is in a folder");
        if !fs::symlink_metadata(parent).is_ok_and(|m| m.is_dir()) {
            fs::create_dir(parent).map_err(|e| Error::storage(parent, e))?;
        }
        let mut text = Vec::with_capacity(key.len() + 66 + body.len());
        text.extend_from_slice(key.as_bytes());
        text.push(b'\n');
        text.extend_from_slice(blake3::hash(body).to_hex().as_bytes());
        text.push(b'\n');
        text.extend_from_slice(body);
        let tmp = self.new_tmp_path(".memo")?;
        fs::write(&tmp, text).and_then(|_| fs::rename(&tmp, &path)).map_err(|e| {
            let _ = fs::remove_file(&tmp);
            Error::storage(&path, e)
        })
    }

    /// What was remembered under `key` of the partition stored as `part`.
    pub fn partial(&self, key: &str, part: &str) -> Option<Vec<u8>> {
        let body = self.read_memo(PARTIALS, key)?;
        Some(body.strip_prefix(part.as_bytes())?.strip_prefix(b"\n")?.to_vec())
    }

    /// Remembers `bytes` under `key` for the partition stored as `part`.
    pub fn remember_partial(&self, key: &str, part: &str, bytes: &[u8]) -> Result<()> {
        let mut body = Vec::with_capacity(part.len() + 1 + bytes.len());
        body.extend_from_slice(part.as_bytes());
        body.push(b'\n');
        body.extend_from_slice(bytes);
        self.write_memo(PARTIALS, key, &body)
    }

    /// The partition made from `identity` before, if its object is still
    /// stored. The memo's age is refreshed, not the object's: gc keeps the
    /// objects of memos used within its grace period (`objects_in_use`),
    /// and the object's own times stay those the fingerprint cache knows, so
    /// the next job does not hash it again to check it.
    pub fn part_made_from(&self, identity: &str) -> Option<Part> {
        let part: Part = serde_json::from_slice(&self.read_memo(PARTS, identity)?).ok()?;
        let path = self.path_of(&part.hash).ok()?;
        let meta = fs::symlink_metadata(&path).ok()?;
        if !meta.is_file() || meta.len() != part.size {
            return None;
        }
        let memo = self.memo_in(PARTS, identity)?;
        let _ = fs::File::options().write(true).open(&memo).and_then(|f| f.set_modified(std::time::SystemTime::now()));
        Some(part)
    }

    /// Remembers that `part` was made from `identity` (temporary file, rename:
    /// no fsync, a memo lost in a crash costs only the work again).
    pub fn remember_part(&self, identity: &str, part: &Part) -> Result<()> {
        let body = serde_json::to_vec(part).map_err(|e| Error::storage(self.root(), e))?;
        self.write_memo(PARTS, identity, &body)
    }

    /// The object a memo names, if the memo is whole.
    fn memo_object(&self, folder: &str, key: &str) -> Option<String> {
        let body = self.read_memo(folder, key)?;
        if folder == PARTS {
            serde_json::from_slice::<Part>(&body).ok().map(|p| p.hash)
        } else {
            body.get(..64).and_then(|h| std::str::from_utf8(h).ok()).map(str::to_owned)
        }
    }

    /// The objects of the partition memos used (or written) after `since`:
    /// a job may be about to record a version naming them.
    pub fn objects_in_use(&self, since: std::time::SystemTime) -> std::collections::HashSet<String> {
        let Ok(entries) = fs::read_dir(self.root().join(PARTS)) else { return Default::default() };
        let recent = |e: &fs::DirEntry| e.metadata().ok().and_then(|m| m.modified().ok()).is_some_and(|t| t > since);
        entries
            .flatten()
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()) && recent(e))
            .filter_map(|e| self.memo_object(PARTS, &e.file_name().to_string_lossy()))
            .collect()
    }

    /// Removes the memos whose object is gone (after gc), and those not whole; how many.
    pub fn drop_stale_part_memos(&self) -> Result<u64> {
        let mut dropped = 0;
        for folder in [PARTS, PARTIALS] {
            let path = self.root().join(folder);
            // A folder that is a link is not read: its files are not the store's.
            if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
                continue;
            }
            for entry in fs::read_dir(&path).map_err(|e| Error::storage(&path, e))?.flatten() {
                let plain = entry.file_type().is_ok_and(|t| t.is_file());
                let object = plain.then(|| self.memo_object(folder, &entry.file_name().to_string_lossy())).flatten();
                if !object.is_some_and(|h| self.contains(&h)) && fs::remove_file(entry.path()).is_ok() {
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
        // Whole memos moved or altered are not taken either.
        let (other, other_size) = store.put_bytes(b"another object").unwrap();
        let other_part = Part { name: "bytes 15..30".into(), hash: other.clone(), size: other_size, rows: 2 };
        let other_identity = blake3::hash(b"other input").to_hex().to_string();
        store.remember_part(&other_identity, &other_part).unwrap();
        let parts = dir.path().join("objects/parts");
        fs::copy(parts.join(&other_identity), parts.join(&identity)).unwrap();
        assert_eq!(store.part_made_from(&identity), None, "a memo moved under another identity");
        let mut flipped = fs::read(parts.join(&other_identity)).unwrap();
        let last = flipped.len() - 3;
        flipped[last] ^= 1;
        fs::write(parts.join(&other_identity), flipped).unwrap();
        assert_eq!(store.part_made_from(&other_identity), None, "a bit flipped");
        store.remember_part(&other_identity, &other_part).unwrap();
        fs::remove_file(parts.join(&identity)).unwrap();
        fs::write(parts.join(&identity), b"{torn").unwrap();
        assert_eq!(store.part_made_from(&identity), None);
        assert_eq!(store.part_made_from("../../etc/passwd"), None);

        let (part, _) = store.put_bytes(b"another partition").unwrap();
        let key = blake3::hash(b"a question").to_hex().to_string();
        store.remember_partial(&key, &part, b"\x00\x01 what it found").unwrap();
        assert_eq!(store.partial(&key, &part).as_deref(), Some(&b"\x00\x01 what it found"[..]));
        assert_eq!(store.partial(&key, &hash), None, "remembered for another partition");
        let other_key = blake3::hash(b"another question").to_hex().to_string();
        let partials = dir.path().join("objects/partials");
        fs::copy(partials.join(&key), partials.join(&other_key)).unwrap();
        assert_eq!(store.partial(&other_key, &part), None, "the answer to another question");
        fs::remove_file(partials.join(&other_key)).unwrap();
        assert_eq!(store.drop_stale_part_memos().unwrap(), 1, "the torn part memo");
        fs::remove_file(store.path_of(&part).unwrap()).unwrap();
        assert_eq!(store.drop_stale_part_memos().unwrap(), 1);
        assert_eq!(store.partial(&key, &part), None);
    }
}
