"""Deterministic sample data with the article's columns.

Usage::

    python -m scenarium.datagen --rows 10000 --seed 42 --out data/SMALL_customers_data.csv

The same rows and seed always give the same bytes. Amounts are log-normal
(median about 900), so a real share of customers lies above the article's
1000 and 1600 payment thresholds and above the 1.5 score threshold.
"""

from __future__ import annotations

import argparse
import csv
import math
import os
import random
import sys
from datetime import date, timedelta

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
COUNTRIES = ["USA", "UK", "Germany", "France", "India", "Canada", "Japan", "Brazil", "Australia", "Spain"]
_EPOCH = date(2015, 1, 1)


def rows(n: int, seed: int):
    """Yields ``n`` rows as lists, in COLUMNS order."""
    rng = random.Random(seed)
    for i in range(n):
        purchases = max(1, int(rng.expovariate(1 / 12)) + 1)
        amount = round(math.exp(rng.gauss(6.8, 0.8)), 2)
        yield [
            i + 1,
            rng.randint(18, 80),
            rng.choice(COUNTRIES),
            f"{amount:.2f}",
            purchases,
            f"{rng.uniform(1, 5):.1f}",
            rng.randint(purchases, purchases * 600),
            (_EPOCH + timedelta(days=rng.randrange(3650))).isoformat(),
            rng.random() < 0.35,
        ]


def write_csv(path: str, n: int, seed: int) -> None:
    """Writes the CSV atomically: a temporary file renamed into place."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = f"{path}.part"
    with open(tmp, "w", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(COLUMNS)
        writer.writerows(rows(n, seed))
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scenarium.datagen", description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000, help="number of customers (default 10000)")
    parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
    parser.add_argument("--out", required=True, help="CSV file to write")
    args = parser.parse_args(argv)
    if args.rows < 0:
        parser.error("--rows must be >= 0")
    write_csv(args.out, args.rows, args.seed)
    print(f"wrote {args.rows} rows to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
