"""Orders: a VIN reserved for one buyer, paid, handed over, and possibly returned."""
