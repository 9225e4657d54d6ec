"""Reading the documented walkthroughs and running their blocks as a user's shell would.

Every `bash` block between `<!-- walkthrough:start -->` and `<!-- walkthrough:end -->`
(docs/meltano.md, "Use with Meltano"), between the `singer` markers (docs/singer.md, "Plain
Singer") and between the `first-run` markers (README.md, the first run) runs in order in a
new temporary directory (`tests/test_readme_walkthrough.py`, `tests/test_singer_walkthrough.py`).
The only change made to a block is the account: `domain acme` (or `"domain": "acme"`) becomes
the sandbox's `api_url`. A block added to a page runs without any change to the tests.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
from pathlib import Path

from sandbox.runner import ROOT, SECRET_KEY

README = ROOT / "README.md"
PAGES = {
    "walkthrough": ROOT / "docs" / "meltano.md",
    "singer": ROOT / "docs" / "singer.md",
    "first-run": README,
}
"""The page that holds each marker pair's blocks."""
START = dt.date(2024, 1, 1)  # the walkthroughs' start_date


def readme_blocks(marker: str) -> list[str]:
    """The `bash` blocks between a marker pair of its page, dedented, in order."""
    text = PAGES[marker].read_text()
    begin, end = f"<!-- {marker}:start -->", f"<!-- {marker}:end -->"
    assert text.count(begin) == 1 and text.count(end) == 1, marker
    section = text.split(begin)[1].split(end)[0]
    blocks = []
    for indent, body in re.findall(r"^( *)```bash\n(.*?)^\1```", section, re.DOTALL | re.MULTILINE):
        lines = [line.removeprefix(indent) for line in body.splitlines()]
        blocks.append("\n".join(lines) + "\n")
    assert blocks, marker
    return blocks


def with_api_url(block: str, urls: dict[str, str]) -> str:
    """Swap each account's `domain` for its sandbox's `api_url`: the walkthrough's one change."""
    for account, url in urls.items():
        block = re.sub(rf"(config set \S+) domain {account}\b", rf"\1 api_url {url}", block)
        block = block.replace(f'"domain": "{account}"', f'"api_url": "{url}"')
    assert not re.search(r"\bdomain (acme|globex)\b|\"domain\":", block), block
    return block


class Shell:
    """Runs README blocks one after another; each starts where the previous one ended (`cd`)."""

    def __init__(self, cwd: Path, env: dict[str, str]) -> None:
        self.cwd = cwd
        self.env = env
        self.marker = cwd / ".walkthrough-pwd"

    def run(self, block: str) -> str:
        script = f'set -eo pipefail\ncd "{self.cwd}"\n{block}\npwd > "{self.marker}"\n'
        result = subprocess.run(
            ["bash", "-c", script],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        output = result.stdout + result.stderr
        assert SECRET_KEY not in output, "the API key leaked into a command's output"
        assert result.returncode == 0, f"README block failed:\n{block}\n{output[-4000:]}"
        self.cwd = Path(self.marker.read_text().strip())
        return result.stdout


def base_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The user's shell: no TAP_MOCO_* or MELTANO_* leaking in from the suite's environment.

    Nor PYTHONDONTWRITEBYTECODE: a user's plugins keep their bytecode, so that each of the
    walkthrough's Meltano commands does not compile its plugin's imports again.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("TAP_MOCO", "TARGET_", "MELTANO", "VIRTUAL_ENV", "PG"))
        and name != "PYTHONDONTWRITEBYTECODE"
    }
    # uv, which Meltano ships, installs the plugins in seconds; its cache outlives the HOME
    caches = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    uv_cache = os.environ.get("UV_CACHE_DIR") or str(Path(caches) / "uv")
    env.update(
        HOME=str(tmp_path / "home"),
        MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
        MELTANO_VENV_BACKEND="uv",
        UV_CACHE_DIR=uv_cache,
    )
    (tmp_path / "home").mkdir(exist_ok=True)
    env.update(extra)
    return env


def records_by_stream(path: Path) -> dict[str, int]:
    counts: dict[str, int] = {}
    for line in path.read_text().splitlines():
        message = json.loads(line)
        if message["type"] == "RECORD":
            counts[message["stream"]] = counts.get(message["stream"], 0) + 1
    return counts
