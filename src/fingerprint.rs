//! blake3 fingerprints of bytes, files and combinations of fingerprints.

use std::path::Path;

use crate::error::{Error, Result};

pub fn of_bytes(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// How much of a file is read, then hashed by all cores, at a time.
const CHUNK: usize = 16 << 20;

/// Content hash of a file, multi-threaded: one thread reads the next chunk
/// while the others hash this one. Plain reads, not a memory map: a file
/// truncated by another program while it is hashed would kill the process
/// (SIGBUS) through a map, and the reads measured as fast (0.68-0.70 s against
/// 0.58 s for 1.6 GB, benches/results/intermediates.md). Memory: three chunks.
pub fn of_file(path: &Path) -> Result<String> {
    let fail = |e: std::io::Error| Error::storage(path, format!("cannot read to fingerprint: {e}"));
    let file = std::fs::File::open(path).map_err(fail)?;
    let streamed = |file: std::fs::File| {
        let mut hasher = blake3::Hasher::new();
        hasher.update_reader(file).map_err(fail)?;
        Ok(hasher.finalize().to_hex().to_string())
    };
    let len = file.metadata().map_err(fail)?.len();
    if len < CHUNK as u64 {
        return streamed(file);
    }
    // A large file is hashed in blocks read side by side, which a job cutting
    // it into partitions then takes as they are (`block_hashes`).
    if len > 2 * crate::block_hashes::BLOCK {
        let check = crate::interrupt::io_check();
        return crate::block_hashes::of_file_remembered(path, crate::block_hashes::BLOCK, &check)
            .map(|hashes| hashes.root)
            .map_err(fail);
    }
    // Near a memory limit the chunks or the reader thread may not be had: the
    // file is then hashed as it streams, on this thread (slower, never aborts).
    let mut chunks = Vec::new();
    for _ in 0..2 {
        let mut chunk = Vec::new();
        if chunk.try_reserve_exact(CHUNK).is_err() {
            return streamed(file);
        }
        chunks.push(chunk);
    }
    let same_file = file.try_clone().map_err(fail)?;
    hash_in_parallel(file, path, chunks).unwrap_or_else(|| streamed(same_file))
}

/// One thread reads chunks while this one hashes them with all cores; None when
/// the reader thread cannot be started (nothing was read).
fn hash_in_parallel(mut file: std::fs::File, path: &Path, chunks: Vec<Vec<u8>>) -> Option<Result<String>> {
    use std::io::Read;
    let fail = |e: std::io::Error| Error::storage(path, format!("cannot read to fingerprint: {e}"));
    let (full_tx, full_rx) = std::sync::mpsc::sync_channel::<std::io::Result<Vec<u8>>>(1);
    let (empty_tx, empty_rx) = std::sync::mpsc::channel::<Vec<u8>>();
    for chunk in chunks {
        let _ = empty_tx.send(chunk);
    }
    let mut hasher = blake3::Hasher::new();
    std::thread::scope(|scope| {
        // Dropped when this side returns, which ends the reader.
        let empty_tx = empty_tx;
        let reader = std::thread::Builder::new().spawn_scoped(scope, move || {
            while let Ok(mut chunk) = empty_rx.recv() {
                chunk.clear();
                let read = (&mut file).take(CHUNK as u64).read_to_end(&mut chunk).map(|_| chunk);
                let done = !matches!(&read, Ok(chunk) if chunk.len() == CHUNK);
                if full_tx.send(read).is_err() || done {
                    return;
                }
            }
        });
        reader.ok()?;
        for read in full_rx.iter() {
            if crate::interrupt::requested() {
                return Some(Err(Error::storage(path, "fingerprinting interrupted")));
            }
            let chunk = match read.map_err(fail) {
                Ok(chunk) => chunk,
                Err(e) => return Some(Err(e)),
            };
            hasher.update_rayon(&chunk);
            // The reader stops when this side hangs up.
            let _ = empty_tx.send(chunk);
        }
        Some(Ok(hasher.finalize().to_hex().to_string()))
    })
}

/// The fingerprint of a partitioned value (`Payload::Parts`): its partitions'
/// objects, in order. A native task's partitions and a Python task's agree.
pub fn of_parts<'a>(hashes: impl IntoIterator<Item = &'a str>) -> String {
    combine("scenarium parts", hashes.into_iter().map(|h| ("part", h)))
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
    fn a_file_of_several_chunks_hashes_as_its_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        let bytes: Vec<u8> = (0..2 * CHUNK + 12_345).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(of_file(&path).unwrap(), of_bytes(&bytes));
        let exact: Vec<u8> = bytes[..2 * CHUNK].to_vec();
        std::fs::write(&path, &exact).unwrap();
        assert_eq!(of_file(&path).unwrap(), of_bytes(&exact));
    }

    #[test]
    fn an_interrupted_fingerprint_stops() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("big.csv");
        std::fs::write(&path, vec![b'x'; 2 * CHUNK]).unwrap();
        let flag = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
        let outcome = crate::interrupt::with(Some(flag), || of_file(&path));
        assert!(outcome.unwrap_err().to_string().contains("interrupted"));
    }

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
