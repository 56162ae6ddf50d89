"""Every domain's background tasks, imported so a worker knows them all."""

from motormall.platform import maintenance  # noqa: F401
