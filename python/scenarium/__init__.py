"""scenarium: scenarios, pipelines and skipping that is never stale, with a Rust core.

Example:
    >>> import scenarium as sc
    >>> from scenarium import Config
    >>> x = Config.configure_data_node("x", default_data=20)
    >>> y = Config.configure_data_node("y")
    >>> double = Config.configure_task("double", lambda v: 2 * v, input=[x], output=[y], skippable=True)
    >>> s = sc.create_scenario(Config.configure_scenario("doubling", task_configs=[double]))
    >>> s.submit().status.name
    'COMPLETED'
    >>> s.y.read()
    40
"""

from scenarium import exceptions
from scenarium._api import (
    Core,
    Orchestrator,
    cancel_job,
    create_scenario,
    delete,
    dry_run,
    get,
    get_data_nodes,
    get_jobs,
    get_parents,
    get_primary_scenarios,
    get_scenarios,
    get_submissions,
    set_primary,
    submit,
    why,
)
from scenarium._core import __version__, build_profile
from scenarium._cycle import Cycle
from scenarium._filter import JoinOperator, Operator
from scenarium._lookups import (
    exists,
    get_cycles,
    get_cycles_scenarios,
    get_entities_by_config_id,
    get_latest_job,
    get_latest_submission,
    get_tasks,
)
from scenarium.config import Config, DataNodeConfig, Frequency, ScenarioConfig, Scope, TaskConfig
from scenarium.entities import DataNode, Explanation, Job, Scenario, Status, Submission, SubmissionStatus, Task
from scenarium.exceptions import (
    ConfigError,
    ConfigVersionMismatch,
    ExternalDataError,
    InvalidArgument,
    InvalidConfig,
    InvalidConfigFile,
    JobFailed,
    MissingOptionalDependency,
    NoData,
    NonExistingDataNode,
    NonExistingEntity,
    NonExistingJob,
    NonExistingScenario,
    NonExistingSubmission,
    NonExistingTask,
    NotSerializable,
    ScenariumError,
    StorageError,
    TaskError,
    UnstableFingerprintWarning,
)
from scenarium.registry import (
    Comparison,
    GcReport,
    Lineage,
    compare_scenarios,
    duplicate_scenario,
    gc,
    get_primary,
    get_versions,
    integrity_check,
    lineage,
    tag,
    untag,
)

__all__ = [
    "Comparison",
    "GcReport",
    "Lineage",
    "compare_scenarios",
    "duplicate_scenario",
    "gc",
    "get_primary",
    "get_versions",
    "integrity_check",
    "lineage",
    "tag",
    "untag",
    "Config",
    "ConfigError",
    "InvalidArgument",
    "InvalidConfig",
    "InvalidConfigFile",
    "Core",
    "DataNode",
    "DataNodeConfig",
    "Explanation",
    "Frequency",
    "Job",
    "JobFailed",
    "MissingOptionalDependency",
    "NoData",
    "NonExistingDataNode",
    "NonExistingScenario",
    "Orchestrator",
    "Scenario",
    "ScenarioConfig",
    "ScenariumError",
    "UnstableFingerprintWarning",
    "TaskError",
    "NotSerializable",
    "NonExistingTask",
    "NonExistingSubmission",
    "NonExistingJob",
    "NonExistingEntity",
    "ConfigVersionMismatch",
    "ExternalDataError",
    "Scope",
    "Status",
    "StorageError",
    "Submission",
    "SubmissionStatus",
    "Task",
    "TaskConfig",
    "__version__",
    "build_profile",
    "create_scenario",
    "delete",
    "dry_run",
    "why",
    "exceptions",
    "get",
    "get_data_nodes",
    "get_parents",
    "Cycle",
    "exists",
    "get_cycles",
    "get_cycles_scenarios",
    "get_entities_by_config_id",
    "get_latest_job",
    "get_latest_submission",
    "get_tasks",
    "Operator",
    "JoinOperator",
    "get_jobs",
    "get_primary_scenarios",
    "get_scenarios",
    "get_submissions",
    "set_primary",
    "submit",
    "cancel_job",
]
