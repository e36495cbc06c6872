"""Taipy's application-wide configuration and ENV[...] templates set in Python, as the
user manual's configuration pages use them (advanced-config.md, index.md, job-config.md)."""

from __future__ import annotations

import pandas as pd
import pytest

import scenarium as sc
from scenarium import Config


def test_global_app_properties_read_the_environment_when_used(monkeypatch) -> None:
    Config.configure_global_app(password="ENV[PWD_FOR_TEST]", max_nb_users="ENV[NB_USERS]:int")
    monkeypatch.setenv("PWD_FOR_TEST", "s3cret")
    monkeypatch.setenv("NB_USERS", "4")
    assert Config.global_config.password == "s3cret"
    assert Config.global_config.max_nb_users == 4
    assert Config.global_config.not_set is None  # as Taipy: an unknown key reads as None
    assert Config.global_config.properties == {"password": "s3cret", "max_nb_users": 4}
    monkeypatch.delenv("PWD_FOR_TEST")
    with pytest.raises(sc.MissingEnvVariableError, match="PWD_FOR_TEST"):
        _ = Config.global_config.password


def test_the_taipy_section_round_trips_with_its_templates(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("PWD_FOR_TEST", "s3cret")
    Config.configure_global_app(password="ENV[PWD_FOR_TEST]", team="data")
    Config.export(tmp_path / "c.toml")
    text = (tmp_path / "c.toml").read_text()
    assert "[TAIPY]" in text and "s3cret" not in text, "a secret is written as its template"
    Config._reset()
    assert Config.global_config.team is None
    Config.load(tmp_path / "c.toml")
    assert (Config.global_config.password, Config.global_config.team) == ("s3cret", "data")


def test_a_data_nodes_env_template_set_in_python_is_read_when_used(tmp_path, monkeypatch) -> None:
    """The manual's my_config.py gives ``db_password="ENV[PWD]"``: the password is read
    from the environment when the node is used, and the registry keeps the template."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SALES_FOLDER", str(tmp_path / "db"))
    (tmp_path / "db").mkdir()
    cfg = Config.configure_sql_table_data_node(
        "sales", db_name="shop", db_engine="sqlite", table_name="sales", sqlite_folder_path="ENV[SALES_FOLDER]"
    )
    dn = sc.create_scenario(Config.configure_scenario("s", additional_data_node_configs=[cfg])).sales
    dn.write(pd.DataFrame({"id": [1, 2]}))
    assert (tmp_path / "db" / "shop.db").is_file()
    assert dn.properties["sqlite_folder_path"] == "ENV[SALES_FOLDER]"
    assert list(dn.read()["id"]) == [1, 2]


def test_taipy_enterprises_cluster_mode_is_a_check_error_naming_dask() -> None:
    Config.configure_job_executions(mode="cluster")  # the manual's job-config.md, as Taipy takes it
    errors = [str(i) for i in Config.check() if i.level == "error"]
    assert len(errors) == 1 and "cluster" in errors[0] and 'mode "dask"' in errors[0]
    with pytest.raises(sc.ConfigError):
        Config.configure_job_executions(mode=3)  # type: ignore[arg-type]


def test_global_app_config_is_where_taipy_users_import_it_from() -> None:
    from scenarium.common.config import Config as TaipyConfig
    from scenarium.common.config import GlobalAppConfig

    assert TaipyConfig is Config and isinstance(Config.global_config, GlobalAppConfig)
