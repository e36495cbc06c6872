//! The configuration model across the boundary: TOML files parsed and written,
//! documents validated; documents cross to Python as dicts (`_core.pyi`'s
//! `ConfigDocument`).

use pyo3::prelude::*;

use super::exceptions::{ConfigError, InvalidConfigFile};
use super::json;
use crate::config::{document::Document, toml_file, validate};

/// The configuration document of TOML file `path`; raises InvalidConfigFile
/// naming the file, line and column of a syntax or value error.
#[pyfunction]
pub fn parse_config_toml<'py>(py: Python<'py>, path: std::path::PathBuf) -> PyResult<Bound<'py, PyAny>> {
    // A PathBuf, not a str: a file name that is not UTF-8 still names a file.
    let shown = path.to_string_lossy();
    let text = std::fs::read_to_string(&path)
        .map_err(|e| InvalidConfigFile::new_err(format!("{shown}: cannot read the configuration file: {e}")))?;
    let path = &*shown;
    let env = |name: &str| std::env::var(name).ok();
    let parsed = py.detach(|| std::panic::catch_unwind(|| toml_file::parse(path, &text, &env)));
    let parsed = parsed.map_err(|panic| super::error::panic_error(&format!(" reading {path}"), panic.as_ref()))?;
    let document = parsed.map_err(|e| {
        let err = InvalidConfigFile::new_err(e.to_string());
        let value = err.value(py);
        let _ = (value.setattr("file", &e.file), value.setattr("line", e.line), value.setattr("column", e.column));
        err
    })?;
    json::serialized_to_python(py, &document)
}

fn document(value: &Bound<'_, PyAny>) -> PyResult<Document> {
    serde_json::from_value(json::from_python(value, "the configuration document")?)
        .map_err(|e| ConfigError::new_err(format!("malformed configuration document: {e}")))
}

/// The TOML text of a configuration document.
#[pyfunction]
pub fn write_config_toml(py: Python<'_>, document: &Bound<'_, PyAny>) -> PyResult<String> {
    let document = self::document(document)?;
    super::error::detached(py, || Ok(toml_file::write(&document)))
}

/// The issues the validator finds in a configuration document.
#[pyfunction]
pub fn validate_config<'py>(py: Python<'py>, document: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyAny>> {
    let document = self::document(document)?;
    let issues = super::error::detached(py, || Ok(validate::validate(&document)))?;
    json::serialized_to_python(py, &issues)
}
