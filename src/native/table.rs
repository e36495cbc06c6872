//! Tables as native tasks see them: a stored Arrow IPC file (maybe with
//! columns computed on the fly, e.g. a recipe's), any polars query, or rows a
//! task produces with its own reader. Each is read batch by batch, so memory
//! does not grow with its rows.

use std::fs::File;
use std::io::BufReader;
use std::path::PathBuf;
use std::sync::mpsc::sync_channel;

use polars::prelude::*;
use polars_arrow::io::ipc::read::{read_file_metadata, FileReader};

use super::{stop_if_interrupted, Result, TaskError};

/// How many of a stored table's batches are read as one.
const BLOCKS_PER_BATCH: usize = 8;

/// A table argument or result of a native task.
#[derive(Clone)]
#[allow(clippy::large_enum_variant)] // a task has a handful of tables: boxing buys nothing
pub enum Table {
    /// Any polars query: an in-memory frame, a Parquet or CSV scan, ...
    Lazy(LazyFrame),
    /// An uncompressed Arrow IPC file in the object store, read in batches
    /// (`for_each_batch`: plain reads; `for_each_block`: memory-mapped, pages
    /// released after each batch), then `added` columns computed per batch.
    Stored(StoredTable),
    /// Rows a task produces with a reader of its own (the customer analysis's
    /// CSV scorer), when the table is written or collected.
    Produced(Arc<dyn TableProducer>),
}

/// A table made by a task's own code, batch by batch.
pub trait TableProducer: Send + Sync {
    /// The columns of the batches, as far as known before reading.
    fn schema(&self) -> Schema;

    /// Every row in order, in batches; see [`Table::produce`].
    fn produce(
        &self,
        task: &'static str,
        start: &mut dyn FnMut(&Schema) -> Result<()>,
        push: &(dyn Fn(DataFrame) -> Result<()> + Sync),
    ) -> Result<()>;

    /// The same table as partitions, when it is stored so (`parts.rs`).
    fn parted(&self) -> Option<&dyn PartedProducer> {
        None
    }
}

/// One partition of a table: its name, and the hash of what it is made from
/// (input bytes, code, schema), under which it is remembered.
#[derive(Clone, Debug)]
pub struct PartPlan {
    pub name: String,
    pub identity: String,
}

/// A table made of partitions, each produced and stored on its own, so that
/// one made from the same input before is taken as it was.
pub trait PartedProducer: Send + Sync {
    /// The partitions in order, as planned with the current schema.
    fn parts(&self) -> Vec<PartPlan>;
    /// The schema partitions are produced with now.
    fn schema(&self) -> Schema;
    /// Produces partitions `wanted` (indexes into `parts()`, ascending), in
    /// order, calling `push(k, batch)` at least once for each. Ok(false) when
    /// the schema had to widen: partitions made so far are not of this table,
    /// and the caller plans again.
    fn produce_parts(
        &self,
        task: &'static str,
        wanted: &[usize],
        push: &mut dyn FnMut(usize, DataFrame) -> Result<()>,
    ) -> Result<bool>;
    /// After every partition is made: an error when the input changed since
    /// it was planned (nothing made from it may be kept); else the input's
    /// hash is reported to the job (`read_hashes`).
    fn finish(&self, task: &'static str) -> Result<()>;
}

#[derive(Clone)]
pub struct StoredTable {
    /// One file, or a partitioned table's files in order.
    pub paths: Vec<PathBuf>,
    /// A partitioned table's objects, for reductions that remember what they
    /// found in each (`partials.rs`).
    pub parts: Option<super::partials::SharedParts>,
    pub(super) added: Vec<Expr>,
    /// What `added` stand for, set by the task that added them when they are
    /// its whole recipe over a table as written: later tasks that know the
    /// recipe compute those columns in their own pass instead (the customer
    /// analysis's segments).
    pub recipe: Option<Arc<dyn std::any::Any + Send + Sync>>,
}

impl StoredTable {
    /// Calls `f` with each stored batch as written (no computed columns), by
    /// `threads` readers at once, each taking a contiguous run of batches.
    ///
    /// The file is memory-mapped and its arrays used in place: on these
    /// machines a page fault on fresh memory costs microseconds, and copying
    /// each batch into new buffers cost more than the statistics. Each batch's
    /// pages are released once it is done, so resident memory stays small.
    /// Only for tables of plain numbers (no dictionaries), written by scenarium.
    pub fn for_each_block<F>(&self, task: &'static str, threads: usize, f: F) -> Result<()>
    where
        F: Fn(usize, DataFrame) -> Result<()> + Sync,
    {
        let polars_err = |source| TaskError::Polars { task, source };
        let io_err = |e: std::io::Error| polars_err(PolarsError::from(e));
        let mut files = Vec::with_capacity(self.paths.len());
        // Every batch of every file, in order: readers take contiguous runs of it.
        let mut blocks = Vec::new();
        for path in &self.paths {
            let file = File::open(path).map_err(io_err)?;
            // SAFETY: objects are never modified in place (content-addressed,
            // written once, then renamed into the store).
            let map = Arc::new(unsafe { memmap2::Mmap::map(&file) }.map_err(io_err)?);
            let metadata = read_file_metadata(&mut std::io::Cursor::new(&map[..])).map_err(polars_err)?;
            blocks.extend((0..metadata.blocks.len()).map(|b| (files.len(), b)));
            files.push((map, metadata));
        }
        let no_dictionaries: polars_arrow::io::ipc::read::Dictionaries = Default::default();
        let count = blocks.len();
        let threads = threads.clamp(1, count.max(1));
        let run = |reader: usize| -> Result<()> {
            for &(file, block) in &blocks[(reader * count / threads)..((reader + 1) * count / threads)] {
                stop_if_interrupted(task)?;
                let (map, metadata) = &files[file];
                // SAFETY: the buffers are plain numbers (the caller checked the
                // schema), which mmap_unchecked bounds-checks against the map.
                let batch =
                    unsafe { polars_arrow::mmap::mmap_unchecked(metadata, &no_dictionaries, map.clone(), block) }
                        .map_err(polars_err)?;
                f(reader, DataFrame::from(batch))?;
                let range = metadata.blocks[block];
                let start = range.offset as usize;
                let len = range.meta_data_length as usize + range.body_length as usize;
                // SAFETY: the arrays of this batch are gone; the pages are the
                // file's and are read back from the page cache if touched again.
                let _ = unsafe { map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, start, len) };
            }
            Ok(())
        };
        on_readers(task, threads, run)
    }
}

/// Reads an Arrow IPC file `group` batches at a time, by `threads` readers.
fn read_blocks(
    task: &'static str,
    path: &std::path::Path,
    group: usize,
    threads: usize,
    f: &(dyn Fn(usize, DataFrame) -> Result<()> + Sync),
) -> Result<()> {
    let polars_err = |source| TaskError::Polars { task, source };
    let open = || -> PolarsResult<FileReader<BufReader<File>>> {
        let mut file = BufReader::new(File::open(path)?);
        let metadata = read_file_metadata(&mut file)?;
        Ok(FileReader::new(file, metadata, None, None))
    };
    let blocks = open().map_err(polars_err)?.metadata().blocks.len();
    let items = blocks.div_ceil(group);
    let threads = threads.clamp(1, items.max(1));
    let run = |reader_number: usize| -> Result<()> {
        let mut reader = open().map_err(polars_err)?;
        let mut item = reader_number;
        while item < items {
            stop_if_interrupted(task)?;
            reader.set_current_block(item * group);
            let mut df: Option<DataFrame> = None;
            for batch in reader.by_ref().take(group) {
                let more = DataFrame::from(batch.map_err(polars_err)?);
                match df.as_mut() {
                    None => df = Some(more),
                    Some(df) => {
                        df.vstack_mut_owned(more).map_err(polars_err)?;
                    }
                }
            }
            let Some(df) = df else { break };
            f(reader_number, df)?;
            item += threads;
        }
        Ok(())
    };
    on_readers(task, threads, run)
}

/// Runs `run(0)` here and `run(1..threads)` on threads of their own; the
/// first error wins.
fn on_readers(task: &'static str, threads: usize, run: impl Fn(usize) -> Result<()> + Sync) -> Result<()> {
    let run = &run;
    let interrupt = crate::interrupt::current();
    std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads)
            .map(|n| {
                let interrupt = interrupt.clone();
                scope.spawn(move || crate::interrupt::with(interrupt, || run(n)))
            })
            .collect();
        let mut outcome = run(0);
        for other in others {
            let result = other
                .join()
                .unwrap_or_else(|_| Err(TaskError::InvalidData { task, message: "a reader thread panicked".into() }));
            outcome = outcome.and(result);
        }
        outcome
    })
}

impl Table {
    pub fn stored(path: PathBuf) -> Table {
        Table::stored_parts(vec![path])
    }

    /// A table stored as several files, read as their rows in order.
    pub fn stored_parts(paths: Vec<PathBuf>) -> Table {
        Table::Stored(StoredTable { paths, added: Vec::new(), recipe: None, parts: None })
    }

    /// A partitioned table of the object store: its partitions' files, in order.
    pub fn stored_in_parts(paths: Vec<PathBuf>, parts: super::partials::StoredParts) -> Table {
        Table::Stored(StoredTable { paths, added: Vec::new(), recipe: None, parts: Some(Arc::new(parts)) })
    }

    /// The stored table as written and the recipe of the columns added over
    /// it, if this is such a table and its recipe is an `R`.
    pub fn stored_recipe<R: Copy + 'static>(&self) -> Option<(&StoredTable, R)> {
        match self {
            Table::Stored(stored) => stored.recipe.as_ref()?.downcast_ref::<R>().map(|r| (stored, *r)),
            _ => None,
        }
    }

    /// `exprs` added as columns; `recipe` says what they stand for when this
    /// is a stored table as written (see [`StoredTable::recipe`]).
    pub fn with_recipe_columns<R: Send + Sync + 'static>(self, exprs: Vec<Expr>, recipe: R) -> PolarsResult<Table> {
        let raw = matches!(&self, Table::Stored(s) if s.added.is_empty() && s.recipe.is_none());
        let mut table = self.with_columns(exprs)?;
        if let (true, Table::Stored(stored)) = (raw, &mut table) {
            stored.recipe = Some(Arc::new(recipe));
        }
        Ok(table)
    }

    /// The table as a polars query.
    pub fn lazy(&self) -> PolarsResult<LazyFrame> {
        match self {
            Table::Lazy(lf) => Ok(lf.clone()),
            Table::Produced(_) => {
                let df =
                    self.collect("reading a table").map_err(|e| PolarsError::ComputeError(e.to_string().into()))?;
                Ok(df.lazy())
            }
            Table::Stored(stored) => {
                let scans = stored
                    .paths
                    .iter()
                    .map(|p| {
                        LazyFrame::scan_ipc(
                            PlRefPath::new(p.to_string_lossy().as_ref()),
                            Default::default(),
                            Default::default(),
                        )
                    })
                    .collect::<PolarsResult<Vec<_>>>()?;
                let lf = match <[LazyFrame; 1]>::try_from(scans) {
                    Ok([one]) => one,
                    Err(scans) => concat(scans, UnionArgs::default())?,
                };
                Ok(if stored.added.is_empty() { lf } else { lf.with_columns(stored.added.clone()) })
            }
        }
    }

    /// The whole table in memory (for direct calls from Python).
    pub fn collect(&self, task: &'static str) -> Result<DataFrame> {
        let Table::Produced(_) = self else {
            let lf = self.lazy().map_err(|source| TaskError::Polars { task, source })?;
            return super::collect_streaming(lf).map_err(|source| TaskError::Polars { task, source });
        };
        let frames = std::sync::Mutex::new(Vec::new());
        let mut schema = Schema::default();
        self.produce(
            task,
            &mut |started| {
                schema = started.clone();
                frames.lock().unwrap_or_else(|p| p.into_inner()).clear();
                Ok(())
            },
            &|df| {
                frames.lock().unwrap_or_else(|p| p.into_inner()).push(df);
                Ok(())
            },
        )?;
        let mut frames = frames.into_inner().unwrap_or_else(|p| p.into_inner()).into_iter();
        let Some(mut df) = frames.next() else { return Ok(DataFrame::empty_with_schema(&schema)) };
        for more in frames {
            df.vstack_mut_owned(more).map_err(|source| TaskError::Polars { task, source })?;
        }
        Ok(df)
    }

    /// The table with more columns, computed row by row from its own.
    pub fn with_columns(self, exprs: Vec<Expr>) -> PolarsResult<Table> {
        Ok(match self {
            Table::Lazy(lf) => Table::Lazy(lf.with_columns(exprs)),
            produced @ Table::Produced(_) => Table::Lazy(produced.lazy()?.with_columns(exprs)),
            Table::Stored(mut stored) => {
                stored.added.extend(exprs);
                Table::Stored(stored)
            }
        })
    }

    pub fn schema(&self) -> PolarsResult<Schema> {
        match self {
            Table::Produced(producer) => Ok(producer.schema()),
            _ => Ok(self.lazy()?.collect_schema()?.as_ref().clone()),
        }
    }

    /// Every row in order, in batches: `start` is called with the schema before
    /// the first batch, and again if the rows must be produced anew (a
    /// producer that finds its first guess of the schema wrong).
    pub fn produce(
        &self,
        task: &'static str,
        start: &mut dyn FnMut(&Schema) -> Result<()>,
        push: &(dyn Fn(DataFrame) -> Result<()> + Sync),
    ) -> Result<()> {
        if let Table::Produced(producer) = self {
            return producer.produce(task, start, push);
        }
        let schema = self.schema().map_err(|source| TaskError::Polars { task, source })?;
        start(&schema)?;
        let columns: Vec<&str> = schema.iter_names().map(|n| n.as_str()).collect();
        self.for_each_batch(task, &columns, 1, |_, df| push(df))
    }

    /// Calls `f` with each batch of `columns`, in row order. Stored tables are
    /// read by `threads` readers at once, each taking every `threads`-th batch
    /// and calling its own `f` (so results that depend on order must be merged
    /// by the caller in reader order: `f` gets the reader's number).
    pub fn for_each_batch<F>(&self, task: &'static str, columns: &[&str], threads: usize, f: F) -> Result<()>
    where
        F: Fn(usize, DataFrame) -> Result<()> + Sync,
    {
        let polars_err = |source| TaskError::Polars { task, source };
        let select: Vec<Expr> = columns.iter().map(|&c| col(c)).collect();
        match self {
            Table::Produced(_) => {
                Table::Lazy(self.lazy().map_err(polars_err)?).for_each_batch(task, columns, threads, f)
            }
            Table::Lazy(lf) => {
                let (send, receive) = sync_channel::<PolarsResult<DataFrame>>(2);
                let query = lf.clone().select(select);
                std::thread::scope(|scope| {
                    let sender = send.clone();
                    let runner = scope.spawn(move || {
                        let sink = query.sink_batches(
                            PlanCallback::new(move |df| Ok(sender.send(Ok(df)).is_err())),
                            true,
                            None,
                        );
                        if let Err(e) = sink.and_then(|q| q.collect_with_engine(Engine::Streaming)) {
                            let _ = send.send(Err(e));
                        }
                    });
                    let mut outcome = Ok(());
                    for batch in receive.iter() {
                        outcome = stop_if_interrupted(task).and(batch.map_err(polars_err)).and_then(|df| f(0, df));
                        if outcome.is_err() {
                            break;
                        }
                    }
                    drop(receive);
                    let _ = runner.join();
                    outcome
                })
            }
            Table::Stored(stored) => {
                // Several stored batches at a time: each query on a batch costs
                // about a millisecond to plan, whatever its size.
                let each = |reader, df: DataFrame| {
                    let df = df
                        .lazy()
                        .with_columns(stored.added.clone())
                        .select(select.clone())
                        .collect()
                        .map_err(polars_err)?;
                    f(reader, df)
                };
                stored.paths.iter().try_for_each(|path| read_blocks(task, path, BLOCKS_PER_BATCH, threads, &each))
            }
        }
    }
}
