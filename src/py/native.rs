//! Native tasks called directly from Python, e.g. on a DataFrame in a notebook.
//!
//! Tables cross as Arrow IPC files rather than through pyo3-polars: its
//! `python` feature changes polars-error's feature set, which makes `cargo
//! test` (built without Python) compile all of polars a second time, and the
//! LazyFrame route does not work with any published Python polars (see
//! BUILD-NOTES.md). An uncompressed IPC file costs a few milliseconds per
//! million rows each way.

use std::path::PathBuf;

use polars::prelude::*;
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;

use super::exceptions::TaskError;
use crate::native::{NativeInput, Table};
use crate::tasks::CATALOG;

/// (name, version, parameter names, number of outputs, whether it can be
/// `partitioned`) of every native task.
#[pyfunction]
pub fn native_tasks() -> Vec<(String, u32, Vec<String>, usize, bool)> {
    CATALOG
        .tasks
        .iter()
        .map(|t| {
            (t.name.to_owned(), t.version, t.params.iter().map(|p| p.to_string()).collect(), t.outputs, t.partitions)
        })
        .collect()
}

/// Runs native task `name` on `args`, each `("json", text)` for a scalar or
/// `("table", path)` for an Arrow IPC file; writes each output as an IPC file
/// in `out_dir` and returns their paths.
#[pyfunction]
pub fn call_native(
    py: Python<'_>,
    name: String,
    args: Vec<(String, String)>,
    out_dir: PathBuf,
) -> PyResult<Vec<PathBuf>> {
    let inputs = args
        .iter()
        .map(|(kind, value)| match kind.as_str() {
            "json" => serde_json::from_str(value)
                .map(NativeInput::Scalar)
                .map_err(|e| PyValueError::new_err(format!("bad scalar argument {value:?}: {e}"))),
            "table" => LazyFrame::scan_ipc(PlRefPath::new(value), Default::default(), Default::default())
                .map(|lf| NativeInput::Table(Table::Lazy(lf)))
                .map_err(|e| PyRuntimeError::new_err(format!("cannot read the table argument {value}: {e}"))),
            other => Err(PyValueError::new_err(format!("unknown argument kind {other:?}"))),
        })
        .collect::<PyResult<Vec<_>>>()?;
    let run = || -> Result<Vec<PathBuf>, String> {
        let frames = CATALOG.call(&name, &inputs).map_err(|e| e.to_string())?;
        frames
            .into_iter()
            .map(|mut df| {
                let path = out_dir.join(format!("{}.arrow", uuid::Uuid::new_v4()));
                let file = std::fs::File::create(&path).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
                IpcWriter::new(file).finish(&mut df).map_err(|e| e.to_string())?;
                Ok(path)
            })
            .collect()
    };
    let (outcome, interrupted) = interruptible(py, run);
    if let Some(e) = interrupted {
        return Err(e);
    }
    match outcome {
        Ok(Ok(paths)) => Ok(paths),
        Ok(Err(message)) => Err(TaskError::new_err(message)),
        Err(panic) => Err(super::error::panic_error(&format!(" in native task {name}"), panic.as_ref())),
    }
}

/// Runs `work` on another thread while this one, the GIL released, asks
/// Python every 50 ms whether Ctrl-C was pressed; if so the work's interrupt
/// flag is set (crate::interrupt), it stops at its next block of data, and
/// the KeyboardInterrupt is returned with whatever the work returned.
fn interruptible<T: Send>(py: Python<'_>, work: impl FnOnce() -> T + Send) -> (std::thread::Result<T>, Option<PyErr>) {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let flag = Arc::new(AtomicBool::new(false));
    let mut interrupt = None;
    // Taken by whichever thread runs it: the worker, or this one when no thread
    // can be started (a process at its memory or thread limit still gets its answer,
    // without Ctrl-C).
    let work = std::sync::Mutex::new(Some(work));
    let run = |flag: Option<Arc<AtomicBool>>| {
        let work = work.lock().unwrap_or_else(|e| e.into_inner()).take();
        crate::interrupt::with(flag, || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| work.map(|work| work())))
        })
    };
    let outcome = py.detach(|| {
        std::thread::scope(|scope| {
            let (done_tx, done_rx) = std::sync::mpsc::channel();
            let work_flag = flag.clone();
            let run = &run;
            let worker = std::thread::Builder::new().spawn_scoped(scope, move || {
                let outcome = run(Some(work_flag));
                let _ = done_tx.send(());
                outcome
            });
            let Ok(worker) = worker else { return run(None) };
            while let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                done_rx.recv_timeout(std::time::Duration::from_millis(50))
            {
                if interrupt.is_none() {
                    if let Err(e) = Python::attach(|py| py.check_signals()) {
                        flag.store(true, Ordering::SeqCst);
                        interrupt = Some(e);
                    }
                }
            }
            worker.join().unwrap_or_else(Err)
        })
    });
    let outcome =
        outcome.and_then(|ran| ran.ok_or_else(|| Box::new("the work ran twice") as Box<dyn std::any::Any + Send>));
    (outcome, interrupt)
}

/// Writes `rows` customers with the article's columns to `path`,
/// deterministically for a `seed`; `progress(rows_done)` is called as it goes.
/// Ctrl-C stops it, leaving no partial file.
#[pyfunction]
#[pyo3(signature = (path, rows, seed, progress = None))]
pub fn generate_customers(
    py: Python<'_>,
    path: PathBuf,
    rows: u64,
    seed: u64,
    progress: Option<Py<PyAny>>,
) -> PyResult<()> {
    let mut callback_error: Option<PyErr> = None;
    let result = py.detach(|| {
        crate::datagen::write_csv(&path, rows, seed, |done| {
            Python::attach(|py| {
                let outcome = py.check_signals().and_then(|_| match &progress {
                    Some(callback) => callback.call1(py, (done,)).map(|_| ()),
                    None => Ok(()),
                });
                outcome.map_err(|e| callback_error = Some(e)).is_ok()
            })
        })
    });
    if let Some(e) = callback_error {
        return Err(e);
    }
    Ok(result?)
}
