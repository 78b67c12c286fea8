"""Publication outputs built from the store: data files, disclosure reports, releases."""

from ktstat.publish.files import write_disclosure, write_indicators

__all__ = ["write_disclosure", "write_indicators"]
