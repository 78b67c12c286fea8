"""SDMX output of a release: structure (SDMX-ML 2.1), data (SDMX-CSV 1.0 and SDMX-ML 2.1).

``write_sdmx`` writes three files for one domain from rows of the indicators table
(``period, breakdown, item, measure, value, status``):

- ``structure.xml``: an SDMX-ML 2.1 Structure message with the dataflow (id: the domain id
  upper-case, ``KST``), its data structure definition ``DSD_KST``, the code lists and the
  concept scheme; names in English and Korean (``xml:lang="en"`` / ``"ko"``). Written with
  ``sdmx1``'s information model and XML writer.
- ``data.csv``: SDMX-CSV 1.0: ``DATAFLOW`` (``KTSTAT:KST(1.0)``), the dimensions, ``OBS_VALUE``,
  then the attributes ``UNIT_MEASURE`` and ``OBS_STATUS``. Written with the standard library.
- ``data.xml``: an SDMX-ML 2.1 StructureSpecificData message, one ``Series`` per
  (FREQ, BREAKDOWN, ITEM, MEASURE) with its ``UNIT_MEASURE``, one ``Obs`` per period
  (``dimensionAtObservation="TIME_PERIOD"``), the header naming the data structure ``DSD_KST``.
  Written with the standard library, streamed.

The data writers (SDMX-ML generic and structure-specific, SDMX-CSV 1.0 and 2.0) live in
:mod:`ktstat.publish.sdmx.data`, registered by media type; the API uses the same ones.

The data structure
------------------
Dimensions ``FREQ``, ``BREAKDOWN``, ``ITEM``, ``MEASURE``, ``TIME_PERIOD``; primary measure
``OBS_VALUE`` (double); attributes ``UNIT_MEASURE`` (series level: ``USD`` for money, ``PC`` for
percentages, ``PURE_NUMB`` for ratios, ranks and 0/1 flags) and ``OBS_STATUS`` (observation level,
mandatory). Code lists shared by every domain: ``CL_FREQ``, ``CL_UNIT_MEASURE``, ``CL_OBS_STATUS``
and the concept scheme ``CS_KTSTAT``; per domain: ``CL_<ID>_BREAKDOWN``, ``CL_<ID>_ITEM``,
``CL_<ID>_MEASURE``. All artefacts are maintained by ``agency`` with version ``version``.

Identifier scheme (reversible; SDMX ids match ``[A-Za-z0-9_@$-]+``, so no ``+``):

- ``FREQ``: ktstat ``A`` (year) -> ``A``, ``H`` (half-year) -> ``S``, ``Q`` -> ``Q``, the codes of
  SDMX's CL_FREQ (where ``H`` means hourly, so ktstat's ``H`` is written ``S``, semester).
- ``TIME_PERIOD``: ``2023`` -> ``2023``, ``2025H1`` -> ``2025-S1``, ``2025Q3`` -> ``2025-Q3``
  (SDMX reporting periods).
- ``BREAKDOWN``: the name upper-case, the parts of a cross joined by ``_X_``: ``total`` -> ``TOTAL``,
  ``industry+institution`` -> ``INDUSTRY_X_INSTITUTION``. Breakdown names use ``a-z0-9_`` only, so
  lower-casing and splitting at ``_X_`` gives the name back (a name containing ``_x_`` is refused).
- ``ITEM``: the code as it is (case kept), the parts of a cross item joined by ``_X_``:
  ``information_communications+sme`` -> ``information_communications_X_sme``. Codes must match the
  SDMX id pattern and must not contain ``_X_`` (refused otherwise), so splitting at ``_X_`` gives the
  code back. The ITEM code list is the union of the codes every breakdown can give (codes at the
  breakdown's hierarchy level, or every code of a level-0 breakdown), ``all`` (the total) and
  every combination of the codes of each cross; where two code lists use one code with
  different labels (TBP's ``other``), its names join the distinct labels with `` / ``.
- ``MEASURE``: the measure name as it is (``exports_growth_yoy``).
- ``OBS_STATUS``: ktstat's statuses as its own code list: ``A`` normal, ``P`` provisional,
  ``N`` not meaningful and ``C`` confidential, both without a value. (SDMX's global
  CL_OBS_STATUS has ``A`` and ``P`` alike but ``N`` there means "not significant"; SDMX marks
  confidentiality with CL_CONF_STATUS ``C``.)

Confidential (``C``) and not-meaningful (``N``) observations carry no ``OBS_VALUE`` at all:
the CSV cell is empty and the XML ``Obs`` has no ``OBS_VALUE`` attribute. Values are written
with ``repr`` of the float (the shortest text that reads back to the same double).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from itertools import product
from pathlib import Path
from typing import Any, NamedTuple

from ktstat.domain import Breakdown, Domain
from ktstat.errors import DomainError, InputError
from ktstat.indicators import measure_names, split_measure
from ktstat.periods import Period, parse
from ktstat.publish.exact import is_integer_measure
from ktstat.terms import terms

Row = tuple[str, str, str, str, float | int | None, str]
"""One indicators row without its domain: ``period, breakdown, item, measure, value, status``."""

SEP = "_X_"
ID_PATTERN = re.compile(r"^[A-Za-z0-9_@$\-]+$")
AGENCY_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9_\-]*(\.[A-Za-z][A-Za-z0-9_\-]*)*$")
VERSION_PATTERN = re.compile(r"^[0-9]+(\.[0-9]+)*$")
NS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1"

FREQ_IDS = {"A": "A", "H": "S", "Q": "Q"}


def _names(section: str) -> dict[str, tuple[str, str]]:
    """English and Korean names of a section of the terms catalogue, keyed as in the catalogue."""
    en, ko = terms("en").section(section), terms("ko").section(section)
    return {k: (en[k], ko[k]) for k in en}


FREQ_NAMES = {FREQ_IDS[k]: v for k, v in _names("frequency_name").items()}
"""SDMX FREQ code -> (English, Korean) name, from the terms catalogue."""
STATUS_NAMES = _names("status")
UNIT_NAMES = _names("unit")
DIMENSIONS = ("FREQ", "BREAKDOWN", "ITEM", "MEASURE", "TIME_PERIOD")
ATTRIBUTES = ("UNIT_MEASURE", "OBS_STATUS")
CONCEPT_NAMES = _names("concept")
MEASURE_KINDS = ("level", "change", "growth", "contribution", "share", "rank", "record", "record_low")
ALL_ITEM = ("all", *_names("word")["all_items"])
COMPARED = ("change", "growth", "contribution")


# The identifier scheme ------------------------------------------------------------------------


def freq_id(freq: str) -> str:
    """SDMX FREQ code of a ktstat frequency (``H`` -> ``S``)."""
    return FREQ_IDS[freq]


def time_period(period: str | Period) -> str:
    """SDMX TIME_PERIOD of a ktstat period label: ``2025H1`` -> ``2025-S1``, ``2025Q3`` -> ``2025-Q3``."""
    p = parse(period) if isinstance(period, str) else period
    return str(p.year) if p.freq == "A" else f"{p.year}-{FREQ_IDS[p.freq]}{p.sub}"


def period_label(time: str) -> str:
    """The ktstat period label of an SDMX TIME_PERIOD (inverse of ``time_period``)."""
    m = re.match(r"^(\d{4})(?:-([SQ])(\d))?$", time)
    if not m:
        raise ValueError(f"not a ktstat TIME_PERIOD: {time!r}")
    year, f, sub = m.groups()
    return year if f is None else f"{year}{'H' if f == 'S' else 'Q'}{sub}"


def breakdown_id(name: str) -> str:
    """SDMX BREAKDOWN code: ``industry+institution`` -> ``INDUSTRY_X_INSTITUTION``."""
    return SEP.join(part.upper() for part in name.split("+"))


def breakdown_name(code: str) -> str:
    """The ktstat breakdown name of a BREAKDOWN code (inverse of ``breakdown_id``)."""
    return "+".join(part.lower() for part in code.split(SEP))


def item_id(item: str) -> str:
    """SDMX ITEM code: ``information_communications+sme`` -> ``information_communications_X_sme``."""
    return SEP.join(item.split("+"))


def item_code(code: str) -> str:
    """The ktstat item of an ITEM code (inverse of ``item_id``)."""
    return "+".join(code.split(SEP))


@cache
def unit_measure(measure: str) -> str:
    """UNIT_MEASURE of a measure: ``USD`` for money, ``PC`` for percentages, ``PURE_NUMB`` otherwise."""
    base, kind, _ = split_measure(measure)
    if kind in ("growth", "share", "contribution"):
        return "PC"
    if kind in ("level", "change") and base != "ratio":
        return "USD"
    return "PURE_NUMB"


def _domain_names(domain: Domain, key: str) -> tuple[str, str]:
    """English and Korean ``[sdmx]`` name ``key`` of a domain's artefact (``{domain}: item``)."""
    en, ko = (
        terms(lang, domain.id).fill("sdmx", key, domain=label, version=domain.version)
        for lang, label in (("en", domain.label_en), ("ko", domain.label_ko))
    )
    return en, ko


def measure_label(measure: str, programme: str | None = None) -> tuple[str, str]:
    """English and Korean names of a measure, in the words of ``programme`` when given
    (terms catalogue: ``[measure_kind]`` filled with the base's ``[measure_long]`` name, then the
    comparison it makes)."""
    return _measure_label(measure, "en", programme), _measure_label(measure, "ko", programme)


def breakdown_label(part: str, programme: str | None = None) -> tuple[str, str]:
    """English and Korean names of one breakdown (``industry``): the catalogue's ``[noun]``, as a
    heading (first letter upper-case)."""
    out = []
    for lang in ("en", "ko"):
        t = terms(lang, programme)
        try:
            word = t.get("noun", part)
        except KeyError:
            word = part.replace("_", " ")
        out.append(word[:1].upper() + word[1:])
    return out[0], out[1]


def _measure_label(measure: str, lang: str, programme: str | None) -> str:
    t = terms(lang, programme)
    base, kind, yoy = split_measure(measure)
    try:
        m = t.get("measure_long", base)
    except KeyError:
        m = base
    if kind in MEASURE_KINDS:
        name = t.fill("measure_kind", kind, m=m)
    else:
        name = t.fill("measure_kind", "other", m=m, kind=kind)
    if yoy:
        return t.fill("measure_kind", "yoy", name=name)
    if kind in COMPARED:
        return t.fill("measure_kind", "previous", name=name)
    return name


# Code lists of a domain ------------------------------------------------------------------------


@dataclass
class _Code:
    id: str
    en: str
    ko: str
    parent: str = ""


@dataclass
class _Lists:
    """The domain-specific code lists, in output order, with the items each breakdown allows."""

    breakdowns: dict[str, _Code]  # ktstat name -> code
    items: dict[str, _Code]  # SDMX id -> code
    allowed: dict[str, set[str]]  # ktstat breakdown name -> ktstat items
    measures: dict[str, list[str]]  # ktstat frequency -> measures


def _breakdown_codes(b: Breakdown) -> list[str]:
    """The codes a breakdown can give: those at its hierarchy level, or all for level 0."""
    if b.level <= 0:
        return [c.code for c in b.codelist.codes]
    return [c.code for c in b.codelist.codes if b.codelist.depth(c.code) == b.level]


def _check_id(code: str, what: str) -> None:
    if not ID_PATTERN.match(code) or SEP in code:
        raise DomainError(f"{what} {code!r} cannot be an SDMX id: use A-Z, a-z, 0-9, _, @, $, - and no {SEP!r}")


def _domain_lists(domain: Domain) -> _Lists:
    names = domain.breakdown_names()
    breakdowns: dict[str, _Code] = {}
    for name in names:
        for part in name.split("+"):
            _check_id(part.upper(), f"{domain.id}: breakdown")
        code = breakdown_id(name)
        labels = [breakdown_label(p, domain.id) for p in name.split("+")]
        breakdowns[name] = _Code(code, " × ".join(x[0] for x in labels), " × ".join(x[1] for x in labels))

    # single codes: merge the labels and parents of one code across code lists
    labels_en: dict[str, list[str]] = {ALL_ITEM[0]: [ALL_ITEM[1]]}
    labels_ko: dict[str, list[str]] = {ALL_ITEM[0]: [ALL_ITEM[2]]}
    parents: dict[str, set[str]] = {ALL_ITEM[0]: {""}}
    allowed: dict[str, set[str]] = {"total": {ALL_ITEM[0]}}
    per_breakdown: dict[str, list[str]] = {}
    for name, b in domain.breakdowns.items():
        codes = _breakdown_codes(b)
        per_breakdown[name] = codes
        allowed[name] = set(codes)
        by = b.codelist.by_code
        for code in codes:
            _check_id(code, f"{domain.id}: code of {b.codelist.name}")
            c = by[code]
            for store, label in ((labels_en, c.label_en), (labels_ko, c.label_ko)):
                seen = store.setdefault(code, [])
                if label not in seen:
                    seen.append(label)
            parents.setdefault(code, set()).add(c.parent)
    items: dict[str, _Code] = {}
    for code in labels_en:
        ps = parents[code]
        parent = next(iter(ps)) if len(ps) == 1 else ""
        items[code] = _Code(
            code, " / ".join(labels_en[code]), " / ".join(labels_ko[code]), parent if parent in labels_en else ""
        )
    for cross in domain.crosses:
        name = "+".join(cross)
        combos = ["+".join(p) for p in product(*(per_breakdown[part] for part in cross))]
        allowed[name] = set(combos)
        for combo in combos:
            parts = combo.split("+")
            cid = item_id(combo)
            if cid not in items:
                items[cid] = _Code(cid, " × ".join(items[p].en for p in parts), " × ".join(items[p].ko for p in parts))
    measures = {f: measure_names(f) for f in domain.frequencies}
    return _Lists(breakdowns, items, allowed, measures)


# Rows ------------------------------------------------------------------------------------------


class _Obs(NamedTuple):  # (a tuple: a release has over a million of them)
    freq: str
    breakdown: str
    item: str
    measure: str
    time: str
    value: str
    status: str


def _value_text(value: float | int | None, status: str, where: str, measure: str = "") -> str:
    """An observation's OBS_VALUE text: empty for C and N; a rank or record flag with an integer
    value as an integer (``1``, not ``1.0``); any other value in its shortest exact form."""
    if status in ("C", "N"):
        if value is not None:
            raise InputError(f"{where}: status {status} must come without a value (got {value!r})")
        return ""
    if status not in ("A", "P"):
        raise InputError(f"{where}: status must be A, P, N or C (got {status!r})")
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        raise InputError(f"{where}: status {status} needs a number (got {value!r})")
    v = float(value)
    if not math.isfinite(v):
        raise InputError(f"{where}: value must be finite (got {value!r})")
    if is_integer_measure(measure) and v == int(v):
        return str(int(v))
    return repr(v)


def _observations(domain: Domain, lists: _Lists, rows: Iterable[Row]) -> list[_Obs]:
    """Check every row against the domain and order them by series, then time (computed by column:
    :mod:`ktstat.publish.sdmx.columns`)."""
    from ktstat.publish.sdmx.columns import observation_columns

    return observation_columns(domain, lists, rows if isinstance(rows, list) else list(rows)).observations()


def _observations_loop(domain: Domain, lists: _Lists, rows: Iterable[Row]) -> list[_Obs]:
    """The definition of :func:`_observations`, row by row: each row checked against the domain
    (``InputError`` naming the first row that fails), then all ordered by series, then time.

    (Per period, breakdown, item and measure the ids, checks and sort positions are worked out once.)"""
    order_b = {name: i for i, name in enumerate(lists.breakdowns)}
    order_i = {code: i for i, code in enumerate(lists.items)}
    order_m = {m: i for ms in lists.measures.values() for i, m in enumerate(ms)}
    measure_sets = {f: set(ms) for f, ms in lists.measures.items()}
    keyed: dict[tuple[str, str, str, str], tuple[tuple[int, int, int, int, int], _Obs]] = {}
    periods: dict[str, tuple[Period, str, str, str, int]] = {}  # label -> (period, its label, FREQ, TIME_PERIOD, order)
    item_ids: dict[str, str] = {}
    plain: dict[str, bool] = {}  # measure -> its values are written as repr(float)
    for n, row in enumerate(rows, 1):
        if len(row) != 6:
            raise InputError(f"row {n}: expected (period, breakdown, item, measure, value, status), got {row!r}")
        period, breakdown, item, measure, value, status = row

        def where() -> str:
            return f"row {n} ({period}, {breakdown}, {item}, {measure})"  # noqa: B023 (used at once)

        got = periods.get(period)
        if got is None:
            try:
                p = parse(str(period))
            except ValueError as e:
                raise InputError(f"{where()}: {e}") from None
            if p.freq not in lists.measures:
                raise InputError(f"{where()}: {domain.id} publishes the frequencies {', '.join(domain.frequencies)}")
            f_id = freq_id(p.freq)
            got = periods[period] = (p, str(p), f_id, time_period(p), "ASQ".index(f_id))
        p, label, f_id, time, f_order = got
        if breakdown not in lists.breakdowns:
            raise InputError(f"{where()}: unknown breakdown; {domain.id} has {', '.join(lists.breakdowns)}")
        if item not in lists.allowed[breakdown]:
            raise InputError(f"{where()}: item is not a code of breakdown {breakdown}")
        if measure not in measure_sets[p.freq]:
            raise InputError(f"{where()}: unknown measure for frequency {p.freq}")
        key = (label, breakdown, item, measure)
        if key in keyed:
            raise InputError(f"{where()}: duplicate row")
        i_id = item_ids.get(item)
        if i_id is None:
            i_id = item_ids[item] = item_id(item)
        fast = plain.get(measure)
        if fast is None:
            fast = plain[measure] = not is_integer_measure(measure)
        if fast and type(value) is float and status in ("A", "P") and math.isfinite(value):
            text = repr(value)  # what _value_text gives such a value
        else:
            text = _value_text(value, status, where(), measure)
        obs = _Obs(f_id, lists.breakdowns[breakdown].id, i_id, measure, time, text, status)
        keyed[key] = ((order_b[breakdown], order_i[i_id], order_m[measure], f_order, p.index), obs)
    return [obs for _, obs in sorted(keyed.values(), key=lambda t: t[0])]


# structure.xml (sdmx1) -------------------------------------------------------------------------


def _structure_message(domain: Domain, lists: _Lists, agency: str, version: str, prepared: datetime) -> bytes:
    import sdmx
    from sdmx import message
    from sdmx.model import common, v21
    from sdmx.model.internationalstring import InternationalString

    dom = domain.id.upper()
    maintainer = common.Agency(id=agency)

    def name(en: str, ko: str) -> InternationalString:
        return InternationalString(en=en, ko=ko)

    def maintainable(cls: Any, id_: str, en: str, ko: str, **kw: Any) -> Any:
        return cls(
            id=id_,
            name=name(en, ko),
            maintainer=maintainer,
            version=version,
            is_final=True,
            is_external_reference=False,
            **kw,
        )

    def codelist(id_: str, en: str, ko: str, codes: Iterable[_Code], description: str = "") -> Any:
        cl = maintainable(common.Codelist, id_, en, ko)
        if description:
            cl.description = InternationalString(en=description)
        made: dict[str, Any] = {}
        for c in codes:
            code = common.Code(id=c.id, name=name(c.en, c.ko))
            if c.parent:
                code.parent = made[c.parent]
                made[c.parent].child.append(code)
            made[c.id] = code
            cl.append(code)
        return cl

    cl_freq = codelist(
        "CL_FREQ",
        *CONCEPT_NAMES["FREQ"],
        [_Code(k, *v) for k, v in FREQ_NAMES.items()],
        "SDMX CL_FREQ codes; ktstat half-years (H) are S.",
    )
    cl_unit = codelist("CL_UNIT_MEASURE", *CONCEPT_NAMES["UNIT_MEASURE"], [_Code(k, *v) for k, v in UNIT_NAMES.items()])
    cl_status = codelist(
        "CL_OBS_STATUS",
        *CONCEPT_NAMES["OBS_STATUS"],
        [_Code(k, *v) for k, v in STATUS_NAMES.items()],
        "N and C observations have no value; C: withheld to protect reporting firms.",
    )
    cl_breakdown = codelist(
        f"CL_{dom}_BREAKDOWN",
        *_domain_names(domain, "breakdown_list"),
        lists.breakdowns.values(),
        "ktstat breakdown names upper-case; the parts of a cross joined by _X_.",
    )
    # parents must be made before their children: order the item codes so
    ordered: list[_Code] = []
    placed: set[str] = set()

    def place(c: _Code) -> None:
        if c.id in placed:
            return
        if c.parent:
            place(lists.items[c.parent])
        placed.add(c.id)
        ordered.append(c)

    for c in lists.items.values():
        place(c)
    cl_item = codelist(
        f"CL_{dom}_ITEM",
        *_domain_names(domain, "item_list"),
        ordered,
        "ktstat item codes as they are; the parts of a cross item joined by _X_.",
    )
    measures: list[str] = []
    for ms in lists.measures.values():
        measures += [m for m in ms if m not in measures]
    cl_measure = codelist(
        f"CL_{dom}_MEASURE",
        *_domain_names(domain, "measure_list"),
        [_Code(m, *measure_label(m, domain.id)) for m in measures],
    )

    cs = maintainable(common.ConceptScheme, "CS_KTSTAT", *_names("sdmx")["concepts"])
    for cid, (en, ko) in CONCEPT_NAMES.items():
        cs.append(common.Concept(id=cid, name=name(en, ko)))

    def rep(enumerated: Any = None, text: Any = None) -> Any:
        if enumerated is not None:
            return common.Representation(enumerated=enumerated)
        return common.Representation(non_enumerated=[common.Facet(value_type=text)])

    dsd = maintainable(v21.DataStructureDefinition, f"DSD_{dom}", domain.label_en, domain.label_ko)
    dsd.dimensions.id = "DimensionDescriptor"
    dsd.attributes.id = "AttributeDescriptor"
    dsd.measures.id = "MeasureDescriptor"
    enumerations = {"FREQ": cl_freq, "BREAKDOWN": cl_breakdown, "ITEM": cl_item, "MEASURE": cl_measure}
    dims: list[common.DimensionComponent] = []
    for pos, (cid, cl) in enumerate(enumerations.items(), 1):
        dim = common.Dimension(id=cid, order=pos, concept_identity=cs[cid], local_representation=rep(cl))
        dsd.dimensions.append(dim)
        dims.append(dim)
    dsd.dimensions.append(
        common.TimeDimension(
            id="TIME_PERIOD",
            order=len(dims) + 1,
            concept_identity=cs["TIME_PERIOD"],
            local_representation=rep(text=common.FacetValueType.observationalTimePeriod),
        )
    )
    dsd.attributes.append(
        common.DataAttribute(
            id="UNIT_MEASURE",
            concept_identity=cs["UNIT_MEASURE"],
            local_representation=rep(cl_unit),
            related_to=common.DimensionRelationship(dimensions=dims),
            usage_status=common.UsageStatus.mandatory,
        )
    )
    dsd.attributes.append(
        common.DataAttribute(
            id="OBS_STATUS",
            concept_identity=cs["OBS_STATUS"],
            local_representation=rep(cl_status),
            related_to=v21.PrimaryMeasureRelationship(),
            usage_status=common.UsageStatus.mandatory,
        )
    )
    dsd.measures.append(
        v21.PrimaryMeasure(
            id="OBS_VALUE",
            concept_identity=cs["OBS_VALUE"],
            local_representation=rep(text=common.FacetValueType.double),
        )
    )
    dataflow = maintainable(v21.DataflowDefinition, dom, domain.label_en, domain.label_ko, structure=dsd)
    en, ko = _domain_names(domain, "version")
    dataflow.description = InternationalString(en=en, ko=ko)

    msg = message.StructureMessage(
        header=message.Header(
            id=f"{dom}_STRUCTURE_{prepared:%Y%m%dT%H%M%S}", prepared=prepared, sender=maintainer, test=False
        )
    )
    for obj in (dataflow, cl_freq, cl_breakdown, cl_item, cl_measure, cl_unit, cl_status, cs, dsd):
        msg.add(obj)
    return sdmx.to_xml(msg, pretty_print=True)


# data.csv and data.xml (standard library) ------------------------------------------------------


def _write_csv(path: Path, flow: str, observations: list[_Obs]) -> None:
    """``data.csv``: SDMX-CSV 1.0 (:func:`ktstat.publish.sdmx.data.write_csv1`)."""
    from ktstat.publish.sdmx.data import DataHeader, write_csv1

    agency, _, rest = flow.partition(":")
    dom, _, version = rest.partition("(")
    with path.open("w", encoding="utf-8", newline="") as f:
        write_csv1(f, DataHeader(dom, agency, version.rstrip(")")), observations)


def _write_xml(path: Path, dom: str, agency: str, version: str, prepared: datetime, observations: list[_Obs]) -> None:
    """``data.xml``: SDMX-ML 2.1 StructureSpecificData (:func:`ktstat.publish.sdmx.data.write_structure_specific`)."""
    from ktstat.publish.sdmx.data import DataHeader, write_structure_specific

    with path.open("w", encoding="utf-8", newline="\n") as f:
        write_structure_specific(f, DataHeader(dom, agency, version, prepared), observations)


Observation = _Obs
"""One SDMX observation: ``freq, breakdown, item, measure, time`` (SDMX ids), ``value`` (the text
written, empty for ``C`` and ``N``) and ``status``."""

DomainLists = _Lists


def domain_lists(domain: Domain) -> _Lists:
    """The code lists of ``domain`` exactly as ``structure.xml`` declares them (``DomainError`` when a
    breakdown or code cannot become an SDMX id)."""
    return _domain_lists(domain)


def observations(domain: Domain, lists: _Lists, rows: Iterable[Row]) -> list[_Obs]:
    """Indicator rows of ``domain`` checked (``InputError``) and ordered as SDMX observations (series,
    then time)."""
    return _observations(domain, lists, rows)


def structure_message(domain: Domain, lists: _Lists, agency: str, version: str, prepared: datetime) -> bytes:
    """The SDMX-ML 2.1 Structure message of ``domain`` (the bytes of ``structure.xml``)."""
    return _structure_message(domain, lists, agency, version, prepared)


def write_sdmx(
    domain: Domain,
    rows: Iterable[Row],
    folder: Path,
    agency: str = "KTSTAT",
    version: str = "1.0",
    prepared: datetime | None = None,
) -> dict[str, Path]:
    """Write ``structure.xml``, ``data.csv`` and ``data.xml`` for ``domain`` into ``folder``.

    ``rows``: ``(period, breakdown, item, measure, value, status)`` tuples of the indicators
    table for this domain (a ``period`` label such as ``2025H1``; ``value`` a number for
    status ``A`` or ``P``, ``None`` for ``N`` and ``C``). Every row is checked before anything
    is written: the period's frequency must be published by the domain, the breakdown and
    item must be the domain's (the item a code of that breakdown), the measure one of
    ``measure_names`` for the frequency, no row may repeat; otherwise ``InputError``.
    ``DomainError`` when a breakdown name or code cannot become an SDMX id (see the module
    docstring for the id scheme). ``agency`` must be an SDMX agency id and ``version`` a
    dotted number (``ValueError`` otherwise). ``prepared`` (default: now, UTC) is the
    messages' preparation time; with it fixed the output is byte-for-byte reproducible.

    Returns ``{"structure": .../structure.xml, "csv": .../data.csv, "xml": .../data.xml}``.
    Observations are ordered by breakdown (domain order), item (code-list order), measure,
    frequency and period. Confidential and not-meaningful observations carry no value.
    """
    if not AGENCY_PATTERN.match(agency):
        raise ValueError(f"agency {agency!r} is not an SDMX agency id")
    if not VERSION_PATTERN.match(version):
        raise ValueError(f"version {version!r} is not an SDMX version (such as 1.0)")
    when = prepared or datetime.now(UTC).replace(microsecond=0)
    lists = _domain_lists(domain)
    observations = _observations(domain, lists, rows)
    dom = domain.id.upper()
    folder.mkdir(parents=True, exist_ok=True)
    paths = {"structure": folder / "structure.xml", "csv": folder / "data.csv", "xml": folder / "data.xml"}
    paths["structure"].write_bytes(_structure_message(domain, lists, agency, version, when))
    _write_csv(paths["csv"], f"{agency}:{dom}({version})", observations)
    _write_xml(paths["xml"], dom, agency, version, when, observations)
    return paths
