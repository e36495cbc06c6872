"""What a notebook or a terminal shows: HTML pieces (``html``), the DAG as SVG
(``dag_svg``), the progress of a submission (``progress``), matplotlib figures
(``plots``). Draws what it is given; may use ``storage`` (a value's preview) and below.
"""
