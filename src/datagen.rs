//! Deterministic sample data with the article's columns, at disk speed.
//!
//! Rows are made in blocks of [`BLOCK_ROWS`], each from its own generator
//! seeded by (seed, block number), and formatted in parallel; blocks are
//! written in order, so the bytes depend on rows and seed only, never on the
//! number of threads. Memory stays at a few blocks whatever the row count.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::Path;

use rayon::prelude::*;

use crate::error::{Error, Result};

pub const HEADER: &str = "CustomerID,Age,Country,TotalPurchaseAmount,NumberOfPurchases,AverageReviewScore,\
                          TotalPurchaseTime,SignupDate,IsPrime\n";
const COUNTRIES: [&str; 10] =
    ["USA", "UK", "Germany", "France", "India", "Canada", "Japan", "Brazil", "Australia", "Spain"];
pub const BLOCK_ROWS: u64 = 65_536;

/// SplitMix64: small, fast, and good enough for sample data.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, block: u64) -> Self {
        let mut rng = Rng(seed ^ block.wrapping_mul(0x9E37_79B9_7F4A_7C15));
        rng.next();
        rng
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in [0, 1).
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }

    fn gauss(&mut self, mean: f64, sd: f64) -> f64 {
        let u1 = 1.0 - self.unit();
        let u2 = self.unit();
        mean + sd * (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
}

fn civil(days_since_2015: u64) -> (i64, u32, u32) {
    // 2015-01-01 is day 16436 since 1970-01-01.
    crate::model::civil_from_days(days_since_2015 as i64 + 16_436)
}

/// The CSV text of rows `first..first + count` (block number `block`).
fn block_text(seed: u64, block: u64, first: u64, count: u64) -> String {
    let mut rng = Rng::new(seed, block);
    let mut out = String::with_capacity(count as usize * 72);
    for i in 0..count {
        let purchases = 1 + (-(1.0 - rng.unit()).ln() * 12.0) as u64;
        let amount = rng.gauss(6.8, 0.8).exp();
        let age = 18 + rng.below(63);
        let country = COUNTRIES[rng.below(10) as usize];
        let review = 1.0 + 4.0 * rng.unit();
        let time = purchases + rng.below(purchases * 599 + 1);
        let (y, m, d) = civil(rng.below(3650));
        let prime = if rng.unit() < 0.35 { "True" } else { "False" };
        let _ = writeln!(
            out,
            "{},{age},{country},{amount:.2},{purchases},{review:.1},{time},{y:04}-{m:02}-{d:02},{prime}",
            first + i + 1
        );
    }
    out
}

/// Writes `rows` rows to `path` atomically (temporary file, then rename),
/// calling `progress(rows_written)` after each batch of blocks.
pub fn write_csv(path: &Path, rows: u64, seed: u64, mut progress: impl FnMut(u64) -> bool) -> Result<()> {
    let tmp = path.with_extension("csv.part");
    let file = File::create(&tmp).map_err(|e| Error::storage(&tmp, format!("cannot create: {e}")))?;
    let mut writer = BufWriter::with_capacity(1 << 22, file);
    let io = |e: std::io::Error| Error::storage(&tmp, format!("cannot write: {e}"));
    writer.write_all(HEADER.as_bytes()).map_err(io)?;
    let blocks = rows.div_ceil(BLOCK_ROWS);
    let batch = rayon::current_num_threads() as u64 * 2;
    let mut block = 0;
    while block < blocks {
        let last = (block + batch).min(blocks);
        let texts: Vec<String> = (block..last)
            .into_par_iter()
            .map(|b| {
                let first = b * BLOCK_ROWS;
                block_text(seed, b, first, BLOCK_ROWS.min(rows - first))
            })
            .collect();
        for text in texts {
            writer.write_all(text.as_bytes()).map_err(io)?;
        }
        block = last;
        if !progress((block * BLOCK_ROWS).min(rows)) {
            drop(writer);
            let _ = std::fs::remove_file(&tmp);
            return Err(Error::InvalidArgument("data generation was interrupted".into()));
        }
    }
    writer.flush().map_err(io)?;
    drop(writer);
    std::fs::rename(&tmp, path).map_err(|e| Error::storage(path, format!("cannot move into place: {e}")))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_bytes_and_sane_values() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a.csv"), dir.path().join("b.csv"));
        write_csv(&a, 70_000, 7, |_| true).unwrap();
        write_csv(&b, 70_000, 7, |_| true).unwrap();
        let text = std::fs::read_to_string(&a).unwrap();
        assert_eq!(text, std::fs::read_to_string(&b).unwrap());
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 70_001);
        assert_eq!(format!("{}\n", lines[0]), HEADER);
        let mut above_1000 = 0;
        for line in &lines[1..] {
            let cells: Vec<&str> = line.split(',').collect();
            assert_eq!(cells.len(), 9);
            let purchases: u64 = cells[4].parse().unwrap();
            assert!(purchases >= 1);
            let time: u64 = cells[6].parse().unwrap();
            assert!(time >= purchases);
            if cells[3].parse::<f64>().unwrap() > 1000.0 {
                above_1000 += 1;
            }
        }
        assert!((0.3..0.6).contains(&(above_1000 as f64 / 70_000.0)), "{above_1000}");
        assert_ne!(text, {
            write_csv(&b, 70_000, 8, |_| true).unwrap();
            std::fs::read_to_string(&b).unwrap()
        });
    }

    #[test]
    fn dates_are_valid() {
        assert_eq!(civil(0), (2015, 1, 1));
        assert_eq!(civil(59), (2015, 3, 1));
        assert_eq!(civil(3649), (2024, 12, 28));
    }
}
