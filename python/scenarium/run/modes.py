"""The runner of a submission in ``Config.job_config.mode``: ``development`` runs each
task in this process (``runtime.TaskRunner``), ``standalone`` in worker processes
(``workers``), ``dask`` on a Dask cluster (``dask``). The workers import ``runtime`` to
run a task on their side, so the choice is made here, above the three."""

from __future__ import annotations

from typing import Any

from scenarium._core import DataNodeRecord, StoredValue, TaskRecord, VersionRecord
from scenarium.run import dask as _dask
from scenarium.run import partitions as _partitions
from scenarium.run import runtime as _runtime


class TaskRunner(_runtime.TaskRunner):
    """``runtime.TaskRunner`` that runs a task in worker processes or on Dask when its
    mode says so (the processes and the cluster start on first use)."""

    def _execute_elsewhere(
        self, task: TaskRecord, inputs: list[VersionRecord], outputs: list[DataNodeRecord], timeout: Any
    ) -> tuple[list[StoredValue] | None, str | None, str | None, str | None] | None:
        if self.mode == "dask":
            if _partitions.is_partitioned(task):
                values = [v.value for v in inputs]
                nodes = [self.engine.data_node(dn_id) for _, dn_id in task.inputs]
                calls = _dask.partition_calls(self.engine, timeout)
                *result, self._runs[task.id] = self.run_partitions(task, values, nodes, outputs, calls)
            else:
                *result, self._runs[task.id] = _dask.run(self.engine, task, inputs, outputs, timeout)
            return (*result, None)  # type: ignore[return-value]
        if self.standalone and _partitions.is_partitioned(task):
            # Its partitions run in this process, one after the other (a worker
            # process could not hand back what they made before the job's identity is known).
            return None
        if self.standalone:
            # Imported on first use: multiprocessing costs `import scenarium` 7 ms otherwise.
            from scenarium.run import workers as _workers

            expected = self.code_identity(task)
            pool = _workers.pool(str(self.engine.storage_folder))
            *reply, self._runs[task.id] = pool.run(
                task, inputs, outputs, timeout, expected, self._recorded.get(task.id)
            )
            return tuple(reply)
        return None
