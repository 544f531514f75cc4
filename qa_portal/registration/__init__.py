"""Providers that may have to register with Ofsted as an independent school."""
