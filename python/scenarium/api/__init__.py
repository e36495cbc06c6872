"""The module-level functions users call (``sc.submit``, ``sc.get``, lineage, look-ups,
export and import); ``scenarium/__init__`` re-exports them. May use every layer below
(``entities`` and down).
"""
