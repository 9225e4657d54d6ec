"""spec.py's `extra_properties`: what the tap stamps on records beyond MOCO's payload, by the
shape of the stream (taggings' entity, entity id and tag; a per-parent stream's parent key;
a windowed stream's window bounds), and each of them in the stream's packaged schema."""

from __future__ import annotations

import json
from importlib import resources

from tap_moco.streams import SPECS_BY_NAME, STREAM_SPECS


def test_the_stamped_properties_follow_the_kind_of_stream() -> None:
    assert SPECS_BY_NAME["activities"].extra_properties() == {}
    assert SPECS_BY_NAME["taggings"].extra_properties() == {
        "entity": {"type": ["string"]},
        "entity_id": {"type": ["integer"]},
        "tag": {"type": ["string"]},
    }
    assert SPECS_BY_NAME["invoice_items"].extra_properties() == {
        "invoice_id": {"type": ["integer"]}
    }
    assert list(SPECS_BY_NAME["user_performance_reports"].extra_properties()) == [
        "user_id",
        "window_start",
        "window_end",
    ]


def test_every_stamped_property_is_in_the_packaged_schema_with_its_type() -> None:
    for spec in STREAM_SPECS:
        text = resources.files("tap_moco.schemas").joinpath(f"{spec.name}.json").read_text()
        properties = json.loads(text)["properties"]
        for name, stamped in spec.extra_properties().items():
            packaged = properties.get(name, {"type": []})
            assert set(stamped["type"]) <= set(packaged["type"]), (spec.name, name)
            assert packaged.get("format") == stamped.get("format"), (spec.name, name)
