//! The one place where core errors become Python exceptions.

use pyo3::prelude::*;
use pyo3::PyErr;

use super::exceptions::*;
use crate::error::Error;
use crate::Result as CoreResult;

impl From<Error> for PyErr {
    fn from(e: Error) -> Self {
        let message = e.to_string();
        match e {
            Error::Config(_) => ConfigError::new_err(message),
            Error::ConfigVersionMismatch(_) => ConfigVersionMismatch::new_err(message),
            Error::NonExistingEntity(id) => match id.split('_').next().unwrap_or("") {
                "SCENARIO" => NonExistingScenario::new_err(message),
                "DATANODE" => NonExistingDataNode::new_err(message),
                "TASK" => NonExistingTask::new_err(message),
                "JOB" => NonExistingJob::new_err(message),
                "SUBMISSION" => NonExistingSubmission::new_err(message),
                _ => NonExistingEntity::new_err(message),
            },
            Error::NoData(_) => NoData::new_err(message),
            Error::Registry { ref source, .. } if registry_out_of_memory(source) => TwoBased::OutOfMemory.err(format!(
                "{message} (the process is out of memory: SQLite could not allocate or map its shared memory)"
            )),
            Error::Storage { .. } | Error::Registry { .. } => StorageError::new_err(message),
            Error::InvalidArgument(_) => TwoBased::InvalidArgument.err(message),
            Error::OutOfMemory { .. } => TwoBased::OutOfMemory.err(message),
            Error::Internal(_) => TwoBased::InternalError.err(message),
        }
    }
}

/// SQLite's word for memory it could not have (a full disk is another code).
fn registry_out_of_memory(source: &rusqlite::Error) -> bool {
    const SHARED_MEMORY_MAP: std::ffi::c_int = rusqlite::ffi::SQLITE_IOERR_SHMMAP;
    matches!(source, rusqlite::Error::SqliteFailure(e, _)
        if e.code == rusqlite::ErrorCode::OutOfMemory || e.extended_code == SHARED_MEMORY_MAP)
}

/// The exception a caught panic becomes: `InternalError` (a `RuntimeError`).
pub(crate) fn panic_error(context: &str, panic: &(dyn std::any::Any + Send)) -> PyErr {
    let message = crate::error::panic_message(panic);
    TwoBased::InternalError.err(format!("internal error in scenarium{context} (please report it): {message}"))
}

/// Runs `f` without the GIL and turns a panic into `InternalError`.
pub(crate) fn detached<T: Send>(py: Python<'_>, f: impl FnOnce() -> CoreResult<T> + Send) -> PyResult<T> {
    let outcome = py.detach(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    match outcome {
        Ok(result) => result.map_err(PyErr::from),
        Err(panic) => Err(panic_error("", panic.as_ref())),
    }
}
