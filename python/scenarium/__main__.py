"""The ``python -m scenarium`` command line.

python -m scenarium check config.toml      # lists issues, exits 1 on errors
python -m scenarium datagen --rows 1000000 --out customers.csv
"""

from __future__ import annotations

import argparse
import sys


def _check(args: argparse.Namespace) -> int:
    from scenarium import Config
    from scenarium.exceptions import InvalidConfigFile

    try:
        Config.load(args.config)
    except InvalidConfigFile as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    issues = Config.check()
    for issue in issues:
        print(issue)
    errors = sum(i.level == "error" for i in issues)
    warnings = len(issues) - errors
    print(f"{args.config}: {errors} error(s), {warnings} warning(s)", file=sys.stderr)
    return 1 if errors else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scenarium", description="scenarium command line")
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="check a Taipy TOML configuration file")
    check.add_argument("config", help="the TOML file")
    check.set_defaults(run=_check)
    commands.add_parser("datagen", help="generate the article's customer CSV (see --help)", add_help=False)
    args, rest = parser.parse_known_args(argv)
    if args.command == "datagen":
        from scenarium import datagen

        return datagen.main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
