"""polars LazyFrames between Python tasks: an input arrives as a LazyFrame over the
stored file when the parameter is annotated ``pl.LazyFrame`` or the node's
exposed_type is "polars.LazyFrame"; a LazyFrame a task returns is streamed into the
store (never kept as a plan pointing at the user's files), so a changed CSV re-runs
everything downstream and old versions keep their numbers."""

from __future__ import annotations

import polars as pl
import pytest

import scenarium as sc
from conftest import CallLog
from scenarium import Config

received: list[str] = CallLog()


def clean(raw: pl.LazyFrame) -> pl.LazyFrame:
    received.append(type(raw).__name__)
    return raw.filter(pl.col("x") > 0).with_columns(y=pl.col("x") * 2)


def total(frame: pl.LazyFrame) -> pl.LazyFrame:
    received.append(type(frame).__name__)
    return frame.select(pl.col("y").sum())


def eager_total(frame):
    received.append(type(frame).__name__)
    return frame.select(pl.col("y").sum())


def write_csv(path, xs) -> None:
    path.write_text("x\n" + "".join(f"{x}\n" for x in xs))


def pipeline(path, second=total, **mid_options) -> sc.Scenario:
    raw = Config.configure_csv_data_node("raw", default_path=str(path), exposed_type="polars")
    mid = Config.configure_data_node("mid", **mid_options)
    out = Config.configure_data_node("out")
    t1 = Config.configure_task("clean", clean, input=raw, output=mid, skippable=True)
    t2 = Config.configure_task("total", second, input=mid, output=out, skippable=True)
    return sc.create_scenario(Config.configure_scenario("lazy", task_configs=[t1, t2]))


def test_a_csv_replaced_in_place_reruns_everything_downstream_and_old_versions_stay(tmp_path) -> None:
    path = tmp_path / "data.csv"
    write_csv(path, [1, 2, -3])
    scenario = pipeline(path)
    received.clear()
    scenario.submit()
    assert received == ["LazyFrame", "LazyFrame"]
    assert scenario.out.read()["y"].to_list() == [6]
    assert [j.status for j in scenario.submit().jobs] == [sc.Status.SKIPPED] * 2
    write_csv(path, [10, 20, 30])
    third = scenario.submit()
    assert [j.status for j in third.jobs] == [sc.Status.COMPLETED] * 2
    assert scenario.out.read()["y"].to_list() == [120]
    assert scenario.out.read(version=1)["y"].to_list() == [6]  # computed from the old file, kept
    path.unlink()  # what is stored does not refer to the user's file
    assert scenario.mid.read(version=1)["y"].to_list() == [2, 4]


def test_stored_tables_read_eager_by_default_and_lazy_on_request(tmp_path) -> None:
    path = tmp_path / "data.csv"
    write_csv(path, [1, 2])
    scenario = pipeline(path)
    scenario.submit()
    assert isinstance(scenario.mid.read(), pl.DataFrame)
    lazy = scenario.mid.read(lazy=True)
    assert isinstance(lazy, pl.LazyFrame) and lazy.collect()["y"].to_list() == [2, 4]


def test_exposed_type_lazyframe_without_annotations(tmp_path) -> None:
    path = tmp_path / "data.csv"
    write_csv(path, [1, 2])
    scenario = pipeline(path, second=eager_total, exposed_type="polars.LazyFrame")
    received.clear()
    scenario.submit()
    assert received == ["LazyFrame", "LazyFrame"]  # the annotation of clean, the exposed_type of mid
    assert isinstance(scenario.mid.read(), pl.LazyFrame) and scenario.out.read()["y"].to_list() == [6]
    assert not [i for i in Config.check() if i.level == "error"]


def broken(raw: pl.LazyFrame) -> pl.LazyFrame:
    return raw.with_columns(n=pl.col("x").cast(pl.Int64, strict=True))


def test_a_sink_that_fails_keeps_the_earlier_version(tmp_path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("x\n1\n2\n")
    raw = Config.configure_csv_data_node("raw", default_path=str(path), exposed_type="polars")
    mid = Config.configure_data_node("mid", default_data=pl.DataFrame({"x": ["kept"]}))
    t = Config.configure_task("cast", broken, input=raw, output=mid)
    scenario = sc.create_scenario(Config.configure_scenario("s", task_configs=[t]))
    path.write_text("x\n1\nnot a number\n")
    with pytest.raises(sc.JobFailed, match="the LazyFrame failed while being written"):
        scenario.submit()
    assert scenario.mid.read()["x"].to_list() == ["kept"] and scenario.mid.version == 1


def high_value_count(segmented: pl.LazyFrame) -> pl.LazyFrame:
    return segmented.group_by("ValueSegment").agg(pl.len().alias("n")).sort("ValueSegment")


def rescore(scored: pl.LazyFrame) -> pl.LazyFrame:
    return scored  # a lazy Python task between two native ones, unchanged


def test_lazy_python_tasks_and_native_tasks_feed_each_other(tmp_path) -> None:
    from conftest import SAMPLE_CSV
    from scenarium.tasks import customer_analysis as ca

    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "customers.csv").write_bytes(SAMPLE_CSV.read_bytes())
    path = Config.configure_data_node("path", default_data="data/customers.csv")
    scored = Config.configure_data_node("scored")
    rescored = Config.configure_data_node("rescored")
    pay = Config.configure_data_node("pay", default_data=1000)
    score = Config.configure_data_node("score", default_data=1.5)
    segmented = Config.configure_data_node("segmented")
    counts = Config.configure_data_node("counts")
    tasks = [
        Config.configure_task("native_score", ca.preprocess_and_score, input=[path], output=[scored]),
        Config.configure_task("lazy_pass", rescore, input=[scored], output=[rescored]),
        Config.configure_task(
            "native_segment", ca.featurization_and_segmentation, input=[rescored, pay, score], output=[segmented]
        ),
        Config.configure_task("lazy_count", high_value_count, input=[segmented], output=[counts]),
    ]
    scenario = sc.create_scenario(Config.configure_scenario("mixed", task_configs=tasks))
    scenario.submit()
    got = scenario.counts.read()
    expected = scenario.segmented.read(lazy=True).group_by("ValueSegment").agg(pl.len().alias("n"))
    assert got.equals(expected.sort("ValueSegment").collect())
    assert got["n"].sum() == scenario.scored.read(lazy=True).select(pl.len()).collect().item()


def make_parts(n: int):
    import dask.dataframe as dd
    import pandas as pd

    return dd.from_pandas(pd.DataFrame({"k": range(n), "v": [i * 0.5 for i in range(n)]}), npartitions=8)


def test_a_dask_frame_is_written_one_partition_at_a_time() -> None:
    pytest.importorskip("dask.dataframe")
    import pyarrow.parquet as pq

    n = Config.configure_data_node("n", default_data=1000)
    out = Config.configure_data_node("parts")
    t = Config.configure_task("make", make_parts, input=n, output=out, skippable=True)
    s = sc.create_scenario(Config.configure_scenario("s", task_configs=[t]))
    s.submit()
    stored = s.parts._latest().value
    assert stored.format == "parquet/pandas"
    assert pq.ParquetFile(s._engine.object_path(stored.hash)).num_row_groups == 8  # one per partition
    assert s.parts.read()["v"].sum() == sum(i * 0.5 for i in range(1000))
    assert [j.status for j in s.submit().jobs] == [sc.Status.SKIPPED]


def stored_compression(scenario: sc.Scenario) -> str:
    import pyarrow.parquet as pq

    stored = scenario.mid._latest().value
    path = scenario.mid._engine.object_path(stored.hash)
    return pq.ParquetFile(path).metadata.row_group(0).column(0).compression


@pytest.mark.parametrize(
    ("options", "expected"), [({}, "UNCOMPRESSED"), ({"storage_type": "parquet", "compression": "zstd"}, "ZSTD")]
)
def test_a_sunk_lazyframe_is_uncompressed_unless_the_node_says(tmp_path, options, expected) -> None:
    """Intermediates are written for speed (zstd made the sink 3.6x slower for 1.6x less
    disk); a node's ``compression`` still chooses."""
    path = tmp_path / "data.csv"
    write_csv(path, [1, 2, 3])
    scenario = pipeline(path, **options)
    scenario.submit()
    assert stored_compression(scenario) == expected


def test_a_sunk_table_is_named_by_the_bytes_polars_wrote(tmp_path) -> None:
    """polars writes through an ObjectWriter, which hashes the bytes on their way to the
    disk: the stored object checks against its name when read, and a failed sink leaves no
    temporary file behind."""
    path = tmp_path / "data.csv"
    write_csv(path, list(range(-50, 50_000)))
    scenario = pipeline(path)
    scenario.submit()
    engine = scenario.mid._engine
    stored = scenario.mid._latest().value
    verified = engine.object_path(stored.hash, verify=True)  # re-hashes the file: raises if wrong
    assert pl.read_parquet(verified)["y"].to_list() == [2 * x for x in range(1, 50_000)]
    tmp_dir = verified.parents[1] / "tmp"
    assert not list(tmp_dir.iterdir())


def test_an_object_writer_stores_what_was_written_once(tmp_path) -> None:
    from scenarium import _core

    engine = _core.Engine(str(tmp_path / "store"))
    writer = engine.object_writer(".part")
    chunks = [bytes([i % 251]) * 100_003 for i in range(400)]
    for chunk in chunks:
        assert writer.write(chunk) == len(chunk)
    assert writer.tell() == sum(map(len, chunks)) and not writer.seekable()
    stored = writer.store("bytes/test")
    assert engine.read_object(stored.hash) == b"".join(chunks)  # checked against its name
    with pytest.raises(sc.exceptions.StorageError, match="already stored"):
        writer.write(b"more")
    abandoned = engine.object_writer(".part")
    abandoned.write(b"half a value")
    abandoned.discard()
    assert not list((tmp_path / "store" / "objects" / "tmp").iterdir())


def test_writeback_follows_a_file_created_after_it_starts(tmp_path) -> None:
    from scenarium import _core

    path = tmp_path / "growing.part"
    with _core.WriteBack(path) as follower:
        with open(path, "wb") as f:
            for _ in range(40):
                f.write(b"x" * (1 << 20))
    follower.stop()  # stopping again is harmless
    assert path.stat().st_size == 40 << 20
    with _core.WriteBack(tmp_path / "never-written"):
        pass


def labelled(raw: pl.LazyFrame) -> pl.LazyFrame:
    return clean(raw).with_columns(label=pl.lit("café"))


def test_a_lazyframe_into_a_csv_node_of_another_encoding_is_written_whole_in_it(tmp_path) -> None:
    """polars writes UTF-8 only: for a node in another encoding the frame is collected and
    written as any frame is."""
    path = tmp_path / "data.csv"
    write_csv(path, [1, -2, 3])
    raw = Config.configure_csv_data_node("raw", default_path=str(path), exposed_type="polars")
    mid = Config.configure_data_node("mid", storage_type="csv", encoding="latin-1", exposed_type="polars")
    task = Config.configure_task("label", labelled, input=raw, output=mid)
    scenario = sc.create_scenario(Config.configure_scenario("latin", task_configs=[task]))
    scenario.submit()
    assert scenario.mid.read()["label"].to_list() == ["café", "café"]
    stored = scenario.mid._latest().value
    assert b"caf\xe9" in scenario.mid._engine.object_path(stored.hash).read_bytes()


def test_frame_parameters_are_remembered_only_while_the_function_is_unchanged() -> None:
    from scenarium.run.runtime import frame_parameters

    def task(frame: pl.LazyFrame, k: int) -> pl.LazyFrame:
        return frame

    def plain(frame, k):  # noqa: ANN001, ANN202
        return frame

    assert frame_parameters(task) == {0: "lazy", "frame": "lazy"}
    frame_parameters(task)[0] = "changed by a caller"
    assert frame_parameters(task) == {0: "lazy", "frame": "lazy"}, "callers get copies"
    task.__annotations__ = {}
    assert frame_parameters(task) == {}, "new annotations are read again"
    task.__code__ = plain.__code__
    task.__annotations__ = {"k": "pl.LazyFrame"}
    assert frame_parameters(task) == {1: "lazy", "k": "lazy"}, "new code is read again"
