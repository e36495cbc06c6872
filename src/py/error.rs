//! The one place where core errors become Python exceptions.

use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::PyErr;

use super::exceptions::*;
use crate::error::Error;

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
