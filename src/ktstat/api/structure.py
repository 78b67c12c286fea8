"""SDMX structure queries: ``/{resource}/{agency}/{id}/{version}`` as SDMX-ML 2.1 Structure messages.

Resources: ``dataflow``, ``datastructure``, ``codelist``, ``conceptscheme``. The artefacts are those
of the release files' ``structure.xml`` (:func:`ktstat.publish.sdmx.structure_message`, read back
with ``sdmx1`` once per domain), of the domains with at least one released vintage. The code
lists ``CL_FREQ``, ``CL_UNIT_MEASURE``, ``CL_OBS_STATUS`` and the concept scheme ``CS_KTSTAT``
are shared by every domain.

- ``agency``: ``KTSTAT``, ``all`` or ``*``; ``id``: an artefact id, ``all`` or ``*``; ``version``:
  ``1.0``, ``latest``, ``all``, ``*``, ``+`` or ``~``. Anything else matches nothing (404).
- ``references``: ``none`` (default), ``parents``, ``parentsandsiblings``, ``children``,
  ``descendants``, ``all``, or a resource name (every referenced artefact of that type). A
  dataflow's child is its data structure, whose children are its code lists and concept scheme.
- ``detail``: accepted (``full``, ``allstubs``, ``referencestubs``, ``allcompletestubs``,
  ``referencecompletestubs``, ``referencepartial``); the artefacts are always given in full.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from ktstat.api.index import AGENCY, DomainInfo
from ktstat.api.query import ANY_AGENCY, ANY_VERSION, not_found, syntax

RESOURCES = ("dataflow", "datastructure", "codelist", "conceptscheme")
REFERENCES = ("none", "parents", "parentsandsiblings", "children", "descendants", "all", *RESOURCES)
DETAILS = ("full", "allstubs", "referencestubs", "allcompletestubs", "referencecompletestubs", "referencepartial")

Ref = tuple[str, str]  # (resource, id)


@dataclass
class _Artefact:
    ref: Ref
    obj: Any
    children: list[Ref] = field(default_factory=list)
    domains: set[str] = field(default_factory=set)


class Structures:
    """The structural artefacts of the domains, with their references (see module doc)."""

    def __init__(self, infos: dict[str, DomainInfo]) -> None:
        import sdmx

        self.artefacts: dict[Ref, _Artefact] = {}
        for d, info in sorted(infos.items()):
            msg: Any = sdmx.read_sdmx(io.BytesIO(info.structure))
            for kind, coll in (
                ("dataflow", msg.dataflow),
                ("datastructure", msg.structure),
                ("codelist", msg.codelist),
                ("conceptscheme", msg.concept_scheme),
            ):
                for obj in coll.values():
                    ref = (kind, str(obj.id))
                    art = self.artefacts.setdefault(ref, _Artefact(ref, obj))
                    art.domains.add(d)
                    if kind == "dataflow":
                        art.children = [("datastructure", str(obj.structure.id))]
                    elif kind == "datastructure":
                        kids: list[Ref] = []
                        for comp in [*obj.dimensions.components, *obj.attributes.components]:
                            rep = comp.local_representation
                            if rep is not None and rep.enumerated is not None:
                                kids.append(("codelist", str(rep.enumerated.id)))
                        kids.append(("conceptscheme", "CS_KTSTAT"))
                        art.children = list(dict.fromkeys(kids))
        self.parents: dict[Ref, list[Ref]] = {}
        for art in self.artefacts.values():
            for c in art.children:
                self.parents.setdefault(c, []).append(art.ref)

    def _close(self, start: list[Ref], up: bool, deep: bool) -> list[Ref]:
        """The artefacts ``start`` refers to (``up``: that refer to it), transitively when ``deep``."""
        out: list[Ref] = []
        todo = list(start)
        while todo:
            r = todo.pop(0)
            nxt = self.parents.get(r, []) if up else self.artefacts[r].children if r in self.artefacts else []
            for n in nxt:
                if n not in out:
                    out.append(n)
                    if deep:
                        todo.append(n)
        return out

    def message(
        self, domains: set[str], resource: str, agency: str, rid: str, version: str, references: str, prepared: datetime
    ) -> bytes:
        """The Structure message answering the query, for the artefacts of ``domains`` (those with a
        released vintage); ``ApiError`` when nothing matches (404) or a parameter is malformed (400)."""
        import sdmx
        from sdmx import message
        from sdmx.model import common

        if resource not in RESOURCES:
            raise not_found(f"no structure resource {resource!r}; resources: {', '.join(RESOURCES)}")
        if references not in REFERENCES:
            raise syntax(f"references={references!r}: use one of {', '.join(REFERENCES)}")
        visible = {r: a for r, a in self.artefacts.items() if a.domains & domains}
        if agency not in ANY_AGENCY:
            raise not_found(f"no agency {agency!r}: the structures are maintained by {AGENCY}")
        if version not in ANY_VERSION:
            raise not_found(f"no {resource} of version {version!r}: every structure has version 1.0")
        ids = set(rid.split(","))
        matched = [r for r in visible if r[0] == resource and (ids & {"all", "*"} or r[1] in ids)]
        if not matched:
            known = ", ".join(r[1] for r in visible if r[0] == resource) or "none"
            raise not_found(f"no {resource} {rid!r}; {resource}s: {known}")
        chosen: list[Ref] = list(matched)
        if references in ("children",):
            chosen += self._close(matched, up=False, deep=False)
        elif references == "descendants":
            chosen += self._close(matched, up=False, deep=True)
        elif references == "parents":
            chosen += self._close(matched, up=True, deep=False)
        elif references in ("parentsandsiblings", "all"):
            parents = self._close(matched, up=True, deep=False)
            chosen += parents + self._close(parents, up=False, deep=False)
            if references == "all":
                chosen += self._close(matched, up=False, deep=True)
        elif references in RESOURCES:
            around = self._close(matched, up=False, deep=True) + self._close(matched, up=True, deep=True)
            chosen += [r for r in around if r[0] == references]
        chosen = [r for r in dict.fromkeys(chosen) if r in visible]
        msg = message.StructureMessage(
            header=message.Header(
                id=re.sub(r"[^A-Za-z0-9_]", "_", f"{resource}_{rid}_{prepared:%Y%m%dT%H%M%S}")[:60],
                prepared=prepared,
                sender=common.Agency(id=AGENCY),
                test=False,
            )
        )
        for kind in ("dataflow", "codelist", "conceptscheme", "datastructure"):
            for r in chosen:
                if r[0] == kind:
                    msg.add(visible[r].obj)
        return bytes(sdmx.to_xml(msg, pretty_print=True))
