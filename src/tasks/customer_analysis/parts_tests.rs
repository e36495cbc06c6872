//! Task 1 stored as partitions of its CSV: the rows are those of the whole
//! file read at once, and reading the file again makes only the partitions
//! whose bytes changed.

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;

use polars::prelude::*;

use super::csv_scores;
use super::scored::ScoredCsv;
use super::{customer_score, PREPROCESS_AND_SCORE, PURCHASES, PURCHASE_AMOUNT, PURCHASE_TIME, REVIEW_SCORE, SCORE};
use crate::model::Payload;
use crate::native::{byte_ranges, write_parts, PartsMade, Table, TableProducer};
use crate::store::ObjectStore;

const TASK: &str = PREPROCESS_AND_SCORE.name;

fn scored(path: &Path, block: u64) -> ScoredCsv {
    let path = path.to_str().unwrap();
    let layout = csv_scores::layout(TASK, path, [PURCHASE_AMOUNT, PURCHASES, REVIEW_SCORE, PURCHASE_TIME]).unwrap();
    let plan = byte_ranges::plan(Path::new(path), layout.data_start, block, &|| Ok(())).unwrap();
    ScoredCsv {
        task: TASK,
        version: PREPROCESS_AND_SCORE.version,
        path: path.to_owned(),
        parts_layout: Mutex::new(layout.clone()),
        layout,
        plan,
        score_name: SCORE,
        score: customer_score,
    }
}

/// The file's rows as one read of the whole file gives them.
fn whole(path: &Path) -> DataFrame {
    Table::Produced(std::sync::Arc::new(scored(path, 1 << 30))).collect(TASK).unwrap()
}

/// Stores the file as partitions: the rows of the stored partitions in order, and what was made.
fn stored(store: &ObjectStore, path: &Path) -> (DataFrame, PartsMade, usize) {
    let table = scored(path, 4096);
    let (payload, made) = write_parts(store, TASK, table.parted().expect("cut into ranges")).unwrap();
    let Payload::Parts { parts, .. } = payload else { panic!("{payload:?}") };
    let paths = parts.iter().map(|p| store.path_of(&p.hash).unwrap()).collect();
    let rows = Table::stored_parts(paths).collect(TASK).unwrap();
    assert_eq!(parts.iter().map(|p| p.rows).sum::<u64>(), rows.height() as u64);
    (rows, made, parts.len())
}

fn append(path: &Path, text: &str) {
    std::fs::OpenOptions::new().append(true).open(path).unwrap().write_all(text.as_bytes()).unwrap();
}

#[test]
fn partitions_hold_the_rows_of_the_whole_file_and_only_changed_ones_are_made_again() {
    let dir = tempfile::tempdir().unwrap();
    let store = ObjectStore::open(dir.path().join("objects")).unwrap();
    let csv = dir.path().join("customers.csv");
    crate::datagen::write_csv(&csv, 3_000, 7, |_| true).unwrap();

    let (rows, made, count) = stored(&store, &csv);
    assert!(count > 20, "{count} partitions");
    assert_eq!(made, PartsMade { made: count, reused: 0 });
    assert!(rows.equals_missing(&whole(&csv)));

    let (_, again, _) = stored(&store, &csv);
    assert_eq!(again, PartsMade { made: 0, reused: count }, "nothing changed");

    append(&csv, "3001,30,USA,100.25,3,4.5,12,2020-01-01,True\n".repeat(40).as_str());
    let (rows, made, grown) = stored(&store, &csv);
    assert!(rows.equals_missing(&whole(&csv)));
    assert!(made.made <= grown - count + 1 && made.reused >= count - 1, "{made:?} of {grown}");

    // One digit changed in the middle: the partitions around it only.
    let mut bytes = std::fs::read(&csv).unwrap();
    let middle = bytes.len() / 2;
    let digit = middle + bytes[middle..].iter().position(u8::is_ascii_digit).unwrap();
    bytes[digit] = if bytes[digit] == b'1' { b'2' } else { b'1' };
    std::fs::write(&csv, &bytes).unwrap();
    let (rows, made, _) = stored(&store, &csv);
    assert!(rows.equals_missing(&whole(&csv)));
    assert!((1..=2).contains(&made.made), "{made:?}");

    // A fraction where integers were: the column is float in every partition.
    append(&csv, "3002,30,USA,100.25,3.5,4.5,12,2020-01-01,True\n");
    let (rows, made, count) = stored(&store, &csv);
    assert_eq!(rows.column(PURCHASES).unwrap().dtype(), &DataType::Float64);
    assert!(rows.equals_missing(&whole(&csv)));
    assert_eq!(made.made, count, "partitions read as integers are not of this table");
}

#[test]
fn a_file_changed_while_its_partitions_are_made_keeps_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = ObjectStore::open(dir.path().join("objects")).unwrap();
    let csv = dir.path().join("customers.csv");
    crate::datagen::write_csv(&csv, 2_000, 7, |_| true).unwrap();
    let table = scored(&csv, 4096);
    append(&csv, "2001,30,USA,100.25,3,4.5,12,2020-01-01,True\n");
    let error = write_parts(&store, TASK, table.parted().unwrap()).expect_err("refused").to_string();
    assert!(error.contains("changed while it was read"), "{error}");
    let (_, made, count) = stored(&store, &csv);
    assert_eq!(made.made, count, "no partition of the changed read was remembered");

    // A byte changed in place with the modification time put back: the change time says so.
    let table = scored(&csv, 4096);
    let modified = std::fs::metadata(&csv).unwrap().modified().unwrap();
    let mut bytes = std::fs::read(&csv).unwrap();
    let digit = bytes.len() - 10 + bytes[bytes.len() - 10..].iter().position(u8::is_ascii_digit).unwrap();
    bytes[digit] = if bytes[digit] == b'1' { b'2' } else { b'1' };
    std::fs::write(&csv, &bytes).unwrap();
    std::fs::File::options().write(true).open(&csv).unwrap().set_modified(modified).unwrap();
    let error = write_parts(&store, TASK, table.parted().unwrap()).expect_err("refused").to_string();
    assert!(error.contains("changed while it was read"), "{error}");
}

/// Tasks 2, 3 and 4 over `scored` (metrics and statistics of each kind: moments, medians,
/// extremes): the tables, in order.
fn analyses(scored: &Table) -> Vec<DataFrame> {
    use crate::native::NativeInput;
    use serde_json::json;
    let scalar = |v: serde_json::Value| NativeInput::Scalar(v);
    let inputs = [NativeInput::Table(scored.clone()), scalar(json!(1000)), scalar(json!(1.5))];
    let segmented = (super::FEATURIZATION_AND_SEGMENTATION.run)(&inputs).unwrap().remove(0).table;
    let mut out = Vec::new();
    for metric in ["mean", "median", "std", "max"] {
        super::segments::forget_found();
        let inputs = [NativeInput::Table(segmented.clone()), scalar(json!(metric))];
        let analysis = (super::SEGMENT_ANALYSIS.run)(&inputs).unwrap().remove(0).table;
        out.push(analysis.collect(TASK).unwrap());
        for statistic in ["median", "mean"] {
            let inputs =
                [NativeInput::Table(segmented.clone()), NativeInput::Table(analysis.clone()), scalar(json!(statistic))];
            let summary = (super::HIGH_VALUE_CUST_SUMMARY_STATISTICS.run)(&inputs).unwrap().remove(0).table;
            out.push(summary.collect(TASK).unwrap());
        }
    }
    out
}

/// The file stored as partitions in `store`, as tasks 2-4 read it.
fn parted_table(store: &ObjectStore, path: &Path) -> Table {
    let table = scored(path, 4096);
    let (payload, _) = write_parts(store, TASK, table.parted().unwrap()).unwrap();
    let Payload::Parts { parts, .. } = payload else { panic!("{payload:?}") };
    let paths = parts.iter().map(|p| store.path_of(&p.hash).unwrap()).collect();
    let hashes = parts.iter().map(|p| p.hash.clone()).collect();
    Table::stored_in_parts(paths, crate::native::partials::StoredParts { store: store.clone(), hashes })
}

fn partials(store: &ObjectStore) -> usize {
    std::fs::read_dir(store.root().join("partials")).map_or(0, |d| d.count())
}

fn same(a: &[DataFrame], b: &[DataFrame]) {
    assert_eq!(a.len(), b.len());
    for (x, y) in a.iter().zip(b) {
        assert!(x.equals_missing(y), "{x}\n{y}");
    }
}

#[test]
fn reductions_over_partitions_take_what_each_held_and_equal_a_run_from_scratch() {
    let dir = tempfile::tempdir().unwrap();
    let store = ObjectStore::open(dir.path().join("objects")).unwrap();
    let csv = dir.path().join("customers.csv");
    crate::datagen::write_csv(&csv, 4_000, 11, |_| true).unwrap();
    let first = analyses(&parted_table(&store, &csv));
    let remembered = partials(&store);
    assert!(remembered > 0);
    same(&analyses(&parted_table(&store, &csv)), &first);
    assert_eq!(partials(&store), remembered, "every partial was taken as it was");

    // Medians exact, other numbers within rounding, against the rows stored whole.
    let whole_dir = tempfile::tempdir().unwrap();
    let whole_path = whole_dir.path().join("whole.arrow");
    let mut file = std::fs::File::create(&whole_path).unwrap();
    IpcWriter::new(&mut file).finish(&mut whole(&csv)).unwrap();
    let whole = analyses(&Table::stored(whole_path));
    for (x, y) in first.iter().zip(&whole) {
        for (a, b) in x.columns().iter().zip(y.columns()) {
            match (a.cast(&DataType::Float64), b.cast(&DataType::Float64)) {
                (Ok(a), Ok(b)) if a.dtype().is_float() => {
                    for (p, q) in a.f64().unwrap().iter().zip(b.f64().unwrap().iter()) {
                        let (p, q) = (p.unwrap_or(f64::NAN), q.unwrap_or(f64::NAN));
                        assert!(p.to_bits() == q.to_bits() || (p - q).abs() <= 1e-9 * q.abs(), "{p} {q}\n{x}\n{y}");
                    }
                }
                _ => assert!(a.equals_missing(b)),
            }
        }
    }

    // Rows added: only the new partitions are read, and the numbers are a fresh run's.
    append(&csv, "4001,30,USA,1200.25,3,4.5,12,2020-01-01,True\n".repeat(50).as_str());
    let before = partials(&store);
    let grown = analyses(&parted_table(&store, &csv));
    let added = partials(&store) - before;
    let fresh_store = ObjectStore::open(dir.path().join("fresh")).unwrap();
    let fresh = analyses(&parted_table(&fresh_store, &csv));
    same(&grown, &fresh);
    assert!(added * 5 < partials(&fresh_store), "{added} new partials of {}", partials(&fresh_store));
}

/// A small deterministic generator (no dependency for tests).
struct Random(u64);

impl Random {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A row of the article's columns, now and then odd (a missing value, a fraction in an
/// integer column, a CRLF end, an empty line).
fn random_row(r: &mut Random, id: usize) -> String {
    let purchases = match r.below(200) {
        0 => String::new(),
        1 => format!("{}.5", r.below(9)),
        _ => format!("{}", r.below(40)),
    };
    let end = if r.below(50) == 0 { "\r\n" } else { "\n" };
    let empty = if r.below(100) == 0 { "\n" } else { "" };
    format!(
        "{empty}{id},{},Spain,{}.{:02},{purchases},{}.{},{},2020-01-01,True{end}",
        18 + r.below(60),
        r.below(5000),
        r.below(100),
        r.below(5),
        r.below(10),
        r.below(3000)
    )
}

/// Random files and random edits (appends, cuts, lines changed, inserted, removed, a digit
/// changed in place): after
/// each, the partitions taken from memos hold the rows a whole read gives, are the objects
/// a fresh store makes, and tasks 2-4 over them give a fresh store's numbers.
#[test]
fn random_edits_never_leave_a_partition_or_a_partial_stale() {
    let dir = tempfile::tempdir().unwrap();
    let store = ObjectStore::open(dir.path().join("objects")).unwrap();
    let csv = dir.path().join("customers.csv");
    let mut r = Random(0x9e37_79b9_7f4a_7c15);
    for round in 0..4 {
        let header = "CustomerID,Age,Country,TotalPurchaseAmount,NumberOfPurchases,AverageReviewScore,TotalPurchaseTime,SignupDate,IsPrime\n";
        let mut lines: Vec<String> = (0..400 + r.below(600)).map(|i| random_row(&mut r, i)).collect();
        for edit in 0..7 {
            match r.below(7) {
                // A digit changed in place, often just past a block's start (where a
                // partition ends inside a block): no offset moves, only bytes.
                5 | 6 => {
                    let mut text = lines.concat().into_bytes();
                    let from = match r.below(2) {
                        0 => r.below(text.len()),
                        _ => ((r.below(text.len() / 1024 + 1) * 1024) + r.below(40)).saturating_sub(header.len()),
                    };
                    if let Some(k) = (from.min(text.len())..text.len()).find(|&k| text[k].is_ascii_digit()) {
                        text[k] = if text[k] == b'9' { b'0' } else { text[k] + 1 };
                    }
                    let text = String::from_utf8(text).unwrap();
                    lines = text.split_inclusive('\n').map(str::to_owned).collect();
                }
                0 => lines.extend((0..1 + r.below(80)).map(|i| random_row(&mut r, 10_000 + i))),
                1 => lines.truncate(lines.len() - r.below(lines.len() / 4)),
                2 => {
                    let at = r.below(lines.len());
                    lines[at] = random_row(&mut r, 20_000 + at);
                }
                3 => {
                    let at = r.below(lines.len());
                    lines.insert(at, random_row(&mut r, 30_000 + at));
                }
                _ => {
                    lines.remove(r.below(lines.len()));
                }
            }
            std::fs::write(&csv, format!("{header}{}", lines.concat())).unwrap();
            let table = scored(&csv, 1024);
            let Some(parted) = table.parted() else { continue };
            let (payload, _) = write_parts(&store, TASK, parted).unwrap();
            let fresh = ObjectStore::open(dir.path().join(format!("fresh-{round}-{edit}"))).unwrap();
            let (fresh_payload, _) = write_parts(&fresh, TASK, scored(&csv, 1024).parted().unwrap()).unwrap();
            assert_eq!(payload, fresh_payload, "round {round}, edit {edit}: the partitions a fresh store makes");
            let Payload::Parts { parts, .. } = &payload else { unreachable!() };
            let paths = parts.iter().map(|p| store.path_of(&p.hash).unwrap()).collect();
            assert!(Table::stored_parts(paths).collect(TASK).unwrap().equals_missing(&whole(&csv)), "round {round}");
            if edit % 3 == 2 {
                same(&analyses(&parted_table(&store, &csv)), &analyses(&parted_table(&fresh, &csv)));
            }
        }
    }
}

#[test]
fn strides_made_side_by_side_are_taken_whole_by_the_job_that_follows() {
    let dir = tempfile::tempdir().unwrap();
    let store = ObjectStore::open(dir.path().join("objects")).unwrap();
    let csv = dir.path().join("customers.csv");
    crate::datagen::write_csv(&csv, 3_000, 11, |_| true).unwrap();
    let mut made_by_strides = 0;
    for index in 0..3 {
        let table = scored(&csv, 4096);
        let stride = || write_parts(&store, TASK, table.parted().expect("cut into ranges")).unwrap();
        let (payload, made) = byte_ranges::with_stride(Some((index, 3)), stride);
        let Payload::Parts { parts, .. } = payload else { unreachable!() };
        assert_eq!(parts.len(), made.made + made.reused, "a stride's value holds what is known so far");
        made_by_strides += made.made;
    }
    let (rows, made, count) = stored(&store, &csv);
    assert_eq!(made_by_strides, count, "every partition made by exactly one stride");
    assert_eq!(made, PartsMade { made: 0, reused: count });
    assert!(rows.equals_missing(&whole(&csv)));
}
