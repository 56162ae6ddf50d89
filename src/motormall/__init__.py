"""motormall: online-to-offline car retail for a carmaker and its dealers."""

__version__ = "0.1.0"
