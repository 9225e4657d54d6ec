"""listing/pages.py: a resume says so when the last record read moved back a page.

The module's promise: a resumed read looks for its last record on the checkpoint's page, then
on the one before; found there, it says at INFO that records moved back while the tap was down
and on which page it resumes; found where it was, it says nothing of the kind.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from tap_moco.listing.pages import Anchor
from tests.test_mutation_kills_paging import FakeList, ids

if TYPE_CHECKING:
    import pytest

MOVED = "records moved back while the tap was down; resuming on page"


def test_a_resume_on_the_page_before_says_the_records_moved(
    caplog: pytest.LogCaptureFixture,
) -> None:
    served = FakeList(list(range(1, 11)), per_page=2)
    served.records = served.records[2:]  # ids 1 and 2 deleted while the tap was down
    with caplog.at_level(logging.INFO, logger="tests.paging"):
        assert ids(served.read(workers=1)(start_page=3, after=Anchor((6,)))) == [7, 8, 9, 10]
    moved = [r.getMessage() for r in caplog.records if MOVED in r.getMessage()]
    assert moved == [f"Stream 'projects': {MOVED} 2 after the last record read"]


def test_a_resume_where_it_stopped_says_nothing_moved(caplog: pytest.LogCaptureFixture) -> None:
    served = FakeList(list(range(1, 11)), per_page=2)
    with caplog.at_level(logging.INFO, logger="tests.paging"):
        assert ids(served.read(workers=1)(start_page=3, after=Anchor((6,)))) == [7, 8, 9, 10]
    assert not [r for r in caplog.records if MOVED in r.getMessage()]
