"""The baseline: the least a client can do to page MOCO and print Singer RECORD lines.

`python bench/raw_loop.py BASE_URL KEY STREAM_PATH STREAM_NAME`
"""

import json
import sys

import requests


def main() -> None:
    """Page the stream, following `Link` next, and print one RECORD line per record."""
    base_url, key, path, stream = sys.argv[1:5]
    session = requests.Session()
    session.headers["Authorization"] = f"Token token={key}"
    url, params = f"{base_url}{path}", {"per_page": "100"}
    write = sys.stdout.write
    while url:
        response = session.get(url, params=params, timeout=60)
        response.raise_for_status()
        for record in response.json():
            write(json.dumps({"type": "RECORD", "stream": stream, "record": record}) + "\n")
        url = response.links.get("next", {}).get("url")


if __name__ == "__main__":
    main()
