"""Vision: photo search for cars and face checks for tower test drives (CPU models)."""
