"""What a run leaves for the next one beyond bookmarks: delete detection's state.

Counts and versions for every list; for dated lists also the belief by date that names
deleted records.
"""
