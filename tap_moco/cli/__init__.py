"""The command line around a sync.

`plan`: the cost plan; `run_log`: what a run says on stderr; `stdout`: Singer messages out.
"""
