//! A large text file cut into ranges of whole lines, each named by its bytes,
//! so that a task reading it again parses only the ranges that changed: rows
//! appended to a CSV file leave every earlier range as it was.
//!
//! Range `k` starts after the first line end at or past `k` blocks (64 MiB,
//! `block_hashes::BLOCK`), so cuts depend only on the bytes before them. A
//! range's identity is the hash of its offsets and of the bytes it lies in:
//! the chaining values of the whole blocks it touches and, where it ends
//! inside a block, that block's bytes up to its end. One pass over the file
//! gives every identity and the file's blake3 hash. A file with a quote
//! character anywhere is not cut (a line end inside quotes does not end a
//! record), nor is one of two blocks or less.

use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::block_hashes::{self, BlockHashes};

thread_local! {
    static WANTED: std::cell::RefCell<Option<bool>> = const { std::cell::RefCell::new(None) };
    static STRIDE: std::cell::RefCell<Option<(usize, usize)>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` (a native job) making only every `of`-th partition from `index`
/// (`(index, of)`): one of the jobs a Dask cluster runs side by side. What it
/// makes is remembered (`ObjectStore::remember_part`); the job that follows
/// them takes it all and stores the value.
pub fn with_stride<R>(stride: Option<(usize, usize)>, f: impl FnOnce() -> R) -> R {
    crate::scoped::with(&STRIDE, stride, f)
}

/// Whether this thread's job makes partition `k`: all of them, or its stride's.
pub fn makes(k: usize) -> bool {
    crate::scoped::current(&STRIDE).is_none_or(|(index, of)| of == 0 || k % of == index)
}

/// Whether this thread's job makes only a stride of the partitions.
pub fn in_stride() -> bool {
    crate::scoped::current(&STRIDE).is_some()
}

/// Runs `f` (a native job) with partitions asked for or not: the task's
/// `partitioned` property.
pub fn with_partitions<R>(on: bool, f: impl FnOnce() -> R) -> R {
    crate::scoped::with(&WANTED, Some(on), f)
}

/// Whether this thread's job asked for its output in partitions.
pub fn wanted() -> bool {
    crate::scoped::current(&WANTED).unwrap_or(false)
}

/// The size of the blocks ranges are cut at: 64 MiB, or
/// `SCENARIUM_PART_BYTES` (a power of two, at least 1 KiB; tests make it small).
pub fn block_size() -> u64 {
    std::env::var("SCENARIUM_PART_BYTES")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|n| n.is_power_of_two() && *n >= 1024)
        .unwrap_or(block_hashes::BLOCK)
}

/// One range: bytes `start..end` of the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteRange {
    pub start: u64,
    pub end: u64,
    /// blake3 (hex) of the offsets and of the bytes the range lies in.
    pub identity: String,
}

/// How a file was cut, and what it was when it was.
#[derive(Clone, Debug)]
pub struct RangePlan {
    pub path: PathBuf,
    pub ranges: Vec<ByteRange>,
    /// blake3 (hex) of the whole file.
    pub file_hash: String,
    /// blake3 (hex) of the bytes before the first range (a CSV's header).
    pub head_hash: String,
    seen: Seen,
}

/// What says a file is unchanged: its device, inode, length and modification and
/// change times. The change time matters: a writer can put the modification time
/// back, never the change time.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Seen {
    device: u64,
    inode: u64,
    len: u64,
    modified: (i64, i64),
    changed: (i64, i64),
}

fn seen(path: &Path) -> std::io::Result<Seen> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(path)?;
    Ok(Seen {
        device: meta.dev(),
        inode: meta.ino(),
        len: meta.len(),
        modified: (meta.mtime(), meta.mtime_nsec()),
        changed: (meta.ctime(), meta.ctime_nsec()),
    })
}

impl RangePlan {
    /// Whether the file still looks as it did when it was cut (checked after
    /// the ranges are parsed: bytes that changed meanwhile are never kept).
    pub fn unchanged(&self) -> bool {
        seen(&self.path).is_ok_and(|now| now == self.seen)
    }
}

/// Cuts `path` after `data_start` (the header's end) into ranges of about
/// `block` bytes, or None when it is not to be cut (see the module's text).
pub fn plan(
    path: &Path,
    data_start: u64,
    block: u64,
    check: &(dyn Fn() -> std::io::Result<()> + Sync),
) -> std::io::Result<Option<RangePlan>> {
    let before = seen(path)?;
    if before.len <= 2 * block {
        return Ok(None);
    }
    let hashes = block_hashes::of_file_remembered(path, block, check)?;
    if hashes.has_quote || hashes.len != before.len {
        return Ok(None);
    }
    let mut starts = vec![data_start];
    for line_end in hashes.first_line_ends.iter().skip(1).flatten() {
        let start = line_end + 1;
        if start > *starts.last().expect("one") && start < hashes.len {
            starts.push(start);
        }
    }
    let file = std::fs::File::open(path)?;
    let mut ranges = Vec::with_capacity(starts.len());
    for (k, &start) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(hashes.len);
        if start < end {
            ranges.push(ByteRange { start, end, identity: identity(&file, &hashes, start, end)? });
        }
    }
    let mut head = vec![0; data_start as usize];
    file.read_exact_at(&mut head, 0)?;
    Ok(Some(RangePlan {
        path: path.to_owned(),
        ranges,
        file_hash: hashes.root.clone(),
        head_hash: blake3::hash(&head).to_hex().to_string(),
        seen: before,
    }))
}

/// The hash of `start`, `end` and the bytes the range lies in.
fn identity(file: &std::fs::File, hashes: &BlockHashes, start: u64, end: u64) -> std::io::Result<String> {
    let mut hasher = blake3::Hasher::new();
    hasher.update(b"scenarium byte range 1\0");
    hasher.update(&start.to_le_bytes());
    hasher.update(&end.to_le_bytes());
    let last_block_start = (end - 1) / hashes.block * hashes.block;
    let whole = hashes.covering(start, last_block_start);
    for value in whole {
        hasher.update(value);
    }
    if end == hashes.len || end.is_multiple_of(hashes.block) {
        hasher.update(&hashes.covering(last_block_start, end)[0]);
    } else {
        // Ends inside a block: that block's bytes up to the end, not the
        // block, so that rows appended after it leave this range as it was.
        let mut tail = vec![0; (end - last_block_start) as usize];
        file.read_exact_at(&mut tail, last_block_start)?;
        hasher.update(&tail);
    }
    Ok(hasher.finalize().to_hex().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn no_check() -> std::io::Result<()> {
        Ok(())
    }

    fn csv(rows: std::ops::Range<usize>) -> String {
        rows.map(|i| format!("{i},{}.5,{}\n", i * 7 % 1000, i % 3)).collect()
    }

    fn cut(path: &Path, text: &str) -> Option<RangePlan> {
        std::fs::write(path, text).unwrap();
        plan(path, 6, 1024, &no_check).unwrap()
    }

    #[test]
    fn ranges_are_whole_lines_cover_the_file_and_survive_an_append() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.csv");
        let text = format!("a,b,c\n{}", csv(0..800));
        let before = cut(&path, &text).expect("cut");
        assert_eq!(before.ranges[0].start, 6);
        assert_eq!(before.ranges.last().unwrap().end, text.len() as u64);
        for pair in before.ranges.windows(2) {
            assert_eq!(pair[0].end, pair[1].start);
            assert_eq!(text.as_bytes()[pair[0].end as usize - 1], b'\n');
        }
        assert_eq!(before.file_hash, blake3::hash(text.as_bytes()).to_hex().to_string());
        let grown = format!("{text}{}", csv(800..830));
        let after = cut(&path, &grown).expect("cut");
        let kept = before.ranges.len() - 1;
        assert_eq!(&after.ranges[..kept], &before.ranges[..kept], "only the last range and the new ones differ");
        assert_ne!(after.ranges[kept], before.ranges[kept]);
    }

    #[test]
    fn an_edited_byte_changes_the_ranges_around_it_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.csv");
        let text = format!("a,b,c\n{}", csv(0..800));
        let before = cut(&path, &text).expect("cut");
        let mut edited = text.clone().into_bytes();
        let at = before.ranges[3].start as usize + 2;
        edited[at] = if edited[at] == b'1' { b'2' } else { b'1' };
        let after = cut(&path, std::str::from_utf8(&edited).unwrap()).expect("cut");
        assert_eq!(after.ranges.len(), before.ranges.len());
        let changed: Vec<usize> = (0..before.ranges.len()).filter(|&k| after.ranges[k] != before.ranges[k]).collect();
        assert!(changed.contains(&3), "{changed:?}");
        assert!(changed.len() <= 3 && changed.iter().all(|&k| (2..=4).contains(&k)), "{changed:?}");
    }

    #[test]
    fn bytes_just_past_a_block_start_belong_to_the_range_that_ends_there() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.csv");
        let text = format!("a,b,c\n{}", csv(0..800));
        let before = cut(&path, &text).expect("cut");
        // The line that crosses the start of block 3 ends range 2.
        let k = (3072..text.len()).find(|&k| text.as_bytes()[k].is_ascii_digit()).unwrap();
        assert!((k as u64) < before.ranges[2].end, "the digit is in range 2's tail");
        let mut edited = text.into_bytes();
        edited[k] = if edited[k] == b'9' { b'0' } else { edited[k] + 1 };
        let after = cut(&path, std::str::from_utf8(&edited).unwrap()).expect("cut");
        assert_ne!(after.ranges[2], before.ranges[2]);
        assert_eq!(after.ranges[1], before.ranges[1]);
    }

    #[test]
    fn small_or_quoted_files_are_not_cut() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("data.csv");
        assert!(cut(&path, &format!("a,b,c\n{}", csv(0..100))).is_none(), "two blocks or less");
        let quoted = format!("a,b,c\n{}\"x\",1,2\n", csv(0..800));
        assert!(cut(&path, &quoted).is_none());
    }
}
