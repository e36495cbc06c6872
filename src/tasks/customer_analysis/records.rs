//! CSV records as Python's `csv` module reads them (the excel dialect, strict,
//! no field size limit, the file opened with `newline=""`): the rule task 1's
//! reader follows (csv_scores.rs). A line ends at `\r\n`, `\r` or `\n`; a field
//! that starts with `"` is quoted (commas, line ends and `""` inside it are
//! text); a `"` inside an unquoted field is text. An empty line is a record of
//! no fields. What the strict reader refuses is refused here too: something
//! other than a comma, a quote or a line end after a closing quote, and a
//! quoted field still open at the end of the file.
//!
//! Used for the header, for type inference, for blocks the separators alone
//! cannot read (a quote, or a `\r` that is not part of `\r\n`), and by the
//! block reader to cut blocks between records.

use memchr::{memchr, memchr3, memrchr2};

/// One record's fields, unquoted: field `k` is `text[ends[k - 1]..ends[k]]`.
#[derive(Default)]
pub(super) struct Record {
    /// Where the record starts in the bytes read.
    pub start: usize,
    pub text: Vec<u8>,
    pub ends: Vec<usize>,
}

impl Record {
    pub fn fields(&self) -> usize {
        self.ends.len()
    }

    pub fn field(&self, k: usize) -> &[u8] {
        let from = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.text[from..self.ends[k]]
    }
}

/// What the strict reader refuses, and at which byte.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Malformed {
    /// `found` after the closing quote of a quoted field, at byte `at`.
    AfterQuote { at: usize, found: u8 },
    /// A quoted field opened at byte `at` and not closed before the end.
    Unclosed { at: usize },
}

impl Malformed {
    pub fn at(self) -> usize {
        match self {
            Malformed::AfterQuote { at, .. } | Malformed::Unclosed { at } => at,
        }
    }

    pub fn describe(self) -> String {
        match self {
            Malformed::AfterQuote { found, .. } => format!(
                "{:?} after the closing quote of a quoted field (a field is quoted whole, and a quote inside it \
                 is written \"\")",
                char::from(found)
            ),
            Malformed::Unclosed { .. } => {
                "a quoted field opened here is not closed before the end of the file".to_owned()
            }
        }
    }
}

/// The records of `bytes`, one after another (the end of `bytes` is the end of the file).
pub(super) struct Records<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Records<'a> {
    pub fn new(bytes: &'a [u8]) -> Self {
        Records { bytes, at: 0 }
    }

    /// Where the next record starts.
    pub fn position(&self) -> usize {
        self.at
    }

    /// Reads the next record into `record`; false when there is none.
    pub fn next_into(&mut self, record: &mut Record) -> Result<bool, Malformed> {
        let b = self.bytes;
        record.text.clear();
        record.ends.clear();
        let mut at = self.at;
        if at >= b.len() {
            return Ok(false);
        }
        record.start = at;
        if b[at] == b'\n' || b[at] == b'\r' {
            self.at = after_line_end(b, at);
            return Ok(true);
        }
        loop {
            if b.get(at) == Some(&b'"') {
                let open = at;
                at += 1;
                loop {
                    let Some(q) = memchr(b'"', &b[at..]) else { return Err(Malformed::Unclosed { at: open }) };
                    record.text.extend_from_slice(&b[at..at + q]);
                    at += q + 1;
                    if b.get(at) != Some(&b'"') {
                        break;
                    }
                    record.text.push(b'"');
                    at += 1;
                }
                record.ends.push(record.text.len());
                match b.get(at) {
                    None => break,
                    Some(b',') => at += 1,
                    Some(b'\n' | b'\r') => {
                        at = after_line_end(b, at);
                        break;
                    }
                    Some(&found) => return Err(Malformed::AfterQuote { at, found }),
                }
            } else {
                let end = memchr3(b',', b'\n', b'\r', &b[at..]).map_or(b.len(), |p| at + p);
                record.text.extend_from_slice(&b[at..end]);
                record.ends.push(record.text.len());
                at = end;
                match b.get(at) {
                    None => break,
                    Some(b',') => at += 1,
                    Some(_) => {
                        at = after_line_end(b, at);
                        break;
                    }
                }
            }
        }
        self.at = at;
        Ok(true)
    }
}

/// Past the line end at `at` (`\r\n` is one).
fn after_line_end(b: &[u8], at: usize) -> usize {
    if b[at] == b'\r' && b.get(at + 1) == Some(&b'\n') {
        at + 2
    } else {
        at + 1
    }
}

/// Where a block read from a record start may be cut so that it holds whole
/// records only, more of the file following it.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Cut {
    /// After this many bytes.
    At(usize),
    /// Nowhere yet: one record runs past the end of the block.
    NeedMore,
}

/// The last place `block` can be cut. Without a quote every line end ends a
/// record (the common case: one backwards search); with one the records are
/// read. A line end that is the block's last byte and a `\r` is not a place:
/// a `\n` may follow it in the next block. A malformed record cuts after it:
/// the block that holds it is refused when parsed, before anything after it.
pub(super) fn last_cut(block: &[u8]) -> Cut {
    last_cut_in(block, memchr(b'"', block).is_some())
}

/// `last_cut` of a block known to hold a quote or not.
pub(super) fn last_cut_in(block: &[u8], has_quote: bool) -> Cut {
    let ends_ambiguously = |end: usize| end == block.len() && block[end - 1] == b'\r';
    if !has_quote {
        let mut before = block.len();
        while let Some(p) = memrchr2(b'\n', b'\r', &block[..before]) {
            if !ends_ambiguously(p + 1) {
                return Cut::At(p + 1);
            }
            before = p;
        }
        return Cut::NeedMore;
    }
    let mut records = Records::new(block);
    let mut record = Record::default();
    let mut cut = Cut::NeedMore;
    loop {
        match records.next_into(&mut record) {
            Ok(true) => {
                let end = records.position();
                let by_line_end = matches!(block[end - 1], b'\n' | b'\r');
                if by_line_end && !ends_ambiguously(end) {
                    cut = Cut::At(end);
                }
            }
            Ok(false) | Err(Malformed::Unclosed { .. }) => return cut,
            Err(Malformed::AfterQuote { at, .. }) => return Cut::At(at + 1),
        }
    }
}

/// What a block holds that the separators alone do not read: found by the
/// block reader in one pass (the only pass over a plain LF file's bytes
/// besides parsing), so that neither it nor the parsers look twice.
#[derive(Clone, Copy, Debug)]
pub(super) struct Specials {
    /// A `"` somewhere.
    pub quote: bool,
    /// A `\r` somewhere (maybe, when there is a quote).
    pub cr: bool,
}

impl Specials {
    pub fn of(block: &[u8]) -> Self {
        match memchr::memchr2(b'"', b'\r', block) {
            None => Specials { quote: false, cr: false },
            Some(p) if block[p] == b'"' => Specials { quote: true, cr: true },
            Some(p) => Specials { quote: memchr(b'"', &block[p..]).is_some(), cr: true },
        }
    }
}

/// How many lines `bytes` ends (`\r\n`, `\r` and `\n` each end one, inside
/// quotes too, as an editor counts them). Only for error messages.
pub(super) fn count_lines(bytes: &[u8]) -> u64 {
    let newlines = memchr::memchr_iter(b'\n', bytes).count();
    let lone_crs = memchr::memchr_iter(b'\r', bytes).filter(|&p| bytes.get(p + 1) != Some(&b'\n')).count();
    (newlines + lone_crs) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> Result<Vec<Vec<String>>, Malformed> {
        let mut records = Records::new(text.as_bytes());
        let mut record = Record::default();
        let mut out = Vec::new();
        while records.next_into(&mut record)? {
            out.push((0..record.fields()).map(|k| String::from_utf8_lossy(record.field(k)).into_owned()).collect());
        }
        Ok(out)
    }

    #[test]
    fn records_as_pythons_csv_module_reads_them() {
        // Expected values printed by `list(csv.reader(io.StringIO(s, newline=""), strict=True))`.
        let rows = |r: &[&[&str]]| -> Vec<Vec<String>> {
            r.iter().map(|f| f.iter().map(|s| s.to_string()).collect()).collect()
        };
        assert_eq!(all("a,b\r1,2\r").unwrap(), rows(&[&["a", "b"], &["1", "2"]]));
        assert_eq!(all("ab\"c,d\n").unwrap(), rows(&[&["ab\"c", "d"]]));
        assert_eq!(all("\n\r\n\r1\n").unwrap(), rows(&[&[], &[], &[], &["1"]]));
        assert_eq!(all("\"a\"\"b\",c\r\n").unwrap(), rows(&[&["a\"b", "c"]]));
        assert_eq!(all("a,\"b\r\nc\"\rd\n").unwrap(), rows(&[&["a", "b\r\nc"], &["d"]]));
        assert_eq!(all(" \"ab\",c\n").unwrap(), rows(&[&[" \"ab\"", "c"]]));
        assert_eq!(all("x,\n\"\",\n\"\"").unwrap(), rows(&[&["x", ""], &["", ""], &[""]]));
        assert_eq!(all("a,b\r\r\nc,").unwrap(), rows(&[&["a", "b"], &[], &["c", ""]]));
        assert_eq!(all("\"ab\"c,d\n"), Err(Malformed::AfterQuote { at: 4, found: b'c' }));
        assert_eq!(all("x\n\"abc\n"), Err(Malformed::Unclosed { at: 2 }));
    }

    #[test]
    fn blocks_are_cut_between_records() {
        assert_eq!(last_cut(b"a,b\nc,d\ne"), Cut::At(8));
        assert_eq!(last_cut(b"a,b\r\nc,d\r"), Cut::At(5));
        assert_eq!(last_cut(b"a,b\rc,d\re"), Cut::At(8));
        assert_eq!(last_cut(b"abc"), Cut::NeedMore);
        assert_eq!(last_cut(b"a,\"b\nc\nd"), Cut::NeedMore);
        assert_eq!(last_cut(b"a\n\"b\nc\",d\ne\"f"), Cut::At(10));
        assert_eq!(last_cut(b"a\n\"b\"x\ny\nz\n"), Cut::At(6));
        assert_eq!(count_lines(b"a\r\nb\rc\n\"d\re\""), 4);
    }
}
