//! Task 1's reader: the four numeric columns it needs, parsed from the CSV by
//! one thread reading blocks and the others parsing them, then scored; batches
//! come out in file order. A block whose lines all have the header's number
//! of fields and a number in each wanted one (almost every block) is read by
//! index over its separators' positions (found with AVX2 where the CPU has
//! it, separators.rs): ~82 ns a row on one thread here, against ~100 ns for
//! the general loop, which decides field by field and handles the rest
//! (benches/results/first_submit_profile.md). Short numbers are read a word
//! at a time (numbers.rs).
//!
//! What it does not handle it hands to polars before emitting anything wrong:
//! a file with a double quote anywhere (quoted fields may hold commas and
//! newlines). Values follow pandas: pandas' missing-value words (`NA`, `nan`,
//! `NULL`, ...) and empty cells are missing, blank lines are skipped, a short
//! row's absent cells are missing. A column is integer when the first 10,000
//! rows hold only integers (as polars infers it); if a later row holds a
//! fraction the file is read again with that column as float.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, sync_channel};
use std::sync::Mutex;

use polars::prelude::*;
use polars_arrow::bitmap::Bitmap;

use super::numbers::{first_word, parse_float, parse_float_from, parse_int, parse_int_from};
use super::separators::{self, Separators};
use crate::native::{diagnose, stop_if_interrupted, Result, TaskError};
use crate::phases::{timed, Phase};
use crate::read_hashes::FileHasher;

const BLOCK: usize = 8 << 20;
const INFER_ROWS: usize = 10_000;
/// pandas' default `na_values`.
const MISSING: &[&str] = &[
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA",
    "NULL", "NaN", "None", "n/a", "nan", "null",
];

/// Why the fast reader stopped.
pub enum Stop {
    /// The file needs polars' general reader.
    Fallback,
    /// Column `usize` (of the four) holds a fraction: read again as float.
    Float(usize),
    Failed(TaskError),
}

impl From<TaskError> for Stop {
    fn from(e: TaskError) -> Self {
        Stop::Failed(e)
    }
}

/// The CSV's layout: where the wanted columns are, and their types.
#[derive(Clone)]
pub struct Layout {
    pub names: [&'static str; 4],
    index: [usize; 4],
    pub is_int: [bool; 4],
    fields: usize,
    data_start: u64,
}

/// Reads the header and infers the types from the first rows. `None` when the
/// file needs polars' reader (quotes in the header, a column missing: polars'
/// path then gives the error message).
pub fn layout(task: &'static str, path: &str, names: [&'static str; 4]) -> Result<Option<Layout>> {
    let io = |e: std::io::Error| TaskError::InvalidData { task, message: format!("cannot read {path}: {e}") };
    let mut head = Vec::with_capacity(BLOCK);
    File::open(path).map_err(io)?.take(BLOCK as u64).read_to_end(&mut head).map_err(io)?;
    let header_end = head.iter().position(|&b| b == b'\n').map_or(head.len(), |p| p + 1);
    let header = &head[..header_end];
    if header.contains(&b'"') {
        return Ok(None);
    }
    let bom = if header.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let header = std::str::from_utf8(&header[bom..]).unwrap_or("").trim_end_matches(['\n', '\r']);
    let columns: Vec<&str> = header.split(',').collect();
    let mut index = [0; 4];
    for (i, name) in names.iter().enumerate() {
        match columns.iter().position(|c| c == name) {
            Some(at) => index[i] = at,
            None => return Ok(None),
        }
    }
    let mut layout = Layout { names, index, is_int: [true; 4], fields: columns.len(), data_start: header_end as u64 };
    let mut seen = [false; 4];
    let complete =
        if head.len() == BLOCK { memchr::memrchr(b'\n', &head).map_or(header_end, |p| p + 1) } else { head.len() };
    for line in head[header_end..complete.max(header_end)].split(|&b| b == b'\n').take(INFER_ROWS) {
        for (i, field) in layout.wanted_fields(line) {
            let field = trim(field);
            if is_missing(field) {
                continue;
            }
            seen[i] = true;
            layout.is_int[i] &= parse_int(field).is_some();
        }
    }
    // A column with no value in the first rows is float, as polars' cast makes it.
    for (is_int, seen) in layout.is_int.iter_mut().zip(seen) {
        *is_int &= seen;
    }
    Ok(Some(layout))
}

impl Layout {
    /// (which of the four, text) for the wanted fields of a line.
    fn wanted_fields<'a>(&self, line: &'a [u8]) -> impl Iterator<Item = (usize, &'a [u8])> + 'a {
        let index = self.index;
        line.split(|&b| b == b',')
            .enumerate()
            .filter_map(move |(at, field)| index.iter().position(|&i| i == at).map(|i| (i, field)))
    }

    pub fn schema(&self, score: &'static str) -> Schema {
        let mut schema = Schema::default();
        schema.insert(score.into(), DataType::Float64);
        for (&i, name) in [0usize, 1, 3].iter().zip([self.names[0], self.names[1], self.names[3]]) {
            schema.insert(name.into(), if self.is_int[i] { DataType::Int64 } else { DataType::Float64 });
        }
        schema
    }
}

/// Parses the file with `layout`, calling `push` with each scored batch in
/// file order. `score(amount, purchases, review)` gives each row's score.
pub fn read(
    task: &'static str,
    path: &str,
    layout: &Layout,
    score_name: &'static str,
    score: fn(f64, f64, f64) -> f64,
    push: &mut dyn FnMut(DataFrame) -> Result<()>,
) -> std::result::Result<(), Stop> {
    let workers = rayon::current_num_threads().max(1);
    let (send_block, receive_block) = sync_channel::<(usize, u64, Vec<u8>)>(workers);
    let receive_block = Mutex::new(receive_block);
    let (send_done, receive_done) = channel::<(usize, std::result::Result<DataFrame, Stop>)>();
    // Blocks handed on: the reader stays a few blocks ahead, so memory stays bounded.
    let written = AtomicUsize::new(0);
    let spare: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
    let block_reader = BlockReader { task, path, layout, score_name, score };
    std::thread::scope(|scope| {
        let written = &written;
        let spare = &spare;
        let hasher = crate::read_hashes::hasher_for(Path::new(path));
        let reader = scope
            .spawn(move || read_blocks(path, layout.data_start, hasher, send_block, written, 2 * workers + 2, spare));
        for _ in 0..workers {
            let send_done = send_done.clone();
            let receive_block = &receive_block;
            scope.spawn(move || loop {
                let next = receive_block.lock().unwrap_or_else(|p| p.into_inner()).recv();
                let Ok((number, offset, bytes)) = next else { return };
                let parsed = timed(Phase::Parse, || block_reader.parse(&bytes, offset));
                spare.lock().unwrap_or_else(|p| p.into_inner()).push(bytes);
                if send_done.send((number, parsed)).is_err() {
                    return;
                }
            });
        }
        drop(send_done);
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        let mut outcome = Ok(());
        for (number, parsed) in receive_done.iter() {
            if let Err(e) = stop_if_interrupted(task) {
                outcome = Err(Stop::Failed(e));
                break;
            }
            waiting.insert(number, parsed);
            while let Some(parsed) = waiting.remove(&next) {
                next += 1;
                written.store(next, Ordering::Release);
                outcome = parsed.and_then(|df| push(df).map_err(Stop::Failed));
                if outcome.is_err() {
                    break;
                }
            }
            if outcome.is_err() {
                break;
            }
        }
        // Stops the reader and the workers: their channels close.
        written.store(usize::MAX, Ordering::Release);
        drop(receive_done);
        *receive_block.lock().unwrap_or_else(|p| p.into_inner()) = sync_channel(0).1;
        let read = reader.join().unwrap_or(Ok(()));
        outcome?;
        read.map_err(|e| Stop::Failed(TaskError::InvalidData { task, message: format!("cannot read {path}: {e}") }))
    })
}

/// Sends the file from `start` in blocks of whole lines: (number, file
/// offset, bytes). With a `hasher`, every byte of the file, the header too,
/// goes through it, and its hash is reported when the file's end is reached.
fn read_blocks(
    path: &str,
    start: u64,
    mut hasher: Option<FileHasher>,
    send: std::sync::mpsc::SyncSender<(usize, u64, Vec<u8>)>,
    written: &AtomicUsize,
    window: usize,
    spare: &Mutex<Vec<Vec<u8>>>,
) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let mut file = File::open(path)?;
    match &mut hasher {
        Some(hasher) => {
            let mut head = vec![0; start as usize];
            file.read_exact(&mut head)?;
            timed(Phase::Fingerprint, || hasher.update(&head));
        }
        None => {
            file.seek(SeekFrom::Start(start))?;
        }
    }
    let mut carry: Vec<u8> = Vec::new();
    let mut offset = start;
    let mut number = 0;
    loop {
        while number >= written.load(Ordering::Acquire).saturating_add(window) {
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        // Buffers come back from the parsers: fresh memory costs a page fault per page.
        let mut block = spare.lock().unwrap_or_else(|p| p.into_inner()).pop().unwrap_or_default();
        block.clear();
        block.reserve(carry.len() + BLOCK);
        block.extend_from_slice(&carry);
        carry.clear();
        let filled = block.len();
        timed(Phase::Read, || (&mut file).take(BLOCK as u64).read_to_end(&mut block))?;
        // Fewer bytes than asked for: the end of the file.
        let at_end = block.len() < filled + BLOCK;
        if let Some(hasher) = &mut hasher {
            timed(Phase::Fingerprint, || hasher.update(&block[filled..]));
        }
        if at_end {
            if let Some(hasher) = hasher.take() {
                hasher.finish();
            }
        }
        if block.is_empty() {
            return Ok(());
        }
        if !at_end {
            match memchr::memrchr(b'\n', &block) {
                Some(last) => {
                    carry.extend_from_slice(&block[last + 1..]);
                    block.truncate(last + 1);
                }
                None => {
                    // One line longer than a block: keep reading it.
                    carry = block;
                    continue;
                }
            }
        }
        let size = block.len() as u64;
        if send.send((number, offset, block)).is_err() {
            return Ok(());
        }
        number += 1;
        offset += size;
        if at_end {
            return Ok(());
        }
    }
}

/// One column of a batch being parsed.
/// One value per row (integer columns in `ints`, others in `floats`: one
/// push per field, which the parse loop's speed hangs on), and the rows
/// where it is missing, almost always none.
#[derive(Default)]
struct Parsed {
    ints: Vec<i64>,
    floats: Vec<f64>,
    missing: Vec<usize>,
}

impl Parsed {
    fn push_missing(&mut self, is_int: bool, row: usize) {
        if is_int {
            self.ints.push(0);
        } else {
            self.floats.push(f64::NAN);
        }
        self.missing.push(row);
    }

    /// The values as f64 (for the score).
    fn as_f64(&self, is_int: bool) -> std::borrow::Cow<'_, [f64]> {
        if is_int {
            self.ints.iter().map(|&v| v as f64).collect::<Vec<_>>().into()
        } else {
            self.floats.as_slice().into()
        }
    }
}

/// A validity bitmap with `missing` rows unset, none when nothing is missing.
fn validity(rows: usize, missing: impl IntoIterator<Item = usize>) -> Option<Bitmap> {
    let mut missing = missing.into_iter().peekable();
    missing.peek()?;
    let mut valid = polars_arrow::bitmap::MutableBitmap::from_len_set(rows);
    for row in missing {
        valid.set(row, false);
    }
    Some(valid.into())
}

/// What parsing a block needs besides its bytes.
#[derive(Clone, Copy)]
struct BlockReader<'a> {
    task: &'static str,
    path: &'a str,
    layout: &'a Layout,
    score_name: &'static str,
    score: fn(f64, f64, f64) -> f64,
}

impl BlockReader<'_> {
    /// The block's batch; `offset` is where it starts in the file (for errors).
    fn parse(&self, bytes: &[u8], offset: u64) -> std::result::Result<DataFrame, Stop> {
        if memchr::memchr(b'"', bytes).is_some() {
            return Err(Stop::Fallback);
        }
        match POSITIONS.with(|p| parse_regular(self.layout, bytes, &mut p.borrow_mut(), self.score)) {
            Some((columns, scores)) => self.frame(columns, scores),
            None => self.parse_general(bytes, offset),
        }
    }

    /// Any block without quotes, line by line and field by field: missing
    /// values, blank and short lines, and the errors that name a line.
    fn parse_general(&self, bytes: &[u8], offset: u64) -> std::result::Result<DataFrame, Stop> {
        let BlockReader { task, path, layout, score, .. } = *self;
        let mut columns = new_columns(layout, bytes.len());
        let mut row = 0;
        // Which of the four each field position is, and the last one needed.
        let mut slot_of = vec![u8::MAX; layout.fields];
        for (i, &at) in layout.index.iter().enumerate() {
            slot_of[at] = i as u8;
        }
        // Where the current line and field start, which field this is, which of
        // the four the line has given.
        let (mut line_start, mut field_start, mut field) = (0, 0, 0);
        let mut got = [false; 4];
        let unterminated = !bytes.is_empty() && !bytes.ends_with(b"\n");
        let last_line_end = unterminated.then_some((bytes.len(), true));
        for (end, ends_line) in Separators::new(bytes).chain(last_line_end) {
            if ends_line && field == 0 {
                let line = &bytes[line_start..end];
                if line.strip_suffix(b"\r").unwrap_or(line).is_empty() {
                    (line_start, field_start) = (end + 1, end + 1);
                    continue;
                }
            }
            if let Some(&slot) = slot_of.get(field).filter(|&&slot| slot != u8::MAX) {
                let i = usize::from(slot);
                got[i] = true;
                let text = trim(&bytes[field_start..end]);
                let word = first_word(bytes, text);
                let column = &mut columns[i];
                let starts_numeric = text.first().is_some_and(u8::is_ascii_digit);
                if !starts_numeric && is_missing(text) {
                    column.push_missing(layout.is_int[i], row);
                } else if layout.is_int[i] {
                    match parse_int_from(text, word) {
                        Some(v) => column.ints.push(v),
                        None if parse_float(text).is_some() => return Err(Stop::Float(i)),
                        None => {
                            return Err(not_a_number(task, path, layout.names[i], text, offset + line_start as u64))
                        }
                    }
                } else {
                    match parse_float_from(text, word) {
                        Some(v) => column.floats.push(v),
                        None => {
                            return Err(not_a_number(task, path, layout.names[i], text, offset + line_start as u64))
                        }
                    }
                }
            }
            field += 1;
            field_start = end + 1;
            if !ends_line {
                continue;
            }
            if field > layout.fields {
                return Err(Stop::Failed(TaskError::InvalidData {
                    task,
                    message: format!(
                        "{path}, line {}: {field} fields, and the header names {}",
                        line_number(path, offset + line_start as u64),
                        layout.fields
                    ),
                }));
            }
            for (i, column) in columns.iter_mut().enumerate() {
                if !got[i] {
                    column.push_missing(layout.is_int[i], row);
                }
            }
            (line_start, field, got, row) = (end + 1, 0, [false; 4], row + 1);
        }
        let [amount, purchases, review] = [0, 1, 2].map(|i| columns[i].as_f64(layout.is_int[i]));
        let scores: Vec<f64> = (0..row).map(|r| score(amount[r], purchases[r], review[r])).collect();
        self.frame(columns, scores)
    }

    /// Task 1's batch: the score, then the three columns it keeps of the four.
    fn frame(&self, mut columns: [Parsed; 4], scores: Vec<f64>) -> std::result::Result<DataFrame, Stop> {
        let BlockReader { task, layout, score_name, .. } = *self;
        let n = scores.len();
        // A score is missing where any of its three inputs is (pandas gives NaN).
        let mut score_missing: Vec<usize> = columns[..3].iter().flat_map(|c| c.missing.iter().copied()).collect();
        score_missing.sort_unstable();
        let mut out = vec![Float64Chunked::from_vec_validity(score_name.into(), scores, validity(n, score_missing))
            .into_series()
            .into_column()];
        for i in [0, 1, 3] {
            let column = std::mem::take(&mut columns[i]);
            let name = layout.names[i].into();
            let valid = validity(n, column.missing);
            out.push(if layout.is_int[i] {
                Int64Chunked::from_vec_validity(name, column.ints, valid).into_series().into_column()
            } else {
                Float64Chunked::from_vec_validity(name, column.floats, valid).into_series().into_column()
            });
        }
        DataFrame::new(n, out).map_err(|source| Stop::Failed(TaskError::Polars { task, source }))
    }
}

/// About how many rows `bytes` of a CSV hold (40 bytes a row: a guess on the
/// generous side, so vectors rarely grow).
fn rows_guess(bytes: usize) -> usize {
    bytes / 40 + 1
}

/// Room for about as many rows of each wanted column as `bytes` hold.
fn new_columns(layout: &Layout, bytes: usize) -> [Parsed; 4] {
    let rows_guess = rows_guess(bytes);
    std::array::from_fn(|i| Parsed {
        ints: Vec::with_capacity(if layout.is_int[i] { rows_guess } else { 0 }),
        floats: Vec::with_capacity(if layout.is_int[i] { 0 } else { rows_guess }),
        missing: Vec::new(),
    })
}

thread_local! {
    /// Each parsing thread's separator positions, kept from block to block.
    static POSITIONS: std::cell::RefCell<Vec<u32>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// The common case, a fifth to a third faster than the general loop (see
/// benches/results/first_submit_profile.md): every line of the block has the
/// header's number of fields and each wanted field a number. Line `r`'s separators are then entries `r * fields ..` of the
/// block's separator positions, so fields are found by index, with no
/// decision per field. `None` when some line is otherwise (a missing value,
/// a blank or short line, a fraction in an integer column, text): the general
/// loop then reads the block and says what it found.
fn parse_regular(
    layout: &Layout,
    bytes: &[u8],
    positions: &mut Vec<u32>,
    score: fn(f64, f64, f64) -> f64,
) -> Option<([Parsed; 4], Vec<f64>)> {
    if !bytes.ends_with(b"\n") || layout.fields == 0 {
        return None;
    }
    let mut columns = new_columns(layout, bytes.len());
    let mut scores = Vec::with_capacity(rows_guess(bytes.len()));
    let mut start = 0;
    while start < bytes.len() {
        let end = piece_end(bytes, start);
        parse_regular_piece(layout, &bytes[start..end], positions, score, &mut columns, &mut scores)?;
        start = end;
    }
    Some((columns, scores))
}

/// Pieces of whole lines about this long are parsed right after their
/// separators are found, so that the second look at each byte finds it in the
/// core's own cache (1 MiB here) rather than the shared one. (Not measured
/// apart: A/B against whole blocks was within this machine's noise.)
const PIECE: usize = 256 << 10;

/// Where the piece of `bytes` from `start` ends: after its last newline
/// within `PIECE` bytes, or after the first one past it (a long line).
fn piece_end(bytes: &[u8], start: usize) -> usize {
    if bytes.len() - start <= PIECE {
        return bytes.len();
    }
    let window = &bytes[start..start + PIECE];
    match memchr::memrchr(b'\n', window) {
        Some(last) => start + last + 1,
        None => memchr::memchr(b'\n', &bytes[start + PIECE..]).map_or(bytes.len(), |p| start + PIECE + p + 1),
    }
}

fn parse_regular_piece(
    layout: &Layout,
    piece: &[u8],
    positions: &mut Vec<u32>,
    score: fn(f64, f64, f64) -> f64,
    columns: &mut [Parsed; 4],
    scores: &mut Vec<f64>,
) -> Option<()> {
    let newlines = separators::positions(piece, positions);
    let fields = layout.fields;
    // With one newline per `fields` separators and each line's last separator
    // a newline (checked per line below), every other separator is a comma.
    if positions.len() != newlines * fields {
        return None;
    }
    let mut line_start = 0;
    for line in positions.chunks_exact(fields) {
        if piece[line[fields - 1] as usize] != b'\n' {
            return None;
        }
        let mut values = [0.0; 4];
        for (i, &at) in layout.index.iter().enumerate() {
            let start = if at == 0 { line_start } else { line[at - 1] as usize + 1 };
            let text = trim(&piece[start..line[at] as usize]);
            if !text.first().is_some_and(u8::is_ascii_digit) && is_missing(text) {
                return None;
            }
            let word = first_word(piece, text);
            values[i] = if layout.is_int[i] {
                let v = parse_int_from(text, word)?;
                columns[i].ints.push(v);
                v as f64
            } else {
                let v = parse_float_from(text, word)?;
                columns[i].floats.push(v);
                v
            };
        }
        scores.push(score(values[0], values[1], values[2]));
        line_start = line[fields - 1] as usize + 1;
    }
    Some(())
}

fn not_a_number(task: &'static str, path: &str, column: &str, text: &[u8], line_offset: u64) -> Stop {
    Stop::Failed(diagnose::not_a_number(task, path, column, &String::from_utf8_lossy(text), line_offset))
}

/// The 1-based line that starts at byte `offset` (only called for an error).
fn line_number(path: &str, offset: u64) -> u64 {
    let mut bytes = Vec::new();
    let _ = File::open(path).and_then(|f| f.take(offset).read_to_end(&mut bytes));
    1 + memchr::memchr_iter(b'\n', &bytes).count() as u64
}

fn trim(field: &[u8]) -> &[u8] {
    field.trim_ascii()
}

fn is_missing(text: &[u8]) -> bool {
    MISSING.iter().any(|m| m.as_bytes() == text)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_words() {
        assert!(is_missing(b"NA") && is_missing(b"") && !is_missing(b"0"));
    }

    const NAMES: [&str; 4] = ["amount", "purchases", "review", "time"];

    fn reader<'a>(path: &'a str, layout: &'a Layout) -> BlockReader<'a> {
        BlockReader { task: "t", path, layout, score_name: "score", score }
    }

    fn score(amount: f64, purchases: f64, review: f64) -> f64 {
        amount / 1000.0 + purchases / 10.0 + review
    }

    /// The layout of a CSV whose first lines are `text`, and its rows.
    fn layout_of(text: &str) -> (tempfile::TempDir, String, Layout) {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("data.csv").to_string_lossy().into_owned();
        std::fs::write(&path, text).expect("write");
        let layout = layout("t", &path, NAMES).expect("readable").expect("no quotes");
        (dir, path, layout)
    }

    fn rows(text: &str, layout: &Layout) -> &'static [u8] {
        let body = &text[layout.data_start as usize..];
        Box::leak(body.as_bytes().to_vec().into_boxed_slice())
    }

    #[test]
    fn regular_blocks_read_by_index_as_the_general_loop_reads_them() {
        let header = "id,amount,name,purchases,review,time,flag\n";
        let lines = [
            "1,202.07,a,1,2.9,197,False",
            "2,-5247.86,bb,22,3.25,1056,True",
            "3,0.1,,3,-0.5,7,",
            "4,123456789.123456789,x y,40,1e3,0,False",
            "5,+7,z,5,4.,12,True\r",
        ];
        for ending in ["\n", "\r\n"] {
            let text = format!("{header}{}\n", lines.join(ending));
            let (_dir, path, layout) = layout_of(&text);
            let body = rows(&text, &layout);
            let mut positions = Vec::new();
            let (columns, scores) = parse_regular(&layout, body, &mut positions, score).expect("a regular block");
            let fast = reader(&path, &layout).frame(columns, scores).ok().expect("a frame");
            let general = reader(&path, &layout).parse_general(body, 0).ok().expect("a frame");
            assert!(fast.equals_missing(&general), "{fast} against {general}");
            assert_eq!(fast.height(), 5);
        }
    }

    struct Lcg(u64);

    impl Lcg {
        fn below(&mut self, n: u64) -> u64 {
            self.0 = self.0.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1_442_695_040_888_963_407);
            (self.0 >> 33) % n
        }

        /// A decimal in one of the forms pandas reads as a number.
        fn float(&mut self) -> String {
            const FORMS: [&str; 8] = ["I.F", "-I.F", "I", "I.", ".F", "I.Fe-3", "+I.FFF", " I.F "];
            let form = FORMS[self.below(FORMS.len() as u64) as usize];
            let digits = 1 + self.below(9) as u32;
            let whole = self.below(10u64.pow(digits)).to_string();
            let fraction = self.below(1000).to_string();
            form.replace('I', &whole).replace('F', &fraction)
        }
    }

    #[test]
    fn random_regular_blocks_read_alike_both_ways() {
        let mut random = Lcg(7);
        for round in 0..50 {
            let mut text = String::from("id,amount,purchases,note,review,time\n");
            for row in 0..(1 + random.below(300)) {
                let (amount, review) = (random.float(), random.float());
                let purchases = random.below(100_000) as i64 - 50_000;
                let time = random.below(1 << 40);
                text.push_str(&format!("{row},{amount},{purchases},n{round},{review},{time}\n"));
            }
            let (_dir, path, layout) = layout_of(&text);
            let body = rows(&text, &layout);
            let (columns, scores) = parse_regular(&layout, body, &mut Vec::new(), score).expect("regular");
            let fast = reader(&path, &layout).frame(columns, scores).ok().expect("a frame");
            let general = reader(&path, &layout).parse_general(body, 0).ok().expect("a frame");
            assert!(fast.equals_missing(&general), "round {round}: {fast} against {general}");
        }
    }

    #[test]
    fn a_block_of_many_pieces_and_a_line_longer_than_a_piece_reads_alike_both_ways() {
        let mut text = String::from("id,amount,purchases,note,review,time\n");
        let mut row = 0;
        while text.len() < 3 * PIECE {
            let note = if row == 5_000 { "n".repeat(PIECE + 10) } else { format!("n{row}") };
            text.push_str(&format!("{row},{}.{},{},{note},{}.5,{}\n", row % 977, row % 100, row % 13, row % 5, row));
            row += 1;
        }
        let (_dir, path, layout) = layout_of(&text);
        let body = rows(&text, &layout);
        let (columns, scores) = parse_regular(&layout, body, &mut Vec::new(), score).expect("regular");
        let fast = reader(&path, &layout).frame(columns, scores).ok().expect("a frame");
        let general = reader(&path, &layout).parse_general(body, 0).ok().expect("a frame");
        assert_eq!(fast.height(), row);
        assert!(fast.equals_missing(&general));
        // A piece cut inside a line would have made a short line and a long one.
        let ends: Vec<usize> =
            std::iter::successors(Some(0), |&start| (start < body.len()).then(|| piece_end(body, start))).collect();
        assert!(ends.len() > 3 && ends.iter().skip(1).all(|&end| body[end - 1] == b'\n'), "{ends:?}");
    }

    #[test]
    fn irregular_blocks_go_to_the_general_loop() {
        let header = "id,amount,name,purchases,review,time\n";
        let good = "1,2.5,a,1,2.9,197\n";
        for odd in [
            "2,NA,b,1,2.9,197\n",    // a missing word
            "2,,b,1,2.9,197\n",      // an empty cell
            "2,nan,b,1,2.9,197\n",   // pandas' missing, not a NaN
            "\n",                    // a blank line
            "2,2.5,b,1,2.9\n",       // a short line
            "2,2.5,b,1,2.9,197,9\n", // a long one
            "2,2.5,b,1.5,2.9,197\n", // a fraction in an integer column
            "2,2.5,b,one,2.9,197\n", // text
        ] {
            // Column types as inferred from regular lines.
            let (_dir, _path, layout) = layout_of(&format!("{header}{good}"));
            let text = format!("{header}{}{odd}{good}", good.repeat(3));
            let body = rows(&text, &layout);
            assert!(parse_regular(&layout, body, &mut Vec::new(), score).is_none(), "{odd:?}");
        }
        let text = format!("{header}{}", good.trim_end());
        let (_dir, _path, layout) = layout_of(&text);
        assert!(parse_regular(&layout, rows(&text, &layout), &mut Vec::new(), score).is_none(), "no final newline");
    }
}
