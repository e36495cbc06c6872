//! blake3 fingerprints of bytes, files and combinations of fingerprints.

use std::path::Path;

use crate::error::{Error, Result};

pub fn of_bytes(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// Content hash of a file: memory-mapped and multi-threaded for large files.
pub fn of_file(path: &Path) -> Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update_mmap_rayon(path).map_err(|e| Error::storage(path, format!("cannot read to fingerprint: {e}")))?;
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
