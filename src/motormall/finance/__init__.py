"""Finance: quotes, credit scores, underwriting, contracts and instalments."""
