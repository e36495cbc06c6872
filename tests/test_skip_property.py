"""Property: over random DAGs of pure tasks and random writes, every output after
every submit equals a from-scratch evaluation, and a skippable task runs exactly
when its cache key is new."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import scenarium as sc
from scenarium import Config


def plus(*xs):
    return sum(xs) + 1


def times(*xs):
    out = 1
    for x in xs:
        out = out * (x + 2) % 1009
    return out


def spread(*xs):
    return max(xs) - min(xs)


FUNCTIONS = [plus, times, spread]


@st.composite
def pipelines(draw):
    n_params = draw(st.integers(1, 3))
    tasks = []
    for i in range(draw(st.integers(1, 5))):
        sources = [f"p{j}" for j in range(n_params)] + [f"o{j}" for j in range(i)]
        inputs = draw(st.lists(st.sampled_from(sources), min_size=1, max_size=3))
        tasks.append((i, draw(st.integers(0, len(FUNCTIONS) - 1)), inputs, draw(st.booleans())))
    ops = draw(
        st.lists(
            st.one_of(
                st.just(("submit",)), st.tuples(st.just("write"), st.integers(0, n_params - 1), st.integers(0, 3))
            ),
            max_size=8,
        )
    )
    return n_params, tasks, [*ops, ("submit",)]


SEEN_KEYS: set[str] = set()  # the cache outlives examples, as the storage folder does


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(pipelines())
def test_submits_match_from_scratch_and_run_only_new_keys(shared_storage, pipeline) -> None:
    n_params, tasks, ops = pipeline
    Config._reset()
    Config.configure_core(storage_folder=str(shared_storage))
    params = [Config.configure_data_node(f"p{j}", default_data=0) for j in range(n_params)]
    outs = [Config.configure_data_node(f"o{i}") for i, *_ in tasks]
    by_id = {c.id: c for c in [*params, *outs]}
    task_cfgs = [
        Config.configure_task(
            f"t{i}", FUNCTIONS[f], input=[by_id[x] for x in inputs], output=[outs[i]], skippable=skippable
        )
        for i, f, inputs, skippable in tasks
    ]
    cfg = Config.configure_scenario("prop", task_configs=task_cfgs, additional_data_node_configs=params)
    scenario = sc.create_scenario(cfg)
    values = {f"p{j}": 0 for j in range(n_params)}
    for op in ops:
        if op[0] == "write":
            values[f"p{op[1]}"] = op[2]
            getattr(scenario, f"p{op[1]}").write(op[2])
            continue
        submission = scenario.submit()
        seen_before = set(SEEN_KEYS)
        # Every key this submission stored is seen from now on, even when an assertion
        # below fails: Hypothesis replays and shrinks on the same storage, and a key
        # left out would make the next example fail for no fault of its own.
        SEEN_KEYS.update(job.cache_key for job in submission.jobs)
        expected = dict(values)
        for i, f, inputs, _ in tasks:
            expected[f"o{i}"] = FUNCTIONS[f](*(expected[x] for x in inputs))
        for i, *_ in tasks:
            assert getattr(scenario, f"o{i}").read() == expected[f"o{i}"]
        skippable_by_task = {f"t{i}": skippable for i, _, _, skippable in tasks}
        by_key: dict[str, list] = {}
        for job in submission.jobs:
            by_key.setdefault(job.cache_key, []).append(job)
        for key, group in by_key.items():
            # COMPLETED without running: a result another task computed (job.reused_from)
            ran = [j for j in group if j.status is sc.Status.COMPLETED and j.reused_from is None]
            assert all(j.status in (sc.Status.COMPLETED, sc.Status.SKIPPED) for j in group)
            assert all(j in ran for j in group if not skippable_by_task[j.task_config_id])
            skippable_ran = [j for j in ran if skippable_by_task[j.task_config_id]]
            if key in seen_before:
                assert not skippable_ran, [(j.task_config_id, j.reason) for j in skippable_ran]
                continue
            # A new key: the first of its jobs to run computes it (jobs of one submission
            # may share a key, and the scheduler decides which runs first); the others
            # reuse that job's outputs, from this submission.
            assert ran, [(j.task_config_id, j.reason) for j in group]
            assert len(skippable_ran) <= 1, [j.task_config_id for j in skippable_ran]
            ran_ids = {j.id for j in ran}
            for job in group:
                if job.reused_from is not None:
                    assert job.reused_from in ran_ids, (job.task_config_id, job.reason)
