"""Statistical disclosure control: primary suppression, secondary suppression, audit.

Primary rules (threshold, (n, k) dominance, p %) come from the domain's ``[disclosure]``
settings (:mod:`ktstat.sdc.primary`); the linear structure a reader can use is the table's
own additivity, checked against the data (:mod:`ktstat.sdc.linear`); secondary suppression
finds the cheapest protecting perturbations by linear programming (:mod:`ktstat.sdc.protect`,
:mod:`ktstat.sdc.lp`); the audit computes every primary cell's deducible interval
(:mod:`ktstat.sdc.audit`). The pipeline applies it by default.

``protect(con, domain)`` runs all three on a compiled domain's cube and writes table
``disclosure`` (one row per published cell and flow: reporters, the rule that suppressed it:
a primary rule, ``secondary``, or empty); ``apply_to_indicators`` then withholds (status
``C``, no value) every indicator that shows or would reveal a suppressed cell.
"""

from ktstat.sdc.apply import apply_to_indicators
from ktstat.sdc.protect import ProtectionResult, protect

__all__ = ["ProtectionResult", "apply_to_indicators", "protect"]
