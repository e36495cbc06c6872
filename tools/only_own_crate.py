"""Fails when `cargo test` compiles a dependency that `maturin develop` had built:
`make test` and `make demo` share one build (a changed feature set or profile would
compile polars a second time, about 25 more minutes on 2 cores).

    cargo test --no-run --message-format=json | python tools/only_own_crate.py

Dev-dependencies (tempfile...) are cargo test's own and may be compiled here.
"""

from __future__ import annotations

import json
import subprocess
import sys


def normal_dependencies() -> set[str]:
    """The names of the crates the extension itself links (its normal dependencies)."""
    tree = subprocess.run(
        ["cargo", "tree", "-e", "normal", "--features", "python", "--prefix", "none", "--format", "{p}"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return {line.split()[0] for line in tree.splitlines() if line.strip()}


def main() -> int:
    rebuilt = set()
    for line in sys.stdin:
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and not message["fresh"]:
            rebuilt.add(message["target"]["name"])
    shared = {name.replace("-", "_") for name in normal_dependencies() - {"scenarium"}}
    compiled_twice = sorted(name for name in rebuilt if name.replace("-", "_") in shared)
    if compiled_twice:
        print(
            "cargo test compiled dependencies that maturin develop had already built (features or profile "
            f"differ between the two builds): {', '.join(compiled_twice)}",
            file=sys.stderr,
        )
        return 1
    print(f"cargo test reused the extension's build: compiled {', '.join(sorted(rebuilt)) or 'nothing'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
