"""Deterministic sample data with the article's columns, written natively at disk speed.

Usage::

    python -m scenarium.datagen --rows 10_000 --seed 42 --out data/SMALL_customers_data.csv
    python -m scenarium.datagen --rows 100_000_000 --seed 7 --out big.csv

The same rows and seed always give the same bytes. Amounts are log-normal
(median about 900), so a real share of customers lies above the article's
1000 and 1600 payment thresholds and above the 1.5 score threshold. Memory
stays constant whatever the row count; Ctrl-C leaves no partial file.
"""

from __future__ import annotations

import argparse
import os
import sys

from scenarium._core import generate_customers
from scenarium.exceptions import InvalidArgument, ScenariumError

COLUMNS = [
    "CustomerID",
    "Age",
    "Country",
    "TotalPurchaseAmount",
    "NumberOfPurchases",
    "AverageReviewScore",
    "TotalPurchaseTime",
    "SignupDate",
    "IsPrime",
]


def write_csv(path: str, rows: int, seed: int, progress: bool = False) -> None:
    """Writes ``rows`` customers to ``path`` (atomically: a temporary file renamed into place)."""
    for name, value in (("rows", rows), ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"write_csv: {name} must be an int, got {type(value).__name__}")
        if not 0 <= value < 2**64:
            raise InvalidArgument(f"write_csv: {name} must be from 0 to {2**64 - 1}, got {value}")
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    if not progress:
        generate_customers(path, rows, seed)
        return
    from tqdm.auto import tqdm  # on first use: keeps `import scenarium` fast

    with tqdm(total=rows, unit=" rows", unit_scale=True, desc=os.path.basename(path)) as bar:
        generate_customers(path, rows, seed, lambda done: bar.update(done - bar.n))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scenarium.datagen", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--rows",
        type=lambda s: int(s.replace("_", "")),
        default=10_000,
        help="number of customers (default 10000; 100_000_000 is fine)",
    )
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--out", required=True, help="CSV file to write")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    if not 0 <= args.rows < 2**64:
        parser.error(f"--rows must be from 0 to {2**64 - 1}, got {args.rows}")
    if not 0 <= args.seed < 2**64:
        parser.error(f"--seed must be from 0 to {2**64 - 1}, got {args.seed}")
    try:
        write_csv(args.out, args.rows, args.seed, progress=not args.quiet and sys.stderr.isatty())
    except KeyboardInterrupt:
        print("interrupted: no file written", file=sys.stderr)
        return 130
    except (ScenariumError, OSError) as e:  # a folder that cannot be made or written, a full disk: said
        print(f"{parser.prog}: error: {e}", file=sys.stderr)
        return 1
    print(f"wrote {args.rows} rows to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
