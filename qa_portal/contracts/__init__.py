"""Contracts between a commissioning school or partnership and a provider."""
