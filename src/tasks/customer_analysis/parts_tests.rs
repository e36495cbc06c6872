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
