//! Fingerprints of files at users' paths, with a fast path for unchanged files.
//!
//! A file's content hash is cached under its path together with what `stat`
//! says of it: device, inode, size, mtime and ctime, all in nanoseconds. The
//! cache is trusted only when every one of them is unchanged. `os.utime` can
//! restore an mtime but not a ctime (the kernel sets ctime on every content or
//! metadata change), and a file replaced by rename gets a new inode, so an
//! edit in place with the same size and a restored mtime is still detected.
//! A file changed less than [`RACY_WINDOW_NS`] before it was hashed is not
//! cached at all ("racily clean", as git calls it): the file system's clock
//! is coarse, and a second write in the same tick would leave stat unchanged.

use std::fs;
use std::path::{Path, PathBuf};

use rusqlite::params;

use super::Store;
use crate::error::{Error, Result};
use crate::fingerprint;

// Tests shorten the window so that they need not sleep for seconds.
const RACY_WINDOW_NS: i128 = if cfg!(test) { 100_000_000 } else { 2_000_000_000 };

#[cfg(unix)]
fn stat_key(meta: &fs::Metadata) -> (String, i128) {
    use std::os::unix::fs::MetadataExt;
    let mtime = i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec());
    let ctime = i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec());
    (format!("{}:{}:{}:{mtime}:{ctime}", meta.dev(), meta.ino(), meta.size()), mtime.max(ctime))
}

#[cfg(not(unix))]
fn stat_key(meta: &fs::Metadata) -> (String, i128) {
    // Without inode and ctime the fast path cannot be trusted: always hash.
    (format!("untrusted:{}", uuid::Uuid::new_v4()), i128::MAX)
}

/// Whether `path` is a folder itself, not a link to one.
pub(super) fn is_plain_folder(path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.is_dir())
}

/// A file's `stat` as one comparable string: equal strings, same file content
/// (but for a write in the clock's last tick, see [`RACY_WINDOW_NS`]).
pub(super) fn stat_identity(meta: &fs::Metadata) -> String {
    stat_key(meta).0
}

fn now_ns() -> i128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos() as i128)
}

/// A file at a user's path as the fingerprint cache knows it.
pub enum FileState {
    /// Unchanged since it was last hashed: its content hash.
    Known(String),
    /// New or changed since: not hashed yet.
    Unhashed(UnhashedFile),
}

/// A file whose content hash is not known, and its `stat` when it was looked at.
#[derive(Clone, Debug)]
pub struct UnhashedFile {
    /// Canonical: links resolved.
    pub path: PathBuf,
    pub size: u64,
    stat: String,
    changed_at: i128,
}

impl Store {
    /// The blake3 content hash of the file at `path`, from the cache when
    /// `stat` shows the file unchanged since it was last hashed.
    pub fn file_fingerprint(&self, path: &Path) -> Result<String> {
        match self.file_state(path)? {
            FileState::Known(fp) => Ok(fp),
            FileState::Unhashed(file) => self.hash_file(&file),
        }
    }

    /// Hashes `file` now, and caches its hash when it did not change meanwhile.
    pub fn hash_file(&self, file: &UnhashedFile) -> Result<String> {
        let fp = fingerprint::of_file(&file.path)?;
        self.remember_fingerprint(file, &fp)?;
        Ok(fp)
    }

    /// What the fingerprint cache knows of the file at `path`, without reading it.
    pub fn file_state(&self, path: &Path) -> Result<FileState> {
        let path = fs::canonicalize(path).map_err(|e| Error::storage(path, format!("cannot open: {e}")))?;
        let key = path.to_string_lossy().into_owned();
        let meta = fs::metadata(&path).map_err(|e| Error::storage(&path, e))?;
        let (stat, changed_at) = stat_key(&meta);
        let cached: Option<(String, String)> = self
            .registry
            .read(|tx| tx.row("SELECT stat, fingerprint FROM file_fingerprints WHERE path = ?1", params![key]))?;
        match cached {
            Some((cached_stat, fp)) if cached_stat == stat => Ok(FileState::Known(fp)),
            _ => Ok(FileState::Unhashed(UnhashedFile { path, size: meta.len(), stat, changed_at })),
        }
    }

    /// Whether `file` changed in the clock's last tick, too recently for its
    /// stat to stand for its content.
    pub fn is_racy(&self, file: &UnhashedFile) -> bool {
        now_ns() - file.changed_at <= RACY_WINDOW_NS
    }

    /// Caches `fp`, the hash of `file`'s content read after it was looked at,
    /// when `stat` still says what it said then (and the file was not changed
    /// in the clock's last tick). Whether `stat` is unchanged.
    pub fn remember_fingerprint(&self, file: &UnhashedFile, fp: &str) -> Result<bool> {
        let after = fs::metadata(&file.path).map_err(|e| Error::storage(&file.path, e))?;
        let unchanged = stat_key(&after).0 == file.stat;
        if unchanged && now_ns() - file.changed_at > RACY_WINDOW_NS {
            let key = file.path.to_string_lossy().into_owned();
            self.registry.write(|tx| {
                tx.execute(
                    "INSERT OR REPLACE INTO file_fingerprints (path, stat, fingerprint) VALUES (?1, ?2, ?3)",
                    params![key, file.stat, fp],
                )
                .map(|_| ())
            })?;
        }
        Ok(unchanged)
    }

    /// A fingerprint of a folder: every file under it, by relative path and
    /// content, in sorted order. Links to folders are not followed (no loops,
    /// nothing outside); the storage folder itself is left out.
    pub fn tree_fingerprint(&self, dir: &Path) -> Result<String> {
        let own = fs::canonicalize(self.folder()).ok();
        tree_fingerprint_with(dir, own.as_deref(), |path| self.file_fingerprint(path))
    }
}

/// The domain of folder fingerprints: a stored folder's (`folders.rs`) and a
/// folder on disk's must agree.
pub(super) const FOLDER_DOMAIN: &str = "scenarium folder";

/// [`Store::tree_fingerprint`], hashing each file through `hash_file` and
/// leaving out the folder `skip`.
pub(super) fn tree_fingerprint_with(
    dir: &Path,
    skip: Option<&Path>,
    hash_file: impl Fn(&Path) -> Result<String>,
) -> Result<String> {
    let root = fs::canonicalize(dir).map_err(|e| Error::storage(dir, format!("cannot open: {e}")))?;
    let mut entries: Vec<(String, String)> = Vec::new();
    walk_files(&root, skip, "fingerprinting", |path, relative, _| {
        let relative = relative.to_string_lossy().into_owned();
        entries.push(if path.is_file() {
            (relative, hash_file(path)?)
        } else {
            (relative, "not a regular file".into())
        });
        Ok(())
    })?;
    entries.sort();
    Ok(fingerprint::combine(FOLDER_DOMAIN, entries.iter().map(|(p, f)| (p.as_str(), f.as_str()))))
}

/// Calls `visit` with every entry under `root` that is not a folder (its path,
/// its path relative to `root`, its type), walking folders but not links to
/// them, nor the folder `skip`. `doing` names the walk when Ctrl-C stops it.
pub(super) fn walk_files(
    root: &Path,
    skip: Option<&Path>,
    doing: &str,
    mut visit: impl FnMut(&Path, &Path, fs::FileType) -> Result<()>,
) -> Result<()> {
    let mut pending = vec![root.to_owned()];
    while let Some(folder) = pending.pop() {
        if crate::interrupt::requested() {
            return Err(Error::storage(root, format!("{doing} interrupted")));
        }
        let listing = fs::read_dir(&folder).map_err(|e| Error::storage(&folder, format!("cannot list: {e}")))?;
        for entry in listing {
            let entry = entry.map_err(|e| Error::storage(&folder, e))?;
            let path = entry.path();
            let kind = entry.file_type().map_err(|e| Error::storage(&path, e))?;
            if kind.is_dir() {
                if skip != Some(path.as_path()) {
                    pending.push(path);
                }
            } else {
                visit(&path, path.strip_prefix(root).unwrap_or(&path), kind)?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::{Duration, SystemTime};

    use crate::store::tests::open;

    /// Backdates the mtime, then waits out the (test-sized) racy window for the ctime.
    fn age(path: &std::path::Path, secs: u64) {
        let old = SystemTime::now() - Duration::from_secs(secs);
        std::fs::File::options().write(true).open(path).unwrap().set_modified(old).unwrap();
        std::thread::sleep(Duration::from_millis(150));
    }

    #[test]
    fn unchanged_file_comes_from_the_cache_and_edits_do_not() {
        let (dir, store) = open();
        let path = dir.path().join("data.csv");
        std::fs::write(&path, b"a\n1\n").unwrap();
        age(&path, 60);
        let first = store.file_fingerprint(&path).unwrap();
        assert_eq!(first, crate::fingerprint::of_bytes(b"a\n1\n"));
        let cached: i64 =
            store.registry.read(|tx| tx.scalar("SELECT COUNT(*) FROM file_fingerprints", [])).unwrap().unwrap();
        assert_eq!(cached, 1);
        assert_eq!(store.file_fingerprint(&path).unwrap(), first);

        // Same size, mtime restored: ctime still moves, so the edit is seen.
        let mtime = std::fs::metadata(&path).unwrap().modified().unwrap();
        std::fs::write(&path, b"a\n2\n").unwrap();
        std::fs::File::options().write(true).open(&path).unwrap().set_modified(mtime).unwrap();
        assert_eq!(store.file_fingerprint(&path).unwrap(), crate::fingerprint::of_bytes(b"a\n2\n"));
    }

    #[test]
    fn a_freshly_written_file_is_not_cached() {
        let (dir, store) = open();
        let path = dir.path().join("fresh.csv");
        std::fs::write(&path, b"x").unwrap();
        store.file_fingerprint(&path).unwrap();
        let cached: i64 =
            store.registry.read(|tx| tx.scalar("SELECT COUNT(*) FROM file_fingerprints", [])).unwrap().unwrap();
        assert_eq!(cached, 0);
    }

    #[test]
    fn a_folder_fingerprint_covers_every_file_under_it_and_not_the_store() {
        let (dir, store) = open();
        let root = dir.path().join("data");
        std::fs::create_dir_all(root.join("sub")).unwrap();
        std::fs::write(root.join("a.txt"), b"a").unwrap();
        std::fs::write(root.join("sub").join("b.txt"), b"b").unwrap();
        let first = store.tree_fingerprint(&root).unwrap();
        assert_eq!(store.tree_fingerprint(&root).unwrap(), first);
        std::fs::write(root.join("sub").join("b.txt"), b"B").unwrap();
        let edited = store.tree_fingerprint(&root).unwrap();
        assert_ne!(edited, first, "a file deep inside changed");
        std::fs::write(root.join("sub").join("c.txt"), b"").unwrap();
        assert_ne!(store.tree_fingerprint(&root).unwrap(), edited, "a new empty file");
        std::fs::remove_file(root.join("sub").join("c.txt")).unwrap();
        std::fs::rename(root.join("sub").join("b.txt"), root.join("b.txt")).unwrap();
        assert_ne!(store.tree_fingerprint(&root).unwrap(), edited, "a file moved");
        // The folder holding the storage folder: its own writes never count.
        let around = store.tree_fingerprint(dir.path()).unwrap();
        store.write_data_node("x", &crate::store::tests::inline("1"), "user", None).ok();
        assert_eq!(store.tree_fingerprint(dir.path()).unwrap(), around);
    }
}
