"""``python -m ktstat.sdc.worker JOB RESULT``: protect one flow in a process of its own.

Started by :func:`ktstat.sdc.protect._protect_flows`, which protects the other flow meanwhile.
``JOB``: a pickle of ``(earlier layers, current layer, protection fraction, insider fraction)``
written by that function in a private temporary folder; ``RESULT``: where the pickle of
:func:`ktstat.sdc.protect._protect_flow`'s result is written. Exit status 0 when it was.
"""

from __future__ import annotations

import pickle
import sys
from pathlib import Path


def main(argv: list[str]) -> int:
    from ktstat.sdc.protect import _protect_flow

    job_file, result_file = Path(argv[0]), Path(argv[1])
    result = _protect_flow(pickle.loads(job_file.read_bytes()))
    part = result_file.with_suffix(".part")
    part.write_bytes(pickle.dumps(result, protocol=pickle.HIGHEST_PROTOCOL))
    part.replace(result_file)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
