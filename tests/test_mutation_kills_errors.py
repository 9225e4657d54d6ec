"""errors.py's quoting rules, pinned in process (cosmic-ray's sample found them only end to end).

The module's promise: a server's message is quoted whitespace-folded, at most MAX_QUOTED
characters, with every secret of 4 characters or more redacted; shorter "secrets" (an empty
or placeholder setting) are left alone, or every "a" in a message would vanish.
"""

from __future__ import annotations

from tap_moco.errors import MAX_QUOTED, quote_moco_message, redact


def test_every_secret_of_four_characters_or_more_is_redacted() -> None:
    text = "key abcd and key s3cr3t-value, again abcd"
    assert redact(text, ("abcd", "s3cr3t-value")) == (
        "key [redacted] and key [redacted], again [redacted]"
    )


def test_secrets_shorter_than_four_characters_are_left_alone() -> None:
    assert redact("a cat sat", ("a", "cat")) == "a cat sat"
    assert redact("nothing secret", ()) == "nothing secret"


def test_a_string_message_is_quoted_as_text_not_as_its_repr() -> None:
    assert quote_moco_message({"message": "Not  found\n here"}) == "Not found here"
    assert quote_moco_message("plain text") == "plain text"


def test_a_structured_message_is_quoted_by_its_repr() -> None:
    assert quote_moco_message({"errors": ["bad date"]}) == "['bad date']"
    assert quote_moco_message({"unexpected": 1}) == "{'unexpected': 1}"


def test_the_quote_is_capped_and_redacted() -> None:
    quoted = quote_moco_message({"message": "x" * 500 + " token1234"}, ("token1234",))
    assert len(quoted) == MAX_QUOTED == 200  # the module docstring promises 200
    assert quote_moco_message({"message": "echo token1234"}, ("token1234",)) == "echo [redacted]"
