"""``python -m scenarium``: the command line (see scenarium.cli)."""

import sys

from scenarium.cli import main

if __name__ == "__main__":
    sys.exit(main())
