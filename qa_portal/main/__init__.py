"""The home page of each role and the service's own pages."""
