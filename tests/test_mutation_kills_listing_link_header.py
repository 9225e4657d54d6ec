"""listing/link_header.py's PageAudit: what a pass's pages promised against what they held.

The module's promise: a page short of `per_page` while `Link` promises more is a gap, and so is
a last page that leaves the count short of `X-Total`; a full page (or one fuller than asked)
with a next link is not a problem, nor is a list that ends exactly at `X-Total`.
"""

from __future__ import annotations

from tap_moco.listing.link_header import PageAudit


def test_a_page_with_at_least_per_page_records_and_a_next_link_is_no_gap() -> None:
    audit = PageAudit("projects", 2)
    audit.page(1, 2, None, has_next=True)
    audit.page(2, 3, None, has_next=True)  # fuller than asked: nothing is missing
    audit.page(3, 1, None, has_next=False)
    assert audit.problem is None
    short = PageAudit("projects", 2)
    short.page(1, 1, None, has_next=True)
    assert short.problem == "page 1 had 1 of 2 records but Link promised more"


def test_a_list_that_ends_short_of_x_total_is_a_gap() -> None:
    exact = PageAudit("projects", 2)
    exact.page(1, 2, 3, has_next=True)
    exact.page(2, 1, 3, has_next=False)
    assert exact.problem is None
    short = PageAudit("projects", 2)
    short.page(1, 2, 5, has_next=True)
    short.page(2, 2, 5, has_next=True)
    short.page(3, 0, 5, has_next=False)
    assert short.problem == "the list ended at page 3 with 4 records but X-Total is 5"
