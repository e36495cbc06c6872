"""Live progress while ``submit()`` waits: an in-place display in Jupyter, a tqdm
bar in a terminal, nothing when the output is not interactive.

The engine reports job events on the thread that called ``submit``, so the
display is always updated from the thread that owns the cell or terminal.
"""

from __future__ import annotations

import sys
import time
from typing import Any, Callable

from scenarium.display import html as _html

FINISHED = {"COMPLETED", "SKIPPED", "FAILED", "CANCELED", "ABANDONED"}


def _in_notebook() -> bool:
    shell = sys.modules.get("IPython")
    if shell is None or "ipykernel" not in sys.modules:
        return False
    ipython = shell.get_ipython()
    return ipython is not None and hasattr(ipython, "kernel")


def wanted(progress: bool | None, configured: bool | None = None) -> str | None:
    """ "notebook", "terminal" or None: where to show progress, given ``submit(progress=...)``
    and, when that is None, ``Config.configure_core(progress=...)`` (``configured``; None:
    only when interactive)."""
    if progress is None:
        progress = configured
    if progress is False:
        return None
    if _in_notebook():
        return "notebook"
    if progress or _is_terminal(sys.stderr):
        return "terminal"
    return None


def _is_terminal(stream: Any) -> bool:
    """Whether `stream` is a terminal; False for one a task closed or replaced by None."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError, OSError):
        return False


class Progress:
    """Follows a submission's job events and redraws after each."""

    def __init__(self, where: str, submission_id: str, job_count: int) -> None:
        self.where = where
        self.submission_id = submission_id
        self.total = job_count
        self.status: dict[str, tuple[str, str]] = {}  # job id -> (task, status)
        self.started = time.perf_counter()
        self.bar: Any = None
        self.handle: Any = None
        if where == "terminal":
            from tqdm import tqdm  # on first use: keeps `import scenarium` fast

            try:
                self.bar = tqdm(total=job_count, desc=submission_id[:24], unit="job", leave=True, file=sys.stderr)
            except (AttributeError, ValueError, OSError):  # stderr closed: no display
                self.bar = None
        else:
            from IPython.display import HTML, display  # only in a notebook

            self.handle = display(HTML(self._html()), display_id=True)

    def __call__(self, job: Any) -> None:
        self.status[job.id] = (job.task_config_id, job.status)
        if self.where == "terminal":
            if self.bar is None:
                return
            done = sum(1 for _, s in self.status.values() if s in FINISHED)
            try:
                self.bar.update(done - self.bar.n)
                self.bar.set_postfix_str(self._running_text(), refresh=True)
            except (ValueError, OSError):  # a task closed stderr: the display stops, the submission goes on
                self.bar = None
        else:
            from IPython.display import HTML  # only in a notebook

            self.handle.update(HTML(self._html()))

    def _running_text(self) -> str:
        running = [t for t, s in self.status.values() if s == "RUNNING"]
        return f"running {', '.join(running)}" if running else ""

    def _counts(self) -> str:
        counts: dict[str, int] = {}
        for _, s in self.status.values():
            if s in FINISHED:
                counts[s] = counts.get(s, 0) + 1
        return ", ".join(f"{n} {s.lower()}" for s, n in sorted(counts.items()))

    def _html(self) -> str:
        done = sum(1 for _, s in self.status.values() if s in FINISHED)
        share = done / self.total if self.total else 1.0
        elapsed = time.perf_counter() - self.started
        bar = (
            '<div style="display:inline-block;width:180px;height:10px;background:#eceff1;border-radius:3px;'
            f'vertical-align:middle"><div style="width:{share * 100:.0f}%;height:10px;background:#66bb6a;'
            'border-radius:3px"></div></div>'
        )
        detail = "; ".join(x for x in (self._counts(), self._running_text()) if x)
        return _html.panel(
            f"<code>{_html.esc(self.submission_id)}</code> {bar} {done}/{self.total} jobs "
            f"<span class='muted'>{_html.esc(detail)} · {_html.seconds(elapsed)}</span>"
        )

    def close(self) -> None:
        if self.where == "terminal":
            if self.bar is not None:
                try:
                    self.bar.close()
                except (ValueError, OSError):  # a task closed stderr
                    pass
        else:
            from IPython.display import HTML  # only in a notebook

            self.handle.update(HTML(self._html()))


def wrap(progress: Progress | None, on_event: Callable[[Any], None] | None) -> Callable[[Any], None] | None:
    """One callback feeding both the progress display and the user's ``on_event``."""
    if progress is None:
        return on_event
    if on_event is None:
        return progress

    def both(job: Any) -> None:
        progress(job)
        on_event(job)

    return both
