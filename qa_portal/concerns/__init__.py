"""Concerns raised by schools and partnerships about a provider, and how they were resolved."""
