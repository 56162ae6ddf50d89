"""Demo network: the data and the seeding of a realistic dealer network."""
