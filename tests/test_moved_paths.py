"""The module paths from before the package's subpackages (issue 37) still resolve, to
the very modules at their new paths: pickles, json files and programs name them."""

from __future__ import annotations

import importlib
import json
import pickle

import pytest

from scenarium import _moved
from scenarium.config import Scope
from scenarium.entities.events import EventOperation
from scenarium.storage.json_values import DefaultJSONDecoder, DefaultJSONEncoder


@pytest.mark.parametrize("old,new", sorted(_moved.OLD_PATHS.items()))
def test_an_old_module_path_is_the_module_at_its_new_path(old: str, new: str) -> None:
    module = importlib.import_module(old)
    assert module is importlib.import_module(new)
    assert module.__name__ == new  # the module itself is untouched


def test_a_pickle_written_with_an_old_path_loads() -> None:
    written = pickle.dumps(Scope.SCENARIO, protocol=0)
    assert b"scenarium.config.model" in written
    old = written.replace(b"scenarium.config.model", b"scenarium._config_model")
    assert pickle.loads(old) is Scope.SCENARIO


def test_a_json_file_naming_an_enum_by_its_old_module_reads_back() -> None:
    text = json.dumps(EventOperation.CREATION, cls=DefaultJSONEncoder)
    old = text.replace("scenarium.entities.events", "scenarium._events")
    assert old != text
    assert json.loads(old, cls=DefaultJSONDecoder) is EventOperation.CREATION


def test_old_imports_of_modules_still_work() -> None:
    from scenarium import _api, _codec, config_toml

    assert _api.submit is importlib.import_module("scenarium").submit
    assert callable(_codec.encode) and callable(config_toml.load)
