"""Customers: registration, the caller's own profile, identity, membership and credit."""
