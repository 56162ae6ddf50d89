"""Payments: intents at a provider, signed notifications, refunds, and the double-entry ledger."""
