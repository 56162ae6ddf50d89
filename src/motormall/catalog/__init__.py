"""Catalog and stock: brands, models, trims, dealers, towers and vehicles by VIN."""
