"""A release's rows as SDMX observations, by column: checked and put in series order with Arrow
and NumPy rather than row by row (a release has over a million rows and few distinct codes).

:func:`observation_columns` takes the rows (``period, breakdown, item, measure, value, status``)
as a PyArrow table (a vintage snapshot) or as a list of tuples, and returns an
:class:`ObsColumns`: the observations in SDMX order (breakdown in domain order, item in code-list
order, measure, frequency, period) as positions into small tables of the distinct codes, so each
code's SDMX id and checks are worked out once. The checks are those of the row-by-row
definition (``ktstat.publish.sdmx._observations_loop``); where a row fails one, that definition
is run up to the first failing row, so the error (``InputError``, naming the row) is the same.
Rows whose fields do not have the plain types (a ``str`` per code, a float, int or ``None``
value) go through that definition as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ktstat.errors import InputError
from ktstat.periods import Period, parse
from ktstat.publish.exact import is_integer_measure
from ktstat.release.vintage import ROW_COLUMNS as COLUMNS
from ktstat.release.vintage import rows_table

if TYPE_CHECKING:
    import numpy as np
    import pyarrow as pa

    from ktstat.domain import Domain
    from ktstat.publish.sdmx import DomainLists, Row, _Obs

FREQ_ORDER = "ASQ"


@dataclass(frozen=True)
class ObsColumns:
    """``n`` observations in SDMX order. Per observation (NumPy arrays of length ``n``): ``row``,
    its position among the input rows; ``period``, ``breakdown``, ``item``, ``measure`` and
    ``status``, positions into the tables ``periods`` (parsed), ``breakdowns`` (ktstat names),
    ``items`` (ktstat items), ``measures`` and ``statuses``; ``value`` (float64, NaN where
    ``has_value`` is false: statuses ``C`` and ``N``). ``item_ids``, ``breakdown_ids`` and
    ``freq_ids``/``times`` (per period) are the SDMX ids of the tables' entries."""

    row: np.ndarray
    period: np.ndarray
    breakdown: np.ndarray
    item: np.ndarray
    measure: np.ndarray
    status: np.ndarray
    value: np.ndarray
    has_value: np.ndarray
    periods: list[Period]
    breakdowns: list[str]
    items: list[str]
    measures: list[str]
    statuses: list[str]
    breakdown_ids: list[str]
    item_ids: list[str]
    freq_ids: list[str]
    times: list[str]

    @property
    def n(self) -> int:
        return int(len(self.row))

    def integer_measure(self) -> np.ndarray:
        """Per observation: whether its measure is a rank or record flag (written as an integer)."""
        import numpy as np

        return np.array([is_integer_measure(m) for m in self.measures], dtype=bool)[self.measure]

    def numbers(self) -> list[float | int | None]:
        """The observations' values as the API holds them: ``None`` without a value, an ``int``
        for an integral rank or record flag, else the float."""
        import numpy as np

        out: list[Any] = self.value.tolist()
        for i in np.flatnonzero(~self.has_value).tolist():
            out[i] = None
        for i in np.flatnonzero(self.has_value & self.integer_measure()).tolist():
            v = out[i]
            if v == int(v):
                out[i] = int(v)
        return out

    def texts(self) -> list[str]:
        """The observations' ``OBS_VALUE`` texts: empty without a value, an integral rank or
        record flag as an integer (``1``), any other value as ``repr`` of the float."""
        return ["" if v is None else (str(v) if type(v) is int else repr(v)) for v in self.numbers()]

    def series_starts(self) -> np.ndarray:
        """Positions where a series (breakdown, item, measure, frequency) begins, then ``n``."""
        import numpy as np

        if self.n == 0:
            return np.zeros(1, dtype=np.int64)
        f = np.array([FREQ_ORDER.index(x) for x in self.freq_ids], dtype=np.int64)[self.period]
        key = ((self.breakdown * (len(self.items) + 1) + self.item) * (len(self.measures) + 1) + self.measure) * 4 + f
        starts = np.flatnonzero(np.diff(key)) + 1
        return np.concatenate(([0], starts, [self.n])).astype(np.int64)

    def observations(self) -> list[_Obs]:
        """The observations as the writers take them (:class:`ktstat.publish.sdmx._Obs`)."""
        from functools import partial

        import numpy as np

        from ktstat.publish.sdmx import _Obs

        def take(table: list[str], idx: np.ndarray) -> list[str]:
            return np.array(table, dtype=object)[idx].tolist() if table else []

        freq = take(self.freq_ids, self.period)
        time = take(self.times, self.period)
        bd = take(self.breakdown_ids, self.breakdown)
        item = take(self.item_ids, self.item)
        measure = take(self.measures, self.measure)
        status = take(self.statuses, self.status)
        # tuple.__new__ straight from C: _Obs._make costs a Python call per observation
        make = partial(tuple.__new__, _Obs)
        return list(map(make, zip(freq, bd, item, measure, time, self.texts(), status, strict=True)))


def _codes(table: pa.Table, name: str) -> tuple[np.ndarray, list[str]]:
    """Positions into the distinct values of a string column (a null as ``""``)."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    col = pc.fill_null(table.column(name).cast(pa.string()), "").combine_chunks().dictionary_encode()
    return np.asarray(col.indices.to_numpy(zero_copy_only=False), dtype=np.int64), col.dictionary.to_pylist()


def observation_columns(
    domain: Domain, lists: DomainLists, data: pa.Table | list[Row] | list[tuple[Any, ...]]
) -> ObsColumns:
    """The rows of ``data`` checked against ``domain`` and ordered as SDMX observations (see the
    module doc); ``InputError`` naming the first row that fails a check."""
    import numpy as np
    import pyarrow as pa

    from ktstat.publish.sdmx import _observations_loop, freq_id, item_id, time_period

    if isinstance(data, pa.Table):
        table = data
    else:
        got = rows_table(data, ints=True)
        if got is None:
            _observations_loop(domain, lists, data)  # raises where a row is wrong
            return _from_rows(domain, lists, data)
        table = got

    n = table.num_rows
    pidx, plabels = _codes(table, "period")
    bidx, bnames = _codes(table, "breakdown")
    iidx, inames = _codes(table, "item")
    midx, mnames = _codes(table, "measure")
    sidx, snames = _codes(table, "status")
    value = np.asarray(table.column("value").combine_chunks().to_numpy(zero_copy_only=False), dtype=np.float64)
    null = np.asarray(table.column("value").combine_chunks().is_null().to_numpy(zero_copy_only=False), dtype=bool)

    bad = np.zeros(n, dtype=bool)
    # periods: parsed, of a frequency the domain publishes; one normalised label per period
    parsed: list[Period | None] = []
    for label in plabels:
        try:
            p = parse(str(label))
        except ValueError:
            p = None
        parsed.append(p if p is not None and p.freq in lists.measures else None)
    bad |= np.array([p is None for p in parsed], dtype=bool)[pidx]
    norm = sorted({str(p) for p in parsed if p is not None})
    norm_of = np.array([norm.index(str(p)) if p is not None else -1 for p in parsed], dtype=np.int64)
    freqs = sorted(lists.measures)
    freq_of = np.array([freqs.index(p.freq) if p is not None else 0 for p in parsed], dtype=np.int64)
    # breakdowns, items allowed for the breakdown, measures allowed for the frequency
    bad |= np.array([b not in lists.breakdowns for b in bnames], dtype=bool)[bidx]
    ok_pair = np.array(
        [[b in lists.allowed and i in lists.allowed[b] for i in inames] for b in bnames], dtype=bool
    ).reshape(len(bnames), len(inames))
    bad |= ~ok_pair[bidx, iidx]
    ok_measure = np.array([[m in lists.measures[f] for m in mnames] for f in freqs], dtype=bool)
    ok_measure = ok_measure.reshape(len(freqs), len(mnames))
    bad |= ~ok_measure[freq_of[pidx], midx]
    # statuses and values
    st = np.array([snames.index(s) if s in snames else -1 for s in "APCN"], dtype=np.int64)
    known = np.isin(sidx, st[st >= 0])
    valued = np.isin(sidx, st[:2][st[:2] >= 0])
    bad |= ~known
    bad |= valued & (null | ~np.isfinite(np.where(null, 0.0, value)))
    bad |= known & ~valued & ~null
    # duplicates (by the normalised period)
    key = ((np.maximum(norm_of[pidx], 0) * (len(bnames) + 1) + bidx) * (len(inames) + 1) + iidx) * (
        len(mnames) + 1
    ) + midx
    _, first = np.unique(key, return_index=True)
    dup = np.ones(n, dtype=bool)
    dup[first] = False
    bad |= dup
    if bad.any():
        k = int(np.argmax(bad))
        rows = _table_rows(table.slice(0, k + 1)) if isinstance(data, pa.Table) else list(data[: k + 1])
        _observations_loop(domain, lists, rows)  # raises at row k + 1 (or earlier)
        period, breakdown, item, measure = rows[k][:4]
        raise InputError(f"row {k + 1} ({period}, {breakdown}, {item}, {measure}): not a valid observation")

    # SDMX order: breakdown (domain order), item (code-list order of its id), measure, frequency, period
    order_b = {name: i for i, name in enumerate(lists.breakdowns)}
    order_i = {code: i for i, code in enumerate(lists.items)}
    order_m = {m: i for ms in lists.measures.values() for i, m in enumerate(ms)}
    item_ids = [item_id(i) for i in inames]
    periods = [p for p in parsed if p is not None]  # all of them: a period that failed is refused above
    f_ids = [freq_id(p.freq) for p in periods]
    times = [time_period(p) for p in periods]

    def rank(values: list[int], idx: np.ndarray) -> np.ndarray:
        return np.array(values, dtype=np.int64)[idx]

    keys = (  # np.lexsort: the last key sorts first
        rank([p.index for p in periods], pidx),
        rank([FREQ_ORDER.index(f) for f in f_ids], pidx),
        rank([order_m[m] for m in mnames], midx),
        rank([order_i[i] for i in item_ids], iidx),
        rank([order_b[b] for b in bnames], bidx),
    )
    order = np.lexsort(keys)
    return ObsColumns(
        row=order,
        period=pidx[order],
        breakdown=bidx[order],
        item=iidx[order],
        measure=midx[order],
        status=sidx[order],
        value=value[order],
        has_value=~null[order],
        periods=periods,
        breakdowns=bnames,
        items=inames,
        measures=mnames,
        statuses=snames,
        breakdown_ids=[lists.breakdowns[b].id for b in bnames],
        item_ids=item_ids,
        freq_ids=f_ids,
        times=times,
    )


def _table_rows(table: pa.Table) -> list[tuple[Any, ...]]:
    cols = [table.column(c).to_pylist() for c in COLUMNS]
    return list(zip(*cols, strict=True))


def _from_rows(domain: Domain, lists: DomainLists, rows: list[Any]) -> ObsColumns:
    """Rows of other than the plain types that the row-by-row definition accepted (an ``int``
    value beyond 2**53, an ``int`` period, say): values as floats and codes as text, as that
    definition writes them."""
    import pyarrow as pa

    cols = list(zip(*rows, strict=True))
    values = [None if v is None else float(v) for v in cols[4]]
    arrays = {name: pa.array([str(x) for x in cols[i]], pa.string()) for i, name in enumerate(COLUMNS)}
    arrays["value"] = pa.array(values, pa.float64())
    table = pa.table({name: arrays[name] for name in COLUMNS})
    return observation_columns(domain, lists, table)
