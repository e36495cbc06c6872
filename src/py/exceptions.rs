//! The Python exception hierarchy, rooted at `scenarium.exceptions.ScenariumError`.
//! The dotted module name makes tracebacks and pickle find the classes.

use pyo3::create_exception;
use pyo3::exceptions::PyException;

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
