"""The SDK's standard tap tests, run against a sandbox over real sockets."""

from __future__ import annotations

import atexit

from singer_sdk.testing import SuiteConfig, get_tap_test_class

from sandbox import Sandbox, SandboxConfig
from sandbox.runner import SECRET_KEY, base_config, catalog_selecting
from tap_moco.streams import STREAM_SPECS
from tap_moco.tap import TapMoco

# The generated test class needs its config when this module is imported, so this module
# runs its own sandbox for the session instead of using a fixture.
_SANDBOX = Sandbox(SandboxConfig(api_key=SECRET_KEY)).start()
atexit.register(_SANDBOX.stop)

TestTapMoco = get_tap_test_class(
    tap_class=TapMoco,
    config=base_config(_SANDBOX.base_url, start_date="2020-01-01T00:00:00Z"),
    suite_config=SuiteConfig(max_records_limit=50),
    # every stream, including the per-parent children that are off by default
    catalog=catalog_selecting({spec.name for spec in STREAM_SPECS}),
)
