//! The Python exception hierarchy, rooted at `scenarium.exceptions.ScenariumError`.
//! The dotted module name makes tracebacks and pickle find the classes.

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::{PyDict, PyTuple, PyType};

create_exception!(scenarium.exceptions, ScenariumError, PyException, "Base of every error scenarium raises.");
create_exception!(
    scenarium.exceptions,
    ConfigError,
    ScenariumError,
    "A configuration is inconsistent; the message names the ids at fault."
);
create_exception!(
    scenarium.exceptions,
    InvalidConfigFile,
    ConfigError,
    "A configuration file cannot be read; the message names the file and line."
);
create_exception!(
    scenarium.exceptions,
    ConfigVersionMismatch,
    ConfigError,
    "A stored scenario's configuration differs from the current one."
);
create_exception!(scenarium.exceptions, NonExistingEntity, ScenariumError, "No entity has the given id.");
create_exception!(scenarium.exceptions, NonExistingScenario, NonExistingEntity, "No scenario has the given id.");
create_exception!(scenarium.exceptions, NonExistingDataNode, NonExistingEntity, "No data node has the given id.");
create_exception!(scenarium.exceptions, NonExistingTask, NonExistingEntity, "No task has the given id.");
create_exception!(scenarium.exceptions, NonExistingJob, NonExistingEntity, "No job has the given id.");
create_exception!(scenarium.exceptions, NonExistingSubmission, NonExistingEntity, "No submission has the given id.");
create_exception!(
    scenarium.exceptions,
    NoData,
    ScenariumError,
    "A data node was read before anything was written to it."
);
create_exception!(
    scenarium.exceptions,
    StorageError,
    ScenariumError,
    "The storage folder cannot be read or written; the message names the path."
);
create_exception!(
    scenarium.exceptions,
    NotSerializable,
    StorageError,
    "A value cannot be stored (for example, it cannot be pickled)."
);
create_exception!(
    scenarium.exceptions,
    TaskError,
    ScenariumError,
    "A native task cannot run on its inputs; the message names the task, the column and the value."
);

/// The exceptions that are also a builtin one (`except ValueError` keeps catching
/// a bad argument): `create_exception!` takes one base, so they are made with
/// `type(name, bases, namespace)` when the module loads.
#[derive(Clone, Copy)]
pub(crate) enum TwoBased {
    InvalidArgument,
    InternalError,
    OutOfMemory,
}

static INVALID_ARGUMENT: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static INTERNAL_ERROR: PyOnceLock<Py<PyType>> = PyOnceLock::new();
static OUT_OF_MEMORY: PyOnceLock<Py<PyType>> = PyOnceLock::new();

impl TwoBased {
    const ALL: [TwoBased; 3] = [TwoBased::InvalidArgument, TwoBased::InternalError, TwoBased::OutOfMemory];

    /// (class name, builtin base, docstring)
    fn describe(self) -> (&'static str, &'static str, &'static str) {
        match self {
            TwoBased::InvalidArgument => (
                "InvalidArgument",
                "ValueError",
                "An argument of a public function has the right type but a value it cannot
take (a negative grace period, ...); the message names the parameter.

Example:
    >>> import scenarium as sc
    >>> try:
    ...     sc.gc(-5)
    ... except sc.exceptions.InvalidArgument as e:
    ...     print(e)
    gc: grace_period must be a finite duration >= 0, got -5",
            ),
            TwoBased::InternalError => (
                "InternalError",
                "RuntimeError",
                "A bug in scenarium, caught before it could take the process down: nothing was
changed by the failed call. Please report it with the message.",
            ),
            TwoBased::OutOfMemory => (
                "OutOfMemory",
                "MemoryError",
                "A value did not fit in the memory left to the process; the message names what
was being read or written and its size. Nothing stored was changed.",
            ),
        }
    }

    fn class(self) -> &'static PyOnceLock<Py<PyType>> {
        match self {
            TwoBased::InvalidArgument => &INVALID_ARGUMENT,
            TwoBased::InternalError => &INTERNAL_ERROR,
            TwoBased::OutOfMemory => &OUT_OF_MEMORY,
        }
    }

    /// An exception of this class (RuntimeError if the module was never
    /// initialised, which cannot happen once Python imported it).
    pub(crate) fn err(self, message: String) -> PyErr {
        Python::attach(|py| match self.class().get(py) {
            Some(class) => PyErr::from_type(class.bind(py).clone(), message),
            None => pyo3::exceptions::PyRuntimeError::new_err(message),
        })
    }
}

/// Makes the two-based exceptions and adds them to the module.
pub(crate) fn add_two_based(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let builtins = py.import("builtins")?;
    for kind in TwoBased::ALL {
        let (name, builtin, doc) = kind.describe();
        let namespace = PyDict::new(py);
        namespace.set_item("__module__", "scenarium.exceptions")?;
        namespace.set_item("__doc__", doc)?;
        let bases = PyTuple::new(py, [py.get_type::<ScenariumError>().into_any(), builtins.getattr(builtin)?])?;
        let class = builtins.getattr("type")?.call1((name, bases, namespace))?.cast_into::<PyType>()?;
        let _ = kind.class().set(py, class.clone().unbind());
        m.add(name, class)?;
    }
    Ok(())
}
