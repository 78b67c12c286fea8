"""Releases: vintages, the calendar, revisions, and what a release publishes (tables, statements)."""
