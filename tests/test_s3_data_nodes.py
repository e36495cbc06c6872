"""s3_object data nodes against an S3-compatible server on loopback (moto's server,
started here): read and written as Taipy does, every version kept, a task re-runs
exactly when the object changed, failures name the data node."""

from __future__ import annotations

import pytest

import scenarium as sc
from conftest import CallLog
from scenarium import Config

boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")


@pytest.fixture(scope="module")
def endpoint():
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(endpoint, request):
    name = "bucket-" + request.node.name.replace("_", "-")[:40].lower().strip("-")
    client = boto3.client(
        "s3", endpoint_url=endpoint, aws_access_key_id="k", aws_secret_access_key="s", region_name="us-east-1"
    )
    client.create_bucket(Bucket=name)
    return client, name


def node(endpoint, bucket_name, key="report.txt") -> dict:
    return {
        "aws_access_key": "k", "aws_secret_access_key": "s", "aws_region": "us-east-1",
        "aws_s3_bucket_name": bucket_name, "aws_s3_object_key": key,
        "aws_s3_client_parameters": {"endpoint_url": endpoint},
    }  # fmt: skip


runs: list[str] = CallLog()


def shout(text):
    runs.append(text)
    return text.upper()


def test_an_object_is_read_written_and_versioned(endpoint, bucket) -> None:
    client, name = bucket
    client.put_object(Bucket=name, Key="report.txt", Body=b"first")
    Config.configure_s3_object_data_node("report", **node(endpoint, name))
    out = Config.configure_data_node("loud")
    t = Config.configure_task("shout", shout, input=Config.data_nodes["report"], output=out, skippable=True)
    scenario = sc.create_scenario(Config.configure_scenario("s", task_configs=[t]))
    runs.clear()
    scenario.submit()
    assert scenario.loud.read() == "FIRST"
    assert [j.status for j in scenario.submit().jobs] == [sc.Status.SKIPPED]
    client.put_object(Bucket=name, Key="report.txt", Body=b"second")  # changed by someone else
    scenario.submit()
    assert runs == ["first", "second"] and scenario.report.history()[-1]["writer"] == "external"
    scenario.report.write("third", comment="by hand")
    assert client.get_object(Bucket=name, Key="report.txt")["Body"].read() == b"third"
    assert scenario.report.read(version=1) == "first"


def test_binary_objects_read_as_bytes(endpoint, bucket) -> None:
    client, name = bucket
    client.put_object(Bucket=name, Key="blob", Body=b"\xff\x00")
    Config.configure_s3_object_data_node("blob", **node(endpoint, name, "blob"))
    s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[Config.data_nodes["blob"]]))
    assert s.blob.read() == b"\xff\x00"


def test_a_missing_object_names_the_node_and_records_nothing(endpoint, bucket) -> None:
    _, name = bucket
    Config.configure_s3_object_data_node("gone", **node(endpoint, name, "nope"))
    s = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[Config.data_nodes["gone"]]))
    with pytest.raises(
        sc.ExternalDataError, match=r"data node 'gone' .*reading its s3_object source failed.*NoSuchKey"
    ):
        s.gone.read()
    assert s.gone.history() == []


def test_check_names_what_an_s3_node_lacks() -> None:
    Config.configure_s3_object_data_node("r", aws_s3_bucket_name="b")
    assert any("needs aws_s3_object_key" in str(i) for i in Config.check())
