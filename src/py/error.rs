//! The one place where core errors become Python exceptions.

use pyo3::exceptions::{PyRuntimeError, PyValueError};
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
            Error::Storage { .. } | Error::Registry { .. } => StorageError::new_err(message),
            Error::InvalidArgument(_) => PyValueError::new_err(message),
            Error::Internal(_) => PyRuntimeError::new_err(message),
        }
    }
}

/// Runs `f` without the GIL and turns a panic into a Python `RuntimeError`.
pub(crate) fn detached<T: Send>(py: Python<'_>, f: impl FnOnce() -> CoreResult<T> + Send) -> PyResult<T> {
    let outcome = py.detach(|| std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)));
    match outcome {
        Ok(result) => result.map_err(PyErr::from),
        Err(panic) => {
            let message = crate::error::panic_message(panic.as_ref());
            Err(PyRuntimeError::new_err(format!("internal error in scenarium (please report it): {message}")))
        }
    }
}
