"""Alternative providers: the county-wide register."""
