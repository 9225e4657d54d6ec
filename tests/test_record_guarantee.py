"""The record guarantee: whatever MOCO sends, every conformed record validates against its SCHEMA.

For every stream's committed schema, records are built at random and perturbed the ways real
answers differ from the declared types (ids and amounts as strings, codes as numbers, offsets
on timestamps, midnight timestamps for dates, extra and missing fields, junk at any depth).
After `RecordConformer` they must validate with a Draft 7 validator that checks `date` and
`date-time`; lossless perturbations must come back as the declared value, not as null.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import random
import re
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft7Validator, FormatChecker

from tap_moco.records.conform import ConformError, RecordConformer

SCHEMA_DIR = Path(__file__).resolve().parent.parent / "tap_moco" / "schemas"
SCHEMAS = {path.stem: json.loads(path.read_text()) for path in sorted(SCHEMA_DIR.glob("*.json"))}
ROUNDS = 40
RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})")

CHECKER = FormatChecker(formats=())


@CHECKER.checks("date", raises=ValueError)
def _is_date(value: object) -> bool:
    if not isinstance(value, str):
        return True
    dt.date.fromisoformat(value)
    return bool(re.fullmatch(r"\d{4}-\d{2}-\d{2}", value))


@CHECKER.checks("date-time", raises=ValueError)
def _is_date_time(value: object) -> bool:
    if not isinstance(value, str):
        return True
    dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return bool(RFC3339.fullmatch(value))


def types(schema: dict[str, Any]) -> list[str]:
    declared = schema.get("type", [])
    return [declared] if isinstance(declared, str) else list(declared)


class Maker:
    """Random valid values for a schema, and perturbed ones with what they should become."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def valid(self, schema: dict[str, Any], depth: int = 0) -> Any:
        kinds = [t for t in types(schema) if t != "null"]
        if not kinds or ("null" in types(schema) and self.rng.random() < 0.1):
            return None
        kind = self.rng.choice(kinds)
        if kind == "object":
            props = schema.get("properties", {})
            if not props:
                return {"free": self.rng.randint(0, 9)}
            return {name: self.valid(prop, depth + 1) for name, prop in props.items()}
        if kind == "array":
            items = schema.get("items", {})
            return [self.valid(items, depth + 1) for _ in range(self.rng.randint(0, 3))]
        return self.scalar(kind, schema.get("format"))

    def scalar(self, kind: str, fmt: str | None) -> Any:
        rng = self.rng
        if kind == "integer":
            return rng.randint(-5, 10**9)
        if kind == "number":
            return rng.choice([rng.randint(0, 9999), round(rng.uniform(-1e5, 1e5), 2)])
        if kind == "boolean":
            return rng.random() < 0.5
        if fmt == "date":
            return (dt.date(2020, 1, 1) + dt.timedelta(days=rng.randint(0, 2000))).isoformat()
        if fmt == "date-time":
            moment = dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc) + dt.timedelta(
                seconds=rng.randint(0, 10**8)
            )
            return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
        return rng.choice(["Beispiel AG", "", "12", "ä ß €"])

    def lossless(self, schema: dict[str, Any], value: Any) -> tuple[Any, Any] | None:
        """(what MOCO might send instead of `value`, what must come out), if one exists."""
        rng = self.rng
        kinds = types(schema)
        fmt = schema.get("format")
        if isinstance(value, bool) or value is None:
            return None
        if isinstance(value, int) and "string" not in kinds:
            return rng.choice([str(value), f" {value} ", float(value)]), value
        if isinstance(value, float) and "string" not in kinds:
            return repr(value), value
        if isinstance(value, str) and fmt == "date-time":
            moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            sent = moment.astimezone(dt.timezone(dt.timedelta(hours=2))).isoformat()
            return rng.choice([sent, value.replace("Z", ".000Z"), value[:-1]]), value
        if isinstance(value, str) and fmt == "date":
            return f"{value}T00:00:00Z", value
        if isinstance(value, str) and "string" in kinds and value.isdigit():
            return int(value), value
        return None

    def junk(self) -> Any:
        return self.rng.choice(
            ["not a number", {"nested": {"junk": [1, 2]}}, [1, "x"], True, 1.5, "", "2024-13-45"]
        )


def perturb(
    maker: Maker, schema: dict[str, Any], record: dict[str, Any], *, keys: frozenset[str]
) -> dict[str, Any]:
    """Perturb `record` in place; returns {field: expected value} for lossless changes."""
    rng = maker.rng
    expected: dict[str, Any] = {}
    props = schema.get("properties", {})
    for name in list(record):
        prop = props.get(name, {})
        roll = rng.random()
        if roll < 0.25:
            change = maker.lossless(prop, record[name])
            if change is not None:
                record[name], expected[name] = change
        elif roll < 0.32 and name not in keys:
            record[name] = maker.junk()
        elif roll < 0.40 and name not in keys:
            del record[name]
        elif roll < 0.5 and isinstance(record[name], dict):
            record[name][f"new_{rng.randint(0, 99)}"] = maker.junk()
            nested = prop.get("properties", {})
            for sub in list(record[name]):
                if sub in nested and rng.random() < 0.3:
                    change = maker.lossless(nested[sub], record[name][sub])
                    if change is not None:
                        record[name][sub] = change[0]
                    else:
                        record[name][sub] = maker.junk()
        elif roll < 0.55 and isinstance(record[name], list) and record[name]:
            record[name].append(maker.junk())
    if rng.random() < 0.5:
        record[f"field_moco_added_{rng.randint(0, 9)}"] = maker.junk()
    return expected


@pytest.mark.parametrize("stream", sorted(SCHEMAS))
def test_perturbed_records_conform_to_a_valid_record(stream: str) -> None:
    schema = SCHEMAS[stream]
    validator = Draft7Validator(schema, format_checker=CHECKER)
    conformer = RecordConformer(schema, stream, logging.getLogger("test"))
    props = schema["properties"]
    keys = frozenset(name for name, prop in props.items() if "null" not in types(prop))
    rng = random.Random(f"{stream}-guarantee")
    maker = Maker(rng)
    for _ in range(ROUNDS):
        record = maker.valid(schema)
        assert not list(validator.iter_errors(record))  # the generator itself is right
        expected = perturb(maker, schema, record, keys=keys)
        conformed = conformer(record)
        errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(conformed)]
        assert not errors, (stream, errors[:5])
        for name, value in expected.items():
            assert conformed[name] == value, (stream, name)


def test_lossless_coercions_and_nulls_with_a_counted_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    schema = SCHEMAS["task_templates"]
    conformer = RecordConformer(schema, "task_templates", logging.getLogger("t"))
    caplog.set_level(logging.INFO)
    base = {"id": "12", "revenue_category": {"id": "3", "cost_category": 99, "extra": 1}}
    conformed = conformer({**base, "brand_new": 1, "name": {"x": 1}})
    assert conformed["id"] == 12
    assert conformed["revenue_category"] == {"id": 3, "cost_category": "99"}
    assert conformed["name"] is None
    assert "brand_new" not in conformed
    conformer({**base, "name": [1], "brand_new": 2})
    assert conformer.failures == {"name": 2}
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
    assert len(warnings) == 1 and "name" in warnings[0].getMessage()
    logged = " ".join(infos)
    assert len(infos) == 2  # logged once per stream and name, not per record
    assert "brand_new" in logged and "revenue_category.extra" in logged
    conformer.log_summary()
    assert "name: 2" in caplog.records[-1].getMessage()


def test_dates_from_timestamps_and_timestamps_in_utc() -> None:
    schema = {
        "type": "object",
        "properties": {
            "day": {"type": ["string", "null"], "format": "date"},
            "at": {"type": ["string", "null"], "format": "date-time"},
        },
    }
    conformer = RecordConformer(schema, "s", logging.getLogger("t"))
    assert conformer({"day": "2024-01-05T00:00:00Z", "at": "2024-01-05T10:00:00+02:00"}) == {
        "day": "2024-01-05",
        "at": "2024-01-05T08:00:00Z",
    }
    # A day field sent as a timestamp keeps its day as written (MOCO's `archived_on`).
    assert conformer({"day": "2024-01-05T23:30:00+02:00", "at": "yesterday"}) == {
        "day": "2024-01-05",
        "at": None,
    }
    assert conformer({"day": "someday", "at": None}) == {"day": None, "at": None}
    assert conformer.failures == {"day": 1, "at": 1}
    assert conformer.truncated == {"day": 1}


def test_reference_ids_are_stamped_flat() -> None:
    schema = SCHEMAS["invoice_payments"]
    conformer = RecordConformer(schema, "invoice_payments", logging.getLogger("t"))
    record = conformer({"id": 1, "invoice": {"id": "77", "identifier": "R1", "title": "t"}})
    assert record["invoice_id"] == 77
    assert conformer({"id": 2, "invoice": None}).get("invoice_id") is None


def test_a_key_that_fits_no_type_stops_the_sync() -> None:
    conformer = RecordConformer(SCHEMAS["activities"], "activities", logging.getLogger("t"))
    with pytest.raises(ConformError, match="activities: key field id"):
        conformer({"id": "not-a-number"})
