"""Helpers every layer may use: argument checks, memory limits, ENV[VAR] templates. Imports
only ``exceptions`` and ``_core``.
"""
