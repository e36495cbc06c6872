//! Input files a native task hashes in the same pass that reads them.
//!
//! When no stored result could match a job whatever a large input file
//! holds (`orchestrator::decide`), the job does not read the file once to
//! fingerprint it and again to parse it: the orchestrator asks for the file
//! here, on the job's thread, and a reader that goes through the whole file
//! from its first byte to its end hashes what it read and reports it. The
//! fingerprint then covers exactly the bytes parsed. A reader that stops early,
//! or a task that reads the file some other way, reports nothing, and the
//! orchestrator hashes the file after the job.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// The files a job wants hashed as they are read, and the hashes found.
#[derive(Debug, Default)]
pub struct Wanted {
    paths: Vec<PathBuf>,
    found: Mutex<Vec<(PathBuf, String)>>,
}

impl Wanted {
    /// `paths` are canonical (`fs::canonicalize`).
    pub fn new(paths: Vec<PathBuf>) -> Arc<Self> {
        Arc::new(Wanted { paths, found: Mutex::new(Vec::new()) })
    }

    /// The blake3 hash of `path`'s whole content, when a reader reported one.
    /// A file read twice (a reader that starts again) gives its last hash.
    pub fn hash_of(&self, path: &Path) -> Option<String> {
        let found = self.found.lock().unwrap_or_else(|p| p.into_inner());
        found.iter().rev().find(|(p, _)| p == path).map(|(_, hash)| hash.clone())
    }
}

thread_local! {
    static WANTED: RefCell<Option<Arc<Wanted>>> = const { RefCell::new(None) };
}

/// Runs `f` with `wanted` as this thread's request.
pub fn with<R>(wanted: Option<Arc<Wanted>>, f: impl FnOnce() -> R) -> R {
    crate::scoped::with(&WANTED, wanted, f)
}

/// A hasher for `path` when this thread's job wants it hashed as read: feed
/// it every byte of the file in order, then [`FileHasher::finish`] it at the
/// end of the file. Call on the job's thread (the reading thread it starts
/// takes the returned hasher along).
pub fn hasher_for(path: &Path) -> Option<FileHasher> {
    let wanted = crate::scoped::current(&WANTED)?;
    let path = std::fs::canonicalize(path).ok()?;
    wanted.paths.contains(&path).then(|| FileHasher { wanted, path, hasher: blake3::Hasher::new() })
}

/// Reports `hash` as `path`'s whole content when this thread's job wants it:
/// for a reader that hashed the file its own way (`native::byte_ranges`) and
/// checked it unchanged after parsing it.
pub fn report(path: &Path, hash: &str) {
    if let Some(wanted) = hasher_for(path) {
        wanted.wanted.found.lock().unwrap_or_else(|p| p.into_inner()).push((wanted.path, hash.to_owned()));
    }
}

/// The hash a reader reported for `path` in this thread's job, if any.
pub fn reported(path: &Path) -> Option<String> {
    let wanted = crate::scoped::current(&WANTED)?;
    wanted.hash_of(&std::fs::canonicalize(path).ok()?)
}

pub struct FileHasher {
    wanted: Arc<Wanted>,
    path: PathBuf,
    hasher: blake3::Hasher,
}

impl FileHasher {
    pub fn update(&mut self, bytes: &[u8]) {
        self.hasher.update(bytes);
    }

    /// Reports the hash: call only once the whole file, from its first byte
    /// to its end, went through [`FileHasher::update`].
    pub fn finish(self) {
        let hash = self.hasher.finalize().to_hex().to_string();
        self.wanted.found.lock().unwrap_or_else(|p| p.into_inner()).push((self.path, hash));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_wanted_file_read_to_its_end_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
        std::fs::write(&a, b"x,y\n1,2\n").unwrap();
        std::fs::write(&b, b"other").unwrap();
        let wanted = Wanted::new(vec![std::fs::canonicalize(&a).unwrap()]);
        assert!(hasher_for(&a).is_none(), "no job asked");
        with(Some(wanted.clone()), || {
            assert!(hasher_for(&b).is_none(), "not a wanted file");
            let mut started = hasher_for(&a).unwrap();
            started.update(b"x,y\n");
            drop(started);
            assert_eq!(wanted.hash_of(&std::fs::canonicalize(&a).unwrap()), None, "a read that stopped says nothing");
            let mut whole = hasher_for(&dir.path().join(".").join("a.csv")).unwrap();
            whole.update(b"x,y\n");
            whole.update(b"1,2\n");
            whole.finish();
        });
        let expected = crate::fingerprint::of_file(&a).unwrap();
        assert_eq!(wanted.hash_of(&std::fs::canonicalize(&a).unwrap()), Some(expected));
    }
}
