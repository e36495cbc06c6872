//! JSON values to Python objects and back, for the records' free-form parts
//! (properties, a function reference, an edit's keys) and the configuration
//! model: the FFI carries dicts and lists, typed in `_core.pyi`, not JSON text.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use pyo3::IntoPyObjectExt;
use serde_json::Value;

/// A serialisable core value as Python objects.
pub fn serialized_to_python<'py>(py: Python<'py>, value: &impl serde::Serialize) -> PyResult<Bound<'py, PyAny>> {
    let value = serde_json::to_value(value)
        .map_err(|e| super::exceptions::TwoBased::InternalError.err(format!("cannot convert a value: {e}")))?;
    to_python(py, &value)
}

pub fn to_python<'py>(py: Python<'py>, value: &Value) -> PyResult<Bound<'py, PyAny>> {
    match value {
        Value::Null => Ok(py.None().into_bound(py)),
        Value::Bool(b) => b.into_bound_py_any(py),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.into_bound_py_any(py),
            (None, Some(u)) => u.into_bound_py_any(py),
            _ => n.as_f64().unwrap_or(f64::NAN).into_bound_py_any(py),
        },
        Value::String(s) => s.into_bound_py_any(py),
        Value::Array(items) => {
            let items = items.iter().map(|v| to_python(py, v)).collect::<PyResult<Vec<_>>>()?;
            Ok(PyList::new(py, items)?.into_any())
        }
        Value::Object(map) => {
            let dict = PyDict::new(py);
            for (k, v) in map {
                dict.set_item(k, to_python(py, v)?)?;
            }
            Ok(dict.into_any())
        }
    }
}

/// A map's values as a Python dict.
pub fn map_to_python<'py, 'a>(
    py: Python<'py>,
    map: impl IntoIterator<Item = (&'a String, &'a Value)>,
) -> PyResult<Bound<'py, PyAny>> {
    let dict = PyDict::new(py);
    for (k, v) in map {
        dict.set_item(k, to_python(py, v)?)?;
    }
    Ok(dict.into_any())
}

/// A Python value made of dicts (string keys), lists, tuples, strings, numbers,
/// bools and None as JSON; anything else is a TypeError naming `what` and the key.
pub fn from_python(value: &Bound<'_, PyAny>, what: &str) -> PyResult<Value> {
    if value.is_none() {
        Ok(Value::Null)
    } else if value.is_instance_of::<PyBool>() {
        Ok(Value::Bool(value.extract()?))
    } else if value.is_instance_of::<PyInt>() {
        match value.extract::<i64>() {
            Ok(i) => Ok(i.into()),
            Err(_) => Ok(value.extract::<u64>()?.into()),
        }
    } else if value.is_instance_of::<PyFloat>() {
        let f: f64 = value.extract()?;
        serde_json::Number::from_f64(f)
            .map(Value::Number)
            .ok_or_else(|| PyTypeError::new_err(format!("{what}: {f} has no JSON form")))
    } else if value.is_instance_of::<PyString>() {
        Ok(Value::String(value.extract()?))
    } else if let Ok(dict) = value.cast::<PyDict>() {
        let mut map = serde_json::Map::new();
        for (k, v) in dict.iter() {
            let key: String = k.extract().map_err(|_| PyTypeError::new_err(format!("{what}: a key is not text")))?;
            let inner = from_python(&v, &format!("{what}[{key:?}]"))?;
            map.insert(key, inner);
        }
        Ok(Value::Object(map))
    } else if value.is_instance_of::<PyList>() || value.is_instance_of::<PyTuple>() {
        let items = value.try_iter()?.map(|item| from_python(&item?, what)).collect::<PyResult<Vec<_>>>()?;
        Ok(Value::Array(items))
    } else {
        let kind = value.get_type().name()?;
        Err(PyTypeError::new_err(format!("{what}: a {kind} has no JSON form")))
    }
}
