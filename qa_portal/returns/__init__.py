"""Termly returns: providers' feedback per pupil per term, reviewed by the partnership."""
