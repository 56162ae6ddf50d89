"""Test drives at dealers (a slot in opening hours) and at self-service towers (a gate, a face
check at the bay, three days out, then return or buy)."""
