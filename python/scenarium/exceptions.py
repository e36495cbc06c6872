"""scenarium's exceptions: every error it raises derives from :class:`ScenariumError`.

Example:
    >>> import scenarium as sc
    >>> try:
    ...     sc.get("SCENARIO_nope_0")
    ... except sc.exceptions.NonExistingScenario as e:
    ...     print(type(e).__name__)
    NonExistingScenario
"""

from __future__ import annotations

# InvalidArgument, InternalError and OutOfMemory are also a ValueError, RuntimeError
# and MemoryError: the core raises them, so they are made there (src/py/exceptions.rs).
from scenarium._core import (
    ConfigError,
    ConfigVersionMismatch,
    InternalError,
    InvalidArgument,
    InvalidConfigFile,
    NoData,
    NonExistingDataNode,
    NonExistingEntity,
    NonExistingJob,
    NonExistingScenario,
    NonExistingSubmission,
    NonExistingTask,
    NotSerializable,
    OutOfMemory,
    ScenariumError,
    StorageError,
    TaskError,
)


class SequenceAlreadyExists(InvalidArgument):
    """``add_sequence`` of a name the scenario already has a sequence of (as Taipy's;
    ``update_sequence`` replaces one)."""


class JobFailed(ScenariumError):
    """A task raised while a submission ran: carries the job id, the task and its traceback.

    Example:
        >>> x = Config.configure_data_node("x", default_data=0)
        >>> y = Config.configure_data_node("y")
        >>> invert = Config.configure_task("invert", lambda v: 1 / v, input=[x], output=[y])
        >>> s = sc.create_scenario(Config.configure_scenario("inverting", task_configs=[invert]))
        >>> try:
        ...     s.submit()
        ... except JobFailed as e:
        ...     print(e.task_config_id, e.stacktrace.splitlines()[-1])
        invert ZeroDivisionError: division by zero
    """

    def __init__(
        self, message: str, *, job_id: str, task_config_id: str, stacktrace: str | None, submission_id: str
    ) -> None:
        super().__init__(message)
        self.job_id = job_id
        self.task_config_id = task_config_id
        self.stacktrace = stacktrace
        self.submission_id = submission_id

    def __reduce__(self):  # keeps the fields when pickled, e.g. across processes
        return (_rebuild_job_failed, (str(self), self.job_id, self.task_config_id, self.stacktrace, self.submission_id))


def _rebuild_job_failed(message, job_id, task_config_id, stacktrace, submission_id):
    return JobFailed(
        message, job_id=job_id, task_config_id=task_config_id, stacktrace=stacktrace, submission_id=submission_id
    )


class InvalidConfig(ConfigError):
    """The configuration has errors (``Config.check()`` lists them); ``issues`` holds them.

    Example:
        >>> x = Config.configure_data_node("x", default_data=1)
        >>> y = Config.configure_data_node("y")
        >>> add = Config.configure_task("add", lambda a, b: a + b, input=[x], output=[y])
        >>> try:
        ...     sc.create_scenario(Config.configure_scenario("adding", task_configs=[add]))
        ... except InvalidConfig as e:
        ...     for issue in e.issues:
        ...         print(issue)
        error: [TASK.add] inputs: <lambda> takes 2 positional parameters (a, b), but the task has 1 inputs
    """

    def __init__(self, message: str, *, issues: list | None = None) -> None:
        super().__init__(message)
        self.issues = list(issues or [])


class MissingEnvVariableError(ConfigError):
    """A configuration value written ``"ENV[VAR]"`` was read while ``VAR`` is not set
    (Taipy's name); the message names the variable."""


class MissingOptionalDependency(ScenariumError, ImportError):
    """A feature needs a package that is not installed; the message says what to install.

    Example:
        >>> try:
        ...     figure = scenario.submit().timeline()
        ... except MissingOptionalDependency as e:
        ...     print(e)  # without matplotlib: "... pip install 'scenarium[plot]'"
    """


class DataNodeIsBeingEdited(ScenariumError):
    """A write to a data node another editor has locked (``lock_edit``) and whose lock
    has not expired; the message names the editor. Nothing was written.

    Example:
        >>> issubclass(DataNodeIsBeingEdited, ScenariumError)
        True
    """


class ExternalDataError(ScenariumError):
    """A data node's database or read/write function failed (sql, sql_table, generic):
    the message names the data node and the cause; no version was recorded.

    Example:
        >>> issubclass(ExternalDataError, ScenariumError)
        True
    """


class BlockedJobWarning(UserWarning):
    """A submission ended with jobs BLOCKED because an input was never written (Taipy
    leaves such jobs waiting; ``submit()`` returns instead of raising ``JobFailed``)."""


class NoDataWarning(UserWarning):
    """``DataNode.read()`` of a node that holds nothing (never written, or its file is
    gone): it returns None, as Taipy's does; ``read_or_raise()`` raises ``NoData``."""


class UnstableFingerprintWarning(UserWarning):
    """A value's stored bytes do not identify it across processes (a set's pickle
    follows the per-process hash seed): tasks that read it always run."""


__all__ = [
    "BlockedJobWarning",
    "ConfigError",
    "ConfigVersionMismatch",
    "DataNodeIsBeingEdited",
    "ExternalDataError",
    "InternalError",
    "InvalidArgument",
    "InvalidConfig",
    "InvalidConfigFile",
    "JobFailed",
    "MissingEnvVariableError",
    "MissingOptionalDependency",
    "NoData",
    "NoDataWarning",
    "NonExistingDataNode",
    "NonExistingEntity",
    "NonExistingJob",
    "NonExistingScenario",
    "NonExistingSubmission",
    "NonExistingTask",
    "NotSerializable",
    "OutOfMemory",
    "ScenariumError",
    "SequenceAlreadyExists",
    "StorageError",
    "TaskError",
    "UnstableFingerprintWarning",
]
