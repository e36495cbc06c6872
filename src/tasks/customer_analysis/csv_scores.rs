//! Task 1's reader: the four numeric columns it needs, parsed from the CSV by
//! one thread reading blocks and the others parsing them, then scored; batches
//! come out in file order.
//!
//! The rule, for any file: the rows are exactly what a reference reader gives
//! for these columns, or the file is refused with a `TaskError` naming the
//! file, the line and what was found there. The reference (written out in
//! `tests/test_csv_differential.py`, which fuzzes this reader against it):
//! - the bytes are refused when they start as a compressed file or UTF-16 text
//!   does; otherwise a UTF-8 byte order mark is dropped and the rest read as
//!   Latin-1 (the four columns are ASCII, so other text never matters);
//! - records are those of Python's `csv.reader(..., strict=True)` (records.rs:
//!   line ends `\r\n`, `\r`, `\n`; quoting; what it refuses is refused); a
//!   record longer than 256 MiB is refused (an unclosed quote, most likely);
//! - empty lines are skipped; the first other record is the header, and a
//!   wanted column is the first field named exactly so (missing: refused);
//! - a record with more fields than the header is refused; a shorter one has
//!   its absent fields missing;
//! - a field, trimmed of ASCII whitespace (` \t\n\x0c\r`), is missing when it
//!   is one of pandas' missing-value words (`MISSING`, `""` included), else a
//!   number as Rust and Python read it (sign, digits, point, exponent,
//!   `inf`/`infinity`/`nan` in any case; no `_`), correctly rounded; anything
//!   else is refused;
//! - a column is Int64 when it has a value among the first 10,000 records (of
//!   those in the first 8 MiB) and every value of the file is an integer of at
//!   most 18 digits; otherwise Float64.
//!
//! No way of reading a block may change what a row means, only how fast it is
//! read: a block of whole lines with no quote and no lone `\r` whose lines all
//! have the header's number of fields and a number in each wanted one (almost
//! every block) is read by index over its separators' positions (found with
//! AVX2 where the CPU has it, separators.rs): ~82 ns a row on one thread here,
//! against ~100 ns for the general loop, which decides field by field and
//! reads the other plain blocks; blocks with a quote or a lone `\r` are read
//! record by record (records.rs). Short numbers are read a word at a time
//! (numbers.rs). If a later row holds a fraction in a column read as integers
//! the file is read again with that column as float.

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
use super::records::{self, Cut, Record, Records, Specials};
use super::separators::{self, Separators};
use crate::native::{stop_if_interrupted, Result, TaskError};
use crate::phases::{timed, Phase};
use crate::read_hashes::FileHasher;

const BLOCK: usize = 8 << 20;
const INFER_ROWS: usize = 10_000;
/// pandas' default `na_values`.
const MISSING: &[&str] = &[
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN", "<NA>", "N/A", "NA",
    "NULL", "NaN", "None", "n/a", "nan", "null",
];

/// Why the reader stopped.
pub enum Stop {
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
    pub data_start: u64,
}

/// What a file that is not CSV text starts with, and what it is.
fn not_text(head: &[u8]) -> Option<&'static str> {
    const SIGNATURES: &[(&[u8], &str)] = &[
        (b"\x1f\x8b", "gzip-compressed"),
        (b"\xfd7zXZ\x00", "xz-compressed"),
        (b"\x28\xb5\x2f\xfd", "zstd-compressed"),
        (b"PK\x03\x04", "a zip archive (an Excel .xlsx file is one)"),
        (b"\xff\xfe", "UTF-16 text"),
        (b"\xfe\xff", "UTF-16 text"),
    ];
    let bzip2 = head.len() >= 10
        && head.starts_with(b"BZh")
        && (b'1'..=b'9').contains(&head[3])
        && matches!(&head[4..10], b"\x31\x41\x59\x26\x53\x59" | b"\x17\x72\x45\x38\x50\x90");
    if bzip2 {
        return Some("bzip2-compressed");
    }
    SIGNATURES.iter().find(|(magic, _)| head.starts_with(magic)).map(|&(_, what)| what)
}

/// Reads the header and infers the types from the first records, or refuses
/// the file (not text, no header, a column missing) naming it.
pub fn layout(task: &'static str, path: &str, names: [&'static str; 4]) -> Result<Layout> {
    let io = |e: std::io::Error| TaskError::InvalidData { task, message: format!("cannot read {path}: {e}") };
    let invalid = |message: String| TaskError::InvalidData { task, message };
    let mut head = Vec::with_capacity(BLOCK);
    File::open(path).map_err(io)?.take(BLOCK as u64).read_to_end(&mut head).map_err(io)?;
    if let Some(what) = not_text(&head) {
        return Err(invalid(format!("{path} is {what}, not CSV text: decompress it or save it as UTF-8 CSV first")));
    }
    let bom = if head.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
    let body = &head[bom..];
    // Only whole records: the head may end inside one.
    let usable = if head.len() < BLOCK {
        body.len()
    } else {
        match records::last_cut(body) {
            Cut::At(end) => end,
            Cut::NeedMore => 0,
        }
    };
    let mut records = Records::new(&body[..usable]);
    let mut record = Record::default();
    loop {
        match records.next_into(&mut record) {
            Ok(true) if record.fields() == 0 => continue,
            Ok(true) => break,
            Ok(false) if usable < body.len() => {
                return Err(invalid(format!("{path}: the header is longer than {} MiB", BLOCK >> 20)))
            }
            Ok(false) => return Err(invalid(format!("{path} has no header row"))),
            Err(m) => return Err(malformed(task, path, m, bom as u64)),
        }
    }
    let header_line = line_number(path, (bom + record.start) as u64);
    let columns: Vec<&[u8]> = (0..record.fields()).map(|k| record.field(k)).collect();
    let mut index = [0; 4];
    for (i, name) in names.iter().enumerate() {
        match columns.iter().position(|c| *c == name.as_bytes()) {
            Some(at) => index[i] = at,
            None => return Err(invalid(missing_column(path, name, &columns, header_line))),
        }
    }
    let fields = columns.len();
    let data_start = (bom + records.position()) as u64;
    let mut is_int = [true; 4];
    let mut seen = [false; 4];
    let mut rows = 0;
    while rows < INFER_ROWS {
        // A malformed record ends the inference; it is refused when read.
        match records.next_into(&mut record) {
            Ok(true) if record.fields() == 0 => continue,
            Ok(true) => rows += 1,
            Ok(false) | Err(_) => break,
        }
        for (i, &at) in index.iter().enumerate() {
            if at >= record.fields() {
                continue;
            }
            let field = trim(record.field(at));
            if is_missing(field) {
                continue;
            }
            seen[i] = true;
            is_int[i] &= parse_int(field).is_some();
        }
    }
    // A column with no value in the first rows is float, as polars' cast makes it.
    for (is_int, seen) in is_int.iter_mut().zip(seen) {
        *is_int &= seen;
    }
    Ok(Layout { names, index, is_int, fields, data_start })
}

/// "column X is missing" with the file, its header's line and columns, and a
/// near miss if there is one.
fn missing_column(path: &str, name: &str, columns: &[&[u8]], line: u64) -> String {
    let columns: Vec<String> = columns.iter().map(|c| String::from_utf8_lossy(c).into_owned()).collect();
    let hint = columns
        .iter()
        .find(|c| c.eq_ignore_ascii_case(name) || c.trim() == name)
        .map(|c| format!(" (did you mean {c:?}?)"))
        .unwrap_or_default();
    let mut list = columns.join(", ");
    if list.chars().count() > 300 {
        list = list.chars().take(300).chain("...".chars()).collect();
    }
    format!("{path}: column {name:?} is missing{hint}; its header (line {line}) has columns {list}")
}

impl Layout {
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
    let whole = [(layout.data_start, u64::MAX)];
    let reader = BlockReader { task, path, layout, score_name, score };
    read_in_blocks(reader, &whole, true, &mut |_, df| push(df), block_size())
}

/// Parses byte ranges of the file, each of whole records (`native::byte_ranges`),
/// calling `push(range, batch)` in order; every range gets at least one batch.
pub fn read_ranges(
    task: &'static str,
    path: &str,
    layout: &Layout,
    score_name: &'static str,
    score: fn(f64, f64, f64) -> f64,
    ranges: &[(u64, u64)],
    push: &mut dyn FnMut(usize, DataFrame) -> Result<()>,
) -> std::result::Result<(), Stop> {
    let reader = BlockReader { task, path, layout, score_name, score };
    read_in_blocks(reader, ranges, false, push, block_size())
}

type Block = (usize, usize, u64, Vec<u8>, Specials);

/// `read_ranges` with blocks of `block_size` bytes; with `hash`, the one
/// range runs from the data's start to the end, and the file is hashed as read.
fn read_in_blocks(
    block_reader: BlockReader<'_>,
    ranges: &[(u64, u64)],
    hash: bool,
    push: &mut dyn FnMut(usize, DataFrame) -> Result<()>,
    block_size: usize,
) -> std::result::Result<(), Stop> {
    let BlockReader { task, path, .. } = block_reader;
    let workers = rayon::current_num_threads().max(1);
    let (send_block, receive_block) = sync_channel::<Block>(workers);
    let receive_block = Mutex::new(receive_block);
    let (send_done, receive_done) = channel::<(usize, usize, std::result::Result<DataFrame, Stop>)>();
    // Blocks handed on: the reader stays a few blocks ahead, so memory stays bounded.
    let written = AtomicUsize::new(0);
    let spare: Mutex<Vec<Vec<u8>>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        let written = &written;
        let spare = &spare;
        let hasher = if hash { crate::read_hashes::hasher_for(Path::new(path)) } else { None };
        let reader = scope.spawn(move || {
            let window = 2 * workers + 2;
            read_blocks(path, ranges, hasher, send_block, written, window, spare, block_size)
        });
        for _ in 0..workers {
            let send_done = send_done.clone();
            let receive_block = &receive_block;
            scope.spawn(move || loop {
                let next = receive_block.lock().unwrap_or_else(|p| p.into_inner()).recv();
                let Ok((number, range, offset, bytes, specials)) = next else { return };
                let parsed = timed(Phase::Parse, || block_reader.parse(&bytes, offset, specials));
                spare.lock().unwrap_or_else(|p| p.into_inner()).push(bytes);
                if send_done.send((number, range, parsed)).is_err() {
                    return;
                }
            });
        }
        drop(send_done);
        let mut waiting = BTreeMap::new();
        let mut next = 0;
        let mut outcome = Ok(());
        for (number, range, parsed) in receive_done.iter() {
            if let Err(e) = stop_if_interrupted(task) {
                outcome = Err(Stop::Failed(e));
                break;
            }
            waiting.insert(number, (range, parsed));
            while let Some((range, parsed)) = waiting.remove(&next) {
                next += 1;
                written.store(next, Ordering::Release);
                outcome = parsed.and_then(|df| push(range, df).map_err(Stop::Failed));
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

/// The size of the blocks read: 8 MiB, or `SCENARIUM_CSV_BLOCK_BYTES` (the
/// differential tests set it small, to put block ends at every awkward place).
fn block_size() -> usize {
    std::env::var("SCENARIUM_CSV_BLOCK_BYTES").ok().and_then(|v| v.parse().ok()).filter(|&n| n > 0).unwrap_or(BLOCK)
}

/// The longest record read: one longer is refused rather than held in memory
/// (a quote left open makes the rest of the file one field).
const MAX_RECORD: usize = 256 << 20;

/// Sends each range of the file (`(start, end)`, `end` maybe `u64::MAX`) in
/// blocks of whole records: (number, range, file offset, bytes); a range's
/// end is a record's end, so its last block is sent as read. With a `hasher`
/// (one range, from the data's start), every byte of the file, the header
/// too, goes through it, and its hash is reported when the file's end is reached.
#[allow(clippy::too_many_arguments)] // the reader thread's whole state, from its one caller
fn read_blocks(
    path: &str,
    ranges: &[(u64, u64)],
    mut hasher: Option<FileHasher>,
    send: std::sync::mpsc::SyncSender<Block>,
    written: &AtomicUsize,
    window: usize,
    spare: &Mutex<Vec<Vec<u8>>>,
    block_size: usize,
) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let mut file = File::open(path)?;
    let mut number = 0;
    for (range, &(start, end)) in ranges.iter().enumerate() {
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
        let mut remaining = end.saturating_sub(start);
        loop {
            while number >= written.load(Ordering::Acquire).saturating_add(window) {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            // A record longer than a block is read on in ever larger steps: each
            // step looks at the whole carried record again.
            let step = block_size.max(carry.len());
            // Buffers come back from the parsers: fresh memory costs a page fault per page.
            let mut block = spare.lock().unwrap_or_else(|p| p.into_inner()).pop().unwrap_or_default();
            block.clear();
            block.reserve(carry.len() + step);
            block.extend_from_slice(&carry);
            carry.clear();
            let filled = block.len();
            let want = (step as u64).min(remaining);
            timed(Phase::Read, || (&mut file).take(want).read_to_end(&mut block))?;
            let got = (block.len() - filled) as u64;
            remaining -= got;
            // Fewer bytes than asked for: the end of the file; none left: the range's end.
            let at_end = got < want || remaining == 0;
            if let Some(hasher) = &mut hasher {
                timed(Phase::Fingerprint, || hasher.update(&block[filled..]));
            }
            if at_end {
                if let Some(hasher) = hasher.take() {
                    hasher.finish();
                }
            }
            if block.is_empty() {
                break;
            }
            // (Of the whole block: what is cut off is looked at again in the next one.)
            let specials = Specials::of(&block);
            if !at_end {
                match records::last_cut_in(&block, specials.quote) {
                    Cut::At(cut) => {
                        carry.extend_from_slice(&block[cut..]);
                        block.truncate(cut);
                    }
                    Cut::NeedMore if block.len() > MAX_RECORD => {
                        return Err(std::io::Error::new(
                            std::io::ErrorKind::InvalidData,
                            format!(
                                "line {}: one record longer than {} MiB starts there (a quoted field not closed?)",
                                line_number(path, offset),
                                MAX_RECORD >> 20
                            ),
                        ));
                    }
                    Cut::NeedMore => {
                        carry = block;
                        continue;
                    }
                }
            }
            let size = block.len() as u64;
            if send.send((number, range, offset, block, specials)).is_err() {
                return Ok(());
            }
            number += 1;
            offset += size;
            if at_end {
                break;
            }
        }
    }
    Ok(())
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
    /// Which of the three ways reads it changes the speed, never the rows
    /// (tests: `block_ends_and_reading_modes_never_change_the_rows` here, and
    /// tests/test_csv_differential.py).
    fn parse(&self, bytes: &[u8], offset: u64, specials: Specials) -> std::result::Result<DataFrame, Stop> {
        if specials.quote || (specials.cr && has_lone_cr(bytes)) {
            return self.parse_exact(bytes, offset);
        }
        match POSITIONS.with(|p| parse_regular(self.layout, bytes, &mut p.borrow_mut(), self.score)) {
            Some((columns, scores)) => self.frame(columns, scores),
            None => self.parse_general(bytes, offset),
        }
    }

    /// Adds one wanted field (`text`, inside `block`) to column `i`: missing,
    /// a number, or why the file is not read so.
    #[inline(always)]
    fn value(
        &self,
        columns: &mut [Parsed; 4],
        i: usize,
        block: &[u8],
        text: &[u8],
        row: usize,
        line_offset: u64,
    ) -> std::result::Result<(), Stop> {
        let is_int = self.layout.is_int[i];
        let column = &mut columns[i];
        let text = trim(text);
        // No missing word but "1.#IND" and "1.#QNAN" starts with a digit: those are looked up after parsing fails.
        if !text.first().is_some_and(u8::is_ascii_digit) && is_missing(text) {
            column.push_missing(is_int, row);
            return Ok(());
        }
        let word = first_word(block, text);
        let parsed = if is_int {
            parse_int_from(text, word).map(|v| column.ints.push(v))
        } else {
            parse_float_from(text, word).map(|v| column.floats.push(v))
        };
        match parsed {
            Some(()) => Ok(()),
            None if is_missing(text) => {
                column.push_missing(is_int, row);
                Ok(())
            }
            None if is_int && parse_float(text).is_some() => Err(Stop::Float(i)),
            None => Err(not_a_number(self.task, self.path, self.layout.names[i], text, line_offset)),
        }
    }

    /// Any plain block (no quote, no lone `\r`), line by line and field by
    /// field: missing values, blank and short lines, and the errors that name a line.
    fn parse_general(&self, bytes: &[u8], offset: u64) -> std::result::Result<DataFrame, Stop> {
        let BlockReader { layout, score, .. } = *self;
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
                self.value(&mut columns, i, bytes, &bytes[field_start..end], row, offset + line_start as u64)?;
            }
            field += 1;
            field_start = end + 1;
            if !ends_line {
                continue;
            }
            if field > layout.fields {
                return Err(self.too_many_fields(field, offset + line_start as u64));
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

    /// Any block, record by record as records.rs reads them (quotes, lone
    /// `\r` line ends): slower, and only for blocks that need it.
    fn parse_exact(&self, bytes: &[u8], offset: u64) -> std::result::Result<DataFrame, Stop> {
        let BlockReader { task, path, layout, score, .. } = *self;
        let mut columns = new_columns(layout, bytes.len());
        let mut records = Records::new(bytes);
        let mut record = Record::default();
        let mut row = 0;
        // Fields in the order of the line, as the general loop meets them: the
        // first bad one is the one reported.
        let mut in_line_order = [0, 1, 2, 3];
        in_line_order.sort_by_key(|&i| layout.index[i]);
        loop {
            match records.next_into(&mut record) {
                Ok(false) => break,
                Ok(true) if record.fields() == 0 => continue,
                Ok(true) => {}
                Err(m) => return Err(Stop::Failed(malformed(task, path, m, offset))),
            }
            let line_offset = offset + record.start as u64;
            for i in in_line_order {
                let at = layout.index[i];
                if at < record.fields() {
                    self.value(&mut columns, i, &record.text, record.field(at), row, line_offset)?;
                } else {
                    columns[i].push_missing(layout.is_int[i], row);
                }
            }
            if record.fields() > layout.fields {
                return Err(self.too_many_fields(record.fields(), line_offset));
            }
            row += 1;
        }
        let [amount, purchases, review] = [0, 1, 2].map(|i| columns[i].as_f64(layout.is_int[i]));
        let scores: Vec<f64> = (0..row).map(|r| score(amount[r], purchases[r], review[r])).collect();
        self.frame(columns, scores)
    }

    fn too_many_fields(&self, fields: usize, line_offset: u64) -> Stop {
        let BlockReader { task, path, layout, .. } = *self;
        Stop::Failed(TaskError::InvalidData {
            task,
            message: format!(
                "{path}, line {}: {fields} fields, and the header names {}",
                line_number(path, line_offset),
                layout.fields
            ),
        })
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
    let mut value = String::from_utf8_lossy(text).into_owned();
    if value.chars().count() > 80 {
        value = value.chars().take(80).chain("...".chars()).collect();
    }
    let line = line_number(path, line_offset);
    Stop::Failed(TaskError::InvalidData {
        task,
        message: format!("{path}, line {line}: column {column:?} holds {value:?}, which is not a number"),
    })
}

/// A record the strict reader refuses, in the block that starts at byte `offset`.
fn malformed(task: &'static str, path: &str, m: records::Malformed, offset: u64) -> TaskError {
    let line = line_number(path, offset + m.at() as u64);
    TaskError::InvalidData { task, message: format!("{path}, line {line}: {}", m.describe()) }
}

/// A `\r` not part of a `\r\n`: a line end the separators do not see. (Without
/// one and without quotes, a block's commas and `\n`s alone say where its
/// fields and records end.)
fn has_lone_cr(bytes: &[u8]) -> bool {
    memchr::memchr_iter(b'\r', bytes).any(|p| bytes.get(p + 1) != Some(&b'\n'))
}

/// The 1-based line that holds byte `offset`, line ends counted as records.rs
/// reads them (only called for an error: the file is read again up to there).
fn line_number(path: &str, offset: u64) -> u64 {
    let Ok(file) = File::open(path) else { return 0 };
    let mut reader = file.take(offset);
    let mut chunk = vec![0u8; 1 << 20];
    let (mut lines, mut cr_before) = (1u64, false);
    loop {
        let n = match reader.read(&mut chunk) {
            Ok(0) | Err(_) => return lines + u64::from(cr_before),
            Ok(n) => n,
        };
        // A `\r` that ended the last chunk ends a line unless this one starts with `\n`.
        if cr_before && chunk[0] != b'\n' {
            lines += 1;
        }
        let ends_with_cr = chunk[n - 1] == b'\r';
        lines += records::count_lines(&chunk[..n - usize::from(ends_with_cr)]);
        cr_before = ends_with_cr;
    }
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
        let layout = layout("t", &path, NAMES).expect("readable");
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

    /// The whole file read as a task reads it, in blocks of `block` bytes:
    /// the rows, or the refusal.
    fn read_file(path: &str, block: usize) -> std::result::Result<DataFrame, String> {
        let mut layout = layout("t", path, NAMES).map_err(|e| e.to_string())?;
        loop {
            let mut frames = Vec::new();
            let mut push = |df: DataFrame| {
                frames.push(df);
                Ok(())
            };
            let reader = BlockReader { task: "t", path, layout: &layout, score_name: "score", score };
            let whole = [(layout.data_start, u64::MAX)];
            match read_in_blocks(reader, &whole, false, &mut |_, df| push(df), block) {
                Ok(()) => {
                    let mut all = DataFrame::empty_with_schema(&layout.schema("score"));
                    for df in frames {
                        all.vstack_mut(&df).map_err(|e| e.to_string())?;
                    }
                    return Ok(all);
                }
                Err(Stop::Float(i)) => layout.is_int[i] = false,
                Err(Stop::Failed(e)) => return Err(e.to_string()),
            }
        }
    }

    /// A frame's dtypes and values, NaN and missing told apart, for comparing.
    fn cells(df: &DataFrame) -> Vec<(String, Vec<Option<u64>>)> {
        df.columns()
            .iter()
            .map(|c| {
                let values = c.cast(&DataType::Float64).expect("numeric");
                let values = values.f64().expect("f64").iter().map(|v| v.map(f64::to_bits)).collect();
                (format!("{}: {}", c.name(), c.dtype()), values)
            })
            .collect()
    }

    impl Lcg {
        fn pick<'a>(&mut self, options: &[&'a str]) -> &'a str {
            options[self.below(options.len() as u64) as usize]
        }

        /// A field of any kind the tests below mix: numbers, missing words, text, quoted text.
        fn field(&mut self, numeric: bool) -> String {
            let plain = ["12", "-3", "4.5", "+.5", "7.", "1e3", "00", " 6 ", "NA", "", "nan", "1.#IND", "inf", "NAN"];
            let quoted = ["\"8\"", "\"a,b\"", "\"x\r\ny\"", "\"q\"\"q\"", "\"\"", "\" 9.5\""];
            match (numeric, self.below(10)) {
                (true, 0) => self.pick(&["\"8\"", "\" 9.5\"", "\"\"", "\"NA\"", "\"1e3\r\n\""]).to_owned(),
                (true, 1) => format!("{}.{}", self.below(100_000), self.below(1000)),
                (true, _) => self.pick(&plain).to_owned(),
                (false, 0..=2) => self.pick(&quoted).to_owned(),
                (false, 3) => "a\"b".to_owned(),
                (false, _) => self.pick(&["x", "", "text here", "0"]).to_owned(),
            }
        }
    }

    /// Random files of every kind of record, line end and quoting: whatever
    /// the block size (so wherever blocks end, and whichever of the three
    /// ways reads each block), the same rows or the same refusal.
    #[test]
    fn block_ends_and_reading_modes_never_change_the_rows() {
        let mut random = Lcg(11);
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("data.csv").to_string_lossy().into_owned();
        let mut refused = 0;
        for round in 0..300 {
            let mut columns = ["id", "amount", "purchases", "review", "time", "note"];
            for k in (1..columns.len()).rev() {
                columns.swap(k, random.below(k as u64 + 1) as usize);
            }
            let plain = round % 3 == 0;
            // A third of the files have rows too long or values that are not numbers.
            let flawed = random.below(3) == 0;
            let ends: &[&str] = if plain { &["\n", "\r\n"] } else { &["\n", "\r\n", "\r"] };
            let mut text = columns.join(",") + random.pick(ends);
            for _ in 0..random.below(60) {
                let mut fields: Vec<String> = columns
                    .iter()
                    .map(|c| {
                        let field = random.field(NAMES.contains(c));
                        // Without quotes a comma would split the field: not what this file is about.
                        if plain {
                            field.replace(['"', ','], "")
                        } else {
                            field
                        }
                    })
                    .collect();
                match random.below(40) {
                    0 => fields.truncate(random.below(fields.len() as u64) as usize),
                    1 if flawed => fields.push("extra".into()),
                    2 => fields = vec![],
                    3 if flawed => fields[0] = "1,354.56".into(),
                    _ => {}
                }
                text += &(fields.join(",") + random.pick(ends));
            }
            if random.below(4) == 0 {
                text.truncate(text.trim_end_matches(['\r', '\n']).len());
            }
            std::fs::write(&path, &text).expect("write");
            let whole = read_file(&path, BLOCK);
            refused += usize::from(whole.is_err());
            for block in [1, 2, 3, 5, 8, 13, 64, 1 + random.below(200) as usize] {
                let small = read_file(&path, block);
                match (&whole, &small) {
                    (Ok(a), Ok(b)) => assert_eq!(cells(a), cells(b), "round {round}, block {block}: {text:?}"),
                    (Err(a), Err(b)) => assert_eq!(a, b, "round {round}, block {block}: {text:?}"),
                    _ => panic!("round {round}, block {block}: {whole:?} against {small:?} for {text:?}"),
                }
            }
            if plain {
                // The same body read by the general loop and record by record (and by index when it can be).
                if let Ok(layout) = layout("t", &path, NAMES) {
                    let body = &text.as_bytes()[layout.data_start as usize..];
                    let general = reader(&path, &layout).parse_general(body, 0);
                    let exact = reader(&path, &layout).parse_exact(body, 0);
                    if let (Ok(g), Ok(e)) = (&general, &exact) {
                        assert_eq!(cells(g), cells(e), "round {round}: {text:?}");
                    }
                    assert_eq!(general.is_ok(), exact.is_ok(), "round {round}: {text:?}");
                    if let (Some((columns, scores)), Ok(g)) =
                        (parse_regular(&layout, body, &mut Vec::new(), score), &general)
                    {
                        let fast = reader(&path, &layout).frame(columns, scores).ok().expect("a frame");
                        assert_eq!(cells(&fast), cells(g), "round {round}: {text:?}");
                    }
                }
            }
        }
        assert!((10..250).contains(&refused), "{refused} of 300 files refused: the mix needs both kinds");
    }

    #[test]
    fn files_that_are_not_csv_text_are_refused_by_name() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (bytes, what) in [
            (&b"\x1f\x8b\x08\x00\x00\x00\x00\x00"[..], "gzip-compressed"),
            (&b"PK\x03\x04\x14\x00"[..], "zip archive"),
            (&b"\xff\xfea\x00,\x00"[..], "UTF-16"),
        ] {
            let path = dir.path().join("data.csv").to_string_lossy().into_owned();
            std::fs::write(&path, bytes).expect("write");
            let message = layout("t", &path, NAMES).err().expect("refused").to_string();
            assert!(message.contains(&path) && message.contains(what), "{message}");
        }
    }

    #[test]
    fn lines_are_counted_as_records_count_them() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("data.csv").to_string_lossy().into_owned();
        std::fs::write(&path, "a\rb\r\nc\nd\r").expect("write");
        // Where each record starts (and the end), as the errors ask for them.
        let lines: Vec<u64> = [0, 1, 2, 5, 7, 9].into_iter().map(|offset| line_number(&path, offset)).collect();
        assert_eq!(lines, [1, 1, 2, 3, 4, 5]);
    }
}
