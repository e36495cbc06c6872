"""The module-level functions users call (``sc.submit``, ``sc.get``, lineage, look-ups,
export and import); ``scenarium/__init__`` re-exports them.
Here: ``functions`` (look-ups, save, delete) and ``submit`` (making and running
scenarios), named together as ``scenarium._api`` named them. May use every layer below
(``entities`` and down).
"""

from scenarium.api.functions import (
    delete,
    delete_job,
    delete_jobs,
    get,
    get_data_nodes,
    get_jobs,
    get_parents,
    get_primary_scenarios,
    get_scenarios,
    get_sequences,
    get_submissions,
    save,
    set_primary,
)
from scenarium.api.submit import (
    Core,
    Orchestrator,
    cancel_job,
    create_scenario,
    dry_run,
    submit,
    subscribe_scenario,
    subscribe_sequence,
    unsubscribe_scenario,
    unsubscribe_sequence,
    why,
)

__all__ = [
    "delete",
    "delete_job",
    "delete_jobs",
    "get",
    "get_data_nodes",
    "get_jobs",
    "get_parents",
    "get_primary_scenarios",
    "get_scenarios",
    "get_sequences",
    "get_submissions",
    "save",
    "set_primary",
    "Core",
    "Orchestrator",
    "cancel_job",
    "create_scenario",
    "dry_run",
    "submit",
    "subscribe_scenario",
    "subscribe_sequence",
    "unsubscribe_scenario",
    "unsubscribe_sequence",
    "why",
]
