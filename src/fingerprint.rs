//! blake3 fingerprints of bytes, files and combinations of fingerprints.

use std::path::Path;

use crate::error::{Error, Result};

pub fn of_bytes(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// How much of a file is hashed, then released, at a time.
const WINDOW: usize = 64 << 20;

/// Content hash of a file: memory-mapped and multi-threaded, a window at a
/// time, each window's pages released once hashed, so that hashing a file
/// larger than memory does not count it in the process's resident memory.
pub fn of_file(path: &Path) -> Result<String> {
    let fail = |e: std::io::Error| Error::storage(path, format!("cannot read to fingerprint: {e}"));
    let file = std::fs::File::open(path).map_err(fail)?;
    let len = file.metadata().map_err(fail)?.len() as usize;
    let mut hasher = blake3::Hasher::new();
    if len < WINDOW {
        hasher.update_reader(file).map_err(fail)?;
        return Ok(hasher.finalize().to_hex().to_string());
    }
    // SAFETY: a file changed while it is hashed gives a wrong hash, which the
    // caller's stat check (store::files) detects and does not cache.
    let map = unsafe { memmap2::Mmap::map(&file) }.map_err(fail)?;
    for start in (0..len).step_by(WINDOW) {
        let end = (start + WINDOW).min(len);
        hasher.update_rayon(&map[start..end]);
        // SAFETY: the hashed pages are not used again; if they were, they
        // would be read back from the file.
        let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, end - start) };
    }
    Ok(hasher.finalize().to_hex().to_string())
}

/// A fingerprint of an ordered list of labelled parts. Each part is length
/// prefixed, so no two different lists hash alike by concatenation.
pub fn combine<'a>(domain: &str, parts: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut hasher = blake3::Hasher::new_derive_key(domain);
    for (label, value) in parts {
        for field in [label, value] {
            hasher.update(&(field.len() as u64).to_le_bytes());
            hasher.update(field.as_bytes());
        }
    }
    hasher.finalize().to_hex().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_and_bytes_agree() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.csv");
        std::fs::write(&path, b"a,b\n1,2\n").unwrap();
        assert_eq!(of_file(&path).unwrap(), of_bytes(b"a,b\n1,2\n"));
    }

    #[test]
    fn combine_is_not_fooled_by_concatenation() {
        let a = combine("t", [("x", "ab"), ("y", "c")]);
        let b = combine("t", [("x", "a"), ("y", "bc")]);
        assert_ne!(a, b);
        assert_ne!(combine("t", [("x", "a")]), combine("u", [("x", "a")]));
    }

    #[test]
    fn missing_file_names_the_path() {
        let err = of_file(Path::new("/nonexistent/x.csv")).unwrap_err().to_string();
        assert!(err.contains("/nonexistent/x.csv"), "{err}");
    }
}
