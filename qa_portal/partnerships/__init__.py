"""Partnerships and member schools."""
