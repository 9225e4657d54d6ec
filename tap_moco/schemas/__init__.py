"""Generated JSON schemas, one per stream (see scripts/generate_schemas.py)."""
