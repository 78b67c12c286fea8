"""Every figure of a compile unchanged, cell for cell, by the compile's reorganisation (issue 17).

``tests/fixtures/regression/compile.txt`` holds the figures (reporter cells, cube, indicators,
exact micro-dollars, disclosure, batches, quarantine) of the regression inputs as compiled by
the code before the reorganisation (``tests/regression.py`` says how it was written and how to
write it again from any checkout); the compile of today must give the very same lines."""

from __future__ import annotations

from pathlib import Path

from regression import EXPECTED, compile_figures, digest


def test_a_compile_gives_the_figures_of_the_reference_compile_cell_for_cell(tmp_path: Path) -> None:
    expected = EXPECTED.read_text(encoding="utf-8").splitlines()
    got = digest(compile_figures(workdir=tmp_path))
    missing = sorted(set(expected) - set(got))
    extra = sorted(set(got) - set(expected))
    assert not missing and not extra, (
        f"{len(missing)} expected line(s) missing, e.g. {missing[:3]}; {len(extra)} new, e.g. {extra[:3]}"
    )
    assert len(got) == len(expected)
