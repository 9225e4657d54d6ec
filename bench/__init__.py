"""Benchmarks for tap-moco (`make bench`): figures next to their goals, the peer beside them.

Modules: figures.py (each figure), harness.py (processes and their cost), peer.py and
moco_py_export.py (moco-py in its own venv), readme.py (the README table from a results file).
"""
