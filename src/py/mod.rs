//! The Python module `scenarium._core`: the only code that knows Python.
//!
//! No panic may reach Python as pyo3's `PanicException` (a `BaseException` that
//! `except Exception` misses): core calls run in `error::detached` (a caught
//! panic becomes `InternalError`), and these lints keep panics out of the glue.
#![deny(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing, clippy::disallowed_methods)]

mod config;
mod engine;
mod error;
mod exceptions;
mod json;
mod native;
mod objects;
mod records;

use pyo3::prelude::*;

#[cfg(all(target_os = "linux", not(target_env = "musl")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[pymodule(gil_used = false)]
mod _core {
    #[pymodule_export]
    use super::config::{parse_config_toml, validate_config, write_config_toml};
    #[pymodule_export]
    use super::engine::Engine;
    #[pymodule_export]
    use super::exceptions::{
        ConfigError, ConfigVersionMismatch, InvalidConfigFile, NoData, NonExistingDataNode, NonExistingEntity,
        NonExistingJob, NonExistingScenario, NonExistingSubmission, NonExistingTask, NotSerializable, ScenariumError,
        StorageError, TaskError,
    };
    #[pymodule_export]
    use super::native::{call_native, generate_customers, native_tasks};
    #[pymodule_export]
    use super::objects::{partition_key, parts_value, ObjectStore, ObjectWriter, WriteBack};
    #[pymodule_export]
    use super::records::{
        DataNodeRecord, JobRecord, ScenarioRecord, StoredValue, SubmissionRecord, TaskRecord, VersionRecord,
    };

    use super::*;

    /// Raises ConfigError unless `id` is a valid identifier for a `kind` ("task", ...).
    #[pyfunction]
    fn check_identifier(kind: &str, id: &Bound<'_, pyo3::types::PyString>) -> PyResult<()> {
        // Lossy: text that is not UTF-8 (a lone surrogate) is no identifier, and is said so.
        Ok(crate::config::validate::check_identifier(kind, &id.to_string_lossy())?)
    }

    #[pymodule_init]
    fn init(m: &Bound<'_, PyModule>) -> PyResult<()> {
        let version = env!("CARGO_PKG_VERSION").replace("-alpha", "a").replace("-beta", "b");
        super::exceptions::add_two_based(m)?;
        m.add("__version__", version)?;
        m.add("build_profile", if cfg!(debug_assertions) { "debug" } else { "release" })?;
        // The names Python's configuration accepts, defined once (in Rust).
        use crate::config::{Frequency, Scope, StorageType};
        m.add("STORAGE_TYPES", StorageType::NAMES.to_vec())?;
        m.add("SCOPES", Scope::NAMES.to_vec())?;
        m.add("FREQUENCIES", Frequency::NAMES.to_vec())?;
        let keys = crate::config::validate::SECTION_KINDS
            .iter()
            .map(|kind| (*kind, crate::config::validate::known_keys(kind).unwrap_or_default().to_vec()));
        m.add("CONFIG_KEYS", keys.collect::<std::collections::BTreeMap<_, _>>())?;
        // The statuses records carry (JobRecord.status, SubmissionRecord.status).
        m.add("JOB_STATUSES", crate::model::JobStatus::NAMES.to_vec())?;
        m.add("SUBMISSION_STATUSES", crate::model::SubmissionStatus::NAMES.to_vec())?;
        Ok(())
    }
}
