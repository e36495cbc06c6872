"""The ``scenarium`` command line (also ``python -m scenarium``).

    scenarium check config.toml [--import]        # issues of a Taipy TOML file; exit 1 on errors
    scenarium run config.toml --set payment_threshold=1600
    scenarium ls [--json]                         # scenarios and their last submission
    scenarium show SCENARIO_... [--json]          # a scenario, data node, task, job or submission
    scenarium lineage DATANODE_...                # what a value was computed from
    scenarium compare SCENARIO_a SCENARIO_b
    scenarium explain SCENARIO_...|TASK_... [--config config.toml]   # each task's whole cache key
                                                  # (functions found where the scenario's run found them)
    scenarium gc [--grace SECONDS]
    scenarium datagen --rows 1000000 --out customers.csv

Exit codes: 0 success, 1 a failed job or configuration errors, 2 bad arguments or
input, 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Callable

import scenarium as sc
from scenarium import Config, datagen
from scenarium.config import toml as config_toml
from scenarium.exceptions import ConfigError, ScenariumError


class UsageError(Exception):
    """Bad arguments: printed with the command's usage, exit code 2."""


def _value(text: str) -> Any:
    """``--set`` values: JSON when they parse as JSON (numbers, true, "quoted"), else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _check(args: argparse.Namespace) -> int:
    # Without --import the file may come from anyone: its modules are read, not run.
    config_toml.load(Config._state, args.config, replace=True, static=not args.import_modules)
    issues = Config.check()
    for issue in issues:
        print(issue)
    errors = sum(i.level == "error" for i in issues)
    print(f"{args.config}: {errors} error(s), {len(issues) - errors} warning(s)", file=sys.stderr)
    return 1 if errors else 0


def _run(args: argparse.Namespace) -> int:
    Config.load(args.config)
    if args.storage:  # the command line wins over the file's [CORE]
        Config.configure_core(storage_folder=args.storage)
    configs = Config.scenarios
    if args.scenario is None and len(configs) != 1:
        raise UsageError(
            f"{args.config} has {len(configs)} scenario configs ({', '.join(configs)}): pick one with --scenario"
        )
    config_id = args.scenario or next(iter(configs))
    if config_id not in configs:
        raise UsageError(f"no scenario config {config_id!r} in {args.config} (it has {', '.join(configs) or 'none'})")
    existing = [s for s in sc.get_scenarios() if s.config_id == config_id]
    scenario = existing[-1] if existing and not args.new else sc.create_scenario(configs[config_id])
    for assignment in args.set or []:
        name, sep, text = assignment.partition("=")
        if not sep or name not in scenario.data_nodes:
            known = ", ".join(sorted(scenario.data_nodes))
            raise UsageError(f"--set {assignment!r}: expected DATA_NODE=VALUE with one of {known}")
        scenario.data_nodes[name].write(_value(text))

    def progress(job: sc.Job) -> None:
        if not args.quiet:
            print(f"  {job.task_config_id:<36} {job.status.name}", file=sys.stderr)

    print(f"{scenario.id} ({config_id})", file=sys.stderr)
    try:
        submission = scenario.submit(on_event=progress, force=args.force)
        code = 0
    except sc.JobFailed as e:
        submission = sc.get(e.submission_id)
        print(f"error: {e}", file=sys.stderr)
        code = 1
    rows = submission.summary()
    if args.json:
        print(json.dumps({"scenario": scenario.id, "submission": submission.id, "jobs": rows}, default=str))
    else:
        for row in rows:
            duration = "" if row["duration_s"] is None else f"{row['duration_s']:.3f} s"
            print(f"{row['task']:<36} {row['status']:<10} {duration:>10}  {row['reason'] or ''}")
    return code


def _scenario_row(s: sc.Scenario) -> dict[str, Any]:
    subs = s.submissions
    return {
        "id": s.id,
        "config_id": s.config_id,
        "name": s.name,
        "created": s.creation_date.isoformat(timespec="seconds"),
        "primary": s.is_primary,
        "tags": sorted(s.tags),
        "last_submission": subs[-1].status.name if subs else None,
    }


def _ls(args: argparse.Namespace) -> int:
    rows = [_scenario_row(s) for s in sc.get_scenarios()]
    if args.json:
        print(json.dumps(rows))
        return 0
    if not rows:
        print("no scenarios", file=sys.stderr)
    for r in rows:
        print(f"{r['id']:<52} {r['config_id']:<20} {r['created']}  {r['last_submission'] or '-'}")
    return 0


def _describe(entity: Any) -> dict[str, Any]:
    if isinstance(entity, sc.Scenario):
        row = _scenario_row(entity)
        row["data_nodes"] = {
            k: {"id": dn.id, "version": dn.version, "ready": dn.is_ready_for_reading}
            for k, dn in entity.data_nodes.items()
        }
        row["tasks"] = {k: t.id for k, t in entity.tasks.items()}
        return row
    if isinstance(entity, sc.DataNode):
        return {
            "id": entity.id,
            "config_id": entity.config_id,
            "storage_type": entity.storage_type,
            "version": entity.version,
            "history": entity.history(),
        }
    if isinstance(entity, sc.Job):
        return {
            "id": entity.id,
            "task": entity.task_config_id,
            "status": entity.status.name,
            "duration_s": entity.duration,
            "reason": entity.reason,
        }
    if isinstance(entity, sc.Submission):
        return {"id": entity.id, "status": entity.status.name, "jobs": entity.summary()}
    return {"id": getattr(entity, "id", None), "repr": repr(entity)}


_ID_PREFIXES = ("SCENARIO_", "DATANODE_", "TASK_", "JOB_", "SUBMISSION_", "CYCLE_", "SEQUENCE_")


def _get(entity_id: str) -> Any:
    """An entity by id, or by a configuration id (``high_value_summary_df``): that data
    node, task or scenario of the latest scenario that has one."""
    if not entity_id.startswith(_ID_PREFIXES):
        for scenario in sorted(sc.get_scenarios(), key=lambda s: s.creation_date, reverse=True):
            if scenario.config_id == entity_id:
                return scenario
            found = scenario.data_nodes.get(entity_id) or scenario.tasks.get(entity_id)
            if found is not None:
                return found
        raise UsageError(
            f"{entity_id!r} is neither an id ({', '.join(p + '...' for p in _ID_PREFIXES)}) nor the config id "
            "of a scenario, data node or task of a scenario in this registry (python -m scenarium ls)"
        )
    try:
        return sc.get(entity_id)
    except ScenariumError as e:
        raise UsageError(str(e)) from None


def _show(args: argparse.Namespace) -> int:
    entity = _get(args.id)
    if args.json:
        print(json.dumps(_describe(entity), default=str))
    else:
        print(repr(entity))
        for key, value in _describe(entity).items():
            if key != "id":
                print(f"  {key}: {value}")
    return 0


def _lineage(args: argparse.Namespace) -> int:
    entity = _get(args.id)
    if not isinstance(entity, sc.DataNode):
        raise UsageError(f"{args.id} is not a data node: lineage takes a DATANODE_... id or a data node config id")
    print(repr(sc.lineage(entity, args.version)))
    return 0


def _compare(args: argparse.Namespace) -> int:
    scenarios = [_get(i) for i in args.ids]
    if not all(isinstance(s, sc.Scenario) for s in scenarios):
        raise UsageError("compare takes SCENARIO_... ids")
    print(sc.compare_scenarios(*scenarios, data_node_config_id=args.data_node).summary)
    return 0


def _gc(args: argparse.Namespace) -> int:
    report = sc.gc(grace_period=args.grace)
    print(
        f"deleted {report.objects_deleted} object(s), freed {report.bytes_freed:,} bytes, "
        f"kept {report.objects_kept}, dropped {report.cache_entries_dropped} cache entr(ies)"
    )
    return 0


def _explain(args: argparse.Namespace) -> int:
    if args.config:  # so that the tasks' functions resolve as configured
        Config.load(args.config)
        if args.storage:
            Config.configure_core(storage_folder=args.storage)
    reports = sc.why(args.id)
    reports = reports if isinstance(reports, dict) else {reports.task_config_id: reports}
    if args.json:
        print(json.dumps({k: vars(r) for k, r in reports.items()}, indent=2, default=str))
    else:
        print("\n\n".join(str(r) for r in reports.values()))
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scenarium", description="scenarium: scenarios and pipelines")
    parser.add_argument("--storage", help="storage folder (default: $SCENARIUM_STORAGE or .scenarium)")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def command(name: str, run: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help, description=help)
        sub.set_defaults(run=run)
        return sub

    check = command("check", _check, "check a Taipy TOML configuration file")
    check.add_argument("config", help="the TOML file")
    check.add_argument(
        "--import",
        dest="import_modules",
        action="store_true",
        help="import the task functions' modules (runs their code); without it they are read, not run",
    )
    run = command("run", _run, "submit a scenario of a TOML configuration (reusing its latest scenario)")
    run.add_argument("config", help="the TOML file")
    run.add_argument("--scenario", help="the scenario config id (needed when the file has several)")
    run.add_argument("--set", action="append", metavar="DN=VALUE", help="write a data node first (repeatable)")
    run.add_argument("--new", action="store_true", help="create a new scenario instead of reusing the latest")
    run.add_argument("--force", action="store_true", help="run every task, skipping none")
    run.add_argument("--json", action="store_true", help="print the result as JSON")
    run.add_argument("--quiet", action="store_true", help="no progress lines")
    ls = command("ls", _ls, "list scenarios")
    ls.add_argument("--json", action="store_true")
    show = command("show", _show, "show a scenario, data node, task, job or submission")
    show.add_argument("id", help="an id, or a config id: that node, task or scenario of the latest scenario")
    show.add_argument("--json", action="store_true")
    lineage = command("lineage", _lineage, "what a data node's value was computed from")
    lineage.add_argument("id", help="a DATANODE_... id, or a data node config id (of the latest scenario)")
    lineage.add_argument("--version", type=int, help="a version (default: the latest)")
    compare = command("compare", _compare, "compare scenarios data node by data node")
    compare.add_argument("ids", nargs="+", metavar="ID")
    compare.add_argument("--data-node", help="only this data node config id")
    explain = command("explain", _explain, "show the whole cache key of a scenario's tasks or of one task")
    explain.add_argument("id", help="a SCENARIO_... or TASK_... id")
    explain.add_argument(
        "--config",
        help="a TOML file to load first (not needed: task functions are found in the folder they were "
        "imported from when the scenario ran, then in the current folder)",
    )
    explain.add_argument("--json", action="store_true")
    gc = command("gc", _gc, "delete stored objects no version refers to")
    gc.add_argument("--grace", type=float, default=3600.0, help="keep objects younger than this (seconds)")
    commands.add_parser("datagen", help="generate the article's customer CSV (see datagen --help)", add_help=False)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    parser = _parser()
    args, rest = parser.parse_known_args(argv)
    if args.command == "datagen":
        return datagen.main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.storage = args.storage or os.environ.get("SCENARIUM_STORAGE")
    if args.storage:
        Config.configure_core(storage_folder=args.storage)
    try:
        return int(args.run(args))
    except UsageError as e:
        print(f"scenarium {args.command}: error: {e}", file=sys.stderr)
        return 2
    except ConfigError as e:  # InvalidConfigFile, InvalidConfig
        print(f"error: {e}", file=sys.stderr)
        return 2 if isinstance(e, sc.InvalidConfigFile) else 1
    except ScenariumError as e:
        print(f"error: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
