"""The REST API: released vintages as SDMX (data and structures), release documents, and the JSON
the web data explorer reads.

- :mod:`ktstat.api.app` -- ``create_app(store, now=None, releases_dir=None)``, the endpoints
  (listed in its module doc and in ``/openapi.json``), errors, the response cache;
- :mod:`ktstat.api.front` -- the ASGI front (methods, clock, HEAD, response cache, data fast path);
- :mod:`ktstat.api.serve` -- ``serve(store, host, port, releases_dir)`` with uvicorn (``ktstat serve``);
- :mod:`ktstat.api.index` -- the vintage snapshots read into memory; what is released at a time;
- :mod:`ktstat.api.query` -- dataflow, key, period range, selection;
- :mod:`ktstat.api.formats` -- content negotiation, SDMX-JSON 1.0/2.0, availability, errors;
- :mod:`ktstat.api.structure` -- SDMX-ML structure queries;
- :mod:`ktstat.api.explorer` and :mod:`ktstat.api.models` -- ``/api/meta`` and ``/api/table``;
- :mod:`ktstat.api.views.sdmx` -- the SDMX REST routes (2.1 and 2.0 paths, availability, 501s);
- :mod:`ktstat.publish.sdmx` and its writers (:mod:`ktstat.publish.sdmx.data`) -- ids, code lists,
  structure and data messages, shared with the release folder;
- :mod:`ktstat.api.loadtest` -- ``run_loadtest(store)``: the API against a bare FastAPI app.

Needs ``fastapi``, ``uvicorn`` and ``orjson`` (``uvloop`` and ``httptools`` make uvicorn faster).
"""
