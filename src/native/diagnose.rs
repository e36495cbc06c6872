//! Polars' errors turned into messages about the user's file and disk.
//!
//! Polars reports a bad CSV value with a byte offset and advice about Python
//! reader options; a task's user cannot set those and wants a line number.
//! Everything here runs only after a failure, so it may read the file again.

use std::fs::File;
use std::io::{BufRead, BufReader, Read, Seek, SeekFrom};

use polars::prelude::PolarsError;

use super::{NativeInput, TaskError};

/// How far before polars' reported offset the bad line is looked for, and how far after.
const LOOK_BEHIND: u64 = 1 << 20;
const LOOK_AHEAD: u64 = 64 << 20;
const SCAN_LIMIT: u64 = LOOK_BEHIND + LOOK_AHEAD;

/// The part of a polars error worth showing: no advice about reader options.
pub fn clean(source: &PolarsError) -> String {
    let text = source.to_string();
    let end = text.find("\n\nYou might want to try").unwrap_or(text.len());
    text[..end].split("\n\n").map(str::trim).filter(|p| !p.is_empty()).collect::<Vec<_>>().join("; ")
}

/// Whether the failure is the file system's (full disk, quota, permissions), not the data's.
pub fn is_io_failure(source: &PolarsError) -> bool {
    matches!(source, PolarsError::IO { .. }) || source.to_string().contains("(os error ")
}

/// A parse failure while reading one of the task's CSV inputs, located: the
/// file, the line, the column and the value. Other errors pass unchanged.
pub fn locate(error: TaskError, inputs: &[NativeInput]) -> TaskError {
    let csv = inputs.iter().find_map(|input| match input {
        NativeInput::Scalar(serde_json::Value::String(path)) if std::path::Path::new(path).is_file() => Some(path),
        _ => None,
    });
    match csv {
        Some(path) => locate_in_csv(error, path),
        None => error,
    }
}

fn locate_in_csv(error: TaskError, csv: &str) -> TaskError {
    let TaskError::Polars { task, source } = &error else { return error };
    let text = source.to_string();
    let (Some(value), Some(column)) = (between(&text, "could not parse `", "`"), between(&text, "at column '", "'"))
    else {
        return error;
    };
    let offset = between(&text, "offset in the file is ", " bytes").and_then(|n| n.parse::<u64>().ok());
    not_a_number(task, csv, column, value, offset.unwrap_or(0))
}

/// "file, line N: column C holds V, which is not a number", the line found at or after byte `near`.
pub fn not_a_number(task: &'static str, csv: &str, column: &str, value: &str, near: u64) -> TaskError {
    let place = match find_line(csv, column, value, near) {
        Some(line) => format!("line {line}"),
        None if near > 0 => format!("near byte {near}"),
        None => "a row".to_owned(),
    };
    TaskError::InvalidData {
        task,
        message: format!("{csv}, {place}: column {column:?} holds {value:?}, which is not a number"),
    }
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let len = text[from..].find(end)?;
    Some(&text[from..from + len])
}

/// The 1-based line of the first row at or after `near` whose `column` holds `value`.
fn find_line(path: &str, column: &str, value: &str, near: u64) -> Option<u64> {
    let mut file = File::open(path).ok()?;
    let mut header = String::new();
    BufReader::new(&mut file).read_line(&mut header).ok()?;
    let index = split_fields(header.trim_end_matches(['\r', '\n']).trim_start_matches('\u{feff}'))
        .iter()
        .position(|f| f == column)?;
    let start = near.saturating_sub(LOOK_BEHIND);
    file.seek(SeekFrom::Start(0)).ok()?;
    let mut line = 1 + count_newlines((&mut file).take(start)).ok()?;
    let mut reader = BufReader::new(file.take(SCAN_LIMIT));
    let mut text = Vec::new();
    if start > 0 {
        reader.read_until(b'\n', &mut text).ok()?; // the rest of a line begun before `start`
        line += 1;
    }
    loop {
        text.clear();
        if reader.read_until(b'\n', &mut text).ok()? == 0 {
            return None;
        }
        let row = String::from_utf8_lossy(&text);
        if line > 1 && split_fields(row.trim_end_matches(['\r', '\n'])).get(index).is_some_and(|f| f == value) {
            return Some(line);
        }
        line += 1;
    }
}

fn count_newlines(mut reader: impl Read) -> std::io::Result<u64> {
    let mut buffer = vec![0u8; 1 << 20];
    let mut count = 0u64;
    loop {
        let n = reader.read(&mut buffer)?;
        if n == 0 {
            return Ok(count);
        }
        count += buffer[..n].iter().filter(|&&b| b == b'\n').count() as u64;
    }
}

/// Fields of one CSV line, with double-quoted fields unquoted (`""` is a quote).
fn split_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                fields.last_mut().unwrap().push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_respect_quotes() {
        assert_eq!(
            split_fields(r#"1,"Korea, Republic of","say ""hi""",x"#),
            ["1", "Korea, Republic of", r#"say "hi""#, "x"]
        );
    }

    #[test]
    fn the_bad_line_is_found_past_the_reported_offset() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("d.csv");
        let mut text = String::from("\u{feff}a,b\r\n");
        for i in 0..50_000 {
            text.push_str(&format!("{i},\"x, y\"\r\n"));
        }
        text.push_str("oops,z\r\n");
        std::fs::write(&path, text).unwrap();
        let path = path.to_str().unwrap();
        assert_eq!(find_line(path, "a", "oops", 0), Some(50_002));
        assert_eq!(find_line(path, "a", "oops", 300_000), Some(50_002));
        assert_eq!(find_line(path, "b", "oops", 0), None);
        assert_eq!(find_line(path, "nope", "oops", 0), None);
    }
}
