//! Content-addressed objects: `objects/ab/cdef...`, named by blake3 of the bytes.
//!
//! A writer fills a temporary file in `objects/tmp/`, then [`ObjectStore::ingest`]
//! hashes it, fsyncs it and renames it into place. Only after that is a
//! registry row allowed to point at it, so a crash leaves at worst an orphan
//! temporary file, never a row pointing at a partial object.

use std::fs::{self, File};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};
use crate::fingerprint;

#[derive(Debug, Clone)]
pub struct ObjectStore {
    root: PathBuf,
}

impl ObjectStore {
    pub fn open(root: PathBuf) -> Result<Self> {
        let tmp = root.join("tmp");
        fs::create_dir_all(&tmp).map_err(|e| Error::storage(&tmp, format!("cannot create the object folder: {e}")))?;
        Ok(ObjectStore { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    pub fn tmp_dir(&self) -> PathBuf {
        self.root.join("tmp")
    }

    /// A fresh path in the temporary folder, on the same file system as the
    /// objects. `suffix` is a file extension such as ".parquet".
    pub fn new_tmp_path(&self, suffix: &str) -> Result<PathBuf> {
        let plain = suffix.len() <= 32 && suffix.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b));
        if !plain {
            return Err(Error::InvalidArgument(format!(
                "temporary file suffix {suffix:?} may hold only letters, digits, '.', '_' and '-' (at most 32)"
            )));
        }
        let tmp = self.tmp_dir();
        // A `tmp` replaced by a link would put values being written outside the store.
        if !fs::symlink_metadata(&tmp).is_ok_and(|m| m.is_dir()) {
            return Err(Error::storage(&tmp, "not a plain folder (a link?): refusing to write values through it"));
        }
        Ok(tmp.join(format!("{}{suffix}", uuid::Uuid::new_v4())))
    }

    /// Where the object named `hash` lives. Only a blake3 hex digest is a name,
    /// so a tampered registry row cannot point outside the store.
    pub fn path_of(&self, hash: &str) -> Result<PathBuf> {
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)) {
            return Err(Error::storage(
                &self.root,
                format!("{hash:?} is not an object name (64 lowercase hex digits): the registry was altered?"),
            ));
        }
        Ok(self.root.join(&hash[..2]).join(&hash[2..]))
    }

    pub fn contains(&self, hash: &str) -> bool {
        self.path_of(hash).is_ok_and(|p| p.is_file())
    }

    /// The path of an object whose bytes were checked against its name, once
    /// per process as long as `stat` shows the file unchanged (a large table
    /// is hashed on its first use, not on every read). A link, inside the
    /// store or as its folder, is refused: it would read a file elsewhere.
    pub fn verified_path(&self, hash: &str) -> Result<PathBuf> {
        self.verified_path_with(hash, fingerprint::of_file)
    }

    /// Reads and hashes the object now, whatever this process checked before.
    pub fn check_now(&self, hash: &str) -> Result<()> {
        let path = self.path_of(hash)?;
        plain_file_identity(&path)?;
        let actual = fingerprint::of_file(&path)?;
        if actual != hash {
            return Err(altered(&path, &actual, hash));
        }
        Ok(())
    }

    /// `verified_path`, hashing through `hash_file` (the registry's cache of
    /// file fingerprints, for a store that has one).
    pub fn verified_path_with(&self, hash: &str, hash_file: impl Fn(&Path) -> Result<String>) -> Result<PathBuf> {
        let path = self.path_of(hash)?;
        let identity = plain_file_identity(&path)?;
        if verified_identity(&path).as_ref() == Some(&identity) {
            return Ok(path);
        }
        let actual = hash_file(&path)?;
        if actual != hash {
            return Err(altered(&path, &actual, hash));
        }
        if plain_file_identity(&path)? == identity {
            remember_verified(&path, identity);
        }
        Ok(path)
    }

    /// Moves a finished temporary file into the store; returns (hash, size).
    pub fn ingest(&self, tmp: &Path) -> Result<(String, u64)> {
        let file = File::open(tmp).map_err(|e| Error::storage(tmp, format!("cannot open the value to store: {e}")))?;
        file.sync_all().map_err(|e| Error::storage(tmp, format!("cannot flush to disk: {e}")))?;
        let size = file.metadata().map_err(|e| Error::storage(tmp, e))?.len();
        drop(file);
        let hash = fingerprint::of_file(tmp)?;
        self.ingest_synced(tmp, &hash).map(|(hash, _)| (hash, size))
    }

    /// `ingest` for a file its writer has already flushed to disk and hashed
    /// while writing it.
    pub fn ingest_synced(&self, tmp: &Path, hash: &str) -> Result<(String, u64)> {
        let size = fs::metadata(tmp).map_err(|e| Error::storage(tmp, e))?.len();
        let hash = hash.to_owned();
        let target = self.path_of(&hash)?;
        let dir = target.parent().expect("an object path has a parent");
        if fs::symlink_metadata(dir).is_ok_and(|m| !m.is_dir()) {
            let _ = fs::remove_file(tmp);
            return Err(Error::storage(dir, "not a plain folder (a link?): refusing to store a value through it"));
        }
        if fs::symlink_metadata(&target).is_ok_and(|m| m.is_file()) {
            // The object may be old enough for gc, and no version refers to it
            // yet: refreshing its age keeps it through gc's grace period until
            // the version that reuses it is recorded (gc decides and deletes
            // inside one registry transaction, see `Store::gc`).
            refresh_age(&target);
            let _ = fs::remove_file(tmp);
            return Ok((hash, size));
        }
        fs::create_dir_all(dir).map_err(|e| Error::storage(dir, e))?;
        fs::rename(tmp, &target)
            .map_err(|e| Error::storage(&target, format!("cannot move the value into place: {e}")))?;
        sync_dir(dir)?;
        // Hashed as it was written: its first read need not hash it again.
        if let Ok(identity) = plain_file_identity(&target) {
            remember_verified(&target, identity);
        }
        Ok((hash, size))
    }

    /// An object's bytes, checked against its name: a file changed since it was
    /// stored (tampered with, or damaged) is refused rather than decoded.
    pub fn read_verified(&self, hash: &str) -> Result<Vec<u8>> {
        let size = self.stored_size(hash)?;
        let mut bytes = Vec::new();
        bytes.try_reserve_exact(size as usize).map_err(|e| self.out_of_memory(hash, size, e))?;
        bytes.resize(size as usize, 0);
        self.read_verified_into(hash, &mut bytes)?;
        Ok(bytes)
    }

    /// The size of a stored object, for a caller that allocates its buffer.
    pub fn stored_size(&self, hash: &str) -> Result<u64> {
        let path = self.path_of(hash)?;
        plain_file_identity(&path)?;
        Ok(fs::symlink_metadata(&path).map_err(|e| Error::storage(&path, e))?.len())
    }

    /// Reads an object into `buffer` (exactly its size, from `stored_size`) and
    /// checks it against its name, so a caller can read straight into memory it
    /// owns (a Python `bytes`) instead of holding the value twice.
    pub fn read_verified_into(&self, hash: &str, buffer: &mut [u8]) -> Result<()> {
        let path = self.path_of(hash)?;
        plain_file_identity(&path)?;
        let cannot = |e: std::io::Error| Error::storage(&path, format!("cannot read the stored value: {e}"));
        let mut file = File::open(&path).map_err(cannot)?;
        file.read_exact(buffer).map_err(cannot)?;
        // A file longer than its size when we asked is as wrong as a shorter one.
        if file.read(&mut [0u8; 1]).map_err(cannot)? != 0 {
            return Err(Error::storage(&path, "the stored value changed size while it was read"));
        }
        let actual = fingerprint::of_bytes(buffer);
        if actual != hash {
            return Err(altered(&path, &actual, hash));
        }
        Ok(())
    }

    /// The error for a value that does not fit in memory.
    pub fn out_of_memory(&self, hash: &str, bytes: u64, e: impl std::fmt::Display) -> Error {
        Error::OutOfMemory { what: format!("stored value {hash}"), bytes, message: e.to_string() }
    }

    /// A copy of the file at `path` as an object: (hash, size). The copy is
    /// hashed, not the original, so the object is exactly what was hashed
    /// even if the file changes meanwhile.
    pub fn ingest_copy(&self, path: &Path) -> Result<(String, u64)> {
        let tmp = self.new_tmp_path(".part")?;
        let stored = fs::copy(path, &tmp)
            .map_err(|e| Error::storage(path, format!("cannot copy the file into the store: {e}")))
            .and_then(|_| self.ingest(&tmp));
        let _ = fs::remove_file(&tmp);
        stored
    }

    pub fn put_bytes(&self, bytes: &[u8]) -> Result<(String, u64)> {
        let tmp = self.new_tmp_path(".part")?;
        let mut file = File::create(&tmp).map_err(|e| Error::storage(&tmp, format!("cannot write the value: {e}")))?;
        if let Err(e) = file.write_all(bytes) {
            drop(file);
            let _ = fs::remove_file(&tmp);
            return Err(Error::storage(&tmp, format!("cannot write the value: {e}")));
        }
        drop(file);
        self.ingest(&tmp)
    }
}

/// Sets an object's mtime to now; an object this process had verified stays
/// verified (only its time changed). Best effort: a read-only store cannot be
/// collected by this process's gc either.
fn refresh_age(path: &Path) {
    let before = plain_file_identity(path).ok();
    let touched = File::options().write(true).open(path).and_then(|f| f.set_modified(std::time::SystemTime::now()));
    if touched.is_ok() && before.is_some() && verified_identity(path) == before {
        if let Ok(identity) = plain_file_identity(path) {
            remember_verified(path, identity);
        }
    }
}

/// Checks that the object named `hash` is a plain file under `root` (the
/// object folder) without reading it: what a version must name when it is
/// recorded, inside the transaction that records it.
pub fn require_stored(root: &Path, hash: &str) -> Result<()> {
    let store = ObjectStore { root: root.to_owned() };
    let path = store.path_of(hash)?;
    let folder_plain = path.parent().and_then(|f| fs::symlink_metadata(f).ok()).is_some_and(|m| m.is_dir());
    if folder_plain && fs::symlink_metadata(&path).is_ok_and(|m| m.is_file()) {
        return Ok(());
    }
    Err(Error::storage(&path, "the stored value is missing (collected by gc, or removed, after it was stored)"))
}

fn altered(path: &Path, actual: &str, hash: &str) -> Error {
    Error::storage(
        path,
        format!(
            "the stored value was modified after it was stored (its blake3 is {actual}, its name says {hash}): \
             refusing to read it"
        ),
    )
}

/// What `stat` says of an object file (device, inode, size, mtime, ctime),
/// after checking that neither it nor its folder is a link.
fn plain_file_identity(path: &Path) -> Result<String> {
    let folder = path.parent().expect("an object path has a parent");
    let missing = |e: std::io::Error| Error::storage(path, format!("the stored value is missing: {e}"));
    let folder_meta = fs::symlink_metadata(folder).map_err(missing)?;
    let meta = fs::symlink_metadata(path).map_err(missing)?;
    if folder_meta.file_type().is_symlink() || !meta.file_type().is_file() {
        return Err(Error::storage(
            path,
            "the stored value is not a plain file inside the store (a link or a folder put there): refusing to read it",
        ));
    }
    Ok(super::files::stat_identity(&meta))
}

/// Object files verified by this process, with the `stat` they had then.
static VERIFIED: std::sync::LazyLock<std::sync::Mutex<std::collections::HashMap<PathBuf, String>>> =
    std::sync::LazyLock::new(Default::default);

/// Whether this process checked (or wrote) the object at `path` as it is now.
pub(super) fn verified_here(path: &Path) -> bool {
    verified_identity(path).is_some_and(|known| plain_file_identity(path).is_ok_and(|now| now == known))
}

fn verified_identity(path: &Path) -> Option<String> {
    VERIFIED.lock().unwrap_or_else(|p| p.into_inner()).get(path).cloned()
}

fn remember_verified(path: &Path, identity: String) {
    VERIFIED.lock().unwrap_or_else(|p| p.into_inner()).insert(path.to_owned(), identity);
}

fn sync_dir(dir: &Path) -> Result<()> {
    File::open(dir).and_then(|d| d.sync_all()).map_err(|e| Error::storage(dir, format!("cannot flush the folder: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_bytes_same_object() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectStore::open(dir.path().join("objects")).unwrap();
        let (h1, n) = store.put_bytes(b"hello").unwrap();
        let (h2, _) = store.put_bytes(b"hello").unwrap();
        assert_eq!((h1.as_str(), n), (h2.as_str(), 5));
        assert_eq!(fs::read(store.path_of(&h1).unwrap()).unwrap(), b"hello");
        assert_eq!(fs::read_dir(store.tmp_dir()).unwrap().count(), 0, "no temporary file is left behind");
    }

    #[test]
    fn only_digests_and_plain_suffixes_make_paths() {
        let dir = tempfile::tempdir().unwrap();
        let store = ObjectStore::open(dir.path().join("objects")).unwrap();
        for name in ["../../x", "/etc/passwd", "ab/../../../../x", &"A".repeat(64), &"a".repeat(63), ""] {
            assert!(store.path_of(name).is_err(), "{name:?} was accepted");
            assert!(!store.contains(name));
        }
        assert!(store.path_of(&"0a".repeat(32)).unwrap().starts_with(store.root()));
        assert!(store.new_tmp_path("/../../x").is_err());
        assert!(store.new_tmp_path(".parquet").unwrap().starts_with(store.tmp_dir()));
    }
}
