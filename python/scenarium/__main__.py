"""``python -m scenarium``: the command line (see scenarium.cli)."""

import sys

from scenarium.cli import main

sys.exit(main())
