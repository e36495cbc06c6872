//! The configuration model across the boundary: TOML files parsed and written,
//! documents validated; documents cross to Python as JSON.

use pyo3::prelude::*;

use super::exceptions::{ConfigError, InvalidConfigFile};
use crate::config::{document::Document, toml_file, validate};

/// The configuration document of TOML file `path` as JSON; raises
/// InvalidConfigFile naming the file, line and column of a syntax or value error.
#[pyfunction]
pub fn parse_config_toml(py: Python<'_>, path: &str) -> PyResult<String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| InvalidConfigFile::new_err(format!("{path}: cannot read the configuration file: {e}")))?;
    let env = |name: &str| std::env::var(name).ok();
    let document = py.detach(|| toml_file::parse(path, &text, &env)).map_err(|e| {
        let err = InvalidConfigFile::new_err(e.to_string());
        let value = err.value(py);
        let _ = (value.setattr("file", &e.file), value.setattr("line", e.line), value.setattr("column", e.column));
        err
    })?;
    Ok(serde_json::to_string(&document).expect("a document always serialises"))
}

fn document(json: &str) -> PyResult<Document> {
    serde_json::from_str(json).map_err(|e| ConfigError::new_err(format!("malformed configuration document: {e}")))
}

/// The TOML text of a configuration document given as JSON.
#[pyfunction]
pub fn write_config_toml(document_json: &str) -> PyResult<String> {
    Ok(toml_file::write(&document(document_json)?))
}

/// The issues (JSON list) the validator finds in a configuration document.
#[pyfunction]
pub fn validate_config(document_json: &str) -> PyResult<String> {
    let issues = validate::validate(&document(document_json)?);
    Ok(serde_json::to_string(&issues).expect("issues always serialise"))
}
