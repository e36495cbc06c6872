"""The configuration objects (``DataNodeConfig``, ``TaskConfig``, ``ScenarioConfig``,
``JobConfig``, ``CoreConfig``) and ``ConfigState``, the one object that holds a
configuration: the objects by id and what loaded files said about them (lines,
``ENV[...]`` templates, sections of unknown kinds, the folders functions came from).

Data only: the ``Config`` facade (``facade.py``) builds them and owns the state,
``toml.py`` reads and writes them as TOML, ``check.py`` checks them
(ARCHITECTURE.md, "Two layers").

Example:
    >>> from scenarium.config.model import ConfigState, DataNodeConfig
    >>> state = ConfigState()
    >>> state.data_nodes["alpha"] = DataNodeConfig("alpha", default_data=0.1)
    >>> state.data_nodes["alpha"].default_data
    0.1
"""

from __future__ import annotations

import codecs
import enum
import inspect
import numbers
import os
import threading
import types
import warnings
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping

from scenarium._core import STORAGE_TYPES as _STORAGE_TYPES
from scenarium._core import check_identifier
from scenarium._core import native_tasks as _native_tasks
from scenarium._utils import templates as _templates
from scenarium._utils.arguments import utf8
from scenarium._utils.templates import resolve_env
from scenarium.config import html as _config_html
from scenarium.display import dag_svg as _dag_svg
from scenarium.exceptions import ConfigError
from scenarium.identity import code as _code_identity
from scenarium.storage import codec as _codec

if TYPE_CHECKING:  # the payload types exist only in the stub
    from scenarium._core import ConfigSection, DataNodeSpec, ScenarioSpec, TaskSpec, TypedValue

# More worker threads or processes than this on one machine is a typo, not a plan.
_MAX_WORKERS = 1024


class Scope(enum.Enum):
    """Who shares a data node: one scenario, every scenario of a cycle, or all of them."""

    SCENARIO = "SCENARIO"
    CYCLE = "CYCLE"
    GLOBAL = "GLOBAL"


class Frequency(enum.Enum):
    """How often a new cycle starts (Taipy's ``Frequency``)."""

    DAILY = "DAILY"
    WEEKLY = "WEEKLY"
    MONTHLY = "MONTHLY"
    QUARTERLY = "QUARTERLY"
    YEARLY = "YEARLY"


# Defined once, in Rust (src/config/mod.rs); tests/test_config_model.py checks the enums above.
STORAGE_TYPES: tuple[str, ...] = tuple(_STORAGE_TYPES)


class _ConfigObject:
    """Shared behaviour: extra properties read as attributes, equality by content."""

    id: str
    properties: dict[str, Any]

    def __getattr__(self, name: str) -> Any:
        properties = self.__dict__.get("properties", {})
        if name in properties:
            return properties[name]
        raise AttributeError(f"{type(self).__name__} {self.__dict__.get('id')!r} has no attribute or property {name!r}")

    def __eq__(self, other: object) -> bool:
        return type(other) is type(self) and self._spec() == other._spec()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id))

    def _spec(self) -> Mapping[str, Any]:
        raise NotImplementedError


# The properties that name the file a data node reads and writes.
_PATH_KEYS = ("path", "default_path")


class DataNodeConfig(_ConfigObject):
    """The blueprint of a data node: its id, storage, scope and default value.

    Example:
        >>> cfg = Config.configure_data_node("payment_threshold", default_data=1000)
        >>> cfg.default_data
        1000
    """

    def __init__(
        self,
        id: str,
        storage_type: str = "pickle",
        scope: Scope = Scope.SCENARIO,
        validity_period: timedelta | None = None,
        **properties: Any,
    ) -> None:
        check_identifier("data node", id)
        if storage_type not in STORAGE_TYPES:
            raise ConfigError(
                f"data node {id!r}: storage_type {storage_type!r} is not one of {', '.join(STORAGE_TYPES)}"
            )
        if not isinstance(scope, Scope):
            raise ConfigError(f"data node {id!r}: scope must be a scenarium.Scope, got {scope!r}")
        if validity_period is not None and not isinstance(validity_period, timedelta):
            raise ConfigError(
                f"data node {id!r}: validity_period must be a datetime.timedelta, got {validity_period!r}"
            )
        refuse_unstorable_text(f"data node {id!r}", properties)
        _known_encoding(f"data node {id!r}", properties)
        exposed = properties.get("exposed_type")
        if callable(exposed) and not inspect.isclass(exposed):
            raise ConfigError(
                f"data node {id!r}: exposed_type must be a name such as 'pandas' or a class, "
                f"got the function {exposed!r}"
            )
        if exposed == "modin":
            # Taipy replaces it too (deprecated since Taipy 3.1): modin frames are pandas frames.
            warnings.warn(
                f"data node {id!r}: exposed_type='modin' is deprecated, as in Taipy; it reads as exposed_type='pandas'",
                DeprecationWarning,
                stacklevel=3,
            )
            properties["exposed_type"] = "pandas"
        self.id = id
        self.storage_type = storage_type
        self.scope = scope
        self.validity_period = validity_period
        self.properties = properties

    @property
    def default_data(self) -> Any:
        return self.properties.get("default_data")

    def _spec(self) -> DataNodeSpec:
        # A path's ENV[...] template is read now: the core writes the file where it
        # resolves (a password's template stays one, read only where it is used).
        properties = {
            k: _codec.json_safe(_templates.resolve_env(v) if k in _PATH_KEYS else v)
            for k, v in self.properties.items()
            if k != "default_data"
        }
        default = self.properties.get("default_data")
        return {
            "id": self.id,
            "storage_type": self.storage_type,
            "scope": self.scope.value,
            "default_fingerprint": None if default is None else _codec.value_fingerprint(default),
            "validity_period_s": None if self.validity_period is None else self.validity_period.total_seconds(),
            "properties": properties,
        }

    def __repr__(self) -> str:
        return f"DataNodeConfig(id={self.id!r}, storage_type={self.storage_type!r}, scope={self.scope.name})"


class TaskConfig(_ConfigObject):
    """The blueprint of a task: a function, the data nodes it reads and writes.

    A list ``input`` binds positionally, as Taipy does; a dict binds by parameter name.

    Example:
        >>> a = Config.configure_data_node("a", default_data=2)
        >>> b = Config.configure_data_node("b")
        >>> t = Config.configure_task("double", lambda x: 2 * x, input=a, output=b)
        >>> [d.id for d in t.input_configs]
        ['a']
    """

    def __init__(
        self,
        id: str,
        function: Callable[..., Any],
        input: Any = None,
        output: Any = None,
        skippable: bool = False,
        cache: bool = True,
        timeout: float | timedelta | None = None,
        depends_on: Iterable[Any] | None = None,
        partitioned: bool = False,
        **properties: Any,
    ) -> None:
        check_identifier("task", id)
        if _flag(f"task {id!r}", "partitioned", partitioned):
            refuse_unpartitionable(id, function)
            properties["partitioned"] = True
        if depends_on:
            properties["depends_on"] = _dependencies(id, depends_on)
        if timeout is not None:
            if isinstance(timeout, bool) or not isinstance(timeout, (numbers.Real, timedelta)):
                raise ConfigError(f"task {id!r}: timeout must be a number of seconds or a timedelta, got {timeout!r}")
            seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
            if not seconds > 0:
                raise ConfigError(f"task {id!r}: timeout must be a positive number of seconds, got {timeout!r}")
            # Past what a wait can take (threading.TIMEOUT_MAX, ~292 years) is no limit, as submit's.
            if seconds < threading.TIMEOUT_MAX:
                properties["timeout"] = seconds
        if not _flag(f"task {id!r}", "cache", cache):
            # Stored only when off, so that the default changes no cache key.
            properties["cache"] = False
        if not callable(function):
            raise ConfigError(
                f"task {id!r}: function must be callable, got {function!r} of type {type(function).__name__}"
            )
        self.id = id
        self.function = function
        self._input_params: list[str | None]
        if isinstance(input, Mapping):
            self._input_params = [str(k) for k in input]
            inputs = list(input.values())
        else:
            inputs = as_list(input)
            self._input_params = [None] * len(inputs)
        self.input_configs: list[DataNodeConfig] = [_data_node_config(id, "input", d) for d in inputs]
        self.output_configs: list[DataNodeConfig] = [_data_node_config(id, "output", d) for d in as_list(output)]
        self.skippable = _flag(f"task {id!r}", "skippable", skippable)
        refuse_unstorable_text(f"task {id!r}", properties)
        self.properties = properties

    @property
    def inputs(self) -> list[DataNodeConfig]:
        return self.input_configs

    @property
    def outputs(self) -> list[DataNodeConfig]:
        return self.output_configs

    def _spec(self) -> TaskSpec:
        return {
            "id": self.id,
            "function": _code_identity.function_ref(self.function),
            "inputs": [{"param": p, "data_node": d.id} for p, d in zip(self._input_params, self.input_configs)],
            "outputs": [d.id for d in self.output_configs],
            "skippable": self.skippable,
            "properties": {k: _codec.json_safe(v) for k, v in self.properties.items()},
        }

    def __repr__(self) -> str:
        name = getattr(self.function, "__qualname__", repr(self.function))
        return (
            f"TaskConfig(id={self.id!r}, function={name}, input={[d.id for d in self.input_configs]}, "
            f"output={[d.id for d in self.output_configs]}, skippable={self.skippable})"
        )


class ScenarioConfig(_ConfigObject):
    """The blueprint of a scenario: its tasks and any extra data nodes.

    Example:
        >>> cfg = Config.configure_scenario("empty_but_for_a_parameter",
        ...     additional_data_node_configs=[Config.configure_data_node("alpha", default_data=0.1)])
        >>> [d.id for d in cfg.data_node_configs]
        ['alpha']
    """

    def __init__(
        self,
        id: str,
        task_configs: Iterable[TaskConfig] | None = None,
        additional_data_node_configs: Iterable[DataNodeConfig] | None = None,
        frequency: Frequency | None = None,
        comparators: Mapping[str, Callable[..., Any] | list[Callable[..., Any]]] | None = None,
        **properties: Any,
    ) -> None:
        check_identifier("scenario", id)
        self.id = id
        self.task_configs: list[TaskConfig] = list(task_configs or [])
        for t in self.task_configs:
            if not isinstance(t, TaskConfig):
                raise ConfigError(f"scenario {id!r}: task_configs must hold TaskConfig objects, got {t!r}")
        self.additional_data_node_configs = [
            _data_node_config(id, "additional data node", d) for d in (additional_data_node_configs or [])
        ]
        if frequency is not None and not isinstance(frequency, Frequency):
            raise ConfigError(f"scenario {id!r}: frequency must be a scenarium.Frequency, got {frequency!r}")
        self.frequency = frequency
        if comparators is not None and not isinstance(comparators, Mapping):
            raise ConfigError(
                f"scenario {id!r}: comparators must be a dict of data node id: function(s), got {comparators!r}"
            )
        if properties.get("sequences") is not None and not isinstance(properties["sequences"], Mapping):
            raise ConfigError(
                f"scenario {id!r}: sequences must be a dict of name: tasks, got {properties['sequences']!r}"
            )
        refuse_unstorable_text(f"scenario {id!r}", properties)
        self.comparators = {k: as_list(v) for k, v in (comparators or {}).items()}
        _warn_shadowed_names(id, [*(d.id for d in self.data_node_configs), *(t.id for t in self.task_configs)])
        self.properties = properties

    @property
    def data_node_configs(self) -> list[DataNodeConfig]:
        """Every data node config the scenario uses, each once, in first-use order."""
        seen: dict[str, DataNodeConfig] = {}
        for t in self.task_configs:
            for d in [*t.input_configs, *t.output_configs]:
                seen.setdefault(d.id, d)
        for d in self.additional_data_node_configs:
            seen.setdefault(d.id, d)
        return list(seen.values())

    def _spec(self) -> ScenarioSpec:
        by_id: dict[str, DataNodeConfig] = {}
        for d in self.data_node_configs:
            other = by_id.setdefault(d.id, d)
            if other is not d and other._spec() != d._spec():
                raise ConfigError(f"scenario {self.id!r}: two different data node configs share the id {d.id!r}")
        return {
            "id": self.id,
            "tasks": [t._spec() for t in self.task_configs],
            "data_nodes": [d._spec() for d in by_id.values()],
            "additional_data_nodes": [d.id for d in self.additional_data_node_configs],
            "frequency": None if self.frequency is None else self.frequency.value,
            "properties": {k: _codec.json_safe(v) for k, v in self.properties.items()},
        }

    def __repr__(self) -> str:
        return f"ScenarioConfig(id={self.id!r}, tasks={[t.id for t in self.task_configs]})"

    def dag(self) -> Any:
        """The configured graph of data nodes and tasks, as a picture (before any scenario exists).

        Example:
            >>> Config.configure_scenario("empty").dag().svg.startswith("<svg")
            True
        """
        return _dag_svg.Picture(*_config_html.config_graph(self))

    def _repr_html_(self) -> str:
        return _config_html.scenario_config(self)


class JobConfig:
    """How jobs run: ``mode`` ("development", "standalone" or "dask", with ``address`` or
    ``client``) and ``max_nb_of_workers`` (in dask mode, default: the cluster's threads)."""

    @staticmethod
    def checked_workers(value: Any) -> int:
        """``max_nb_of_workers`` as an int from 1 to 1024 (from Python or a TOML file)."""
        try:
            workers = int(value)
        except (TypeError, ValueError, OverflowError):
            workers = 0
        if (
            isinstance(value, bool)
            or not 1 <= workers <= _MAX_WORKERS
            or workers != value
            and not isinstance(value, str)
        ):
            raise ConfigError(f"max_nb_of_workers must be a whole number from 1 to {_MAX_WORKERS}, got {value!r}")
        return workers

    def __init__(self, mode: str = "development", max_nb_of_workers: int = 1, **properties: Any) -> None:
        # Another mode (Taipy Enterprise's "cluster", a typo) is Config.check()'s error, as in Taipy.
        if not isinstance(mode, str):
            raise ConfigError(f"job execution mode must be 'development', 'standalone' or 'dask', got {mode!r}")
        self.mode = mode
        self.max_nb_of_workers = self.checked_workers(max_nb_of_workers)
        self.properties = properties

    def __repr__(self) -> str:
        return f"JobConfig(mode={self.mode!r}, max_nb_of_workers={self.max_nb_of_workers})"


class GlobalAppConfig:
    """Application-wide properties (the ``[TAIPY]`` section of a TOML file), Taipy's
    ``Config.global_config``: any key a user sets, read as an attribute; a value written
    ``"ENV[VAR]"`` reads the environment variable when it is read (a missing one raises
    ``MissingEnvVariableError``), so a secret never sits in the configuration.

    Example:
        >>> Config.configure_global_app(max_nb_users="ENV[NB_USERS]")
        GlobalAppConfig(max_nb_users='ENV[NB_USERS]')
        >>> Config.global_config.unknown_key is None
        True
    """

    def __init__(self, **properties: Any) -> None:
        self._properties = properties

    @property
    def properties(self) -> dict[str, Any]:
        return {k: resolve_env(v) for k, v in self._properties.items()}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return resolve_env(self.__dict__.get("_properties", {}).get(name))

    def __repr__(self) -> str:
        shown = ", ".join(f"{k}={v!r}" for k, v in self._properties.items())
        return f"GlobalAppConfig({shown})"


class CoreConfig:
    """Where scenarium keeps its registry and objects (``storage_folder``, default ``.scenarium``)."""

    def __init__(self, storage_folder: str = ".scenarium", **properties: Any) -> None:
        folder = storage_folder
        if not isinstance(folder, (str, os.PathLike)):
            raise ConfigError(f"storage_folder must be a folder's path (a str or os.PathLike), got {folder!r}")
        self.storage_folder = os.fspath(folder) if isinstance(folder, os.PathLike) else str(folder)
        if "\x00" in self.storage_folder or not self.storage_folder or not utf8(self.storage_folder):
            raise ConfigError(f"storage_folder must be a folder's path without NUL characters, got {storage_folder!r}")
        self.properties = properties
        if "project_paths" in properties:
            # The folders of the project's own code besides the current folder and the
            # script's (from configure_core or a TOML file): tasks' identities walk it.
            _code_identity.set_project_paths(_folders("project_paths", properties["project_paths"]))

    def __repr__(self) -> str:
        return f"CoreConfig(storage_folder={self.storage_folder!r})"


def refuse_unstorable_text(owner: str, properties: Mapping[str, Any]) -> None:
    """Raises ConfigError naming the property whose text (a value, a key, inside lists
    and dicts) UTF-8 cannot hold: properties are stored with the scenario's config."""

    def walk(key: str, value: Any, depth: int) -> None:
        if isinstance(value, str) and not utf8(value):
            raise ConfigError(f"{owner}: {key} holds text UTF-8 cannot hold (a lone surrogate): {value!r}")
        if depth > 20:
            return
        if isinstance(value, (list, tuple)):
            for item in value:
                walk(key, item, depth + 1)
        elif isinstance(value, Mapping):
            for k, v in value.items():
                walk(key, k, depth + 1)
                walk(key, v, depth + 1)

    for key, value in properties.items():
        walk(str(key), key, 0)
        if key != "default_data":  # a value, stored as values are (a pickle or escaped JSON)
            walk(str(key), value, 0)


def unknown_encoding(properties: Mapping[str, Any]) -> str | None:
    """The ``encoding`` property when Python does not know it (an ENV[...] template is
    read when used, and checked then)."""
    encoding = properties.get("encoding")
    if not isinstance(encoding, str) or encoding.startswith("ENV["):
        return None
    try:
        codecs.lookup(encoding)
    except (LookupError, ValueError):
        return encoding
    return None


def _known_encoding(owner: str, properties: Mapping[str, Any]) -> None:
    encoding = unknown_encoding(properties)
    if encoding is not None:
        raise ConfigError(f"{owner}: encoding {encoding!r} is not an encoding Python knows")


def refuse_unpartitionable(id: str, function: Any) -> None:
    """ConfigError for a native task that cannot store its output in partitions (a
    Python task maps over the partitions of its inputs: ``run/partitions.py``)."""
    native = getattr(function, "__scenarium_native__", None)
    if native is None:
        return
    able = sorted(name for name, *_, partitions in _native_tasks() if partitions)
    if native[0] not in able:
        raise ConfigError(
            f"task {id!r}: partitioned=True is for Python tasks and for native tasks that read a large file "
            f"in partitions ({', '.join(able)}); native task {native[0]} is not one"
        )


def _flag(owner: str, name: str, value: Any) -> bool:
    """A True/False setting (numpy's booleans too): 1 or "no" is a mistake, not a truth value."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    raise ConfigError(f"{owner}: {name} must be True or False, got {value!r}")


def _folders(key: str, value: Any) -> list[str]:
    """One folder or a list of folders (a str is one folder, not its characters)."""
    given = [] if value is None else [value] if isinstance(value, (str, os.PathLike)) else value
    if not isinstance(given, (list, tuple)):
        raise ConfigError(f"{key} must be a folder or a list of folders, got {value!r}")
    folders = []
    for folder in given:
        if not isinstance(folder, (str, os.PathLike)) or "\x00" in os.fsdecode(folder) or not os.fspath(folder):
            raise ConfigError(f"{key} must be folders' paths without NUL characters, got {folder!r}")
        folders.append(os.fsdecode(folder))
    return folders


class UnresolvedFunction:
    """Stands for a configured function that cannot be imported: ``Config.check()``
    reports it, and calling it raises the import error."""

    def __init__(self, path: str, error: str) -> None:
        self.path = path
        self.error = error
        self.__module__, _, self.__qualname__ = path.rpartition(".")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise ConfigError(f"function {self.path} cannot be imported: {self.error}")

    def __repr__(self) -> str:
        return f"<unresolved function {self.path}>"


# Where a loaded section came from: (kind, id) -> (file, section line, {key: line}).
Locations = dict[tuple[str, "str | None"], tuple[str, "int | None", dict[str, int]]]
# ENV[...] templates of loaded values: (kind, id) -> {key: (template, typed value it resolved to)}.
Templates = dict[tuple[str, "str | None"], dict[str, tuple[str, "TypedValue"]]]


@dataclass
class ConfigState:
    """Everything one configuration is: its objects and what files said of them."""

    data_nodes: dict[str, DataNodeConfig] = field(default_factory=dict)
    tasks: dict[str, TaskConfig] = field(default_factory=dict)
    scenarios: dict[str, ScenarioConfig] = field(default_factory=dict)
    # What configure_data_node uses for what it is not given ([DATA_NODE.default]).
    default_data_node: DataNodeConfig | None = None
    job: JobConfig = field(default_factory=lambda: JobConfig())
    global_app: GlobalAppConfig = field(default_factory=lambda: GlobalAppConfig())
    core: CoreConfig = field(default_factory=lambda: CoreConfig())
    # False until check() has passed since the last change: create_scenario checks then.
    checked: bool = True
    locations: Locations = field(default_factory=dict)
    templates: Templates = field(default_factory=dict)
    # Sections of loaded files that describe nothing scenarium builds (unknown kinds), kept for check().
    foreign_sections: list[ConfigSection] = field(default_factory=list)
    # Folders of loaded files, where their task functions were found: worker
    # processes search them after sys.path.
    function_dirs: list[str] = field(default_factory=list)

    def data_node(self, owner: str, role: str, value: Any) -> DataNodeConfig:
        """The data node config ``value`` is or names (by id)."""
        if isinstance(value, DataNodeConfig):
            return value
        if isinstance(value, str):
            if value in self.data_nodes:
                return self.data_nodes[value]
            raise ConfigError(
                f"{owner!r}: {role} {value!r} is not a configured data node id "
                f"(configured: {', '.join(sorted(self.data_nodes)) or 'none'})"
            )
        raise ConfigError(f"{owner!r}: {role} must be a DataNodeConfig or a data node id, got {value!r}")


# Scenario's public attributes (entities/, a layer up: tests/test_config_model.py
# checks that this list and the class agree).
SCENARIO_ATTRIBUTES = frozenset(
    {
        "add_sequence", "add_sequences", "add_tag", "additional_data_nodes", "config_id", "creation_date",
        "cycle", "cycle_id", "dag", "data_nodes", "data_nodes_being_edited", "export", "get_inputs",
        "get_intermediate", "get_label", "get_outputs", "get_parents", "get_simple_label", "has_tag",
        "is_deletable", "is_primary", "is_ready_to_run", "name", "owner_id", "properties", "remove_sequence",
        "remove_sequences", "remove_tag", "rename_sequence", "sequences", "set_primary", "submissions",
        "submit", "subscribe", "subscribers", "tags", "tasks", "unsubscribe", "update_sequence", "version",
    }
)  # fmt: skip


def _warn_shadowed_names(scenario_id: str, ids: list[str]) -> None:
    """``scenario.<id>`` cannot reach a data node or task named like a Scenario attribute."""
    for name in ids:
        if name in SCENARIO_ATTRIBUTES:
            warnings.warn(
                f"scenario {scenario_id!r}: {name!r} is also a Scenario attribute, so scenario.{name} is not the "
                f"data node or task; reach it with scenario.data_nodes[{name!r}] or scenario.tasks[{name!r}]",
                stacklevel=3,
            )


def _dependencies(task_id: str, depends_on: Iterable[Any]) -> list[str]:
    """``depends_on`` entries as the strings the code identity reads: a path or
    pattern, ``$NAME`` for an environment variable, ``module:NAME`` for a module."""
    if isinstance(depends_on, (str, os.PathLike, types.ModuleType)):
        depends_on = [depends_on]
    found = []
    for entry in depends_on:
        if isinstance(entry, types.ModuleType):
            found.append(f"module:{entry.__name__}")
        elif isinstance(entry, (str, os.PathLike)) and os.fspath(entry):
            found.append(str(os.fspath(entry)))
        else:
            raise ConfigError(
                f"task {task_id!r}: depends_on takes paths, glob patterns, '$ENV_VAR' names and modules, got {entry!r}"
            )
    return found


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


def _data_node_config(owner: str, role: str, value: Any) -> DataNodeConfig:
    if isinstance(value, DataNodeConfig):
        return value
    if isinstance(value, str):
        raise ConfigError(
            f"{owner!r}: {role} {value!r} is an id: pass its DataNodeConfig, or configure with Config.configure_task "
            "and Config.configure_scenario, which look ids up"
        )
    raise ConfigError(f"{owner!r}: {role} must be a DataNodeConfig or a data node id, got {value!r}")
