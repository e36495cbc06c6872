"""Running tasks: ``runtime`` (the ``TaskRunner`` the core calls back, the engine of this
process), ``modes`` (worker processes or Dask), ``workers``, ``dask``, ``external_sync``
(external data read in and written out around a run). May use ``config`` and below.
"""
