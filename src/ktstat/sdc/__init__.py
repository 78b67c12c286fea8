"""Statistical disclosure control: primary suppression, secondary suppression, audit.

Work in progress (issue 5): correct on small tables, but the audit loop is too slow on the
demo's full release (minutes) and may hide cells of published figures; the pipeline runs it
only when asked (``compile_store(..., protect=True)``).

``protect(con, domain)`` runs all three on a compiled domain's cube and writes table
``disclosure`` (one row per published cell and flow: reporters, the rule that suppressed it:
a primary rule, ``secondary``, or empty); ``apply_to_indicators`` then withholds (status
``C``, no value) every indicator that shows or would reveal a suppressed cell.
"""

from ktstat.sdc.apply import apply_to_indicators
from ktstat.sdc.protect import ProtectionResult, protect

__all__ = ["ProtectionResult", "apply_to_indicators", "protect"]
