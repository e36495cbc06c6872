"""Taipy-compatible configuration: ``Config.configure_data_node`` and friends.

Example:
    >>> from scenarium import Config
    >>> path = Config.configure_data_node("path_to_data", default_data="data/customers.csv")
    >>> out = Config.configure_data_node("row_count")
    >>> task = Config.configure_task("count_rows", len, input=[path], output=[out])
    >>> scenario_cfg = Config.configure_scenario("counting", task_configs=[task])
    >>> sorted(Config.data_nodes)[:2]
    ['path_to_data', 'row_count']
"""

from __future__ import annotations

import enum
import json
import os
import warnings
from datetime import timedelta
from typing import Any, Callable, Iterable, Mapping

from scenarium import _code_identity, _codec, _core
from scenarium.exceptions import ConfigError


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


STORAGE_TYPES = ("pickle", "parquet", "csv", "json", "in_memory")


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

    def _spec(self) -> dict[str, Any]:
        raise NotImplementedError


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
        _core.check_identifier("data node", id)
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
        self.id = id
        self.storage_type = storage_type
        self.scope = scope
        self.validity_period = validity_period
        self.properties = properties

    @property
    def default_data(self) -> Any:
        return self.properties.get("default_data")

    def _spec(self) -> dict[str, Any]:
        properties = {k: _codec.json_safe(v) for k, v in self.properties.items() if k != "default_data"}
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
        **properties: Any,
    ) -> None:
        _core.check_identifier("task", id)
        if depends_on:
            properties["depends_on"] = _dependencies(id, depends_on)
        if timeout is not None:
            seconds = timeout.total_seconds() if isinstance(timeout, timedelta) else float(timeout)
            if not seconds > 0:
                raise ConfigError(f"task {id!r}: timeout must be a positive number of seconds, got {timeout!r}")
            properties["timeout"] = seconds
        if not cache:
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
            inputs = _as_list(input)
            self._input_params = [None] * len(inputs)
        self.input_configs: list[DataNodeConfig] = [_data_node_config(id, "input", d) for d in inputs]
        self.output_configs: list[DataNodeConfig] = [_data_node_config(id, "output", d) for d in _as_list(output)]
        self.skippable = bool(skippable)
        self.properties = properties

    @property
    def inputs(self) -> list[DataNodeConfig]:
        return self.input_configs

    @property
    def outputs(self) -> list[DataNodeConfig]:
        return self.output_configs

    def _spec(self) -> dict[str, Any]:
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
        _core.check_identifier("scenario", id)
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
        self.comparators = {k: _as_list(v) for k, v in (comparators or {}).items()}
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

    def _spec(self) -> dict[str, Any]:
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

    def _spec_json(self) -> str:
        return json.dumps(self._spec(), sort_keys=True)

    def __repr__(self) -> str:
        return f"ScenarioConfig(id={self.id!r}, tasks={[t.id for t in self.task_configs]})"

    def dag(self) -> Any:
        """The configured graph of data nodes and tasks, as a picture (before any scenario exists).

        Example:
            >>> Config.configure_scenario("empty").dag().svg.startswith("<svg")
            True
        """
        from scenarium import _dag, _html

        return _dag.Picture(*_html.config_graph(self))

    def _repr_html_(self) -> str:
        from scenarium import _html

        return _html.scenario_config(self)


class JobConfig:
    """How jobs run: ``mode`` ("development", "standalone" or "dask", with ``address`` or
    ``client``) and ``max_nb_of_workers`` (in dask mode, default: the cluster's threads)."""

    def __init__(self, mode: str = "development", max_nb_of_workers: int = 1, **properties: Any) -> None:
        if mode not in ("development", "standalone", "dask"):
            raise ConfigError(f"job execution mode {mode!r} is not 'development', 'standalone' or 'dask'")
        if int(max_nb_of_workers) < 1:
            raise ConfigError(f"max_nb_of_workers must be at least 1, got {max_nb_of_workers!r}")
        self.mode = mode
        self.max_nb_of_workers = int(max_nb_of_workers)
        self.properties = properties

    def __repr__(self) -> str:
        return f"JobConfig(mode={self.mode!r}, max_nb_of_workers={self.max_nb_of_workers})"


class CoreConfig:
    """Where scenarium keeps its registry and objects (``storage_folder``, default ``.scenarium``)."""

    def __init__(self, storage_folder: str = ".scenarium", **properties: Any) -> None:
        self.storage_folder = str(storage_folder)
        self.properties = properties

    def __repr__(self) -> str:
        return f"CoreConfig(storage_folder={self.storage_folder!r})"


class _ClassProperty:
    def __init__(self, getter: Callable[[Any], Any]) -> None:
        self.getter = getter

    def __get__(self, instance: object, owner: type) -> Any:
        return self.getter(owner)


class Config:
    """The global configuration, as in Taipy: ``from scenarium import Config``.

    Example:
        >>> from scenarium import Config
        >>> thr = Config.configure_data_node("payment_threshold", default_data=1000)
        >>> Config.data_nodes["payment_threshold"] is thr
        True
    """

    _data_nodes: dict[str, DataNodeConfig] = {}
    _tasks: dict[str, TaskConfig] = {}
    _scenarios: dict[str, ScenarioConfig] = {}
    _job_config: JobConfig = JobConfig()
    _core_config: CoreConfig = CoreConfig()
    # False until check() has passed since the last change: create_scenario checks then.
    _checked: bool = True

    @classmethod
    def configure_data_node(
        cls,
        id: str,
        storage_type: str = "pickle",
        scope: Scope = Scope.SCENARIO,
        validity_period: timedelta | None = None,
        **properties: Any,
    ) -> DataNodeConfig:
        """Configures a data node; ``default_data`` and other properties go in ``properties``."""
        cfg = DataNodeConfig(id, storage_type, scope, validity_period, **properties)
        cls._data_nodes[id] = cfg
        cls._checked = False
        return cfg

    # Taipy's typed configurators: the same data node, its storage type's options named.

    @classmethod
    def _configure_typed(
        cls, id: str, storage_type: str, scope: Scope | None, validity_period: timedelta | None, **options: Any
    ) -> DataNodeConfig:
        """An option left at None is not set, so that the storage type's default applies."""
        given = {k: v for k, v in options.items() if v is not None}
        return cls.configure_data_node(id, storage_type, scope or Scope.SCENARIO, validity_period, **given)

    @classmethod
    def configure_pickle_data_node(
        cls,
        id: str,
        default_data: Any = None,
        scope: Scope | None = None,
        validity_period: timedelta | None = None,
        **properties: Any,
    ) -> DataNodeConfig:
        """A pickle data node (the default storage type), as Taipy's.

        Example:
            >>> Config.configure_pickle_data_node("model", default_data={"alpha": 0.5}).storage_type
            'pickle'
        """
        return cls._configure_typed(id, "pickle", scope, validity_period, default_data=default_data, **properties)

    @classmethod
    def configure_csv_data_node(
        cls,
        id: str,
        default_path: str | None = None,
        encoding: str | None = None,
        has_header: bool | None = None,
        exposed_type: str | None = None,
        scope: Scope | None = None,
        validity_period: timedelta | None = None,
        **properties: Any,
    ) -> DataNodeConfig:
        """A CSV file data node, as Taipy's: read with ``encoding`` (default utf-8),
        ``has_header`` (default True) and as ``exposed_type`` ("pandas", the default,
        "polars" or "numpy").

        Example:
            >>> cfg = Config.configure_csv_data_node("sales", default_path="sales.csv", has_header=True)
            >>> cfg.storage_type, cfg.properties["default_path"]
            ('csv', 'sales.csv')
        """
        options = {"default_path": default_path, "encoding": encoding, "has_header": has_header}
        return cls._configure_typed(
            id, "csv", scope, validity_period, **options, exposed_type=exposed_type, **properties
        )

    @classmethod
    def configure_json_data_node(
        cls,
        id: str,
        default_path: str | None = None,
        encoding: str | None = None,
        encoder: type[json.JSONEncoder] | None = None,
        decoder: type[json.JSONDecoder] | None = None,
        scope: Scope | None = None,
        validity_period: timedelta | None = None,
        **properties: Any,
    ) -> DataNodeConfig:
        """A JSON file data node, as Taipy's: written with ``encoder`` and read with
        ``decoder`` (``json.JSONEncoder`` / ``JSONDecoder`` subclasses) when given.

        Example:
            >>> Config.configure_json_data_node("settings", default_path="settings.json").storage_type
            'json'
        """
        options = {"default_path": default_path, "encoding": encoding, "encoder": encoder, "decoder": decoder}
        return cls._configure_typed(id, "json", scope, validity_period, **options, **properties)

    @classmethod
    def configure_parquet_data_node(
        cls,
        id: str,
        default_path: str | None = None,
        engine: str | None = None,
        compression: str | None = None,
        read_kwargs: dict[str, Any] | None = None,
        write_kwargs: dict[str, Any] | None = None,
        exposed_type: str | None = None,
        scope: Scope | None = None,
        validity_period: timedelta | None = None,
        **properties: Any,
    ) -> DataNodeConfig:
        """A Parquet file data node, as Taipy's (``compression`` is used when writing).

        Example:
            >>> Config.configure_parquet_data_node("prices", default_path="prices.parquet").storage_type
            'parquet'
        """
        options = {"default_path": default_path, "engine": engine, "compression": compression}
        kwargs = {"read_kwargs": read_kwargs, "write_kwargs": write_kwargs, "exposed_type": exposed_type}
        return cls._configure_typed(id, "parquet", scope, validity_period, **options, **kwargs, **properties)

    @classmethod
    def configure_in_memory_data_node(
        cls,
        id: str,
        default_data: Any = None,
        scope: Scope | None = None,
        validity_period: timedelta | None = None,
        **properties: Any,
    ) -> DataNodeConfig:
        """An in_memory data node, as Taipy's: its values live in this process only.

        Example:
            >>> Config.configure_in_memory_data_node("cache", default_data=[]).storage_type
            'in_memory'
        """
        return cls._configure_typed(id, "in_memory", scope, validity_period, default_data=default_data, **properties)

    @classmethod
    def configure_task(
        cls,
        id: str,
        function: Callable[..., Any],
        input: Any = None,
        output: Any = None,
        skippable: bool = False,
        cache: bool = True,
        timeout: float | timedelta | None = None,
        depends_on: Iterable[Any] | None = None,
        **properties: Any,
    ) -> TaskConfig:
        """Configures a task: a list ``input`` binds positionally, a dict by parameter name.

        A skippable task is skipped when a job with the same code and inputs has
        completed before, in any scenario. ``cache=False`` limits that to this
        task's own last result (for tasks with side effects). A job running longer
        than ``timeout`` (seconds or a timedelta) is stopped and FAILED: in standalone
        mode its worker process is killed; on a thread it is interrupted at its next
        Python instruction. Native tasks ignore it.

        A task's cache key covers the code it can reach (see ``scenarium.why``); what
        code cannot show goes in ``depends_on``: files, folders and glob patterns
        (``"lookup/*.csv"``, relative to the working directory at submit time),
        environment variables (``"$MODEL_SEED"``) and whole modules (a module object,
        for code that looks names up with ``getattr``).

        Example:
            >>> import os
            >>> t = Config.configure_task("fit", os.path.basename, depends_on=["$MODEL_SEED"])
            >>> t.properties["depends_on"]
            ['$MODEL_SEED']
        """
        cfg = TaskConfig(id, function, input, output, skippable, cache, timeout, depends_on, **properties)
        cls._tasks[id] = cfg
        cls._checked = False
        return cfg

    @classmethod
    def configure_scenario(
        cls,
        id: str,
        task_configs: Iterable[TaskConfig] | None = None,
        additional_data_node_configs: Iterable[DataNodeConfig] | None = None,
        frequency: Frequency | None = None,
        comparators: Mapping[str, Any] | None = None,
        sequences: Any = None,
        **properties: Any,
    ) -> ScenarioConfig:
        """Configures a scenario from task configs (and extra data nodes)."""
        if sequences:
            properties["sequences"] = {k: [t.id for t in v] for k, v in dict(sequences).items()}
        cfg = ScenarioConfig(id, task_configs, additional_data_node_configs, frequency, comparators, **properties)
        cls._scenarios[id] = cfg
        cls._checked = False
        return cfg

    @classmethod
    def configure_job_executions(
        cls, mode: str = "development", max_nb_of_workers: int = 1, **properties: Any
    ) -> JobConfig:
        """Sets how jobs run (mode and number of workers)."""
        cls._job_config = JobConfig(mode, max_nb_of_workers, **properties)
        return cls._job_config

    @classmethod
    def configure_core(
        cls, storage_folder: str = ".scenarium", progress: bool | None = None, **properties: Any
    ) -> CoreConfig:
        """Sets the storage folder (takes effect for the next entity operation) and whether
        ``submit()`` shows progress: None (the default) when in Jupyter or a terminal,
        False never, True always.

        Example:
            >>> Config.configure_core(storage_folder=".scenarium", progress=False)
            CoreConfig(storage_folder='.scenarium')
        """
        if progress is not None:
            properties["progress"] = bool(progress)
        cls._core_config = CoreConfig(storage_folder, **properties)
        return cls._core_config

    @classmethod
    def load(cls, filename: str | os.PathLike[str]) -> None:
        """Replaces the configuration with a Taipy TOML file's (as Taipy Studio writes them).

        Functions (``"module.fn:function"``) are imported relative to the file's folder,
        then ``sys.path``; one that cannot be imported is reported by ``check()``.
        Syntax and value errors raise ``InvalidConfigFile`` naming the file, line and column.

        Example:
            >>> Config.load("config.toml")
            >>> scenario = sc.create_scenario(Config.scenarios["scenario_1"])
        """
        from scenarium import config_file

        config_file.apply(config_file.read(filename), replace=True)

    @classmethod
    def restore(cls, filename: str | os.PathLike[str]) -> None:
        """Replaces the configuration with a file's, as ``load`` does (Taipy's name for it)."""
        cls.load(filename)

    @classmethod
    def override(cls, filename: str | os.PathLike[str]) -> None:
        """Applies a TOML file over the current configuration: sections and keys it
        names replace the current ones, the rest stay (e.g. per-environment settings)."""
        from scenarium import config_file

        config_file.apply(config_file.read(filename), replace=False)

    @classmethod
    def export(cls, filename: str | os.PathLike[str]) -> None:
        """Writes the configuration as a Taipy TOML file that ``load`` reads back equal.

        Example:
            >>> Config.export("config.toml")
        """
        from scenarium import config_file

        config_file.export(filename)

    @classmethod
    def check(cls) -> list[Any]:
        """Every issue of the configuration (errors, then warnings), each naming the
        section, the key and, for a loaded file, the line; scenarios cannot be created
        while there are errors.

        Example:
            >>> for issue in Config.check():
            ...     print(issue)
        """
        from scenarium import config_file

        issues = config_file.check()
        cls._checked = not any(i.level == "error" for i in issues)
        return issues

    data_nodes = _ClassProperty(lambda cls: dict(cls._data_nodes))
    tasks = _ClassProperty(lambda cls: dict(cls._tasks))
    scenarios = _ClassProperty(lambda cls: dict(cls._scenarios))
    job_config = _ClassProperty(lambda cls: cls._job_config)
    core = _ClassProperty(lambda cls: cls._core_config)

    @classmethod
    def _reset(cls) -> None:
        """Forgets every configured object (for tests and notebooks that start over)."""
        cls._data_nodes = {}
        cls._tasks = {}
        cls._scenarios = {}
        cls._job_config = JobConfig()
        cls._core_config = CoreConfig()
        cls._checked = True
        from scenarium import config_file  # what a loaded file said of where each key was

        config_file.forget_locations()


def _warn_shadowed_names(scenario_id: str, ids: list[str]) -> None:
    """``scenario.<id>`` cannot reach a data node or task named like a Scenario attribute."""
    from scenarium.entities import Scenario

    for name in ids:
        if hasattr(Scenario, name):
            warnings.warn(
                f"scenario {scenario_id!r}: {name!r} is also a Scenario attribute, so scenario.{name} is not the "
                f"data node or task; reach it with scenario.data_nodes[{name!r}] or scenario.tasks[{name!r}]",
                stacklevel=3,
            )


def _dependencies(task_id: str, depends_on: Iterable[Any]) -> list[str]:
    """``depends_on`` entries as the strings the code identity reads: a path or
    pattern, ``$NAME`` for an environment variable, ``module:NAME`` for a module."""
    import types

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


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple, set, frozenset)):
        return list(value)
    return [value]


def _data_node_config(owner: str, role: str, value: Any) -> DataNodeConfig:
    if isinstance(value, DataNodeConfig):
        return value
    if isinstance(value, str):
        if value in Config._data_nodes:
            return Config._data_nodes[value]
        raise ConfigError(
            f"{owner!r}: {role} {value!r} is not a configured data node id "
            f"(configured: {', '.join(sorted(Config._data_nodes)) or 'none'})"
        )
    raise ConfigError(f"{owner!r}: {role} must be a DataNodeConfig or a data node id, got {value!r}")
