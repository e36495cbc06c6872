"""Values to bytes and back: ``codec`` (the dispatch by storage type: ``encode``,
``decode``, inline and in-memory values, appends), one module per family of storage
types (``frames``: csv, parquet, arrow; ``files``: pickle, json; ``excel``; ``datasets``:
parquet folders; ``external``: the sources in the user's systems, ``sql``, ``s3``,
``mongo``, ``generic``), and ``dask_frames``, ``json_values``, ``exposed``, ``shared``.
May use ``identity`` and ``_utils``.
"""
