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


# Taipy 4.1.1's other exception names (``taipy.core.exceptions``, ``taipy.common.config.exceptions``),
# so that code naming them in ``except`` or ``isinstance`` runs unchanged. scenarium raises its own
# errors above; the ones here that it raises say so. tests/test_taipy_names.py keeps the list whole.


class AttributeKeyAlreadyExisted(ScenariumError):
    """Taipy's ``AttributeKeyAlreadyExisted``: raised when an attribute key already existed."""


class ConfigCoreVersionMismatched(ScenariumError):
    """Taipy's ``ConfigCoreVersionMismatched``: raised if the version in Config does not match with the version of
    Taipy ..."""


class ConfigurationUpdateBlocked(ScenariumError):
    """Taipy's ``ConfigurationUpdateBlocked``: the configuration is being blocked from update by other Taipy
    services."""


class ConflictedConfigurationError(ScenariumError):
    """Taipy's ``ConflictedConfigurationError``: conflicts have been detected between the current and previous
    Configurations."""


class CycleAlreadyExists(ScenariumError):
    """Taipy's ``CycleAlreadyExists``: raised if it is trying to create a Cycle that has already exists."""


class DataNodeConfigIsNotGlobal(ScenariumError):
    """Taipy's ``DataNodeConfigIsNotGlobal``: raised if a DataNode is not global."""


class DataNodeWritingError(ScenariumError, RuntimeError):
    """Taipy's ``DataNodeWritingError``: raised if an error happens during the writing in a data node."""


class DeletingPrimaryScenario(ScenariumError):
    """Taipy's ``DeletingPrimaryScenario``: raised if a primary scenario is deleted."""


class DependencyNotInstalled(ScenariumError):
    """Taipy's ``DependencyNotInstalled``: raised if a package is missing."""


class DifferentScenarioConfigs(ScenariumError):
    """Taipy's ``DifferentScenarioConfigs``: raised if scenario comparison is requested on scenarios with different
    scenario ..."""


class DoesNotBelongToACycle(ScenariumError):
    """Taipy's ``DoesNotBelongToACycle``: raised if a scenario without any cycle is promoted as primary scenario."""


class ExposedTypeLengthMismatch(ScenariumError):
    """Taipy's ``ExposedTypeLengthMismatch``: raised if length of exposed type list does not match with number of
    sheets in ..."""


class FileCannotBeRead(ScenariumError):
    """Taipy's ``FileCannotBeRead``: raised when a file cannot be read."""


class FileEmpty(ScenariumError):
    """Taipy's ``FileEmpty``: raised when a file is empty."""


class InconsistentEnvVariableError(ScenariumError):
    """Taipy's ``InconsistentEnvVariableError``: inconsistency value has been detected in an environment variable
    referenced by ..."""


class InsufficientScenarioToCompare(ScenariumError):
    """Taipy's ``InsufficientScenarioToCompare``: raised if too few scenarios are requested to be compared."""


class InvalidConfigurationId(ScenariumError):
    """Taipy's ``InvalidConfigurationId``: configuration id is not valid."""


class InvalidCustomDocument(ScenariumError):
    """Taipy's ``InvalidCustomDocument``: raised if an invalid custom document class is provided to a ..."""


class InvalidDataNodeType(ScenariumError):
    """Taipy's ``InvalidDataNodeType``: raised if a data node storage type does not exist."""


class InvalidEventAttributeName(ScenariumError):
    """Taipy's ``InvalidEventAttributeName``: raised if the attribute doesn't exist or an attribute name is provided."""


class InvalidEventOperation(ScenariumError):
    """Taipy's ``InvalidEventOperation``: raised when operation doesn't belong to the entity."""


class InvalidExposedType(ScenariumError):
    """Taipy's ``InvalidExposedType``: raised if an invalid exposed type is provided."""


class InvalidScenario(ScenariumError):
    """Taipy's ``InvalidScenario``: raised if a Scenario is not a Directed Acyclic Graph."""


class InvalidSequence(ScenariumError):
    """Taipy's ``InvalidSequence``: raised if a Sequence is not a connected Directed Acyclic Graph."""


class InvalidSequenceId(ScenariumError):
    """Taipy's ``InvalidSequenceId``: raised if a Sequence id can not be broken down."""


class InvalidSubscriber(ScenariumError, RuntimeError):
    """Taipy's ``InvalidSubscriber``: raised if the loaded function is not valid."""


class JobNotDeletedException(ScenariumError, RuntimeError):
    """Taipy's ``JobNotDeletedException``: raised if there is an attempt to delete a job that cannot be deleted."""


class LoadingError(ScenariumError):
    """Taipy's ``LoadingError``: raised if an error occurs while loading the configuration file."""


class MissingAppendQueryBuilder(ScenariumError):
    """Taipy's ``MissingAppendQueryBuilder``: raised if no append query build is provided when appending data to a
    SQLDataNode."""


class MissingReadFunction(ScenariumError):
    """Taipy's ``MissingReadFunction``: raised if no read function is provided for the GenericDataNode."""


class MissingRequiredProperty(ScenariumError):
    """Taipy's ``MissingRequiredProperty``: raised if a required property is missing when creating a Data Node."""


class MissingWriteFunction(ScenariumError):
    """Taipy's ``MissingWriteFunction``: raised if no write function is provided for the GenericDataNode."""


class ModeNotAvailable(ScenariumError):
    """Taipy's ``ModeNotAvailable``: raised if the mode in JobConfig is not supported."""


class ModelNotFound(NonExistingEntity):
    """Taipy's ``ModelNotFound``: raised when trying to fetch a non-existent model."""


class MultipleDataNodeFromSameConfigWithSameOwner(ScenariumError):
    """Taipy's ``MultipleDataNodeFromSameConfigWithSameOwner``: raised if there are multiple data nodes from the
    same data node configuration ..."""


class MultipleSequenceFromSameConfigWithSameOwner(ScenariumError):
    """Taipy's ``MultipleSequenceFromSameConfigWithSameOwner``: raised if it exists multiple sequences from the
    same sequence config and with ..."""


class MultipleTaskFromSameConfigWithSameOwner(ScenariumError):
    """Taipy's ``MultipleTaskFromSameConfigWithSameOwner``: raised if there are multiple tasks from the same task
    configuration and the ..."""


class NonExistingComparator(NonExistingEntity):
    """Taipy's ``NonExistingComparator``: raised if a scenario comparator does not exist."""


class NonExistingCycle(NonExistingEntity):
    """Taipy's ``NonExistingCycle``: raised if a requested cycle is not known by the Cycle manager."""


class NonExistingDataNodeConfig(NonExistingEntity):
    """Taipy's ``NonExistingDataNodeConfig``: raised if a requested DataNodeConfig is not known by the DataNode
    Manager."""


class NonExistingExcelSheet(NonExistingEntity):
    """Taipy's ``NonExistingExcelSheet``: raised if a requested Sheet name does not exist in the provided Excel file."""


class NonExistingScenarioConfig(NonExistingEntity):
    """Taipy's ``NonExistingScenarioConfig``: raised if a requested scenario configuration is not known by the
    Scenario ..."""


class NonExistingSequence(NonExistingEntity):
    """Taipy's ``NonExistingSequence``: raised if a requested Sequence is not known by the Sequence Manager."""


class NonExistingSequenceConfig(NonExistingEntity):
    """Taipy's ``NonExistingSequenceConfig``: raised if a requested Sequence configuration is not known by the
    Sequence ..."""


class NonExistingTaskConfig(NonExistingEntity):
    """Taipy's ``NonExistingTaskConfig``: raised if a requested task configuration is not known by the Task Manager."""


class NonExistingVersion(NonExistingEntity):
    """Taipy's ``NonExistingVersion``: raised if request a Version that is not known by the Version Manager."""


class OrchestratorNotBuilt(ScenariumError):
    """Taipy's ``OrchestratorNotBuilt``: raised if the orchestrator was not built in the OrchestratorFactory."""


class OrchestratorServiceIsAlreadyRunning(ScenariumError):
    """Taipy's ``OrchestratorServiceIsAlreadyRunning``: raised if the Orchestrator service is already running."""


class SQLQueryCannotBeExecuted(ScenariumError):
    """Taipy's ``SQLQueryCannotBeExecuted``: raised when an SQL Query cannot be executed."""


class SequenceBelongsToNonExistingScenario(ScenariumError):
    """Taipy's ``SequenceBelongsToNonExistingScenario``: raised if a Sequence does not belong to an existing
    Scenario."""


class SequenceTaskConfigDoesNotExistInSameScenarioConfig(ScenariumError):
    """Taipy's ``SequenceTaskConfigDoesNotExistInSameScenarioConfig``: raised if TaskConfigs of a Sequence do not
    exist in the same ScenarioConfig ..."""


class SequenceTaskDoesNotExistInScenario(ScenariumError):
    """Taipy's ``SequenceTaskDoesNotExistInScenario``: raised if Tasks of a Sequence do not exist in the same
    Scenario that the ..."""


class SheetNameLengthMismatch(ScenariumError):
    """Taipy's ``SheetNameLengthMismatch``: raised if length of sheet_name list does not match."""


class SubmissionNotDeletedException(ScenariumError, RuntimeError):
    """Taipy's ``SubmissionNotDeletedException``: raised if there is an attempt to delete a submission that cannot
    be deleted."""


class UnauthorizedTagError(ScenariumError):
    """Taipy's ``UnauthorizedTagError``: must provide an authorized tag."""


class UnknownCompressionAlgorithm(ScenariumError):
    """Taipy's ``UnknownCompressionAlgorithm``: raised if the compression algorithm is not supported by
    ParquetDataNode."""


class UnknownDatabaseEngine(ScenariumError):
    """Taipy's ``UnknownDatabaseEngine``: raised if the database engine is not known when creating a connection
    with a ..."""


class UnknownParquetEngine(ScenariumError):
    """Taipy's ``UnknownParquetEngine``: raised if the parquet engine is not known or not supported when create a ..."""


class VersionAlreadyExistsAsDevelopment(ScenariumError):
    """Taipy's ``VersionAlreadyExistsAsDevelopment``: raised if a version already exists as the development version."""
