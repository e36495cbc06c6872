"""What the docstring examples of ``python/scenarium`` run against (``pytest
--doctest-modules``, part of ``make test``): each example in a fresh folder with
its own storage, the article's scenario (native tasks, the 10,000-row sample)
created and submitted as ``scenario``, two more as ``baseline`` and ``generous``,
its configuration exported as ``config.toml``, and ``sc``, ``Config``, ``timedelta``
imported. It lives in the package folder so that pytest imports it as
``scenarium.conftest`` (a second top-level ``conftest`` would shadow the one the
tests import from), and ``[tool.maturin] exclude`` keeps it out of the wheel."""

from __future__ import annotations

import importlib.util
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _article_namespace(doctest_namespace, tmp_path, monkeypatch):
    import scenarium as sc
    from scenarium import Config

    Config._reset()
    monkeypatch.chdir(tmp_path)
    Config.configure_core(storage_folder=str(tmp_path / ".scenarium"))
    (tmp_path / "data").mkdir()
    shutil.copy(REPO / "data" / "SMALL_customers_data.csv", tmp_path / "data" / "customers_data.csv")
    spec = importlib.util.spec_from_file_location("doctest_article_config", REPO / "examples" / "native" / "config.py")
    article = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(article)
    Config.export(str(tmp_path / "config.toml"))
    scenario = sc.create_scenario(article.scenario_cfg, name="article")
    scenario.submit()
    baseline = sc.create_scenario(article.scenario_cfg, name="baseline")
    generous = sc.create_scenario(article.scenario_cfg, name="generous")
    generous.payment_threshold.write(1600)
    for s in (baseline, generous):
        s.submit()
    # The examples configure what they need: they start from an empty Config.
    Config._reset()
    Config.configure_core(storage_folder=str(tmp_path / ".scenarium"))
    doctest_namespace.update(
        sc=sc,
        Config=Config,
        timedelta=timedelta,
        scenario=scenario,
        scenario_cfg=article.scenario_cfg,
        baseline=baseline,
        generous=generous,
    )
    yield
    Config._reset()
