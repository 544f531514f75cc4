"""Placements: a pupil with a provider, the written agreement, the learning plan and its reviews."""
