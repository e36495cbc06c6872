"""What an entity's methods ask of the API a layer up: ``Scenario.submit``,
``Sequence.submit`` and ``Task.submit`` (``sc.submit``), ``Scenario.submit(dry_run=True)``
(``sc.dry_run``), ``Job.submit_entity`` (``sc.get``) and ``Scenario.export``
(``sc.export_scenario``). The API's modules set these when they are imported, and
``scenarium/__init__`` imports them before any entity can exist: so the entities never
import the layer that makes them, and there is one ``submit``, the API's.
"""

from __future__ import annotations

from typing import Any, Callable


def _not_set(*args: Any, **kwargs: Any) -> Any:
    raise RuntimeError("scenarium.api is not imported: import scenarium first")


submit: Callable[..., Any] = _not_set  # api.submit.submit
dry_run: Callable[..., Any] = _not_set  # api.submit.dry_run
get: Callable[..., Any] = _not_set  # api.functions.get
export_scenario: Callable[..., Any] = _not_set  # api.transfer.export_scenario
