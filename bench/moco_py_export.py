"""Export every activity through moco-py (run by `.venv-bench/bin/python`, see bench/peer.py).

`python bench/moco_py_export.py BASE_URL KEY` prints one JSON line: records read, whether
the export finished, and the exception that stopped it if not.

moco-py is pointed at the sandbox through its own `base_url` argument; nothing in it is
patched but one thing: its `Activity` model declares `tag: str`, while MOCO's OpenAPI
document (and the sandbox) send `tag: null` for untagged activities, and moco-py 1.2.0 then
fails validating the very first page. The bench relaxes that one field to `str | None` in
this process only, so the figures measure paging and rate limits, not that mismatch.
"""

import json
import sys

from moco_py import Moco
from moco_py.exceptions import MocoError
from moco_py.types.activities import Activity


def main() -> None:
    """Page every activity with `auto_paging_iter()`, the client's own export path."""
    base_url, key = sys.argv[1:3]
    Activity.model_fields["tag"].annotation = str | None  # type: ignore[assignment]
    Activity.model_rebuild(force=True)
    client = Moco(api_key=key, base_url=base_url)
    records, error = 0, None
    try:
        for _ in client.activities.list().auto_paging_iter():
            records += 1
    except MocoError as exc:
        error = type(exc).__name__
    print(json.dumps({"records": records, "finished": error is None, "error": error}))


if __name__ == "__main__":
    main()
