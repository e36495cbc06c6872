"""mongo_collection data nodes. No MongoDB server can be installed from this machine's
package registries (Debian has none, and PyPI's server wrappers download it from
mongodb.com), so these tests run scenarium's pymongo code against mongomock, an
in-process imitation of a server: they check what scenarium does (versions, skipping,
custom documents, append), not a real server's behaviour. docs/guide/storage.md says so."""

from __future__ import annotations

import pytest

import scenarium as sc
from conftest import CallLog
from scenarium import Config

pymongo = pytest.importorskip("pymongo")
mongomock = pytest.importorskip("mongomock")


class Order:
    def __init__(self, item, qty):
        self.item, self.qty = item, qty

    def __eq__(self, other):
        return vars(self) == vars(other)


@pytest.fixture
def server(monkeypatch):
    client = mongomock.MongoClient()
    monkeypatch.setattr(pymongo, "MongoClient", lambda *args, **kwargs: client)
    return client


counted: list[int] = CallLog()


def count(orders):
    counted.append(len(orders))
    return sum(o.qty for o in orders)


def test_a_collection_is_read_written_appended_and_versioned(server) -> None:
    server["shop"]["orders"].insert_many([{"item": "a", "qty": 1}, {"item": "b", "qty": 2}])
    orders = Config.configure_mongo_collection_data_node(
        "orders", db_name="shop", collection_name="orders", custom_document=Order
    )
    assert not [i for i in Config.check() if i.level == "error"]
    t = Config.configure_task("count", count, input=orders, output=Config.configure_data_node("total"), skippable=True)
    s = sc.create_scenario(Config.configure_scenario("s", task_configs=[t]))
    counted.clear()
    s.submit()
    assert s.total.read() == 3 and [j.status for j in s.submit().jobs] == [sc.Status.SKIPPED]
    server["shop"]["orders"].insert_one({"item": "c", "qty": 10})  # someone else's insert
    s.submit()
    assert s.total.read() == 13 and counted == [2, 3]
    s.orders.append([Order("d", 5)])
    assert [o.item for o in s.orders.read()] == ["a", "b", "c", "d"]
    s.orders.write([Order("z", 1)], comment="reset")
    assert [d["item"] for d in server["shop"]["orders"].find()] == ["z"]
    assert s.orders.read(version=1) == [Order("a", 1), Order("b", 2)]


def test_check_names_what_a_mongo_node_lacks() -> None:
    Config.configure_mongo_collection_data_node("m", db_name="shop")
    assert any("needs collection_name" in str(i) for i in Config.check())
