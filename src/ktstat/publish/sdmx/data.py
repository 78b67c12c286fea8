"""SDMX data writers, one per format, registered by media type; used by the release folder
(``data.csv``, ``data.xml``) and by the API alike.

Every writer has the signature ``write(out, header, observations)``: ``out`` a text stream,
``header`` a :class:`DataHeader` (dataflow, agency, version, preparation time, message id, the
dimension at the observation level and the ``detail``), ``observations`` an iterable of
:class:`ktstat.publish.sdmx.Observation` (SDMX ids, value text empty for ``C`` and ``N``,
status) in series order (series key, then time), as :func:`ktstat.publish.sdmx.observations`
gives them. Writers stream: they hold one series at a time, except when the observation
dimension is not ``TIME_PERIOD`` (the observations are then regrouped in memory).

Formats (:data:`WRITERS`, keyed by name; :func:`writer_for` finds one by media type and version):

- ``genericdata``: SDMX-ML 2.1 GenericData (``application/vnd.sdmx.genericdata+xml;version=2.1``).
- ``structurespecificdata``: SDMX-ML 2.1 StructureSpecificData
  (``application/vnd.sdmx.structurespecificdata+xml;version=2.1``).
- ``csv`` / ``csv2``: SDMX-CSV 1.0.0 (``DATAFLOW`` column ``KTSTAT:KST(1.0)``) and SDMX-CSV 2.0.0
  (``STRUCTURE,STRUCTURE_ID,ACTION``: ``dataflow,KTSTAT:KST(1.0),I``).

Both XML messages name the data structure ``DSD_<FLOW>`` in their header (``structureID`` and a
``common:Structure`` reference), as the SDMX 2.1 schemas and clients (pandaSDMX, rsdmx) expect.

``detail`` (SDMX REST): ``full`` everything; ``dataonly`` no attributes; ``serieskeysonly`` the
series keys only (no observation, no attribute); ``nodata`` the series with their attributes
and no observation. In the CSV formats a series without observations is one row with empty
``TIME_PERIOD`` and ``OBS_VALUE``. ``dimensionAtObservation``: ``TIME_PERIOD`` (default), any other
dimension (series are then keyed by the remaining dimensions, ``UNIT_MEASURE`` moves to the
observations when ``MEASURE`` is the observation dimension), or ``AllDimensions`` (no series:
every observation carries its full key).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, TextIO
from xml.sax.saxutils import quoteattr

from ktstat.publish.sdmx import unit_measure  # memoised; the package does not import this module at its top

if TYPE_CHECKING:
    from ktstat.publish.sdmx import Observation

NS = "http://www.sdmx.org/resources/sdmxml/schemas/v2_1"
KEY = ("FREQ", "BREAKDOWN", "ITEM", "MEASURE")
DIMS = (*KEY, "TIME_PERIOD")
ALL_DIMENSIONS = "AllDimensions"
DETAILS = ("full", "dataonly", "serieskeysonly", "nodata")


@dataclass(frozen=True)
class DataHeader:
    """What a data message says about itself (see module doc)."""

    flow: str
    agency: str = "KTSTAT"
    version: str = "1.0"
    prepared: datetime | None = None
    message_id: str | None = None
    dim_at_obs: str = "TIME_PERIOD"
    detail: str = "full"

    @property
    def dsd(self) -> str:
        return f"DSD_{self.flow}"

    @property
    def flow_ref(self) -> str:
        return f"{self.agency}:{self.flow}({self.version})"

    def id(self) -> str:
        if self.message_id:
            return self.message_id
        when = f"{self.prepared:%Y%m%dT%H%M%S}" if self.prepared else "0"
        return f"{self.flow}_DATA_{when}"

    def check(self) -> None:
        """``ValueError`` for an unknown detail or observation dimension."""
        if self.detail not in DETAILS:
            raise ValueError(f"detail={self.detail!r}: use one of {', '.join(DETAILS)}")
        if self.dim_at_obs not in (*DIMS, ALL_DIMENSIONS):
            raise ValueError(
                f"dimensionAtObservation={self.dim_at_obs!r}: use one of {', '.join(DIMS)} or {ALL_DIMENSIONS}"
            )


def _values(o: Observation) -> dict[str, str]:
    return {"FREQ": o.freq, "BREAKDOWN": o.breakdown, "ITEM": o.item, "MEASURE": o.measure, "TIME_PERIOD": o.time}


Group = tuple[tuple[tuple[str, str], ...], list["Observation"]]


def _groups(h: DataHeader, observations: Iterable[Observation]) -> Iterator[Group]:
    """The series of the message: (key as (dimension, code) pairs, observations), grouped by every
    dimension but the observation dimension; one group with an empty key for AllDimensions."""
    if h.dim_at_obs == ALL_DIMENSIONS:
        yield (), list(observations)
        return
    series_dims = [d for d in DIMS if d != h.dim_at_obs]
    if h.dim_at_obs == "TIME_PERIOD":  # already in series order: stream
        cur: tuple[tuple[str, str], ...] | None = None
        buf: list[Observation] = []
        for o in observations:
            k = (("FREQ", o.freq), ("BREAKDOWN", o.breakdown), ("ITEM", o.item), ("MEASURE", o.measure))
            if k != cur:
                if cur is not None:
                    yield cur, buf
                cur, buf = k, []
            buf.append(o)
        if cur is not None:
            yield cur, buf
        return
    grouped: dict[tuple[tuple[str, str], ...], list[Observation]] = {}
    for o in observations:
        vals = _values(o)
        grouped.setdefault(tuple((d, vals[d]) for d in series_dims), []).append(o)
    yield from grouped.items()


def _series_attrs(h: DataHeader, key: tuple[tuple[str, str], ...]) -> list[tuple[str, str]]:
    """UNIT_MEASURE at series level when the series key holds MEASURE (and attributes are asked)."""
    if h.detail in ("dataonly", "serieskeysonly"):
        return []
    k = dict(key)
    return [("UNIT_MEASURE", unit_measure(k["MEASURE"]))] if "MEASURE" in k else []


def _obs_attr_parts(h: DataHeader, key: tuple[tuple[str, str], ...]) -> tuple[bool, bool]:
    """Whether the observations of a series carry (UNIT_MEASURE, OBS_STATUS): only with detail
    ``full``; UNIT_MEASURE when the series key lacks MEASURE."""
    full = h.detail == "full"
    return full and "MEASURE" not in dict(key), full


def _obs_attrs(h: DataHeader, key: tuple[tuple[str, str], ...], o: Observation) -> list[tuple[str, str]]:
    unit, status = _obs_attr_parts(h, key)
    out = [("UNIT_MEASURE", unit_measure(o.measure))] if unit else []
    return [*out, ("OBS_STATUS", o.status)] if status else out


def _with_obs(h: DataHeader) -> bool:
    return h.detail in ("full", "dataonly")


def _xml_header(out: TextIO, h: DataHeader, root: str, extra_ns: str, structure_attrs: str) -> None:
    prepared = h.prepared.isoformat() if h.prepared else "1970-01-01T00:00:00"
    out.write('<?xml version="1.0" encoding="UTF-8"?>\n')
    out.write(
        f'<message:{root} xmlns:message="{NS}/message" xmlns:common="{NS}/common" {extra_ns}'
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
        "  <message:Header>\n"
        f"    <message:ID>{h.id()}</message:ID>\n"
        "    <message:Test>false</message:Test>\n"
        f"    <message:Prepared>{prepared}</message:Prepared>\n"
        f"    <message:Sender id={quoteattr(h.agency)}/>\n"
        f"    <message:Structure structureID={quoteattr(h.dsd)} {structure_attrs}"
        f"dimensionAtObservation={quoteattr(h.dim_at_obs)}>\n"
        f"      <common:Structure><Ref agencyID={quoteattr(h.agency)} id={quoteattr(h.dsd)} "
        f'version={quoteattr(h.version)} class="DataStructure" package="datastructure"/></common:Structure>\n'
        "    </message:Structure>\n"
        "  </message:Header>\n"
    )


# every value written below is an SDMX id, a period, a float repr or a status, checked before:
# none needs escaping


DataSets = Iterable[tuple[str | None, Iterable["Observation"]]]
"""Data sets of one message: (``validFromDate`` or ``None``, observations)."""


def write_generic(out: TextIO, h: DataHeader, observations: Iterable[Observation]) -> None:
    """SDMX-ML 2.1 GenericData (module doc)."""
    write_generic_sets(out, h, [(None, observations)])


def write_generic_sets(out: TextIO, h: DataHeader, sets: DataSets) -> None:
    """SDMX-ML 2.1 GenericData with one ``DataSet`` per entry of ``sets`` (``validFromDate`` when given)."""
    h.check()
    _xml_header(out, h, "GenericData", f'xmlns:generic="{NS}/data/generic" ', "")
    for valid_from, observations in sets:
        valid = f" validFromDate={quoteattr(valid_from)}" if valid_from else ""
        out.write(f'  <message:DataSet structureRef={quoteattr(h.dsd)} action="Information"{valid}>\n')
        _generic_body(out, h, observations)
        out.write("  </message:DataSet>\n")
    out.write("</message:GenericData>\n")


def _generic_body(out: TextIO, h: DataHeader, observations: Iterable[Observation]) -> None:

    def values(tag: str, pairs: list[tuple[str, str]], indent: str) -> None:
        if pairs:
            out.write(f"{indent}<generic:{tag}>")
            out.write("".join(f'<generic:Value id="{k}" value="{v}"/>' for k, v in pairs))
            out.write(f"</generic:{tag}>\n")

    def obs(key: tuple[tuple[str, str], ...], o: Observation, indent: str) -> None:
        out.write(f"{indent}<generic:Obs>")
        if h.dim_at_obs == ALL_DIMENSIONS:
            vals = _values(o)
            out.write(
                "<generic:ObsKey>"
                + "".join(f'<generic:Value id="{d}" value="{vals[d]}"/>' for d in DIMS)
                + "</generic:ObsKey>"
            )
        else:
            out.write(f'<generic:ObsDimension value="{_values(o)[h.dim_at_obs]}"/>')
        if o.value:
            out.write(f'<generic:ObsValue value="{o.value}"/>')
        attrs = _obs_attrs(h, key, o)
        if attrs:
            out.write(
                "<generic:Attributes>"
                + "".join(f'<generic:Value id="{k}" value="{v}"/>' for k, v in attrs)
                + "</generic:Attributes>"
            )
        out.write("</generic:Obs>\n")

    for key, group in _groups(h, observations):
        if not key:
            for o in group:
                obs(key, o, "    ")
            continue
        out.write("    <generic:Series>\n")
        values("SeriesKey", list(key), "      ")
        values("Attributes", _series_attrs(h, key), "      ")
        if _with_obs(h):
            for o in group:
                obs(key, o, "      ")
        out.write("    </generic:Series>\n")


def write_structure_specific(out: TextIO, h: DataHeader, observations: Iterable[Observation]) -> None:
    """SDMX-ML 2.1 StructureSpecificData (module doc)."""
    write_structure_specific_sets(out, h, [(None, observations)])


def write_structure_specific_sets(out: TextIO, h: DataHeader, sets: DataSets) -> None:
    """SDMX-ML 2.1 StructureSpecificData with one ``DataSet`` per entry of ``sets``."""
    h.check()
    urn = f"urn:sdmx:org.sdmx.infomodel.datastructure.DataStructure={h.agency}:{h.dsd}({h.version})"
    namespace = f"{urn}:ObsLevelDim:{h.dim_at_obs}"
    _xml_header(
        out,
        h,
        "StructureSpecificData",
        f'xmlns:ss="{NS}/data/structurespecific" xmlns:ns1={quoteattr(namespace)} ',
        f"namespace={quoteattr(namespace)} ",
    )
    for valid_from, observations in sets:
        valid = f" ss:validFromDate={quoteattr(valid_from)}" if valid_from else ""
        out.write(
            f'  <message:DataSet ss:structureRef={quoteattr(h.dsd)} ss:dataScope="DataStructure" '
            f'xsi:type="ns1:DataSetType"{valid}>\n'
        )
        _ss_body(out, h, observations)
        out.write("  </message:DataSet>\n")
    out.write("</message:StructureSpecificData>\n")


def _ss_body(out: TextIO, h: DataHeader, observations: Iterable[Observation]) -> None:

    def attrs(pairs: list[tuple[str, str]]) -> str:
        return "".join(f' {k}="{v}"' for k, v in pairs)

    dims = DIMS if h.dim_at_obs == ALL_DIMENSIONS else (h.dim_at_obs,)

    def obs_lines(key: tuple[tuple[str, str], ...], group: list[Observation], indent: str) -> str:
        """The group's ``Obs`` elements: dimensions, OBS_VALUE, then the attributes of
        :func:`_obs_attrs` (which are the same for every observation of a series)."""
        unit_here, status_here = _obs_attr_parts(h, key)
        lines = []
        for o in group:
            if dims == ("TIME_PERIOD",):
                dim_text = f' TIME_PERIOD="{o.time}"'
            else:
                vals = _values(o)
                dim_text = "".join(f' {d}="{vals[d]}"' for d in dims)
            value = f' OBS_VALUE="{o.value}"' if o.value else ""
            unit = f' UNIT_MEASURE="{unit_measure(o.measure)}"' if unit_here else ""
            status = f' OBS_STATUS="{o.status}"' if status_here else ""
            lines.append(f"{indent}<Obs{dim_text}{value}{unit}{status}/>\n")
        return "".join(lines)

    for key, group in _groups(h, observations):
        if not key:
            out.write(obs_lines(key, group, "    "))
            continue
        head = f"    <Series{attrs(list(key))}{attrs(_series_attrs(h, key))}"
        if not _with_obs(h):
            out.write(head + "/>\n")
            continue
        out.write(head + ">\n")
        out.write(obs_lines(key, group, "      "))
        out.write("    </Series>\n")


def _csv_rows(h: DataHeader, observations: Iterable[Observation]) -> Iterator[list[str]]:
    """Rows ``dimensions..., OBS_VALUE, UNIT_MEASURE, OBS_STATUS`` (attributes empty for dataonly,
    serieskeysonly; one row per series for serieskeysonly and nodata)."""
    h.check()
    if _with_obs(h):
        full = h.detail == "full"
        for o in observations:
            yield [
                o.freq,
                o.breakdown,
                o.item,
                o.measure,
                o.time,
                o.value,
                unit_measure(o.measure) if full else "",
                o.status if full else "",
            ]
        return
    seen: set[tuple[str, str, str, str]] = set()
    for o in observations:
        k = (o.freq, o.breakdown, o.item, o.measure)
        if k not in seen:
            seen.add(k)
            yield [*k, "", "", unit_measure(o.measure) if h.detail == "nodata" else "", ""]


def _csv_line(cells: list[str]) -> str:
    # ids, periods, float reprs and statuses: no comma, quote or newline to escape
    return ",".join(cells) + "\n"


def write_csv1(out: TextIO, h: DataHeader, observations: Iterable[Observation]) -> None:
    """SDMX-CSV 1.0.0 (module doc)."""
    out.write(_csv_line(["DATAFLOW", *DIMS, "OBS_VALUE", "UNIT_MEASURE", "OBS_STATUS"]))
    ref = h.flow_ref
    for row in _csv_rows(h, observations):
        out.write(_csv_line([ref, *row]))


def write_csv2(out: TextIO, h: DataHeader, observations: Iterable[Observation]) -> None:
    """SDMX-CSV 2.0.0 (module doc)."""
    out.write(_csv_line(["STRUCTURE", "STRUCTURE_ID", "ACTION", *DIMS, "OBS_VALUE", "UNIT_MEASURE", "OBS_STATUS"]))
    head = ["dataflow", h.flow_ref, "I"]
    for row in _csv_rows(h, observations):
        out.write(_csv_line([*head, *row]))


Write = Callable[[TextIO, DataHeader, Iterable["Observation"]], None]


@dataclass(frozen=True)
class DataWriter:
    """A data format: its name (``format=``), media type (with version), and writer."""

    name: str
    media: str
    version: str
    write: Write
    errors: str  # how errors are answered beside it: "xml" or "json"
    write_sets: Callable[[TextIO, DataHeader, DataSets], None] | None = None  # several data sets (history)

    @property
    def media_type(self) -> str:
        return f"{self.media};version={self.version}"


WRITERS: dict[str, DataWriter] = {
    w.name: w
    for w in (
        DataWriter(
            "genericdata", "application/vnd.sdmx.genericdata+xml", "2.1", write_generic, "xml", write_generic_sets
        ),
        DataWriter(
            "structurespecificdata",
            "application/vnd.sdmx.structurespecificdata+xml",
            "2.1",
            write_structure_specific,
            "xml",
            write_structure_specific_sets,
        ),
        DataWriter("csv", "application/vnd.sdmx.data+csv", "1.0.0", write_csv1, "json"),
        DataWriter("csv2", "application/vnd.sdmx.data+csv", "2.0.0", write_csv2, "json"),
    )
}


def _same_version(asked: str, have: str) -> bool:
    a, b = asked.split("."), have.split(".")
    a += ["0"] * (3 - len(a))
    b += ["0"] * (3 - len(b))
    return a[:3] == b[:3]


def writer_for(media: str, version: str = "") -> DataWriter | None:
    """The writer of a media type (``version`` empty: the newest of that type), ``None`` if none."""
    found = [w for w in WRITERS.values() if w.media == media]
    if not found:
        return None
    if not version:
        return max(found, key=lambda w: [int(x) for x in w.version.split(".")])
    return next((w for w in found if _same_version(version, w.version)), None)
