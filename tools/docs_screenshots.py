"""`make docs-check`: the built site as a reader sees it. Headless Chromium (Debian's
package) renders the home page, a guide page and an API page (scrolled to
``Config.configure_data_node``) to PNG in docs/screenshots/. Run after `make docs`;
tests/test_docs.py checks the same pages' HTML."""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from PIL import Image

REPO = Path(__file__).resolve().parent.parent
SITE = REPO / "site"
OUT = REPO / "docs" / "screenshots"
WIDTH, HEIGHT = 1280, 1100
PAGES = [  # (page, file name, the id of the element to show at the top, or None)
    ("index.html", "home", None),
    ("guide/concepts/index.html", "guide-concepts", None),
    ("reference/config/index.html", "api-config", "scenarium.Config.configure_data_node"),
]


def chromium(work: Path, *args: str) -> str:
    command = [
        "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={work / 'profile'}", "--hide-scrollbars", *args,
    ]  # fmt: skip
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=True).stdout


def top_of(work: Path, page: Path, element_id: str) -> int:
    """Where the element starts on the page, in CSS pixels: a copy of the page that writes
    it into the DOM, dumped by Chromium (the screenshot itself cannot scroll: fragment
    navigation in headless mode photographs a blank viewport)."""
    probe = page.with_name("probe-for-screenshot.html")
    script = (
        "<script>addEventListener('load', () => document.body.setAttribute('data-top', "
        f"Math.round(document.getElementById('{element_id}').getBoundingClientRect().top + scrollY)));</script>"
    )
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", script + "</body>"), encoding="utf-8")
    try:
        dom = chromium(work, f"--window-size={WIDTH},{HEIGHT}", "--virtual-time-budget=2000", "--dump-dom",
                       probe.as_uri())  # fmt: skip
    finally:
        probe.unlink()
    found = re.search(r'data-top="(\d+)"', dom)
    if not found:
        raise SystemExit(f"{page}: no element {element_id!r}")
    return int(found.group(1))


def main() -> int:
    if not (SITE / "index.html").exists():
        raise SystemExit("no site/: run `make docs` first")
    OUT.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for page, name, element_id in PAGES:
            top = 0 if element_id is None else max(0, top_of(work, SITE / page, element_id) - 70)
            shot = work / f"{name}.png"
            chromium(work, f"--window-size={WIDTH},{top + HEIGHT}", f"--screenshot={shot}", (SITE / page).as_uri())
            image = Image.open(shot).convert("RGB").crop((0, top, WIDTH, top + HEIGHT))
            # Stored with a palette: a fifth of the size, the same to the eye.
            image.quantize(colors=128).save(OUT / f"{name}.png", optimize=True)
            print(f"{OUT.relative_to(REPO)}/{name}.png: site/{page}" + (f"#{element_id}" if element_id else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
