"""Code identity: what a task's function is made of (``code``), what its runs touched
(``recording``, ``hints``), a function reference checked without importing it
(``static_ref``) and ``sc.why`` (``why``). May use ``_utils``.
"""
