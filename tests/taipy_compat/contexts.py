"""What the user manual's data node fragments assume: a ``data_node`` of the type the
page's section is about (CSV, Excel, SQL table, ...), holding the page's three sales
rows, with ``pandas``, ``numpy``, ``SaleRow`` and the filter operators in scope. The
same preamble runs before the fragment under Taipy and under scenarium, so only the
fragment's own calls are compared."""

from __future__ import annotations

import re

_COMMON = """
import datetime
import sqlite3
from dataclasses import dataclass

import numpy
import numpy as np
import pandas
import pandas as pd

import taipy as tp
from taipy import Config, Scope
from taipy.core.data.operator import JoinOperator, Operator


@dataclass
class SaleRow:
    date: str
    nb_sales: int


ROWS = pd.DataFrame({"date": ["12/24/2018", "12/25/2018", "12/26/2018"], "nb_sales": [1550, 2315, 1832]})
"""

_SQLITE = """
with sqlite3.connect("sales.db") as connection:
    connection.execute("CREATE TABLE IF NOT EXISTS sales (date TEXT, nb_sales INTEGER)")
"""

# Per section of the page: the data node's configuration (``{exposed}`` is the
# tab's exposed type) and whether the page's rows are written first.
_NODES = {
    "Pickle": 'Config.configure_pickle_data_node("sales", scope=Scope.GLOBAL)',
    "CSV": 'Config.configure_csv_data_node("sales", default_path="sales.csv", scope=Scope.GLOBAL{exposed})',
    "Excel": 'Config.configure_excel_data_node("sales", default_path="sales.xlsx", scope=Scope.GLOBAL{exposed})',
    "SQL Table": (
        'Config.configure_sql_table_data_node("sales", db_name="sales", db_engine="sqlite", table_name="sales", '
        'sqlite_folder_path=".", sqlite_file_extension=".db", scope=Scope.GLOBAL{exposed})'
    ),
    "JSON": 'Config.configure_json_data_node("sales", default_path="sales.json", scope=Scope.GLOBAL)',
    "Parquet": 'Config.configure_parquet_data_node("sales", default_path="sales.parquet", scope=Scope.GLOBAL{exposed})',
    "In memory": 'Config.configure_in_memory_data_node("sales", scope=Scope.GLOBAL)',
}
_TABLES = ("CSV", "Excel", "SQL Table", "Parquet")
_EXPOSED = {"pandas": ', exposed_type="pandas"', "numpy": ', exposed_type="numpy"', "SaleRow": ", exposed_type=SaleRow"}


def preamble(section: str, tab: str | None) -> str | None:
    """The code that makes the fragment's ``data_node``, or None when the section has
    no data node type this suite can make (Mongo needs a server; SQL its own tables)."""
    if section in ("Filter",):
        section = "CSV"
    if section not in _NODES:
        return None
    # A tab names the exposed type ("exposed_type = numpy") or the data written ("numpy array").
    exposed = next((v for k, v in _EXPOSED.items() if tab and tab.startswith("exposed_type") and k in tab), "")
    node = _NODES[section].format(exposed=exposed)
    code = _COMMON + (_SQLITE if section == "SQL Table" else "")
    code += f"\ndata_node = tp.create_global_data_node({node})\n"
    if section in _TABLES:
        code += "data_node.write(ROWS)\n"
    return code + "\n"


def needs_data_node(block: str) -> bool:
    return "data_node" in block and not re.search(r"^\s*data_node\s*=", block, re.M)
