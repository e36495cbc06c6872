//! The crate-level error: every module's error lifts into it, and `py/error.rs`
//! maps each variant to one class of the Python hierarchy.

use std::path::PathBuf;

pub type Result<T, E = Error> = std::result::Result<T, E>;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A configuration is inconsistent: the message names the ids at fault.
    #[error("{0}")]
    Config(String),

    #[error("no data node, task, scenario, job or submission with id {0:?}")]
    NonExistingEntity(String),

    #[error("data node {0:?} has no data: it was never written and has no default_data")]
    NoData(String),

    #[error("storage error at {path}: {message}")]
    Storage { path: PathBuf, message: String },

    #[error("registry error in {path}: {source}")]
    Registry {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },

    /// A scenario was stored with a configuration that no longer matches.
    #[error("{0}")]
    ConfigVersionMismatch(String),

    #[error("{0}")]
    InvalidArgument(String),

    /// Memory ran out while reading or writing a value of `bytes` bytes.
    #[error("out of memory reading {what} ({bytes} bytes): {message}")]
    OutOfMemory { what: String, bytes: u64, message: String },

    /// A bug in scenarium (a panic caught before it could cross into Python).
    #[error("internal error in scenarium (please report it): {0}")]
    Internal(String),
}

impl Error {
    pub fn storage(path: impl Into<PathBuf>, err: impl std::fmt::Display) -> Self {
        Error::Storage { path: path.into(), message: err.to_string() }
    }
}

/// The message a caught panic carried, for an error that says what happened.
pub fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    panic
        .downcast_ref::<String>()
        .cloned()
        .or_else(|| panic.downcast_ref::<&str>().map(|s| s.to_string()))
        .unwrap_or_else(|| "unknown panic".into())
}
