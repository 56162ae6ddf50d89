"""The carmaker's analytics: a columnar copy of the events, kept current by a job, and the
funnel, dealer league table and new-energy share computed from it by DuckDB."""
