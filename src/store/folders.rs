//! A folder as one object: a partitioned parquet dataset (Taipy reads and
//! writes a folder of parquet files as one table) is stored as a tar of its
//! files, in sorted order with fixed metadata, so that a version of the
//! folder is as immutable and as checkable as any other object.
//!
//! A folder's identity is not the tar's hash but [`Store::tree_fingerprint`]
//! of it (each file's content by relative path): that one can be computed
//! from the folder on disk through the file fingerprint cache, without
//! packing it. The tar is written with each file hashed as it is read into
//! it, so the identity always describes exactly the bytes stored.

use std::fs::{self, File};
use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::files::{tree_fingerprint_with, walk_files, FOLDER_DOMAIN};
use super::objects::ObjectStore;
use crate::error::{Error, Result};
use crate::fingerprint;

/// Whether an object format is a folder packed as a tar.
pub fn is_folder_format(format: &str) -> bool {
    format.starts_with("parquet-folder/")
}

/// A folder stored as an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFolder {
    /// The tar object's name.
    pub hash: String,
    pub size: u64,
    /// The folder's content identity (as [`super::Store::tree_fingerprint`] of it).
    pub fingerprint: String,
}

/// Reads a file into the tar while hashing it.
struct Hashing<R> {
    inner: R,
    hasher: blake3::Hasher,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// The regular files under `root` that `keep` keeps (given each relative path), by
/// relative path (with `/`), sorted. A link is refused: reading it would take what it
/// points at, perhaps outside. `doing` names the walk in errors and on Ctrl-C.
pub(super) fn files_under(root: &Path, doing: &str, keep: impl Fn(&Path) -> bool) -> Result<Vec<(String, PathBuf)>> {
    let mut files = Vec::new();
    walk_files(root, None, doing, |path, relative, kind| {
        if !keep(relative) {
            return Ok(());
        }
        if !kind.is_file() {
            return Err(Error::storage(path, format!("not a regular file (a link?): {doing} takes only files")));
        }
        let Some(name) = relative.to_str() else {
            return Err(Error::storage(path, format!("a file name that is not UTF-8 ({doing})")));
        };
        files.push((name.replace(std::path::MAIN_SEPARATOR, "/"), path.to_owned()));
        Ok(())
    })?;
    files.sort();
    Ok(files)
}

impl ObjectStore {
    /// Packs the folder at `dir` into one object. The folder should not change
    /// meanwhile; if it does, the fingerprint still describes what was stored.
    pub fn ingest_folder(&self, dir: &Path) -> Result<StoredFolder> {
        let files = files_under(dir, "storing the folder", |_| true)?;
        let tmp = self.new_tmp_path(".tar.part")?;
        let packed = (|| {
            let out = File::create(&tmp).map_err(|e| Error::storage(&tmp, format!("cannot write the value: {e}")))?;
            let mut tar = tar::Builder::new(io::BufWriter::new(out));
            tar.mode(tar::HeaderMode::Deterministic);
            let mut identities = Vec::with_capacity(files.len());
            for (name, path) in &files {
                let file = File::open(path).map_err(|e| Error::storage(path, format!("cannot read: {e}")))?;
                let size = file.metadata().map_err(|e| Error::storage(path, e))?.len();
                let mut header = tar::Header::new_gnu();
                header.set_size(size);
                header.set_mode(0o644);
                header.set_mtime(0);
                header.set_entry_type(tar::EntryType::Regular);
                // Exactly `size` bytes go in, whatever the file does meanwhile.
                let mut reader = Hashing { inner: file.take(size), hasher: blake3::Hasher::new() };
                tar.append_data(&mut header, name, &mut reader)
                    .map_err(|e| Error::storage(path, format!("cannot pack: {e}")))?;
                identities.push((name.clone(), reader.hasher.finalize().to_hex().to_string()));
            }
            let out = tar.into_inner().map_err(|e| Error::storage(&tmp, e))?;
            out.into_inner().map_err(|e| Error::storage(&tmp, e.into_error()))?;
            Ok(fingerprint::combine(FOLDER_DOMAIN, identities.iter().map(|(p, f)| (p.as_str(), f.as_str()))))
        })();
        let stored =
            packed.and_then(|fp| self.ingest(&tmp).map(|(hash, size)| StoredFolder { hash, size, fingerprint: fp }));
        let _ = fs::remove_file(&tmp);
        stored
    }

    /// Unpacks the folder object `hash` into `dest` (which must not exist),
    /// flushed to disk. The tar reader refuses entries that leave `dest`.
    pub fn unpack_folder(&self, hash: &str, dest: &Path) -> Result<()> {
        let source = self.verified_path(hash)?;
        let file = File::open(&source).map_err(|e| Error::storage(&source, e))?;
        fs::create_dir(dest).map_err(|e| Error::storage(dest, format!("cannot create the folder: {e}")))?;
        let mut archive = tar::Archive::new(io::BufReader::new(file));
        archive.set_preserve_mtime(false);
        archive.unpack(dest).map_err(|e| Error::storage(&source, format!("cannot unpack the stored folder: {e}")))?;
        sync_tree(dest)
    }

    /// A read-only copy of the folder object `hash`, unpacked once into the
    /// store's `trees/` and shared by every reader after that.
    pub fn folder_path(&self, hash: &str) -> Result<PathBuf> {
        let trees = self.root().join(TREES);
        let target = trees.join(hash);
        self.path_of(hash)?; // only an object name makes a path
        if super::files::is_plain_folder(&trees) && super::files::is_plain_folder(&target) {
            return Ok(target);
        }
        fs::create_dir_all(&trees).map_err(|e| Error::storage(&trees, format!("cannot create the folder: {e}")))?;
        if !super::files::is_plain_folder(&trees) {
            return Err(Error::storage(
                &trees,
                "not a plain folder (a link?): refusing to unpack stored folders into it",
            ));
        }
        let tmp = self.new_tmp_path(".tree")?;
        let unpacked = self.unpack_folder(hash, &tmp).and_then(|()| match fs::rename(&tmp, &target) {
            Ok(()) => Ok(()),
            Err(_) if super::files::is_plain_folder(&target) => Ok(()), // another reader unpacked it meanwhile
            Err(e) => Err(Error::storage(&target, format!("cannot move the unpacked folder into place: {e}"))),
        });
        if tmp.exists() {
            let _ = fs::remove_dir_all(&tmp);
        }
        unpacked.map(|()| target)
    }

    /// [`Self::folder_path`], checked against the folder version's `fingerprint`
    /// (files hashed through `hash_file`): a copy altered in place is unpacked again.
    pub fn verified_folder_path_with(
        &self,
        hash: &str,
        fingerprint: &str,
        hash_file: impl Fn(&Path) -> Result<String>,
    ) -> Result<PathBuf> {
        let unpacked = self.folder_path(hash)?;
        if tree_fingerprint_with(&unpacked, None, &hash_file)? == fingerprint {
            return Ok(unpacked);
        }
        fs::remove_dir_all(&unpacked).map_err(|e| Error::storage(&unpacked, e))?;
        let unpacked = self.folder_path(hash)?;
        if tree_fingerprint_with(&unpacked, None, &hash_file)? != fingerprint {
            return Err(Error::storage(&unpacked, "the stored folder does not hold the version it is named for"));
        }
        Ok(unpacked)
    }

    /// Removes unpacked copies whose objects are gone (after gc).
    pub(super) fn drop_unpacked_orphans(&self) -> Result<u64> {
        let trees = self.root().join(TREES);
        // A `trees` that is a link leads out of the store: nothing in it is ours.
        if !super::files::is_plain_folder(&trees) {
            return Ok(0);
        }
        let Ok(entries) = fs::read_dir(&trees) else { return Ok(0) };
        let mut removed = 0;
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !self.contains(&name) {
                fs::remove_dir_all(entry.path()).map_err(|e| Error::storage(entry.path(), e))?;
                removed += 1;
            }
        }
        Ok(removed)
    }
}

/// Where unpacked folder objects are kept, under the object folder.
pub(super) const TREES: &str = "trees";

/// Flushes every file and folder under `root` (a copy renamed into place after).
pub(super) fn sync_tree(root: &Path) -> Result<()> {
    let mut pending = vec![root.to_owned()];
    while let Some(folder) = pending.pop() {
        for entry in fs::read_dir(&folder).map_err(|e| Error::storage(&folder, e))?.flatten() {
            let path = entry.path();
            if entry.file_type().is_ok_and(|t| t.is_dir()) {
                pending.push(path);
            } else {
                File::open(&path).and_then(|f| f.sync_all()).map_err(|e| Error::storage(&path, e))?;
            }
        }
        File::open(&folder).and_then(|d| d.sync_all()).map_err(|e| Error::storage(&folder, e))?;
    }
    Ok(())
}

/// Puts the folder `staged` at `target`, replacing what is there (a file or a
/// folder) in one step where the system can swap two paths; what was there
/// is then removed. `staged` must be on the same file system as `target`.
pub(super) fn replace_with_folder(staged: &Path, target: &Path) -> io::Result<()> {
    if fs::symlink_metadata(target).is_err() {
        return fs::rename(staged, target);
    }
    exchange(staged, target)?;
    // `staged` now holds what `target` held.
    if staged.is_dir() {
        fs::remove_dir_all(staged)
    } else {
        fs::remove_file(staged)
    }
}

#[cfg(target_os = "linux")]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    use std::ffi::CString;
    use std::os::unix::ffi::OsStrExt;
    let c =
        |p: &Path| CString::new(p.as_os_str().as_bytes()).map_err(|e| io::Error::new(io::ErrorKind::InvalidInput, e));
    let (a, b) = (c(a)?, c(b)?);
    // SAFETY: two NUL-terminated paths, resolved from the working directory.
    let done =
        unsafe { libc::renameat2(libc::AT_FDCWD, a.as_ptr(), libc::AT_FDCWD, b.as_ptr(), libc::RENAME_EXCHANGE) };
    if done == 0 {
        Ok(())
    } else {
        Err(io::Error::last_os_error())
    }
}

/// Without an atomic swap: the old content is moved aside first, so a crash
/// between the two renames leaves the path missing (written again on the next
/// read), never half of each.
#[cfg(not(target_os = "linux"))]
fn exchange(a: &Path, b: &Path) -> io::Result<()> {
    let aside = a.with_extension("old");
    fs::rename(b, &aside)?;
    fs::rename(a, b)?;
    fs::rename(&aside, a)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::tests::open;

    fn write(root: &Path, name: &str, bytes: &[u8]) {
        let path = root.join(name);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, bytes).unwrap();
    }

    #[test]
    fn a_folder_is_stored_by_content_and_its_identity_is_its_tree_fingerprint() {
        let (_dir, store) = open();
        let a = tempfile::tempdir().unwrap();
        write(a.path(), "level=ERROR/part-0.parquet", b"errors");
        write(a.path(), "level=INFO/part-0.parquet", b"infos");
        let b = tempfile::tempdir().unwrap(); // same files, written in the other order, later
        write(b.path(), "level=INFO/part-0.parquet", b"infos");
        std::thread::sleep(std::time::Duration::from_millis(20));
        write(b.path(), "level=ERROR/part-0.parquet", b"errors");
        let first = store.objects.ingest_folder(a.path()).unwrap();
        let second = store.objects.ingest_folder(b.path()).unwrap();
        assert_eq!(first, second, "the same files make the same object, whatever their order and times");
        assert_eq!(first.fingerprint, store.tree_fingerprint(a.path()).unwrap());
        write(b.path(), "level=INFO/part-0.parquet", b"other infos");
        let changed = store.objects.ingest_folder(b.path()).unwrap();
        assert_ne!(changed.hash, first.hash);
        assert_ne!(changed.fingerprint, first.fingerprint);
        fs::rename(a.path().join("level=INFO"), a.path().join("level=WARN")).unwrap();
        assert_ne!(store.objects.ingest_folder(a.path()).unwrap().fingerprint, first.fingerprint, "names count");
    }

    #[test]
    fn a_stored_folder_unpacks_to_the_same_files_once_for_all_readers() {
        let (_dir, store) = open();
        let src = tempfile::tempdir().unwrap();
        write(src.path(), "k=1/part-0.parquet", b"one");
        write(src.path(), "k=2/part-0.parquet", b"two");
        let stored = store.objects.ingest_folder(src.path()).unwrap();
        let unpacked = store.objects.folder_path(&stored.hash).unwrap();
        assert_eq!(fs::read(unpacked.join("k=2/part-0.parquet")).unwrap(), b"two");
        assert_eq!(store.tree_fingerprint(&unpacked).unwrap(), stored.fingerprint);
        assert_eq!(store.objects.folder_path(&stored.hash).unwrap(), unpacked);
        fs::write(unpacked.join("k=2/part-0.parquet"), b"altered").unwrap();
        let checked = store.verified_folder_path(&stored.hash, &stored.fingerprint).unwrap();
        assert_eq!(fs::read(checked.join("k=2/part-0.parquet")).unwrap(), b"two", "an altered copy is unpacked again");
        assert_eq!(fs::read_dir(store.objects.tmp_dir()).unwrap().count(), 0, "nothing left in tmp");
    }

    #[test]
    fn gc_removes_the_unpacked_copy_with_its_object() {
        let (_dir, store) = open();
        let src = tempfile::tempdir().unwrap();
        write(src.path(), "part-0.parquet", b"unreferenced");
        let stored = store.objects.ingest_folder(src.path()).unwrap();
        let unpacked = store.objects.folder_path(&stored.hash).unwrap();
        assert!(store.integrity_check_full().unwrap().problems.is_empty(), "trees/ is no damage");
        store.gc(std::time::Duration::ZERO).unwrap();
        assert!(!store.objects.contains(&stored.hash) && !unpacked.exists());
    }

    #[cfg(unix)]
    #[test]
    fn a_link_inside_the_folder_is_refused() {
        let (_dir, store) = open();
        let src = tempfile::tempdir().unwrap();
        write(src.path(), "part-0.parquet", b"x");
        std::os::unix::fs::symlink("/etc/passwd", src.path().join("part-1.parquet")).unwrap();
        let error = store.objects.ingest_folder(src.path()).unwrap_err().to_string();
        assert!(error.contains("part-1.parquet") && error.contains("link"), "{error}");
    }

    #[test]
    fn a_folder_replaces_a_folder_or_a_file_whole() {
        let work = tempfile::tempdir().unwrap();
        let target = work.path().join("data.parquet");
        write(&target, "old-partition/part-0.parquet", b"old");
        let staged = work.path().join("staged");
        write(&staged, "new/part-0.parquet", b"new");
        replace_with_folder(&staged, &target).unwrap();
        assert!(!target.join("old-partition").exists(), "no file of the old folder is left");
        assert_eq!(fs::read(target.join("new/part-0.parquet")).unwrap(), b"new");
        assert!(!staged.exists());
        let file_target = work.path().join("single.parquet");
        fs::write(&file_target, b"a file").unwrap();
        write(&staged, "part-0.parquet", b"folder");
        replace_with_folder(&staged, &file_target).unwrap();
        assert_eq!(fs::read(file_target.join("part-0.parquet")).unwrap(), b"folder");
    }
}
