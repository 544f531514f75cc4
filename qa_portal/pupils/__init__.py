"""Pupils: who they are, their school, key worker and needs; the timeline of their record."""
