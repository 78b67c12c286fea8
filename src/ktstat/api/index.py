"""The API's in-memory index of a store's vintages, and which of them are released at a time.

:func:`load_snapshot` reads the vintages' snapshot files (:mod:`ktstat.release.snapshot`:
one immutable, content-addressed Parquet file per vintage, its hash checked when first read),
never the compiler's store, so a compiler can go on writing to the store while the API serves.
A :class:`Snapshot` holds:

- per domain (:class:`DomainInfo`): the SDMX code lists and structure of
  :mod:`ktstat.publish.sdmx`, with the valid codes of each key dimension;
- per vintage (:class:`VintageData`): its observations as series, in the order of the release
  files, indexed by series key and by (FREQ, BREAKDOWN);
- the release folders found under ``releases_dir`` (``manifest.json`` naming the vintage).

Every vintage of the store is indexed, embargoed ones too (so they appear without a reload at
their release time), but nothing outside this module hands one out before its time:
:meth:`Snapshot.view` gives the :class:`View` of what is released at ``now`` (vintages whose
``release_at`` is not after ``now``): a bisection over the vintages sorted by release time,
with one cached view per number of released vintages, so checking the clock on every request
costs next to nothing. A vintage whose stored copy fails its hash check, or whose rows the SDMX
writer refuses, is left out (logged, and listed in ``Snapshot.refused``).
"""

from __future__ import annotations

import calendar
import json
import logging
import re
import sys
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ktstat import domain as domains
from ktstat.domain import Domain
from ktstat.errors import KtstatError
from ktstat.periods import PER_YEAR, parse
from ktstat.publish import sdmx as sdmxids
from ktstat.publish.sdmx import (
    FREQ_IDS,
    FREQ_NAMES,
    STATUS_NAMES,
    UNIT_NAMES,
    breakdown_name,
    measure_label,
    time_period,
    unit_measure,
)
from ktstat.publish.sdmx.columns import observation_columns
from ktstat.release.vintage import Vintage, latest

LOG = logging.getLogger("ktstat.api")

AGENCY = "KTSTAT"
VERSION = "1.0"
KEY_DIMENSIONS = ("FREQ", "BREAKDOWN", "ITEM", "MEASURE")
FREQ_ORDER = "ASQ"
STATUS_ORDER = "APNC"


@dataclass(frozen=True, slots=True)
class PeriodInfo:
    """A period: ktstat ``label`` (``2025H1``), SDMX ``time`` (``2025-S1``), SDMX ``freq`` (``S``),
    ``index`` within the frequency, and the first and last day it covers."""

    label: str
    time: str
    freq: str
    index: int
    start: date
    end: date


_PERIODS: dict[str, PeriodInfo] = {}


def period_info(label: str) -> PeriodInfo:
    """The :class:`PeriodInfo` of a ktstat period label (one shared object per label);
    ``ValueError`` for a label that is not a period."""
    got = _PERIODS.get(label)
    if got is None:
        p = parse(label)
        months = 12 // PER_YEAR[p.freq]
        first = (p.sub - 1) * months + 1
        last = first + months - 1
        got = PeriodInfo(
            str(p),
            time_period(p),
            FREQ_IDS[p.freq],
            p.index,
            date(p.year, first, 1),
            date(p.year, last, calendar.monthrange(p.year, last)[1]),
        )
        _PERIODS[label] = got
    return got


@dataclass(slots=True)
class Series:
    """One SDMX series of a vintage: its key (SDMX ids), unit, the ktstat breakdown and item it
    stands for, and its observations in time order (``values[i]`` is ``None`` for status ``C``
    and ``N``, an ``int`` for ranks and record flags)."""

    ordinal: int
    freq: str
    breakdown: str
    item: str
    measure: str
    unit: str
    kt_breakdown: str
    kt_item: str
    periods: tuple[PeriodInfo, ...]
    values: tuple[float | None, ...]
    statuses: str

    def at(self, label: str) -> int:
        """Position of the observation of period ``label``, -1 if the series has none."""
        for i, p in enumerate(self.periods):
            if p.label == label:
                return i
        return -1


@dataclass
class DomainInfo:
    """A domain as the API publishes it: dataflow id, code lists, and the valid codes of each
    key dimension (``codes``), with a case-insensitive lookup where that is unambiguous."""

    domain: Domain
    flow: str
    lists: sdmxids.DomainLists
    codes: dict[str, tuple[str, ...]]
    rank: dict[str, dict[str, int]]
    folded: dict[str, dict[str, str]]
    structure: bytes
    _labels: dict[tuple[str, str], tuple[str, str]] = field(default_factory=dict)
    _values: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)

    def canonical(self, dimension: str, code: str) -> str | None:
        """The code of ``dimension`` that ``code`` names (exactly, or ignoring case when only
        one code matches so), ``None`` when none does."""
        if code in self.rank[dimension]:
            return code
        return self.folded[dimension].get(code.lower())

    def code_label(self, dimension: str, code: str) -> tuple[str, str]:
        """English and Korean names of a code of a key dimension (the code itself if unknown)."""
        got = self._labels.get((dimension, code))
        if got is None:
            got = self._labels[(dimension, code)] = self._code_label(dimension, code)
        return got

    def code_value(self, dimension: str, code: str) -> dict[str, Any]:
        """A code as an SDMX-JSON value: ``{"id", "name", "names": {"en", "ko"}}`` (one shared
        object per code: do not change it)."""
        got = self._values.get((dimension, code))
        if got is None:
            en, ko = self.code_label(dimension, code)
            got = self._values[(dimension, code)] = {"id": code, "name": en, "names": {"en": en, "ko": ko}}
        return got

    def _code_label(self, dimension: str, code: str) -> tuple[str, str]:
        if dimension == "FREQ":
            en_ko = FREQ_NAMES.get(code)
        elif dimension == "BREAKDOWN":
            c = self.lists.breakdowns.get(breakdown_name(code))
            en_ko = (c.en, c.ko) if c else None
        elif dimension == "ITEM":
            it = self.lists.items.get(code)
            en_ko = (it.en, it.ko) if it else None
        elif dimension == "MEASURE":
            en_ko = measure_label(code, self.domain.id)
        elif dimension == "UNIT_MEASURE":
            en_ko = UNIT_NAMES.get(code)
        else:
            en_ko = STATUS_NAMES.get(code)
        return en_ko or (code, code)


@dataclass
class VintageData:
    """A vintage's observations, indexed. ``series`` in the order of the release files."""

    vintage: Vintage
    info: DomainInfo
    series: list[Series]
    by_key: dict[tuple[str, str, str, str], Series]
    by_freq_breakdown: dict[tuple[str, str], list[Series]]
    periods: dict[str, list[PeriodInfo]]  # SDMX freq -> periods present, in time order
    items: dict[str, list[str]]  # SDMX breakdown -> SDMX items present, in code-list order
    observations: int

    @property
    def id(self) -> str:
        return self.vintage.vintage_id


@dataclass(frozen=True)
class ReleaseFolder:
    """A release folder: ``manifest.json`` names the vintage and each file's SHA-256."""

    vintage_id: str
    path: Path
    files: dict[str, str]  # relative path -> sha256


@dataclass
class View:
    """What is released at one time: ``epoch`` vintages, ``by_domain`` oldest release first,
        ``default`` the latest per domain (the current vintage of the newest period, see
    :func:`ktstat.release.vintage.latest`), ``flows`` dataflow id -> domain id (domains with at
        least one released vintage)."""

    epoch: int
    released: dict[str, VintageData]
    by_domain: dict[str, list[VintageData]]
    default: dict[str, VintageData]
    flows: dict[str, str]


@dataclass
class Snapshot:
    """Everything the API serves, as read from the store at ``loaded_at`` (see module doc)."""

    generation: int
    loaded_at: datetime
    domains: dict[str, DomainInfo]
    vintages: list[VintageData]  # by release time, then vintage id (natural order)
    releases: dict[str, ReleaseFolder]
    refused: dict[str, str] = field(default_factory=dict)
    files: dict[str, tuple[Any, VintageData]] = field(default_factory=dict)  # snapshot file name -> (file, data)
    _times: list[datetime] = field(default_factory=list)
    _views: dict[int, View] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._times = [v.vintage.release_at for v in self.vintages]

    def view(self, now: datetime) -> View:
        """The vintages released at ``now`` (``release_at <= now``); a naive ``now`` is taken as UTC."""
        if now.tzinfo is None:
            now = now.replace(tzinfo=UTC)
        epoch = bisect_right(self._times, now)
        got = self._views.get(epoch)
        if got is None:
            released = self.vintages[:epoch]
            by_domain: dict[str, list[VintageData]] = {}
            for vd in released:
                by_domain.setdefault(vd.vintage.domain, []).append(vd)
            default = {}
            for d, vs in by_domain.items():
                best = latest([vd.vintage for vd in vs], d)
                default[d] = next(vd for vd in vs if vd.vintage is best)
            flows = {self.domains[d].flow: d for d in sorted(by_domain)}
            got = self._views[epoch] = View(epoch, {vd.id: vd for vd in released}, by_domain, default, flows)
        return got


def natural_key(text: str) -> tuple[Any, ...]:
    """Sort key that orders the numbers inside a text by value (``v9`` before ``v10``)."""
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", text))


_INFOS: dict[tuple[Any, ...], DomainInfo] = {}


def domain_info(domain: Domain, prepared: datetime) -> DomainInfo:
    """The :class:`DomainInfo` of a domain (code lists, structure message prepared at ``prepared``);
    made once per process for a domain definition (id, folder, version and code-list versions)."""
    key = (
        domain.id,
        str(domain.path),
        domain.version,
        tuple(sorted((k, c.version) for k, c in domain.codelists.items())),
    )
    got = _INFOS.get(key)
    if got is None:
        got = _INFOS[key] = _domain_info(domain, prepared)
    return got


def _domain_info(domain: Domain, prepared: datetime) -> DomainInfo:
    lists = sdmxids.domain_lists(domain)
    measures: list[str] = []
    for ms in lists.measures.values():
        measures += [m for m in ms if m not in measures]
    codes = {
        "FREQ": tuple(sorted((FREQ_IDS[f] for f in domain.frequencies), key=FREQ_ORDER.index)),
        "BREAKDOWN": tuple(c.id for c in lists.breakdowns.values()),
        "ITEM": tuple(lists.items),
        "MEASURE": tuple(measures),
    }
    rank = {dim: {c: i for i, c in enumerate(cs)} for dim, cs in codes.items()}
    folded: dict[str, dict[str, str]] = {}
    for dim, cs in codes.items():
        seen: dict[str, list[str]] = {}
        for c in cs:
            seen.setdefault(c.lower(), []).append(c)
        folded[dim] = {k: v[0] for k, v in seen.items() if len(v) == 1}
    structure = sdmxids.structure_message(domain, lists, AGENCY, VERSION, prepared)
    return DomainInfo(domain, domain.id.upper(), lists, codes, rank, folded, structure)


def index_vintage(v: Vintage, info: DomainInfo, rows: Any) -> VintageData:
    """Index a vintage's rows (a PyArrow table of a snapshot, or the tuples :func:`vintage_rows`
    gives) as series; ``InputError`` when the SDMX writer refuses a row. The observations and
    their order are the SDMX writer's (:func:`ktstat.publish.sdmx.columns.observation_columns`)."""
    import numpy as np

    cols = observation_columns(info.domain, info.lists, rows)
    infos = [period_info(str(p)) for p in cols.periods]
    per_obs: list[PeriodInfo] = np.array(infos, dtype=object)[cols.period].tolist() if infos else []
    numbers = cols.numbers()
    statuses = "".join(np.array(cols.statuses, dtype=object)[cols.status].tolist()) if cols.statuses else ""
    starts = cols.series_starts().tolist()
    f_ids = [sys.intern(f) for f in cols.freq_ids]
    b_ids = [sys.intern(b) for b in cols.breakdown_ids]
    i_ids = [sys.intern(i) for i in cols.item_ids]
    m_ids = [sys.intern(m) for m in cols.measures]
    b_names = [sys.intern(b) for b in cols.breakdowns]
    i_names = [sys.intern(i) for i in cols.items]
    units = [unit_measure(m) for m in cols.measures]
    series: list[Series] = []
    by_key: dict[tuple[str, str, str, str], Series] = {}
    by_fb: dict[tuple[str, str], list[Series]] = {}
    items: dict[str, set[str]] = {}
    shared: dict[tuple[int, ...], tuple[PeriodInfo, ...]] = {}
    pidx, bidx, iidx, midx = (a.tolist() for a in (cols.period, cols.breakdown, cols.item, cols.measure))
    for lo, hi in zip(starts[:-1], starts[1:], strict=True):
        freq, bd, item, measure = f_ids[pidx[lo]], b_ids[bidx[lo]], i_ids[iidx[lo]], m_ids[midx[lo]]
        pk = tuple(pidx[lo:hi])
        per = shared.get(pk)
        if per is None:  # one tuple object per distinct period list (select() memoizes by it)
            per = shared[pk] = tuple(per_obs[lo:hi])
        s = Series(
            len(series),
            freq,
            bd,
            item,
            measure,
            units[midx[lo]],
            b_names[bidx[lo]],
            i_names[iidx[lo]],
            per,
            tuple(numbers[lo:hi]),
            statuses[lo:hi],
        )
        series.append(s)
        by_key[(freq, bd, item, measure)] = s
        by_fb.setdefault((freq, bd), []).append(s)
        items.setdefault(bd, set()).add(item)
    periods: dict[str, dict[str, PeriodInfo]] = {}
    for lab in infos:
        periods.setdefault(lab.freq, {})[lab.label] = lab
    irank = info.rank["ITEM"]
    return VintageData(
        v,
        info,
        series,
        by_key,
        by_fb,
        {f: sorted(ps.values(), key=lambda p: p.index) for f, ps in periods.items()},
        {bd: sorted(its, key=lambda c: irank.get(c, len(irank))) for bd, its in items.items()},
        cols.n,
    )


def scan_releases(folder: Path | None) -> dict[str, ReleaseFolder]:
    """Release folders under ``folder`` (each a directory with ``manifest.json``), by vintage id."""
    found: dict[str, ReleaseFolder] = {}
    if folder is None or not folder.is_dir():
        return found
    for manifest in sorted(folder.glob("*/manifest.json")):
        try:
            doc = json.loads(manifest.read_text(encoding="utf-8"))
            vid = str(doc["vintage"])
            files = {str(k): str(v) for k, v in dict(doc.get("files", {})).items()}
        except (OSError, ValueError, KeyError, TypeError) as e:
            LOG.warning("release folder %s: unreadable manifest.json (%s)", manifest.parent, e)
            continue
        found[vid] = ReleaseFolder(vid, manifest.parent, files)
    return found


def load_snapshot(
    folder: Path, releases_dir: Path | None = None, generation: int = 1, previous: Snapshot | None = None
) -> Snapshot:
    """Read the vintage snapshot files of ``folder`` (see :mod:`ktstat.release.snapshot`; each
    hash-checked on its first reading). Files of ``previous`` with the same name, size and
    modification time are reused as they are (their names carry the content hash). A file that
    fails its check is left out (logged, listed in ``refused``); of two files of one vintage id
    (a store rebuilt), the newer file is served and the other refused. Never opens a store. A
    file's hash is checked in a thread while its rows are indexed; the index is used only once
    the check has passed."""
    from concurrent.futures import ThreadPoolExecutor

    from ktstat.release.snapshot import check_snapshot_table, list_snapshots, read_snapshot_table

    loaded_at = datetime.now(UTC).replace(microsecond=0)
    infos: dict[str, DomainInfo] = dict(previous.domains) if previous else {}
    old = dict(previous.files) if previous else {}
    files: dict[str, tuple[Any, VintageData]] = {}
    refused: dict[str, str] = {}
    by_id: dict[str, tuple[Any, VintageData]] = {}
    for sf in list_snapshots(folder):
        was = old.get(sf.path.name)
        if was is not None and (was[0].size, was[0].mtime_ns) == (sf.size, sf.mtime_ns):
            vd = was[1]
        else:
            try:
                v, rows = read_snapshot_table(sf.path, check=False)
                with ThreadPoolExecutor(1, thread_name_prefix="ktstat-hash") as pool:
                    checked = pool.submit(check_snapshot_table, sf.path, v, rows)
                    try:
                        info = infos.get(v.domain)
                        if info is None:
                            info = infos[v.domain] = domain_info(domains.load(v.domain), loaded_at)
                        vd = index_vintage(v, info, rows)
                    finally:
                        checked.result()  # a failed check wins over what indexing raised
            except KtstatError as e:
                LOG.error("snapshot %s is not served: %s", sf.path.name, e)
                refused[sf.vintage_id] = str(e)
                continue
        files[sf.path.name] = (sf, vd)
        other = by_id.get(vd.id)
        if other is not None:
            keep, drop = (other, (sf, vd)) if other[0].mtime_ns >= sf.mtime_ns else ((sf, vd), other)
            LOG.error("two snapshots of vintage %s: serving %s, not %s", vd.id, keep[0].path.name, drop[0].path.name)
            refused[vd.id] = f"another snapshot of {vd.id} ({drop[0].path.name}) is older"
            by_id[vd.id] = keep
        else:
            by_id[vd.id] = (sf, vd)
    out = [vd for _sf, vd in by_id.values()]
    out.sort(key=lambda vd: (vd.vintage.release_at, natural_key(vd.id)))
    return Snapshot(generation, loaded_at, infos, out, scan_releases(releases_dir), refused, files)
