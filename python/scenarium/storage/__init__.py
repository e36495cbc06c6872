"""Values to bytes and back: ``codec`` (every storage type's encode and decode),
``external`` (sql, sql_table, generic), ``json_values``, ``dask_frames``. May use
``identity`` and ``_utils``.
"""
