//! A file's blake3 hash computed from the hashes of its aligned blocks.
//!
//! BLAKE3 is a tree: a block of 2^k chunks that starts at a multiple of its
//! size is a subtree whose chaining value depends only on its bytes and its
//! offset. Hashing each block on its own (in parallel, with plain reads) and
//! merging the chaining values as the tree does gives exactly
//! `blake3::hash(file)`, and keeps the blocks' values: a partition of the
//! file is then known unchanged from the blocks it lies in, with no second
//! pass over the bytes (`native::byte_ranges`). Plain reads, not a memory map: a
//! file truncated while it is read would kill the process through a map.

use std::fs::File;
use std::os::unix::fs::FileExt;
use std::path::Path;

use blake3::hazmat::{left_subtree_len, merge_subtrees_non_root, merge_subtrees_root, ChainingValue, HasherExt, Mode};
use rayon::prelude::*;

/// The block size partitions use: 64 MiB, a power of two of chunks.
pub const BLOCK: u64 = 64 << 20;

/// A file's blocks' chaining values and its hash, and what cutting it into
/// lines needs (`native::byte_ranges`), seen in the same pass.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlockHashes {
    pub block: u64,
    pub len: u64,
    /// One per block, the last maybe short; empty for a file of one block or less.
    pub blocks: Vec<ChainingValue>,
    /// `blake3::hash` of the whole file, as hex.
    pub root: String,
    /// Per block, the offset of its first `\n`, if it has one.
    pub first_line_ends: Vec<Option<u64>>,
    /// Whether a `"` occurs anywhere (a line end may then be inside a quoted field).
    pub has_quote: bool,
}

impl BlockHashes {
    /// The blocks that hold bytes `start..end`.
    pub fn covering(&self, start: u64, end: u64) -> &[ChainingValue] {
        if self.blocks.is_empty() || start >= end {
            return &[];
        }
        let first = (start / self.block) as usize;
        let last = ((end - 1) / self.block) as usize;
        &self.blocks[first..=last.min(self.blocks.len() - 1)]
    }
}

type Check<'a> = &'a (dyn Fn() -> std::io::Result<()> + Sync);

/// What a file looked like when it was hashed: length, modification and
/// change times, inode.
type Seen = (u64, i64, i64, i64, i64, u64);

fn seen(meta: &std::fs::Metadata) -> Seen {
    use std::os::unix::fs::MetadataExt;
    (meta.len(), meta.mtime(), meta.mtime_nsec(), meta.ctime(), meta.ctime_nsec(), meta.ino())
}

/// The last files hashed in blocks by this process: the fingerprint taken
/// before a job and the partitions the job cuts come from one pass.
static RECENT: std::sync::Mutex<Vec<(std::path::PathBuf, Seen, BlockHashes)>> = std::sync::Mutex::new(Vec::new());
const RECENT_KEPT: usize = 4;
/// How long a file must have been left alone for its stat to stand for its content.
const RACY_SECONDS: i64 = 2;

fn now_seconds() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

/// [`of_file`], or what it gave before for the same file unchanged since
/// (its length, times and inode), in this process.
pub fn of_file_remembered(path: &Path, block: u64, check: Check) -> std::io::Result<BlockHashes> {
    let path = std::fs::canonicalize(path)?;
    let before = seen(&std::fs::metadata(&path)?);
    let recent = |p: &std::sync::MutexGuard<'_, Vec<_>>| -> Option<BlockHashes> {
        p.iter()
            .find(|(q, s, h): &&(std::path::PathBuf, Seen, BlockHashes)| *q == path && *s == before && h.block == block)
            .map(|e| e.2.clone())
    };
    if let Some(found) = recent(&RECENT.lock().unwrap_or_else(|p| p.into_inner())) {
        return Ok(found);
    }
    let hashes = of_file(&path, block, check)?;
    // Changed while it was read: not remembered (its hash covers bytes of two moments);
    // nor changed in the clock's last ticks: a second write in the same tick, of the same
    // size, would leave its stat as it is (git's "racily clean").
    let settled = |t: i64| t.saturating_add(RACY_SECONDS) < now_seconds();
    if seen(&std::fs::metadata(&path)?) == before && settled(before.1) && settled(before.3) {
        let mut recent = RECENT.lock().unwrap_or_else(|p| p.into_inner());
        recent.retain(|(q, ..)| *q != path);
        if recent.len() >= RECENT_KEPT {
            recent.remove(0);
        }
        recent.push((path, before, hashes.clone()));
    }
    Ok(hashes)
}

/// Reads `path` in blocks of `block` bytes (a power of two, at least 1 KiB),
/// hashing them on all cores; `check` is called between reads (Ctrl-C).
pub fn of_file(path: &Path, block: u64, check: Check) -> std::io::Result<BlockHashes> {
    assert!(block.is_power_of_two() && block >= blake3::CHUNK_LEN as u64, "block size {block}");
    let file = File::open(path)?;
    let len = file.metadata()?.len();
    if len <= block {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut &file, &mut bytes)?;
        return Ok(BlockHashes {
            block,
            len,
            blocks: Vec::new(),
            root: blake3::hash(&bytes).to_hex().to_string(),
            first_line_ends: vec![memchr::memchr(b'\n', &bytes).map(|at| at as u64)],
            has_quote: memchr::memchr(b'"', &bytes).is_some(),
        });
    }
    let count = len.div_ceil(block) as usize;
    let read: Vec<(ChainingValue, Option<u64>, bool)> = (0..count)
        .into_par_iter()
        .map_init(
            || vec![0u8; 128 << 10],
            |buffer, i| {
                let start = i as u64 * block;
                let end = (start + block).min(len);
                let mut hasher = blake3::Hasher::new();
                hasher.set_input_offset(start);
                let (mut line_end, mut quote) = (None, false);
                let mut at = start;
                while at < end {
                    check()?;
                    let want = ((end - at) as usize).min(buffer.len());
                    let got = file.read_at(&mut buffer[..want], at)?;
                    if got == 0 {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::UnexpectedEof,
                            "the file got shorter while it was read",
                        ));
                    }
                    let bytes = &buffer[..got];
                    hasher.update(bytes);
                    if line_end.is_none() {
                        line_end = memchr::memchr(b'\n', bytes).map(|k| at + k as u64);
                    }
                    quote = quote || memchr::memchr(b'"', bytes).is_some();
                    at += got as u64;
                }
                Ok((hasher.finalize_non_root(), line_end, quote))
            },
        )
        .collect::<std::io::Result<_>>()?;
    let blocks: Vec<ChainingValue> = read.iter().map(|r| r.0).collect();
    let root = root_of(&blocks, len, block).to_hex().to_string();
    let first_line_ends = read.iter().map(|r| r.1).collect();
    let has_quote = read.iter().any(|r| r.2);
    Ok(BlockHashes { block, len, blocks, root, first_line_ends, has_quote })
}

/// `blake3::hash` of a file of `len` bytes (more than one block) from its
/// blocks' chaining values: the tree's left subtrees are powers of two of
/// chunks, so each is a whole number of blocks.
pub fn root_of(blocks: &[ChainingValue], len: u64, block: u64) -> blake3::Hash {
    let left = left_subtree_len(len);
    let (l, r) = (subtree(blocks, 0, left, block), subtree(blocks, left, len - left, block));
    merge_subtrees_root(&l, &r, Mode::Hash)
}

fn subtree(blocks: &[ChainingValue], offset: u64, len: u64, block: u64) -> ChainingValue {
    if len <= block {
        return blocks[(offset / block) as usize];
    }
    let left = left_subtree_len(len);
    let l = subtree(blocks, offset, left, block);
    let r = subtree(blocks, offset + left, len - left, block);
    merge_subtrees_non_root(&l, &r, Mode::Hash)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_check() -> std::io::Result<()> {
        Ok(())
    }

    #[test]
    fn the_merged_hash_is_blake3_of_the_file_for_every_length() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let bytes: Vec<u8> = (0..70_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8).collect();
        for len in [0, 1, 1023, 1024, 1025, 4096, 4097, 8191, 8192, 8193, 12_288, 12_289, 40_000, 65_536, 70_000] {
            std::fs::write(&path, &bytes[..len]).unwrap();
            for block in [1024u64, 4096, 16_384] {
                let found = of_file(&path, block, &no_check).unwrap();
                assert_eq!(found.root, blake3::hash(&bytes[..len]).to_hex().to_string(), "len {len} block {block}");
                assert_eq!(
                    found.blocks.len(),
                    if len as u64 <= block { 0 } else { (len as u64).div_ceil(block) as usize }
                );
            }
        }
    }

    #[test]
    fn a_block_changes_only_its_own_value_and_appending_only_the_last() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        let mut bytes = vec![7u8; 10_000];
        std::fs::write(&path, &bytes).unwrap();
        let before = of_file(&path, 4096, &no_check).unwrap();
        bytes[5000] = 8;
        std::fs::write(&path, &bytes).unwrap();
        let edited = of_file(&path, 4096, &no_check).unwrap();
        assert_eq!((before.blocks[0], before.blocks[2]), (edited.blocks[0], edited.blocks[2]));
        assert_ne!(before.blocks[1], edited.blocks[1]);
        bytes.extend_from_slice(&[9; 3000]);
        std::fs::write(&path, &bytes).unwrap();
        let appended = of_file(&path, 4096, &no_check).unwrap();
        assert_eq!(&appended.blocks[..2], &edited.blocks[..2]);
        assert_ne!(appended.blocks[2], edited.blocks[2]);
        assert_eq!(appended.covering(4096, 8193).len(), 2);
    }
}
