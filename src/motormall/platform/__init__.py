"""Shared plumbing every domain uses: settings, database, auth, errors, events, jobs."""
