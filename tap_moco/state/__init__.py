"""What a run leaves for the next one beyond bookmarks: delete detection's counts and versions."""
