"""``Config``, the configuration as Taipy users know it: ``Config.configure_data_node``
and friends, ``load``, ``export``, ``check``. It owns the one ``ConfigState``
(``model.py``) and hands it to ``toml.py`` and ``check.py``.

This module is over 500 lines for one reason: Taipy's ``Config`` is one class whose
methods users call by name, one ``configure_*_data_node`` per storage type; each is a
few lines over ``configure_data_node`` and they read as a list.

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

import json
import os
from dataclasses import replace
from datetime import timedelta
from typing import Any, Callable, Iterable, Mapping

from scenarium.config import check as _config_check
from scenarium.config import model as _config_model
from scenarium.config import toml as config_toml
from scenarium.config.model import (
    ConfigState,
    CoreConfig,
    DataNodeConfig,
    Frequency,
    GlobalAppConfig,
    JobConfig,
    ScenarioConfig,
    Scope,
    TaskConfig,
    as_list,
)
from scenarium.exceptions import ConfigError


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

    # The configuration (one object; the engine and the API are given it, see _runtime).
    _state: ConfigState = ConfigState()

    @classmethod
    def configure_data_node(
        cls,
        id: str,
        storage_type: str | None = None,
        scope: Scope | None = None,
        validity_period: timedelta | None = None,
        **properties: Any,
    ) -> DataNodeConfig:
        """Configures a data node; ``default_data`` and other properties go in ``properties``.
        What is not given comes from ``set_default_data_node_configuration`` (if called),
        else storage_type "pickle" and scope SCENARIO, as in Taipy."""
        default = cls._state.default_data_node
        if default is not None and storage_type in (None, default.storage_type):
            storage_type = default.storage_type
            scope = scope or default.scope
            validity_period = validity_period if validity_period is not None else default.validity_period
            properties = {**default.properties, **properties}
        cfg = DataNodeConfig(id, storage_type or "pickle", scope or Scope.SCENARIO, validity_period, **properties)
        _config_check.refuse_bad_properties(cls._state, cfg)
        _config_check.refuse_store_paths(cls._state, [cfg])
        cls._state.data_nodes[id] = cfg
        cls._state.checked = False
        return cfg

    @classmethod
    def set_default_data_node_configuration(
        cls,
        storage_type: str,
        scope: Scope | None = None,
        validity_period: timedelta | None = None,
        **properties: Any,
    ) -> DataNodeConfig:
        """What ``configure_data_node`` uses for what it is not given (Taipy's
        ``[DATA_NODE.default]``); data nodes configured before keep theirs.

        Example:
            >>> _ = Config.set_default_data_node_configuration("csv", has_header=False)
            >>> Config.configure_data_node("sales", default_path="sales.csv").properties["has_header"]
            False
        """
        default = DataNodeConfig("default", storage_type, scope or Scope.SCENARIO, validity_period, **properties)
        _config_check.refuse_bad_properties(cls._state, default)
        cls._state.default_data_node = default
        cls._state.checked = False
        return default

    configure_default_data_node = set_default_data_node_configuration  # Taipy 3's name

    @classmethod
    def configure_data_node_from(
        cls, source_configuration: DataNodeConfig, id: str, **properties: Any
    ) -> DataNodeConfig:
        """A new data node config like ``source_configuration``, with ``properties`` (and
        ``storage_type``, ``scope``, ``validity_period``) replaced where given.

        Example:
            >>> sales = Config.configure_csv_data_node("sales", default_path="sales.csv", has_header=True)
            >>> Config.configure_data_node_from(sales, "returns", default_path="returns.csv").properties
            {'default_path': 'returns.csv', 'has_header': True}
        """
        storage_type = properties.pop("storage_type", source_configuration.storage_type)
        scope = properties.pop("scope", source_configuration.scope)
        validity_period = properties.pop("validity_period", source_configuration.validity_period)
        merged = {**source_configuration.properties, **properties}
        cfg = DataNodeConfig(id, storage_type, scope, validity_period, **merged)
        _config_check.refuse_bad_properties(cls._state, cfg)
        _config_check.refuse_store_paths(cls._state, [cfg])
        cls._state.data_nodes[id] = cfg
        cls._state.checked = False
        return cfg

    # Taipy's typed configurators: the same data node, its storage type's options named.

    @classmethod
    def _configure_typed(
        cls, id: str, storage_type: str, scope: Scope | None, validity_period: timedelta | None, **options: Any
    ) -> DataNodeConfig:
        """An option left at None is not set, so that the storage type's default applies."""
        given = {k: v for k, v in options.items() if v is not None}
        return cls.configure_data_node(id, storage_type, scope, validity_period, **given)

    @classmethod
    def configure_pickle_data_node(
        cls,
        id: str,
        default_path: str | None = None,
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
        options = {"default_path": default_path, "default_data": default_data}
        return cls._configure_typed(id, "pickle", scope, validity_period, **options, **properties)

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
    def configure_excel_data_node(
        cls,
        id: str,
        default_path: str | None = None,
        has_header: bool | None = None,
        sheet_name: str | list[str] | None = None,
        exposed_type: str | None = None,
        scope: Scope | None = None,
        validity_period: timedelta | None = None,
        **properties: Any,
    ) -> DataNodeConfig:
        """An Excel file data node, as Taipy's: ``sheet_name`` a name reads that sheet;
        a list, or none, reads a dict of sheets by name. Written from a DataFrame (one
        sheet) or a dict of them; needs ``pip install 'scenarium[excel]'``.

        Example:
            >>> Config.configure_excel_data_node("budget", default_path="budget.xlsx", sheet_name="2026").storage_type
            'excel'
        """
        options = {"default_path": default_path, "has_header": has_header, "sheet_name": sheet_name}
        return cls._configure_typed(
            id, "excel", scope, validity_period, **options, exposed_type=exposed_type, **properties
        )

    @classmethod
    def configure_sql_table_data_node(
        cls,
        id: str,
        db_name: str | None = None,
        db_engine: str | None = None,
        table_name: str | None = None,
        db_username: str | None = None,
        db_password: str | None = None,
        db_host: str | None = None,
        db_port: int | None = None,
        db_driver: str | None = None,
        sqlite_folder_path: str | None = None,
        sqlite_file_extension: str | None = None,
        db_extra_args: dict[str, Any] | None = None,
        exposed_type: str | None = None,
        scope: Scope | None = None,
        validity_period: timedelta | None = None,
        **properties: Any,
    ) -> DataNodeConfig:
        """A database table, as Taipy's: read whole, written whole (rows replaced in one
        transaction), ``append`` adds rows. ``db_engine`` is "sqlite" (a file
        ``<sqlite_folder_path>/<db_name><sqlite_file_extension>``, default ".db"),
        "postgresql", "mysql" or "mssql" (``db_username``, ``db_password``, ``db_host``,
        ``db_port``; needs ``pip install 'scenarium[sql]'`` and the engine's driver).

        Example:
            >>> cfg = Config.configure_sql_table_data_node(
            ...     "sales", db_name="shop", db_engine="sqlite", table_name="sales", sqlite_folder_path="db")
            >>> cfg.storage_type
            'sql_table'
        """
        options = {
            "db_name": db_name, "db_engine": db_engine, "table_name": table_name, "db_username": db_username,
            "db_password": db_password, "db_host": db_host, "db_port": db_port, "db_driver": db_driver,
            "sqlite_folder_path": sqlite_folder_path, "sqlite_file_extension": sqlite_file_extension,
            "db_extra_args": db_extra_args, "exposed_type": exposed_type,
        }  # fmt: skip
        return cls._configure_typed(id, "sql_table", scope, validity_period, **options, **properties)

    @classmethod
    def configure_sql_data_node(
        cls,
        id: str,
        db_name: str | None = None,
        db_engine: str | None = None,
        read_query: str | None = None,
        write_query_builder: Callable[..., Any] | None = None,
        append_query_builder: Callable[..., Any] | None = None,
        db_username: str | None = None,
        db_password: str | None = None,
        db_host: str | None = None,
        db_port: int | None = None,
        db_driver: str | None = None,
        sqlite_folder_path: str | None = None,
        sqlite_file_extension: str | None = None,
        db_extra_args: dict[str, Any] | None = None,
        exposed_type: str | None = None,
        scope: Scope | None = None,
        validity_period: timedelta | None = None,
        **properties: Any,
    ) -> DataNodeConfig:
        """A database read with ``read_query`` and written with the queries
        ``write_query_builder(data)`` returns (strings, or ``(query, parameters)``
        pairs), all in one transaction, as Taipy's.

        Example:
            >>> def inserts(frame):
            ...     return ["DELETE FROM sales", ("INSERT INTO sales VALUES (:n)", [{"n": 1}])]
            >>> Config.configure_sql_data_node("sales_q", db_name="shop", db_engine="sqlite",
            ...     read_query="SELECT * FROM sales", write_query_builder=inserts).storage_type
            'sql'
        """
        options = {
            "db_name": db_name, "db_engine": db_engine, "read_query": read_query,
            "write_query_builder": write_query_builder, "append_query_builder": append_query_builder,
            "db_username": db_username, "db_password": db_password, "db_host": db_host, "db_port": db_port,
            "db_driver": db_driver, "sqlite_folder_path": sqlite_folder_path,
            "sqlite_file_extension": sqlite_file_extension, "db_extra_args": db_extra_args,
            "exposed_type": exposed_type,
        }  # fmt: skip
        return cls._configure_typed(id, "sql", scope, validity_period, **options, **properties)

    @classmethod
    def configure_generic_data_node(
        cls,
        id: str,
        read_fct: Callable[..., Any] | None = None,
        write_fct: Callable[..., Any] | None = None,
        read_fct_args: list[Any] | None = None,
        write_fct_args: list[Any] | None = None,
        scope: Scope | None = None,
        validity_period: timedelta | None = None,
        **properties: Any,
    ) -> DataNodeConfig:
        """A data node read by ``read_fct(*read_fct_args)`` and written by
        ``write_fct(data, *write_fct_args)``, as Taipy's. Every value read is kept as
        a version, so tasks reading it re-run exactly when what it returns changes.

        Example:
            >>> Config.configure_generic_data_node("today", read_fct=len, read_fct_args=[[1, 2]]).storage_type
            'generic'
        """
        options = {"read_fct": read_fct, "write_fct": write_fct, "read_fct_args": read_fct_args}
        options["write_fct_args"] = write_fct_args
        return cls._configure_typed(id, "generic", scope, validity_period, **options, **properties)

    @classmethod
    def configure_s3_object_data_node(
        cls,
        id: str,
        aws_access_key: str | None = None,
        aws_secret_access_key: str | None = None,
        aws_s3_bucket_name: str | None = None,
        aws_s3_object_key: str | None = None,
        aws_region: str | None = None,
        aws_s3_object_parameters: dict[str, Any] | None = None,
        scope: Scope | None = None,
        validity_period: timedelta | None = None,
        **properties: Any,
    ) -> DataNodeConfig:
        """An object in an S3 bucket, as Taipy's: read as text (bytes when it is not
        UTF-8), written whole. Without keys, boto3 finds credentials as usual;
        ``aws_s3_client_parameters`` (e.g. ``{"endpoint_url": ...}``) reaches an
        S3-compatible server. Needs ``pip install 'scenarium[s3]'``.

        Example:
            >>> Config.configure_s3_object_data_node("report", aws_s3_bucket_name="reports",
            ...     aws_s3_object_key="2026/11.txt").storage_type
            's3_object'
        """
        options = {
            "aws_access_key": aws_access_key, "aws_secret_access_key": aws_secret_access_key,
            "aws_s3_bucket_name": aws_s3_bucket_name, "aws_s3_object_key": aws_s3_object_key,
            "aws_region": aws_region, "aws_s3_object_parameters": aws_s3_object_parameters,
        }  # fmt: skip
        return cls._configure_typed(id, "s3_object", scope, validity_period, **options, **properties)

    @classmethod
    def configure_mongo_collection_data_node(
        cls,
        id: str,
        db_name: str | None = None,
        collection_name: str | None = None,
        custom_document: Any = None,
        db_username: str | None = None,
        db_password: str | None = None,
        db_host: str | None = None,
        db_port: int | None = None,
        db_driver: str | None = None,
        db_extra_args: dict[str, Any] | None = None,
        scope: Scope | None = None,
        validity_period: timedelta | None = None,
        **properties: Any,
    ) -> DataNodeConfig:
        """A MongoDB collection, as Taipy's: read as a list of documents (dicts, or
        ``custom_document`` instances; Mongo's ``_id`` left out), written whole
        (replaced), ``append`` inserts. Needs ``pip install 'scenarium[mongo]'``.

        Example:
            >>> Config.configure_mongo_collection_data_node("orders", db_name="shop",
            ...     collection_name="orders").storage_type
            'mongo_collection'
        """
        options = {
            "db_name": db_name, "collection_name": collection_name, "custom_document": custom_document,
            "db_username": db_username, "db_password": db_password, "db_host": db_host, "db_port": db_port,
            "db_driver": db_driver, "db_extra_args": db_extra_args,
        }  # fmt: skip
        return cls._configure_typed(id, "mongo_collection", scope, validity_period, **options, **properties)

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
        partitioned: bool = False,
        **properties: Any,
    ) -> TaskConfig:
        """Configures a task: a list ``input`` binds positionally, a dict by parameter name.

        A skippable task is skipped when a job with the same code and inputs has
        completed before, in any scenario. ``cache=False`` limits that to this
        task's own last result (for tasks with side effects). A job running longer
        than ``timeout`` (seconds or a timedelta) is stopped and FAILED: in standalone
        mode its worker process is killed; on a thread it is interrupted at its next
        Python instruction. Native tasks ignore it.

        ``partitioned=True`` on a Python task calls ``function`` once per partition of
        its partitioned inputs (a partitioned task's output, a csv or parquet node
        reading a folder with ``partitioned=True``), other inputs whole, and stores each
        output as those calls' tables: a later run calls it only for partitions whose
        bytes (or the code it reaches) changed. On Dask the calls spread over the
        workers. On the native ``customer_analysis.preprocess_and_score`` it stores the
        output as partitions of the CSV file, byte ranges of whole lines of about
        64 MiB: a later run parses only the ranges whose bytes changed (rows appended:
        the new ones), and tasks 3 and 4 reduce partition by partition. The job's
        reason says how many partitions are new (guide: "Partitions").

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
        state = cls._state
        if isinstance(input, Mapping):
            input = {k: state.data_node(id, "input", d) for k, d in input.items()}
        else:
            input = [state.data_node(id, "input", d) for d in as_list(input)]
        output = [state.data_node(id, "output", d) for d in as_list(output)]
        cfg = TaskConfig(id, function, input, output, skippable, cache, timeout, depends_on, partitioned, **properties)
        state.tasks[id] = cfg
        state.checked = False
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
        if sequences is not None and not isinstance(sequences, Mapping):
            raise ConfigError(f"scenario {id!r}: sequences must be a dict of name: task configs, got {sequences!r}")
        if sequences:
            properties["sequences"] = {k: [t.id for t in v] for k, v in sequences.items()}
        state = cls._state
        extra = [state.data_node(id, "additional data node", d) for d in as_list(additional_data_node_configs)]
        cfg = ScenarioConfig(id, task_configs, extra, frequency, comparators, **properties)
        state.scenarios[id] = cfg
        state.checked = False
        return cfg

    @classmethod
    def configure_job_executions(
        cls, mode: str = "development", max_nb_of_workers: int = 1, **properties: Any
    ) -> JobConfig:
        """Sets how jobs run (mode and number of workers)."""
        cls._state.job = JobConfig(mode, max_nb_of_workers, **properties)
        return cls._state.job

    @classmethod
    def configure_global_app(cls, **properties: Any) -> GlobalAppConfig:
        """Sets application-wide properties (Taipy's ``[TAIPY]`` section), read back as
        ``Config.global_config.<key>``; ``"ENV[VAR]"`` values read the environment then.

        Example:
            >>> Config.configure_global_app(password="ENV[PWD]")
            GlobalAppConfig(password='ENV[PWD]')
        """
        cls._state.global_app = GlobalAppConfig(**{**cls._state.global_app._properties, **properties})
        cls._state.checked = False
        return cls._state.global_app

    @classmethod
    def configure_core(
        cls, storage_folder: str = ".scenarium", progress: bool | None = None, **properties: Any
    ) -> CoreConfig:
        """Sets the storage folder (takes effect for the next entity operation) and whether
        ``submit()`` shows progress: None (the default) when in Jupyter or a terminal,
        False never, True always. ``project_paths=[...]``: folders of your own code
        besides the current folder and the script's (a task's identity walks the code
        under them; any other code counts by its package's version or files).

        Example:
            >>> Config.configure_core(storage_folder=".scenarium", progress=False)
            CoreConfig(storage_folder='.scenarium')
        """
        if progress is not None:
            properties["progress"] = _config_model._flag("configure_core", "progress", progress)
        core = CoreConfig(storage_folder, **properties)
        # A storage folder around paths already configured would be overwritten by them.
        _config_check.refuse_store_paths(replace(cls._state, core=core), cls._state.data_nodes.values())
        cls._state.core = core
        return cls._state.core

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
        config_toml.load(cls._state, filename, replace=True)

    @classmethod
    def restore(cls, filename: str | os.PathLike[str]) -> None:
        """Replaces the configuration with a file's, as ``load`` does (Taipy's name for it)."""
        cls.load(filename)

    @classmethod
    def backup(cls, filename: str | os.PathLike[str]) -> None:
        """Writes the configuration to a file that ``restore`` reads back (Taipy's name
        for ``export``)."""
        cls.export(filename)

    @classmethod
    def override(cls, filename: str | os.PathLike[str]) -> None:
        """Applies a TOML file over the current configuration: sections and keys it
        names replace the current ones, the rest stay (e.g. per-environment settings)."""
        config_toml.load(cls._state, filename, replace=False)

    @classmethod
    def export(cls, filename: str | os.PathLike[str]) -> None:
        """Writes the configuration as a Taipy TOML file that ``load`` reads back equal.

        Example:
            >>> Config.export("config.toml")
        """
        config_toml.export(cls._state, filename)

    @classmethod
    def check(cls) -> list[Any]:
        """Every issue of the configuration (errors, then warnings), each naming the
        section, the key and, for a loaded file, the line; scenarios cannot be created
        while there are errors.

        Example:
            >>> for issue in Config.check():
            ...     print(issue)
        """
        issues = _config_check.check(cls._state)
        cls._state.checked = not any(i.level == "error" for i in issues)
        return issues

    data_nodes = _ClassProperty(lambda cls: dict(cls._state.data_nodes))
    tasks = _ClassProperty(lambda cls: dict(cls._state.tasks))
    scenarios = _ClassProperty(lambda cls: dict(cls._state.scenarios))
    job_config = _ClassProperty(lambda cls: cls._state.job)
    global_config = _ClassProperty(lambda cls: cls._state.global_app)
    core = _ClassProperty(lambda cls: cls._state.core)

    @classmethod
    def _reset(cls) -> None:
        """Forgets every configured object (for tests and notebooks that start over)."""
        cls._state.__dict__.update(ConfigState().__dict__)
