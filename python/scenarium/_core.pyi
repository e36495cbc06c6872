"""The native module: the registry, object store and orchestrator, in Rust.

Users work with the classes in ``scenarium`` (Scenario, DataNode, ...); this
module is what they are built on.
"""

from collections.abc import Callable
from os import PathLike
from pathlib import Path
from typing import Any, Literal, Protocol, TypedDict, final

from typing_extensions import NotRequired

__all__ = [
    "Engine",
    "ConfigError",
    "ConfigVersionMismatch",
    "InvalidConfigFile",
    "NoData",
    "NonExistingDataNode",
    "NonExistingEntity",
    "NonExistingJob",
    "NonExistingScenario",
    "NonExistingSubmission",
    "NonExistingTask",
    "NotSerializable",
    "ObjectStore",
    "ObjectWriter",
    "WriteBack",
    "ScenariumError",
    "StorageError",
    "DataNodeRecord",
    "JobRecord",
    "ScenarioRecord",
    "StoredValue",
    "SubmissionRecord",
    "TaskRecord",
    "VersionRecord",
    "check_identifier",
    "TaskError",
    "InvalidArgument",
    "InternalError",
    "OutOfMemory",
    "call_native",
    "native_tasks",
    "partition_key",
    "parts_value",
    "generate_customers",
    "validate_config",
    "parse_config_toml",
    "write_config_toml",
    "__version__",
    "build_profile",
    "STORAGE_TYPES",
    "CONFIG_KEYS",
    "SCOPES",
    "FREQUENCIES",
    "JOB_STATUSES",
    "SUBMISSION_STATUSES",
]

__version__: str
build_profile: Literal["debug", "release"]
# The names the configuration accepts (defined once, in Rust).
STORAGE_TYPES: list[str]
# Each section kind's known keys (TAIPY's list is empty: it takes any).
CONFIG_KEYS: dict[str, list[str]]
SCOPES: list[str]
FREQUENCIES: list[str]
# The statuses of JobRecord.status and SubmissionRecord.status.
JOB_STATUSES: list[str]
SUBMISSION_STATUSES: list[str]

# The shapes of the dicts that cross the boundary (serde forms of the core's types).

class PythonFunction(TypedDict):
    kind: Literal["python"]
    module: str
    qualname: str

class NativeFunction(TypedDict):
    kind: Literal["native"]
    name: str
    version: int

FunctionRef = PythonFunction | NativeFunction

class InputBinding(TypedDict):
    param: str | None
    data_node: str

class DataNodeSpec(TypedDict):
    id: str
    storage_type: str
    scope: str
    default_fingerprint: NotRequired[str | None]
    validity_period_s: NotRequired[float | None]
    properties: NotRequired[dict[str, Any]]

class TaskSpec(TypedDict):
    id: str
    function: FunctionRef
    inputs: list[InputBinding]
    outputs: list[str]
    skippable: NotRequired[bool]
    properties: NotRequired[dict[str, Any]]

class ScenarioSpec(TypedDict):
    """Everything needed to instantiate one scenario config (``ScenarioConfig._spec()``)."""

    id: str
    tasks: list[TaskSpec]
    data_nodes: list[DataNodeSpec]
    additional_data_nodes: NotRequired[list[str]]
    frequency: NotRequired[str | None]
    properties: NotRequired[dict[str, Any]]

class TypedValue(TypedDict):
    """A configuration value: ``type`` is str, int, big_int, float, bool, datetime,
    timedelta, scope, frequency, function, class, list, tuple, dict, ..."""

    type: str
    value: NotRequired[Any]

class ConfigEntry(TypedDict):
    key: str
    value: TypedValue
    line: NotRequired[int | None]
    column: NotRequired[int | None]
    template: NotRequired[str | None]

class ConfigSection(TypedDict):
    kind: str
    id: str | None
    line: NotRequired[int | None]
    entries: list[ConfigEntry]

class ConfigDocument(TypedDict):
    """The configuration model: what a TOML file and the ``Config`` API both build."""

    file: NotRequired[str | None]
    sections: list[ConfigSection]

class ConfigIssue(TypedDict):
    level: Literal["error", "warning"]
    section: str
    key: str | None
    message: str
    file: str | None
    line: int | None

def native_tasks() -> list[tuple[str, int, list[str], int, bool]]:
    """(name, version, parameter names, number of outputs) of every native task."""

def call_native(name: str, args: list[tuple[str, str]], out_dir: str | PathLike[str]) -> list[str]:
    """Runs a native task on scalars (``("json", text)``) and Arrow IPC files (``("table", path)``);
    returns the paths of its outputs, written as IPC files in ``out_dir``."""

def generate_customers(
    path: str | PathLike[str], rows: int, seed: int, progress: Callable[[int], object] | None = None
) -> None:
    """Writes ``rows`` customers with the article's columns to ``path``, deterministically per ``seed``."""

def parts_value(format: str, parts: list[tuple[str, str, int, int]]) -> StoredValue:
    """A partitioned value of stored objects (name, hash, size, rows), in order."""

def partition_key(fields: list[tuple[str, str]]) -> str:
    """The memo key of one partition's run: a BLAKE3 of the labelled fields."""

def check_identifier(kind: str, id: str) -> None:
    """Raises ConfigError unless ``id`` is a valid identifier for a ``kind`` ("task", "data node", ...)."""

@final
class StoredValue:
    """Where a stored value's bytes are, and its fingerprint."""

    kind: Literal["inline", "object", "external", "memory", "recipe", "parts"]
    fingerprint: str
    json: str | None
    hash: str | None
    format: str | None
    size: int | None
    path: str | None
    token: str | None
    paths: list[str]
    def __new__(
        cls,
        kind: str,
        fingerprint: str,
        json: str | None = None,
        hash: str | None = None,
        format: str | None = None,
        size: int | None = None,
        path: str | None = None,
        token: str | None = None,
        paths: list[str] = ...,
    ) -> StoredValue: ...
    def with_paths(self, paths: list[str]) -> StoredValue:
        """The same value, recording the strings inside it that may name files or folders."""
    def __reduce__(
        self,
    ) -> tuple[
        type[StoredValue],
        tuple[str, str, str | None, str | None, str | None, int | None, str | None, str | None, list[str]],
    ]: ...

@final
class VersionRecord:
    data_node_id: str
    version: int
    written_at: float
    writer: str
    comment: str | None
    fingerprint: str
    @property
    def value(self) -> StoredValue: ...
    @property
    def extra(self) -> dict[str, Any]:
        """Keys the writer added to the edit."""

@final
class DataNodeRecord:
    id: str
    config_id: str
    scope: str
    owner_id: str | None
    storage_type: str
    validity_period_s: float | None
    @property
    def properties(self) -> dict[str, Any]: ...
    @property
    def read_as(self) -> str:
        """How a task reads the node (storage type and properties, its path left out), as cache keys have it."""
    @property
    def stored_as(self) -> str:
        """How the node's values are stored (storage type and properties), as cache keys have it."""

@final
class TaskRecord:
    id: str
    config_id: str
    scenario_id: str
    @property
    def function(self) -> FunctionRef: ...
    @property
    def inputs(self) -> list[tuple[str | None, str]]:
        """(parameter name or None, data node id) per input, in binding order."""
    outputs: list[str]
    skippable: bool
    @property
    def properties(self) -> dict[str, Any]: ...

@final
class ScenarioRecord:
    id: str
    config_id: str
    config_version: str
    name: str | None
    creation_date: float
    is_primary: bool
    tags: list[str]
    cycle_id: str | None
    data_nodes: dict[str, str]
    tasks: list[tuple[str, str]]
    sequences: dict[str, list[str]]
    @property
    def sequence_properties(self) -> dict[str, dict[str, Any]]: ...

@final
class JobRecord:
    id: str
    submission_id: str
    task_id: str
    task_config_id: str
    status: str
    created_at: float
    started_at: float | None
    finished_at: float | None
    cache_key: str | None
    code_fingerprint: str | None
    code_parts: dict[str, str] | None
    inputs: list[tuple[str, int, str]]
    outputs: list[tuple[str, int]]
    reason: str | None
    stacktrace: str | None

@final
class SubmissionRecord:
    id: str
    entity_id: str
    created_at: float
    finished_at: float | None
    status: str
    force: bool
    job_ids: list[str]

@final
class ObjectStore:
    """The objects of a storage folder without its registry (for Dask workers)."""

    def __new__(cls, storage_folder: str | PathLike[str]) -> ObjectStore: ...
    @property
    def storage_folder(self) -> Path: ...
    def new_tmp_path(self, suffix: str = "") -> Path: ...
    def object_writer(self, suffix: str = "") -> ObjectWriter: ...
    def object_path(self, hash: str, verify: bool = True) -> Path: ...
    def read_object(self, hash: str) -> bytes: ...
    def store_file(self, tmp_path: str | PathLike[str], format: str, fingerprint: str | None = None) -> StoredValue: ...
    def store_folder(self, folder: str | PathLike[str], format: str) -> StoredValue: ...
    def folder_path(self, hash: str, fingerprint: str) -> Path: ...
    def materialize(self, stored: StoredValue, data_node_id: str) -> StoredValue: ...
    def store_inline(self, json: str) -> StoredValue: ...
    def store_memory(self, token: str, fingerprint: str) -> StoredValue: ...
    def part_made_from(self, identity: str) -> tuple[str, str, int, int] | None:
        """The partition (name, hash, size, rows) made before under memo key ``identity``."""
    def remember_part(self, identity: str, part: tuple[str, str, int, int]) -> None: ...
    def run_native(
        self,
        name: str,
        inputs: list[StoredValue],
        partitioned: bool = False,
        stride: tuple[int, int] | None = None,
    ) -> tuple[list[StoredValue] | None, str | None]: ...

@final
class ObjectWriter:
    """A value written straight into the object store through a file-like object (polars'
    sinks write through it): hashed as written, then stored by ``store`` without being read
    back. Not seekable."""

    def write(self, data: bytes) -> int: ...
    def flush(self) -> None: ...
    def tell(self) -> int: ...
    def writable(self) -> bool: ...
    def seekable(self) -> bool: ...
    def readable(self) -> bool: ...
    def store(self, format: str) -> StoredValue: ...
    def discard(self) -> None: ...

@final
class WriteBack:
    """Starts the disk on a file another library is still writing, every 32 MiB, so that
    storing it does not wait for all of it at the end. Use as a context manager."""

    def __new__(cls, path: str | PathLike[str]) -> WriteBack: ...
    def stop(self) -> None: ...
    def __enter__(self) -> WriteBack: ...
    def __exit__(self, kind: object, value: object, traceback: object) -> bool: ...

# What run_submission calls on its runner (scenarium._runtime.TaskRunner implements it).
# execute returns (outputs, failure reason, traceback, why the result must not be reused).
_RunnerResult = tuple[list[StoredValue] | None, str | None, str | None, str | None]

class _TaskRunner(Protocol):
    # Native tasks go to the runner too (to a cluster) instead of running in the core.
    native_remote: bool
    def code_identity(self, task: TaskRecord) -> dict[str, str]: ...
    def execute(
        self, task: TaskRecord, inputs: list[VersionRecord], outputs: list[DataNodeRecord]
    ) -> _RunnerResult: ...
    def identity_after_run(self, task: TaskRecord) -> dict[str, str] | None: ...
    def interrupt_running(self) -> None: ...

@final
class Engine:
    """One storage folder: ``Engine(".scenarium")`` opens (creating if needed) it."""

    def __new__(cls, storage_folder: str | PathLike[str]) -> Engine: ...
    @property
    def storage_folder(self) -> Path: ...
    def part_made_from(self, identity: str) -> tuple[str, str, int, int] | None:
        """The partition (name, hash, size, rows) made before under memo key ``identity``."""
    def remember_part(self, identity: str, part: tuple[str, str, int, int]) -> None: ...
    def new_tmp_path(self, suffix: str = "") -> Path: ...
    def object_writer(self, suffix: str = "") -> ObjectWriter: ...
    def object_path(self, hash: str, verify: bool = True) -> Path: ...
    def read_object(self, hash: str) -> bytes:
        """An object's bytes, checked against its blake3 name (StorageError if it was modified)."""
    def store_file(self, tmp_path: str | PathLike[str], format: str, fingerprint: str | None = None) -> StoredValue:
        """Moves a finished temporary file into the object store (hash, fsync, rename)."""
    def store_folder(self, folder: str | PathLike[str], format: str) -> StoredValue:
        """Packs a finished temporary folder (a partitioned parquet dataset) into one object."""
    def folder_path(self, hash: str, fingerprint: str) -> Path:
        """A read-only unpacked copy of a stored folder, checked against its fingerprint."""
    def materialize(self, stored: StoredValue, data_node_id: str) -> StoredValue:
        """Computes a stored recipe into a Parquet object with the same fingerprint."""
    def store_inline(self, json: str) -> StoredValue: ...
    def store_memory(self, token: str, fingerprint: str) -> StoredValue: ...
    def create_scenario(
        self,
        spec: ScenarioSpec,
        defaults: dict[str, StoredValue],
        name: str | None = None,
        creation_date: float | None = None,
    ) -> ScenarioRecord: ...
    def create_global_data_node(self, config: DataNodeSpec, default: StoredValue | None = None) -> DataNodeRecord: ...
    def upgrade_scenario(self, id: str, spec: ScenarioSpec, defaults: dict[str, StoredValue]) -> ScenarioRecord:
        """Brings a scenario to a configuration that only adds to it; else raises ConfigVersionMismatch."""
    def scenario(self, id: str) -> ScenarioRecord: ...
    def scenarios(self) -> list[ScenarioRecord]: ...
    def config_spec(self, version: str) -> ScenarioSpec: ...
    def update_scenario(self, id: str, name: str | None, tags: list[str], is_primary: bool) -> ScenarioRecord: ...
    def delete_scenario(self, id: str) -> None: ...
    def cycle_name(self, id: str) -> str | None: ...
    def edit_lock(self, data_node_id: str) -> tuple[str | None, float] | None: ...
    def lock_edit(self, data_node_id: str, editor_id: str | None, expires_at: float) -> None: ...
    def unlock_edit(self, data_node_id: str, editor_id: str | None = None) -> None: ...
    def set_cycle_name(self, id: str, name: str) -> None: ...
    def delete_job(self, id: str, force: bool = False) -> None: ...
    def delete_submission(self, id: str, force: bool = False) -> None: ...
    def set_sequences(
        self, id: str, sequences: dict[str, list[str]], properties: dict[str, dict[str, Any]] | None = None
    ) -> ScenarioRecord: ...
    def duplicate_scenario(self, id: str, name: str | None = None) -> ScenarioRecord: ...
    def config_versions(self) -> list[tuple[str, str, float, int]]: ...
    def integrity_check(self, full: bool = False) -> str: ...
    def gc(self, grace_period_s: float = 3600.0) -> tuple[int, int, int, int, int]:
        """Deletes unreferenced objects and temporary files older than the grace period:
        (deleted, bytes freed, kept, cache dropped, temporary files deleted)."""
    def data_node(self, id: str) -> DataNodeRecord: ...
    def data_nodes(self) -> list[DataNodeRecord]: ...
    def latest_version(self, data_node_id: str) -> VersionRecord | None: ...
    def version(self, data_node_id: str, version: int) -> VersionRecord: ...
    def versions(self, data_node_id: str) -> list[VersionRecord]: ...
    def write_data_node(
        self,
        data_node_id: str,
        value: StoredValue,
        writer: str = "user",
        comment: str | None = None,
        extra: dict[str, Any] | None = None,
    ) -> VersionRecord: ...
    def task(self, id: str) -> TaskRecord: ...
    def job(self, id: str) -> JobRecord: ...
    def jobs(self) -> list[JobRecord]: ...
    def submission(self, id: str) -> SubmissionRecord: ...
    def submissions(self, entity_id: str | None = None) -> list[SubmissionRecord]: ...
    def create_submission(self, entity_id: str, force: bool = False) -> SubmissionRecord: ...
    def run_submission(
        self,
        submission_id: str,
        runner: _TaskRunner,
        on_event: Callable[[JobRecord], object] | None = None,
        workers: int = 1,
    ) -> SubmissionRecord:
        """Runs a created submission to its end on up to ``workers`` threads, without the GIL
        except while Python task code runs.

        A KeyboardInterrupt cancels the jobs not yet started and is re-raised.
        """
    def cancel_submission(self, submission_id: str) -> None:
        """Starts no more jobs of a submission running in this process."""
    def cancel_job(self, submission_id: str, job_id: str) -> None:
        """Keeps one job of a submission running in this process from starting."""
    def plan(self, entity_id: str, runner: Any, force: bool = False) -> list[tuple[str, str, str]]:
        """A dry run: (task config id, "run" | "skip" | "may run" | "fail", reason) per task."""
    def key_report(self, task_id: str, runner: Any) -> dict[str, Any]:
        """Everything the cache key of a task is made of now (``sc.why``)."""
    def file_fingerprint(self, path: str | PathLike[str]) -> str: ...
    def tree_fingerprint(self, path: str | PathLike[str]) -> str: ...
    @staticmethod
    def blake3_hex(data: bytes) -> str: ...

class ScenariumError(Exception): ...
class ConfigError(ScenariumError): ...
class InvalidConfigFile(ConfigError): ...
class ConfigVersionMismatch(ConfigError): ...
class NonExistingEntity(ScenariumError): ...
class NonExistingScenario(NonExistingEntity): ...
class NonExistingDataNode(NonExistingEntity): ...
class NonExistingTask(NonExistingEntity): ...
class NonExistingJob(NonExistingEntity): ...
class NonExistingSubmission(NonExistingEntity): ...
class NoData(ScenariumError): ...
class StorageError(ScenariumError): ...
class NotSerializable(StorageError): ...
class TaskError(ScenariumError): ...
class InvalidArgument(ScenariumError, ValueError): ...
class InternalError(ScenariumError, RuntimeError): ...
class OutOfMemory(ScenariumError, MemoryError): ...

def parse_config_toml(path: str | PathLike[str]) -> ConfigDocument:
    """The configuration document of a Taipy TOML file; raises InvalidConfigFile."""

def write_config_toml(document: ConfigDocument) -> str:
    """The TOML text of a configuration document."""

def validate_config(document: ConfigDocument) -> list[ConfigIssue]:
    """Every issue the validator finds in a configuration document."""
