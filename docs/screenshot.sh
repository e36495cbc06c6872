#!/usr/bin/env bash
# Runs notebooks/app.ipynb, exports it to HTML with nbconvert and photographs the
# page in headless Chromium: docs/notebook.png is what a reader of the notebook sees.
# Needs Debian's chromium (apt-get install chromium); `make screenshot` runs it.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v chromium >/dev/null || { echo "needs Debian's chromium: apt-get install chromium" >&2; exit 1; }
.venv/bin/pip install --quiet nbconvert==7.17.2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
SCENARIUM_NOTEBOOK_ROWS=${ROWS:-100000} .venv/bin/jupyter nbconvert --log-level=WARN --to html --execute \
    notebooks/app.ipynb --output-dir "$work" --output app
chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$work/profile" --hide-scrollbars \
    --window-size=1280,20000 --screenshot="$work/page.png" "file://$work/app.html" 2>/dev/null
# Trim the empty space below the page and store it with a palette (a fifth of the size).
.venv/bin/python - "$work/page.png" docs/notebook.png <<'PY'
import sys

import numpy as np
from PIL import Image

page = Image.open(sys.argv[1]).convert("RGB")
ink = np.where(np.asarray(page.convert("L")).min(axis=1) < 250)[0]
page.crop((0, 0, page.width, int(ink.max()) + 24)).quantize(colors=128).save(sys.argv[2], optimize=True)
print(f"{sys.argv[2]}: {page.width} x {int(ink.max()) + 24}")
PY
