"""The README stays a five-minute read, and every page's links and named tests exist."""

from __future__ import annotations

import re

import pytest

from sandbox.runner import ROOT

PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", *sorted((ROOT / "docs").glob("*.md"))]
README_MAX_BYTES = 15_500  # "about 15 KB": what a data engineer reads in five minutes


def test_readme_is_short():
    size = len((ROOT / "README.md").read_bytes())
    assert size <= README_MAX_BYTES, f"README.md is {size} bytes; move reference to docs/"


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_relative_links_resolve(page):
    text = page.read_text()
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if "://" in target or target.startswith("mailto:"):
            continue
        assert (page.parent / target).exists(), f"{page.name} links to missing {target}"


def test_every_test_a_page_names_exists():
    sources = "".join(path.read_text() for path in (ROOT / "tests").glob("*.py"))
    defined = set(re.findall(r"def (test_[a-z0-9_]+)", sources))  # no git: copies have none
    files = {path.stem for path in (ROOT / "tests").glob("test_*.py")}
    for page in PAGES:
        for name in set(re.findall(r"\b(test_[a-z0-9_]+)\b", page.read_text())):
            assert name in defined or name in files, f"{page.name} names {name}, which is no test"
