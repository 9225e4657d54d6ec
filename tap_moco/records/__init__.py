"""Records as the tap emits them.

`conform`: valid against their SCHEMA; `timestamps`: one UTC format; `custom_fields`: MOCO's
custom fields as typed columns.
"""
