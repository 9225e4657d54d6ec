"""listing/pages.py's reads against a list served in process: a missing X-Per-Page, a resume after
records shifted back a page (cosmic-ray's sample found both only end to end, or not at all)."""

from __future__ import annotations

import json
import logging
from typing import Any

import requests
from requests.structures import CaseInsensitiveDict

from tap_moco.client.throttle import RateLimiter
from tap_moco.listing.pages import Anchor, PagedRead

URL = "https://example.mocoapp.com/api/v1/projects"


class FakeList:
    """MOCO's paging of `records`: X-Total, optionally X-Per-Page, and Link rel="next"."""

    def __init__(self, ids: list[int], per_page: int, *, per_page_header: bool = True) -> None:
        self.records = [{"id": n} for n in ids]
        self.per_page = per_page
        self.per_page_header = per_page_header
        self.asked: list[int] = []

    def fetch(self, page: int) -> requests.Response:
        self.asked.append(page)
        url = f"{URL}?page={page}"
        chunk = self.records[(page - 1) * self.per_page : page * self.per_page]
        headers = {"X-Total": str(len(self.records))}
        if self.per_page_header:
            headers["X-Per-Page"] = str(self.per_page)
        if page * self.per_page < len(self.records):
            headers["Link"] = f'<{URL}?page={page + 1}>; rel="next"'
        response = requests.Response()
        response.status_code = 200
        response.headers = CaseInsensitiveDict(headers)
        response._content = json.dumps(chunk).encode()
        response.url = url
        response.request = requests.Request("GET", url).prepare()
        return response

    def read(self, *, workers: int) -> PagedRead:
        return PagedRead(
            stream="projects",
            logger=logging.getLogger("tests.paging"),
            per_page=self.per_page,
            fetch=self.fetch,
            records=lambda response: response.json(),
            workers=lambda: workers,
            limiter=RateLimiter([(1000, 1.0)]),
            count_creates=False,
        )


def ids(records: Any) -> list[int]:
    return [record["id"] for record in records]


def test_a_list_answered_without_x_per_page_is_read_whole_in_parallel() -> None:
    """X-Per-Page is optional: the pages planned ahead then follow the requested page size."""
    served = FakeList(list(range(1, 12)), per_page=3, per_page_header=False)
    assert ids(served.read(workers=3)()) == list(range(1, 12))
    assert sorted(served.asked) == [1, 2, 3, 4]


def test_a_resume_finds_its_last_record_shifted_back_one_page() -> None:
    """Records deleted before the checkpoint move the last record read onto the page before."""
    served = FakeList(list(range(1, 11)), per_page=2)  # pages: [1,2] [3,4] [5,6] [7,8] [9,10]
    served.records = served.records[2:]  # ids 1 and 2 deleted while the tap was down
    resumed = served.read(workers=1)(start_page=3, after=Anchor((6,)))  # 6 was on page 3
    assert ids(resumed) == [7, 8, 9, 10], "nothing before the checkpoint again, nothing lost"
    assert served.asked[:2] == [3, 2]
