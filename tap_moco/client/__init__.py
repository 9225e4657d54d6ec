"""HTTP against MOCO.

`transport`: the session, retries and MOCO's answers classified; `throttle`: the rate limiter
every stream shares. Named `client`, not `http`: `python tap_moco/tap.py` puts this folder's
parent on `sys.path`, and a `http` package there would hide the standard library's.
"""
