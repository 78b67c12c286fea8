"""Errors a user can cause. The CLI prints them as one line and exits non-zero."""

from __future__ import annotations


class KtstatError(Exception):
    """An error the user can fix; its message says what to fix."""


class InputError(KtstatError):
    """An input file cannot be read or lacks what the contract requires."""


class DomainError(KtstatError):
    """A domain definition or code list is missing or inconsistent."""


class QueryError(KtstatError):
    """A request names something that does not exist (breakdown, period, item)."""
