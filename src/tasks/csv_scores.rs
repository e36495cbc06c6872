//! Task 1's reader: the four numeric columns it needs, parsed from the CSV by
//! one thread reading blocks and the others parsing them, then scored; batches
//! come out in file order. Task 1 at 30M rows: 6.9-7.7 s with it, 9.0-9.5 s
//! with polars' CSV scan and Parquet sink (benches/results/intermediates.md).
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
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{channel, sync_channel};
use std::sync::Mutex;

use polars::prelude::*;
use polars_arrow::bitmap::Bitmap;

use super::{diagnose, Result, TaskError};

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
    std::thread::scope(|scope| {
        let written = &written;
        let spare = &spare;
        let reader =
            scope.spawn(move || read_blocks(path, layout.data_start, send_block, written, 2 * workers + 2, spare));
        for _ in 0..workers {
            let send_done = send_done.clone();
            let receive_block = &receive_block;
            scope.spawn(move || loop {
                let next = receive_block.lock().unwrap_or_else(|p| p.into_inner()).recv();
                let Ok((number, offset, bytes)) = next else { return };
                let parsed = parse_block(task, path, layout, &bytes, offset, score_name, score);
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

/// Sends the file in blocks of whole lines: (number, file offset, bytes).
fn read_blocks(
    path: &str,
    start: u64,
    send: std::sync::mpsc::SyncSender<(usize, u64, Vec<u8>)>,
    written: &AtomicUsize,
    window: usize,
    spare: &Mutex<Vec<Vec<u8>>>,
) -> std::io::Result<()> {
    use std::io::{Seek, SeekFrom};
    let mut file = File::open(path)?;
    file.seek(SeekFrom::Start(start))?;
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
        (&mut file).take(BLOCK as u64).read_to_end(&mut block)?;
        if block.is_empty() {
            return Ok(());
        }
        let at_end = block.len() < filled + BLOCK;
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
struct Parsed {
    ints: Vec<i64>,
    floats: Vec<f64>,
    valid: Vec<bool>,
    missing: usize,
}

#[allow(clippy::too_many_arguments)]
fn parse_block(
    task: &'static str,
    path: &str,
    layout: &Layout,
    bytes: &[u8],
    offset: u64,
    score_name: &'static str,
    score: fn(f64, f64, f64) -> f64,
) -> std::result::Result<DataFrame, Stop> {
    if memchr::memchr(b'"', bytes).is_some() {
        return Err(Stop::Fallback);
    }
    let rows_guess = bytes.len() / 40 + 1;
    let mut columns: Vec<Parsed> = (0..4)
        .map(|i| Parsed {
            ints: Vec::with_capacity(if layout.is_int[i] { rows_guess } else { 0 }),
            floats: Vec::with_capacity(rows_guess),
            valid: Vec::with_capacity(rows_guess),
            missing: 0,
        })
        .collect();
    // Which of the four each field position is, and the last one needed.
    let mut slot_of = vec![u8::MAX; layout.fields];
    for (i, &at) in layout.index.iter().enumerate() {
        slot_of[at] = i as u8;
    }
    let last_needed = *layout.index.iter().max().expect("four columns");
    let mut pos = 0;
    while pos < bytes.len() {
        let here = pos;
        let end = memchr::memchr(b'\n', &bytes[pos..]).map_or(bytes.len(), |e| pos + e);
        pos = end + 1;
        let line = &bytes[here..end];
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if line.is_empty() {
            continue;
        }
        let mut got = [false; 4];
        let mut fields = 0;
        let mut start = 0;
        loop {
            let comma = line[start..].iter().position(|&b| b == b',').map(|c| start + c);
            let field = &line[start..comma.unwrap_or(line.len())];
            let at = fields;
            fields += 1;
            if let Some(&slot) = slot_of.get(at).filter(|&&slot| slot != u8::MAX) {
                let i = usize::from(slot);
                got[i] = true;
                let text = trim(field);
                let column = &mut columns[i];
                let starts_numeric = text.first().is_some_and(u8::is_ascii_digit);
                let missing = !starts_numeric && is_missing(text);
                let value = if missing {
                    None
                } else if layout.is_int[i] {
                    match parse_int(text) {
                        Some(v) => {
                            column.ints.push(v);
                            Some(v as f64)
                        }
                        None if parse_float(text).is_some() => return Err(Stop::Float(i)),
                        None => return Err(not_a_number(task, path, layout.names[i], text, offset + here as u64)),
                    }
                } else {
                    match parse_float(text) {
                        Some(v) => Some(v),
                        None => return Err(not_a_number(task, path, layout.names[i], text, offset + here as u64)),
                    }
                };
                if missing && layout.is_int[i] {
                    column.ints.push(0);
                }
                column.floats.push(value.unwrap_or(f64::NAN));
                column.valid.push(!missing);
                column.missing += usize::from(missing);
            }
            let Some(comma) = comma else { break };
            start = comma + 1;
            if at >= last_needed {
                // The rest only matters for its number of fields.
                fields += 1 + memchr::memchr_iter(b',', &line[start..]).count();
                break;
            }
        }
        if fields > layout.fields {
            return Err(Stop::Failed(TaskError::InvalidData {
                task,
                message: format!(
                    "{path}, line {}: {fields} fields, and the header names {}",
                    line_number(path, offset + here as u64),
                    layout.fields
                ),
            }));
        }
        for (i, column) in columns.iter_mut().enumerate() {
            if !got[i] {
                column.ints.extend(layout.is_int[i].then_some(0));
                column.floats.push(f64::NAN);
                column.valid.push(false);
                column.missing += 1;
            }
        }
    }
    let n = columns[0].valid.len();
    let mut scores = Vec::with_capacity(n);
    let mut score_valid = Vec::with_capacity(n);
    for row in 0..n {
        let ok = columns[0].valid[row] && columns[1].valid[row] && columns[2].valid[row];
        scores.push(if ok {
            score(columns[0].floats[row], columns[1].floats[row], columns[2].floats[row])
        } else {
            0.0
        });
        score_valid.push(ok);
    }
    let validity = |valid: Vec<bool>, missing: usize| (missing > 0).then(|| Bitmap::from_iter(valid));
    let score_missing = score_valid.iter().filter(|&&v| !v).count();
    let mut out =
        vec![Float64Chunked::from_vec_validity(score_name.into(), scores, validity(score_valid, score_missing))
            .into_series()
            .into_column()];
    for i in [0, 1, 3] {
        let column = std::mem::replace(
            &mut columns[i],
            Parsed { ints: Vec::new(), floats: Vec::new(), valid: Vec::new(), missing: 0 },
        );
        let name = layout.names[i].into();
        let valid = validity(column.valid, column.missing);
        out.push(if layout.is_int[i] {
            Int64Chunked::from_vec_validity(name, column.ints, valid).into_series().into_column()
        } else {
            Float64Chunked::from_vec_validity(name, column.floats, valid).into_series().into_column()
        });
    }
    DataFrame::new(n, out).map_err(|source| Stop::Failed(TaskError::Polars { task, source }))
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

fn parse_int(text: &[u8]) -> Option<i64> {
    let (negative, digits) = match text.first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    if digits.is_empty() || digits.len() > 18 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    let value = digits.iter().fold(0i64, |acc, &d| acc * 10 + i64::from(d - b'0'));
    Some(if negative { -value } else { value })
}

const POWERS_OF_TEN: [f64; 23] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
    1e21, 1e22,
];

/// A decimal number, correctly rounded. Plain decimals with at most 15
/// significant digits take the exact path (an integer and a power of ten, both
/// exact, divided once: IEEE division rounds correctly); others fast-float.
fn parse_float(text: &[u8]) -> Option<f64> {
    let (negative, body) = match text.first()? {
        b'-' => (true, &text[1..]),
        b'+' => (false, &text[1..]),
        _ => (false, text),
    };
    let mut mantissa: u64 = 0;
    let mut digits = 0;
    let mut scale = 0;
    let mut seen_point = false;
    let mut simple = !body.is_empty() && body.len() <= 16;
    if simple {
        for &b in body {
            match b {
                b'0'..=b'9' => {
                    mantissa = mantissa * 10 + u64::from(b - b'0');
                    digits += 1;
                    scale += usize::from(seen_point);
                }
                b'.' if !seen_point => seen_point = true,
                _ => {
                    simple = false;
                    break;
                }
            }
        }
    }
    if simple && digits > 0 && digits <= 15 {
        let value = mantissa as f64 / POWERS_OF_TEN[scale];
        return Some(if negative { -value } else { value });
    }
    let (value, used) = fast_float2::parse_partial::<f64, _>(text).ok()?;
    (used == text.len()).then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_are_correctly_rounded() {
        for text in ["0.1", "3.3", "5247.86", "-0.5", "+2", "123456789012345", "1e3", "0.30000000000000004", ".5", "5."]
        {
            assert_eq!(parse_float(text.as_bytes()), text.parse::<f64>().ok(), "{text}");
        }
        for text in ["", "-", ".", "1.2.3", "12abc", "1,5"] {
            assert_eq!(parse_float(text.as_bytes()), None, "{text}");
        }
    }

    #[test]
    fn integers_and_missing_words() {
        assert_eq!(parse_int(b"-42"), Some(-42));
        assert_eq!(parse_int(b"4.0"), None);
        assert!(is_missing(b"NA") && is_missing(b"") && !is_missing(b"0"));
    }
}
