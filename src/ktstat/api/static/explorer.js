/* ktstat web data explorer.
 *
 * A page over the API's explorer endpoints, nothing else: /api/home (each programme's latest
 * release in brief and the release calendar), /api/search (items of every breakdown by name, in
 * English or Korean), /api/meta (programmes, released vintages, breakdowns, periods, measures,
 * labels in both languages), /api/table (one breakdown's items by the chosen periods and
 * measures), /api/table.csv|.xlsx (the same table to download) and /releases/{vintage} (the
 * release's documents). Only released vintages exist for those endpoints, so nothing embargoed can
 * reach the page.
 *
 * Three views: "home" (the latest release's key figures and headline chart, the default),
 * "table" (tables and charts) and "calendar". The view and the selection live in the address
 * (?view=&dataflow=&vintage=&breakdown=&freq=&period=&measure=&lang=&layout=&labels=&scale=&item=&hide=),
 * so a view can be bookmarked, shared and embedded (&embed=1: the chart alone). Values are shown
 * rounded (US$ million, or thousand or dollars for a table of small values: usdScale; one
 * decimal; percentages one decimal); downloads carry the API's full values.
 */
"use strict";

const LEVELS = ["exports", "imports", "balance", "volume", "ratio"];
const DEFAULT_MEASURES = ["exports", "imports", "balance"];
const STATUS_SYMBOL = { C: "x", N: "–" };
const NO_CELL = "..";
const PALETTE = ["#1f5fa8", "#c4512b", "#2e8b57", "#8a4fb3", "#b07d00", "#2a93b0", "#a0522d", "#55627a",
  "#c2538f", "#4b6e1f"];
const MAX_BARS = 30;
const MAX_LINES = 8;      // series drawn at first; the others are listed, hidden, in the legend
const OWN_SCALE_AT = 8;  // "automatic" scale: small multiples when the largest series is this many times the smallest
const QUICK_RANGES = [3, 5, 10];

const state = {
  lang: "en",
  view: "home",
  embed: false,
  strings: null,       // i18n.json
  meta: null,          // /api/meta (latest vintage of every dataflow)
  home: null,          // /api/home
  homeFlow: null,      // the programme shown on the home view
  statuses: {},        // status code -> {en, ko}
  units: {},
  flowMeta: new Map(), // "FLOW|vintage" -> the dataflow's meta for that vintage
  releases: new Map(), // vintage id -> /releases/{vintage}
  flow: null,          // the dataflow's meta in use
  vintage: null,
  breakdown: null,
  freq: null,
  periods: [],
  measures: [],
  chartMeasure: null,
  layout: "across",    // periods across (columns) or down (rows)
  labels: "name",      // item labels: name, code or both
  scale: "auto",       // chart scale: auto, same, own (small multiples), share
  item: null,          // an item to point at (from a search)
  hidden: new Set(),   // chart series hidden by the reader
  hiddenKey: "",       // the chart the hidden set belongs to
  hiddenByReader: false,  // the reader chose what is hidden (kept in the address)
  askedHidden: null,   // series hidden by the address (&hide=), applied to the first chart
  table: null,         // last /api/table answer
  usd: { div: 1e6, key: "unit_usd_million" },  // how US dollars are shown (usdScale)
  seq: 0,             // refresh() calls: only the latest one's table is drawn
  flowCalls: 0,       // useFlow() calls: only the latest one's programme and release apply
  searchSeq: 0,
  folded: false,       // the choices were folded (or left open) once, on first showing the tables
};

const $ = (id) => document.getElementById(id);
const el = (tag, attrs = {}, ...children) => {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === null || v === undefined || v === false) continue;
    if (k === "class") node.className = v;
    else if (k === "text") node.textContent = v;
    else node.setAttribute(k, v === true ? "" : v);
  }
  for (const c of children) node.append(c);
  return node;
};
const SVG = "http://www.w3.org/2000/svg";
const svg = (tag, attrs = {}, text) => {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (text !== undefined) node.textContent = text;
  return node;
};

const t = (key) => (state.strings[state.lang] || state.strings.en)[key] || key;
const both = (obj) => (obj ? obj[state.lang] || obj.en : "");
const label = (obj) => (obj && obj.label ? both(obj.label) : "");
const fill = (text, values) => text.replace(/\{(\w+)\}/g, (_, k) => values[k]);

// --- talking to the API ------------------------------------------------------------------------

class ApiFailure extends Error {}

async function getJSON(url) {
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" } });
  } catch (err) {
    throw new ApiFailure(`${url}: ${err.message}`);
  }
  const body = await response.json().catch(() => null);
  if (!response.ok) {
    const e = body && body.errors && body.errors[0];
    throw new ApiFailure(e ? `${e.title}: ${e.detail}` : `${url}: HTTP ${response.status}`);
  }
  return body;
}

async function flowMeta(flowId, vintage) {
  const key = `${flowId}|${vintage || ""}`;
  if (!state.flowMeta.has(key)) {
    const q = new URLSearchParams({ dataflow: flowId });
    if (vintage) q.set("vintage", vintage);
    const doc = await getJSON(`/api/meta?${q}`);
    state.flowMeta.set(key, doc.dataflows[0]);
  }
  return state.flowMeta.get(key);
}

async function releaseDoc(vintage) {
  if (!state.releases.has(vintage)) {
    state.releases.set(vintage, await getJSON(`/releases/${encodeURIComponent(vintage)}`).catch(() => null));
  }
  return state.releases.get(vintage);
}

function tableQuery(lang) {
  const q = new URLSearchParams({ dataflow: state.flow.id, vintage: state.vintage, breakdown: state.breakdown });
  for (const p of state.periods) q.append("period", p);
  for (const m of state.measures) q.append("measure", m);
  q.set("lang", lang || state.lang);
  return q;
}

/** The address of a table view (for links: key figures, search results, the calendar). */
function viewAddress(params) {
  const q = new URLSearchParams({ view: "table" });
  for (const [k, v] of Object.entries(params)) {
    if (v === null || v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) q.append(k, x);
  }
  q.set("lang", state.lang);
  return `/?${q}`;
}

/** The SDMX REST query of the shown table: /data/FLOW/FREQ.BREAKDOWN.ITEMS.MEASURES with its periods. */
function sdmxQuery() {
  const f = frequency(state.freq);
  const b = state.flow.breakdowns.find((x) => x.id === state.breakdown);
  if (!f || !b || !state.periods.length || !state.measures.length) return "";
  const sdmxOf = (id) => f.periods.find((p) => p.id === id).sdmx;
  const key = [f.sdmx, b.sdmx, "", state.measures.join("+")].join(".");
  const q = new URLSearchParams({ startPeriod: sdmxOf(state.periods[0]),
    endPeriod: sdmxOf(state.periods[state.periods.length - 1]), vintage: state.vintage });
  return `/data/${state.flow.id}/${key}?${q}`;
}

// --- messages ---------------------------------------------------------------------------------------

function showMessage(text) {
  const box = $("message");
  box.textContent = text;
  box.hidden = !text;
}

// --- the selection --------------------------------------------------------------------------------------

function freqOf(period) {
  if (/^\d{4}H[12]$/.test(period)) return "H";
  if (/^\d{4}Q[1-4]$/.test(period)) return "Q";
  return "A";
}

function frequency(id) {
  return state.flow.frequencies.find((f) => f.id === id);
}

function periodOrder() {
  const f = frequency(state.freq);
  return f ? f.periods.map((p) => p.id) : [];
}

function measuresFor(freq) {
  return state.flow.measures.filter((m) => m.frequencies.includes(freq));
}

/** The release period, the periods its comparisons need and those between: the last three
 * half-years of a half-yearly release (against the previous half and the same half a year
 * earlier), the last two years of an annual one. */
function defaultPeriods(freq) {
  const ids = (frequency(freq) || { periods: [] }).periods.map((p) => p.id);
  const own = state.flow.vintage.period;
  const end = ids.includes(own) ? ids.indexOf(own) : ids.length - 1;
  if (end < 0) return [];
  const last = ids[end];
  const yearBefore = `${Number(last.slice(0, 4)) - 1}${last.slice(4)}`;
  const start = ids.includes(yearBefore) ? ids.indexOf(yearBefore) : Math.max(0, end - 1);
  return ids.slice(start, end + 1);
}

function applyDefaults(keep) {
  const flow = state.flow;
  const names = flow.breakdowns.map((b) => b.id);
  if (!names.includes(state.breakdown)) {
    state.breakdown = names.find((n) => n !== "total" && !n.includes("+")) || names[0];
  }
  const freqs = flow.frequencies.map((f) => f.id);
  const asked = keep.freq || (keep.periods && keep.periods.length ? freqOf(keep.periods[0]) : null);
  if (asked && freqs.includes(asked)) state.freq = asked;
  if (!freqs.includes(state.freq)) {
    const own = freqOf(flow.vintage.period);
    state.freq = freqs.includes(own) ? own : freqs[0];
  }
  const order = periodOrder();
  state.periods = (keep.periods || []).filter((p) => order.includes(p));
  if (!state.periods.length) state.periods = defaultPeriods(state.freq);
  state.periods.sort((a, b) => order.indexOf(a) - order.indexOf(b));
  const avail = measuresFor(state.freq).map((m) => m.id);
  state.measures = (keep.measures || []).filter((m) => avail.includes(m));
  if (!state.measures.length) state.measures = DEFAULT_MEASURES.filter((m) => avail.includes(m));
  if (!state.measures.includes(state.chartMeasure)) state.chartMeasure = state.measures[0] || null;
}

// --- controls -------------------------------------------------------------------------------------------

function option(value, text, selected) {
  return el("option", { value, selected: selected ? "selected" : null, text });
}

function vintageText(v) {
  const parts = [both(v.short), both(v.date)];
  if (v.revises) parts.push(t("revised"));
  if (v.id === state.meta.dataflows.find((f) => f.id === state.flow.id).vintage.id) parts.push(t("latest"));
  return parts.join(" · ");
}

function basisWords(name) {
  const f = frequency(state.freq);
  return f && f.bases && f.bases[name] ? both(f.bases[name]) : name;
}

/** Measures in groups: levels, one group per comparison basis (named with it), the rest. */
function measureGroups(avail) {
  const f = frequency(state.freq);
  const bases = Object.keys((f && f.bases) || { previous: null });
  const groups = [{ id: "level", title: t("group_levels"), measures: avail.filter((m) => m.kind === "level") }];
  for (const b of bases) {
    groups.push({ id: b, title: fill(t("group_basis"), { basis: basisWords(b) }),
      measures: avail.filter((m) => m.basis === b) });
  }
  groups.push({ id: "other", title: t("group_other"),
    measures: avail.filter((m) => m.kind !== "level" && !bases.includes(m.basis)) });
  return groups.filter((g) => g.measures.length);
}

function measureName(m) {
  if (!m) return "";
  if (m.basis) return `${both(m.short)}, ${fill(t("group_basis"), { basis: basisWords(m.basis) }).toLowerCase()}`;
  return both(m.short);
}

function renderControls() {
  const flows = state.meta.dataflows;
  $("programme").replaceChildren(...flows.map((f) => option(f.id, label(f), f.id === state.flow.id)));
  const vintages = [...state.flow.vintages].reverse();
  $("vintage").replaceChildren(...vintages.map((v) => option(v.id, vintageText(v), v.id === state.vintage)));

  const single = state.flow.breakdowns.filter((b) => !b.id.includes("+"));
  const crosses = state.flow.breakdowns.filter((b) => b.id.includes("+"));
  const groups = [[t("breakdowns"), single], [t("crosses"), crosses]].filter(([, bs]) => bs.length);
  $("breakdown").replaceChildren(...groups.map(([name, bs]) => {
    const g = el("optgroup", { label: name });
    g.append(...bs.map((b) => option(b.id, label(b), b.id === state.breakdown)));
    return g;
  }));

  const freqs = state.flow.frequencies;
  $("frequency-box").hidden = freqs.length < 2;
  $("frequency").replaceChildren(...freqs.map((f) => el("label", {},
    el("input", { type: "radio", name: "freq", value: f.id, checked: f.id === state.freq }), label(f))));

  const periods = frequency(state.freq).periods;
  const first = state.periods[0], last = state.periods[state.periods.length - 1];
  $("period-from").replaceChildren(...periods.map((p) => option(p.id, label(p), p.id === first)));
  $("period-to").replaceChildren(...periods.map((p) => option(p.id, label(p), p.id === last)));
  $("period-quick").replaceChildren(...QUICK_RANGES.filter((n) => n < periods.length).map((n) =>
    el("button", { type: "button", "data-last": n, text: fill(t("range_last"), { n }) })));
  $("range-note").textContent = fill(t("range_note"), { n: state.periods.length, total: periods.length });

  const avail = measuresFor(state.freq);
  const box = (m) => el("label", {},
    el("input", { type: "checkbox", name: "measure", value: m.id, checked: state.measures.includes(m.id) }),
    both(m.short));
  $("measures").replaceChildren(...measureGroups(avail).map((g) => {
    const open = g.id === "level" || g.measures.some((m) => state.measures.includes(m.id));
    return el("details", { open, "data-group": g.id }, el("summary", { text: g.title }), ...g.measures.map(box));
  }));

  const byId = Object.fromEntries(avail.map((m) => [m.id, m]));
  $("chart-measure").replaceChildren(...state.measures.map((m) => option(m, measureName(byId[m]), m === state.chartMeasure)));
  for (const i of document.querySelectorAll("input[name=layout]")) i.checked = i.value === state.layout;
  $("labels").value = state.labels;
  $("chart-scale").value = state.scale;
}

function renderStrings() {
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  $("search").placeholder = t("search_placeholder");
  for (const b of document.querySelectorAll(".lang button")) {
    b.setAttribute("aria-pressed", String(b.dataset.lang === state.lang));
  }
  const legend = $("legend");
  const items = Object.entries(state.statuses).filter(([code]) => code !== "A").map(([code, names]) => {
    const sym = STATUS_SYMBOL[code] || (code === "P" ? "p" : code);
    return el("div", {}, el("dt", { text: sym }), el("dd", { text: names[state.lang] || names.en }));
  });
  items.push(el("div", {}, el("dt", { text: NO_CELL }), el("dd", { text: t("no_cell") })));
  legend.replaceChildren(el("span", { text: `${t("legend")}:` }), ...items);
}

function addressParams() {
  const q = new URLSearchParams({ view: state.view });
  if (state.view === "table" && state.flow) {
    for (const [k, v] of tableQuery()) q.append(k, v);
    q.set("freq", state.freq);
    if (state.layout !== "across") q.set("layout", state.layout);
    if (state.labels !== "name") q.set("labels", state.labels);
    if (state.scale !== "auto") q.set("scale", state.scale);
    if (state.chartMeasure && state.chartMeasure !== state.measures[0]) q.set("chart", state.chartMeasure);
    if (state.item) q.set("item", state.item);
    if (state.hiddenByReader) for (const i of state.hidden) q.append("hide", i);
  } else {
    if (state.view === "home" && state.homeFlow) q.set("dataflow", state.homeFlow);
    q.set("lang", state.lang);
  }
  return q;
}

function writeAddress() {
  const q = addressParams();
  if (state.embed) q.set("embed", "1");
  history.replaceState(null, "", `${location.pathname}?${q}`);
  for (const a of document.querySelectorAll("#views a[data-view]")) {
    a.setAttribute("aria-current", a.dataset.view === state.view ? "page" : "false");
    a.href = `/?view=${a.dataset.view}&lang=${state.lang}`;
  }
  $("nav-factcheck").href = `/factcheck?lang=${state.lang}`; // a page of its own
  $("home-link").href = `/?lang=${state.lang}`;
}

// --- numbers ------------------------------------------------------------------------------------------

function locale() {
  return state.lang === "ko" ? "ko-KR" : "en-US";
}

// US dollars are shown in millions, thousands or units: the largest that keeps the table's
// largest value at 10 or more (official tables use millions; small tables would read 0.0).
const USD_SCALES = [[1e6, "unit_usd_million"], [1e3, "unit_usd_thousand"], [1, "unit_usd"]];

function usdScale(doc) {
  let most = 0;
  for (const r of doc.rows) for (const c of doc.columns) {
    const v = r.values[c.id];
    if (c.unit === "USD" && v !== null && v !== undefined) most = Math.max(most, Math.abs(v));
  }
  const [div, key] = USD_SCALES.find(([d]) => most >= 10 * d) || USD_SCALES[USD_SCALES.length - 1];
  return { div, key };
}

function unitText(unit) {
  return unit === "USD" ? t(state.usd.key) : unit === "PC" ? t("unit_pc") : t("unit_pure");
}

function scaled(value, unit) {
  return unit === "USD" ? value / state.usd.div : value;
}

function formatValue(value, unit) {
  const digits = unit === "PURE_NUMB" || (unit === "USD" && state.usd.div === 1)
    ? { maximumFractionDigits: unit === "USD" ? 0 : 3 } : { minimumFractionDigits: 1, maximumFractionDigits: 1 };
  return new Intl.NumberFormat(locale(), digits).format(scaled(value, unit));
}

function cellText(value, status) {
  if (status === null || status === undefined) return { text: NO_CELL, cls: "none" };
  if (status in STATUS_SYMBOL) return { text: STATUS_SYMBOL[status], cls: status === "C" ? "conf" : "na" };
  return { value };
}

function itemText(row) {
  if (state.labels === "code") return row.item;
  if (state.labels === "both") return `${row.item} · ${row.label}`;
  return row.label;
}

// --- the table ----------------------------------------------------------------------------------------

function valueCell(row, c) {
  const value = row.values[c.id];
  const status = row.statuses[c.id];
  const shown = cellText(value, status);
  const td = el("td", { "data-column": c.id, "data-status": status || "" });
  const names = state.statuses[status];
  if (shown.value !== undefined && shown.value !== null) {
    td.append(formatValue(value, c.unit));
    if (value < 0) td.classList.add("neg");
    if (status === "P") td.append(el("sup", { text: "p" }));
    if (names) td.title = names[state.lang] || names.en;
  } else {
    td.textContent = shown.text;
    td.classList.add(shown.cls);
    td.title = names ? names[state.lang] || names.en : t("no_cell");
  }
  return td;
}

function measureHead(c, withPeriod) {
  const m = state.flow.measures.find((x) => x.id === c.measure);
  const parts = [];
  if (withPeriod) parts.push(el("div", { class: "period", text: c.period_label }));
  parts.push(el("div", { text: m ? both(m.short) : c.measure_label }));
  if (m && m.basis) parts.push(el("div", { class: "basis", text: fill(t("group_basis"), { basis: basisWords(m.basis) }) }));
  parts.push(el("div", { class: "unit", text: `(${unitText(c.unit)})` }));
  return parts;
}

function renderTable(doc) {
  const table = $("table");
  let head, body;
  if (state.layout === "down") {
    const measures = [...new Set(doc.columns.map((c) => c.measure))];
    const periods = [...new Set(doc.columns.map((c) => c.period))];
    const byKey = Object.fromEntries(doc.columns.map((c) => [c.id, c]));
    head = el("tr", {}, el("th", { scope: "col", text: t("item") }), el("th", { scope: "col", class: "period", text: t("periods") }));
    for (const m of measures) {
      const c = doc.columns.find((x) => x.measure === m);
      head.append(el("th", { scope: "col", "data-measure": m }, ...measureHead(c, false)));
    }
    body = el("tbody");
    for (const row of doc.rows) {
      periods.forEach((p, k) => {
        const tr = el("tr", { "data-item": row.item, "data-period": p, class: k === 0 ? "first" : null });
        if (row.item === state.item) tr.classList.add("hit");
        if (k === 0) {
          tr.append(el("th", { scope: "rowgroup", rowspan: periods.length, class: row.parent ? "child" : null,
            text: itemText(row) }));
        }
        const pc = doc.columns.find((c) => c.period === p);
        tr.append(el("th", { scope: "row", class: "period", text: pc.period_label }));
        for (const m of measures) tr.append(valueCell(row, byKey[`${p}.${m}`]));
        body.append(tr);
      });
    }
  } else {
    head = el("tr", {}, el("th", { scope: "col", text: t("item") }));
    for (const c of doc.columns) head.append(el("th", { scope: "col", "data-column": c.id }, ...measureHead(c, true)));
    body = el("tbody");
    for (const row of doc.rows) {
      const tr = el("tr", { "data-item": row.item, class: row.item === state.item ? "hit" : null });
      tr.append(el("th", { scope: "row", class: row.parent ? "child" : null, text: itemText(row) }));
      for (const c of doc.columns) tr.append(valueCell(row, c));
      body.append(tr);
    }
  }
  table.replaceChildren(el("caption", { class: "visually-hidden", text: doc.breakdown.label }), el("thead", {}, head), body);
  table.dataset.usdScale = String(state.usd.div);
  table.dataset.layout = state.layout;
  table.dataset.state = "ready";
  table.dataset.query = tableQuery(doc.lang).toString();
  $("table-title").textContent = `${label(state.flow)}: ${doc.breakdown.label}`;
  document.title = `${label(state.flow)}: ${doc.breakdown.label} · ktstat`;
  const hit = table.querySelector("tr.hit");
  if (hit && !state.embed) hit.scrollIntoView({ block: "nearest" });
}

// --- charts ---------------------------------------------------------------------------------------------

function niceTicks(lo, hi, count = 5) {
  if (lo === hi) { lo -= 1; hi += 1; }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 2.5, 5, 10].map((s) => s * mag).find((s) => s >= raw);
  const ticks = [];
  const first = Math.floor(lo / step + 1e-9), last = Math.ceil(hi / step - 1e-9);
  for (let k = first; k <= last; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

function axisText(value, ticks) {
  const step = ticks.length > 1 ? Number((ticks[1] - ticks[0]).toPrecision(12)) : 1;
  const frac = String(step).split(".")[1] || "";
  const digits = Math.min(6, frac.length);
  return new Intl.NumberFormat(locale(), { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

function isWide(ch) {
  return /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch);
}

/** Lines of at most ``n`` Latin-character widths (wide characters count twice), broken between words. */
function wrap(text, n) {
  const lines = [];
  let line = "", width = 0;
  for (const word of text.split(/\s+/)) {
    const w = [...word].reduce((s, ch) => s + (isWide(ch) ? 2 : 1), 0);
    if (line && width + 1 + w > n) { lines.push(line); line = word; width = w; }
    else { line = line ? `${line} ${word}` : word; width += (line === word ? 0 : 1) + w; }
  }
  if (line) lines.push(line);
  return lines;
}

/** Patterns for provisional bars (hatched in the bar's colour). */
function hatchDefs(root, colours) {
  const defs = svg("defs");
  colours.forEach((c, k) => {
    const p = svg("pattern", { id: `hatch-${k}`, width: 6, height: 6, patternUnits: "userSpaceOnUse",
      patternTransform: "rotate(45)" });
    p.append(svg("rect", { width: 6, height: 6, fill: "#fff" }), svg("rect", { width: 3, height: 6, fill: c }));
    defs.append(p);
  });
  root.append(defs);
}

/** The width a chart is drawn at, in its own units: the box's width between ``lo`` and ``hi``, so
 * that text keeps its size on a phone instead of being scaled down with the drawing. */
function chartWidth(id, lo, hi) {
  const w = $(id).clientWidth || hi;
  return Math.round(Math.max(lo, Math.min(hi, w)));
}

function chartSeries(doc) {
  const measure = state.chartMeasure;
  const cols = doc.columns.filter((c) => c.measure === measure);
  return { measure, cols, unit: cols.length ? cols[0].unit : "USD" };
}

function seriesSize(r, cols) {
  let most = -1;
  for (const c of cols) {
    const v = r.values[c.id];
    if (v !== null && v !== undefined) most = Math.max(most, Math.abs(v));
  }
  return most;
}

function renderChart(doc) {
  const box = $("chart");
  const { measure, cols, unit } = chartSeries(doc);
  const m = state.flow.measures.find((x) => x.id === measure);
  const share = state.scale === "share" && unit === "USD" && m && m.kind === "level" && measure !== "balance";
  $("chart-caption").textContent = m
    ? fill(t("chart_caption"), { measure: measureName(m), unit: share ? t("unit_pc") : unitText(unit) }) : "";
  $("scale-box").hidden = cols.length < 2;
  const notes = [];
  if (!cols.length) { box.replaceChildren(); $("chart-legend").replaceChildren(); return; }
  const key = `${state.flow.id}|${state.breakdown}|${measure}`;
  if (key !== state.hiddenKey) {  // a new chart: the largest MAX_LINES series shown, the others listed
    state.hiddenKey = key;
    const order = [...doc.rows].sort((a, b) => seriesSize(b, cols) - seriesSize(a, cols));
    state.hidden = new Set(cols.length > 1 ? order.slice(MAX_LINES).map((r) => r.item) : []);
    state.hiddenByReader = false;
    if (state.askedHidden) {
      state.hidden = new Set(state.askedHidden.filter((i) => doc.rows.some((r) => r.item === i)));
      state.hiddenByReader = true;
      state.askedHidden = null;
    }
    if (state.item) state.hidden.delete(state.item);
  }
  let chart;
  if (cols.length === 1) {
    chart = barChart(doc, cols[0], unit);
  } else {
    const rows = doc.rows.filter((r) => !state.hidden.has(r.item));
    const sizes = rows.map((r) => seriesSize(r, cols)).filter((s) => s > 0);
    const spread = sizes.length > 1 ? Math.max(...sizes) / Math.min(...sizes) : 1;
    const own = state.scale === "own" || (state.scale === "auto" && spread >= OWN_SCALE_AT);
    chart = own && !share ? smallMultiples(doc, rows, cols, unit) : lineChart(doc, rows, cols, unit, share);
    notes.push(t("gap_note"));
  }
  chart.setAttribute("data-measure", measure);
  if (chart.dataset.kind === undefined) chart.setAttribute("data-kind", cols.length === 1 ? "bars" : "lines");
  const anyP = doc.rows.some((r) => cols.some((c) => r.statuses[c.id] === "P"));
  if (anyP) notes.unshift(t("provisional_points"));
  $("chart-notes").textContent = notes.join(" ");
  box.replaceChildren(chart);
  renderChartLegend(doc, cols);
}

/** A series' colour: the palette in the order of the series drawn (so that the few drawn differ);
 * a hidden series is grey. */
function colourOf(doc, item) {
  if (state.hidden.has(item)) return "#b8c0cc";
  const k = doc.rows.filter((r) => !state.hidden.has(r.item)).findIndex((r) => r.item === item);
  return PALETTE[k % PALETTE.length];
}

function renderChartLegend(doc, cols) {
  const box = $("chart-legend");
  if (cols.length === 1) { box.replaceChildren(); return; }
  const entries = doc.rows.map((r) => {
    const hidden = state.hidden.has(r.item);
    const withheld = seriesSize(r, cols) < 0;
    const b = el("button", { type: "button", "data-item": r.item, "aria-pressed": String(!hidden),
      class: withheld ? "withheld" : null },
      el("span", { class: "swatch", style: `background:${colourOf(doc, r.item)}` }),
      el("span", { class: "name", text: withheld ? `${itemText(r)} (${t("chart_withheld")})` : itemText(r) }));
    b.addEventListener("click", () => {
      if (state.hidden.has(r.item)) state.hidden.delete(r.item);
      else state.hidden.add(r.item);
      state.hiddenByReader = true;
      renderChart(state.table);
      writeAddress();
      renderShare();
    });
    return b;
  });
  box.replaceChildren(el("p", { class: "hint", text: t("legend_hint") }), ...entries);
}

function barChart(doc, col, unit) {
  let rows = doc.rows.map((r) => ({ row: r, value: r.values[col.id], status: r.statuses[col.id] }));
  let note = "";
  if (rows.length > MAX_BARS) {
    rows = [...rows].sort((a, b) => Math.abs(b.value ?? 0) - Math.abs(a.value ?? 0)).slice(0, MAX_BARS);
    note = fill(t("chart_top"), { n: MAX_BARS, period: col.period_label });
  }
  const W = chartWidth("chart", 340, 760), narrow = W < 560;
  const left = narrow ? 130 : 250, right = narrow ? 56 : 80, top = note ? 26 : 10, line = 14;
  const labelLines = rows.map((r) => wrap(itemText(r.row), narrow ? 18 : 34).slice(0, 3));
  const heights = labelLines.map((ls) => Math.max(24, ls.length * line + 8));
  const H = top + heights.reduce((a, b) => a + b, 0) + 30;
  const vals = rows.filter((r) => r.value !== null && r.value !== undefined).map((r) => scaled(r.value, unit));
  const ticks = vals.length ? niceTicks(Math.min(0, ...vals), Math.max(0, ...vals)) : [0, 1];
  const lo = ticks[0], hi = ticks[ticks.length - 1];
  const x = (v) => left + ((v - lo) / (hi - lo)) * (W - left - right);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `${col.label}` });
  hatchDefs(root, [getComputedStyle(document.body).getPropertyValue("--pos").trim() || "#1f5fa8",
    getComputedStyle(document.body).getPropertyValue("--neg").trim() || "#c4512b"]);
  const grid = svg("g", { class: "grid" });
  for (const tk of ticks) {
    grid.append(svg("line", { x1: x(tk), x2: x(tk), y1: top - 4, y2: H - 24 }));
    grid.append(svg("text", { x: x(tk), y: H - 8, "text-anchor": "middle", "font-size": 11 }, axisText(tk, ticks)));
  }
  root.append(grid);
  let y = top;
  rows.forEach((r, i) => {
    const h = heights[i];
    const lines = labelLines[i];
    const text = svg("text", { x: left - 8, y: y + h / 2 - ((lines.length - 1) * line) / 2 + 4, "text-anchor": "end",
      "font-size": 12, class: r.row.item === state.item ? "hit" : "" });
    lines.forEach((ln, k) => text.append(svg("tspan", { x: left - 8, dy: k ? line : 0 }, ln)));
    text.append(svg("title", {}, itemText(r.row)));
    root.append(text);
    if (r.value === null || r.value === undefined) {
      const w = r.status === "C" ? t("chart_withheld") : r.status ? STATUS_SYMBOL[r.status] || "" : NO_CELL;
      root.append(svg("text", { x: x(0) + 4, y: y + h / 2 + 4, "font-size": 11, class: "withheld",
        "data-item": r.row.item }, w));
      y += h;
      return;
    }
    const v = scaled(r.value, unit);
    const x0 = x(Math.min(0, v)), x1 = x(Math.max(0, v));
    const prov = r.status === "P";
    const bar = svg("rect", { x: x0, y: y + h / 2 - 8, width: Math.max(0.5, x1 - x0), height: 16,
      class: `bar ${v < 0 ? "neg" : "pos"}${prov ? " provisional" : ""}`, "data-item": r.row.item,
      "data-value": r.value, "data-status": r.status });
    if (prov) bar.setAttribute("fill", `url(#hatch-${v < 0 ? 1 : 0})`);
    bar.append(svg("title", {}, `${itemText(r.row)}: ${formatValue(r.value, unit)}${prov ? " (p)" : ""}`));
    root.append(bar);
    root.append(svg("text", { x: v < 0 ? x0 - 4 : x1 + 4, y: y + h / 2 + 4, "font-size": 11,
      "text-anchor": v < 0 ? "end" : "start", class: "value" }, formatValue(r.value, unit) + (prov ? " p" : "")));
    y += h;
  });
  root.append(svg("line", { x1: x(0), x2: x(0), y1: top - 4, y2: H - 24, class: "zero" }));
  if (note) root.append(svg("text", { x: left, y: 14, "font-size": 11, class: "withheld" }, note));
  return root;
}

/** Positions of the columns on a time axis: consecutive periods side by side, a skipped period
 * leaves its place empty (so a line never joins periods that are not consecutive). */
function timeAxis(cols) {
  const order = periodOrder();
  const idx = cols.map((c) => order.indexOf(c.period));
  const first = Math.min(...idx);
  return { pos: idx.map((i) => i - first), span: Math.max(...idx) - first, idx };
}

function drawLines(root, doc, rows, cols, unit, geo, share) {
  const { x, y } = geo;
  const { pos, idx } = timeAxis(cols);
  const totals = cols.map((c) => rows.reduce((s, r) => s + (r.values[c.id] ?? 0), 0));
  const valueOf = (r, i) => {
    const v = r.values[cols[i].id];
    if (v === null || v === undefined) return null;
    if (share) return totals[i] ? (100 * v) / totals[i] : null;
    return scaled(v, unit);
  };
  for (const r of rows) {
    const colour = colourOf(doc, r.item);
    const g = svg("g", { "data-item": r.item, class: r.item === state.item ? "hit" : "" });
    let path = "";
    let prev = null;  // index in cols of the last drawn point
    cols.forEach((c, i) => {
      const v = valueOf(r, i);
      if (v === null) { prev = null; return; }
      const joined = prev !== null && idx[i] - idx[prev] === 1;
      path += `${joined ? "L" : "M"}${x(pos[i]).toFixed(1)},${y(v).toFixed(1)}`;
      prev = i;
      const prov = r.statuses[c.id] === "P";
      const dot = svg("circle", { cx: x(pos[i]), cy: y(v), r: prov ? 4 : 3.2, fill: prov ? "#fff" : colour,
        stroke: colour, "stroke-width": prov ? 2 : 1, "data-period": c.period, "data-value": r.values[c.id],
        "data-status": r.statuses[c.id], class: prov ? "provisional" : "" });
      dot.append(svg("title", {}, `${itemText(r)}, ${c.period_label}: ${formatValue(r.values[c.id], unit)}${prov ? " (p)" : ""}`));
      g.append(dot);
    });
    g.prepend(svg("path", { d: path, class: "series", stroke: colour }));
    root.append(g);
  }
}

function valueRange(rows, cols, unit, share) {
  const vals = [];
  const totals = cols.map((c) => rows.reduce((s, r) => s + (r.values[c.id] ?? 0), 0));
  for (const r of rows) cols.forEach((c, i) => {
    const v = r.values[c.id];
    if (v === null || v === undefined) return;
    vals.push(share ? (totals[i] ? (100 * v) / totals[i] : 0) : scaled(v, unit));
  });
  return vals.length ? [Math.min(0, ...vals), Math.max(0, ...vals)] : [0, 1];
}

function lineChart(doc, rows, cols, unit, share) {
  const W = chartWidth("chart", 340, 760), H = W < 560 ? 260 : 340, left = W < 560 ? 48 : 70, right = 30;
  const top = 16, bottom = 40;
  const [vlo, vhi] = valueRange(rows, cols, unit, share);
  const ticks = niceTicks(vlo, vhi);
  const lo = ticks[0], hi = ticks[ticks.length - 1];
  const { pos, span } = timeAxis(cols);
  const x = (p) => left + (span === 0 ? (W - left - right) / 2 : (p / span) * (W - left - right));
  const y = (v) => top + (1 - (v - lo) / (hi - lo)) * (H - top - bottom);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": cols.map((c) => c.label).join(", ") });
  const grid = svg("g", { class: "grid" });
  for (const tk of ticks) {
    grid.append(svg("line", { x1: left, x2: W - right, y1: y(tk), y2: y(tk) }));
    grid.append(svg("text", { x: left - 6, y: y(tk) + 4, "text-anchor": "end", "font-size": 11 },
      share ? `${axisText(tk, ticks)}%` : axisText(tk, ticks)));
  }
  const every = Math.ceil(cols.length / (W < 560 ? 4 : 10));
  cols.forEach((c, i) => {
    if (i % every === 0 || i === cols.length - 1) {
      grid.append(svg("text", { x: x(pos[i]), y: H - bottom + 18, "text-anchor": "middle", "font-size": 11 }, c.period_label));
    }
  });
  root.append(grid);
  if (lo < 0 && hi > 0) root.append(svg("line", { x1: left, x2: W - right, y1: y(0), y2: y(0), class: "zero" }));
  drawLines(root, doc, rows, cols, unit, { x, y }, share);
  root.setAttribute("data-kind", "lines");
  root.setAttribute("data-scale", share ? "share" : "same");
  return root;
}

/** One small chart per series, each on its own scale (series of very different sizes stay readable). */
function smallMultiples(doc, rows, cols, unit) {
  const wrapBox = el("div", { class: "multiples", "data-kind": "lines", "data-scale": "own" });
  const { pos, span } = timeAxis(cols);
  for (const r of rows) {
    const W = 240, H = 150, left = 50, right = 12, top = 10, bottom = 24;
    const [vlo, vhi] = valueRange([r], cols, unit, false);
    const ticks = niceTicks(vlo, vhi, 3);
    const lo = ticks[0], hi = ticks[ticks.length - 1];
    const x = (p) => left + (span === 0 ? (W - left - right) / 2 : (p / span) * (W - left - right));
    const y = (v) => top + (1 - (v - lo) / (hi - lo)) * (H - top - bottom);
    const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": itemText(r) });
    const grid = svg("g", { class: "grid" });
    for (const tk of ticks) {
      grid.append(svg("line", { x1: left, x2: W - right, y1: y(tk), y2: y(tk) }));
      grid.append(svg("text", { x: left - 4, y: y(tk) + 4, "text-anchor": "end", "font-size": 10 }, axisText(tk, ticks)));
    }
    [0, cols.length - 1].forEach((i) => grid.append(svg("text", { x: x(pos[i]), y: H - 6,
      "text-anchor": i ? "end" : "start", "font-size": 10 }, cols[i].period_label)));
    root.append(grid);
    if (lo < 0 && hi > 0) root.append(svg("line", { x1: left, x2: W - right, y1: y(0), y2: y(0), class: "zero" }));
    drawLines(root, doc, [r], cols, unit, { x, y }, false);
    wrapBox.append(el("div", { class: "panel" },
      el("div", { class: "panel-title", text: itemText(r) },
        el("span", { class: "swatch", style: `background:${colourOf(doc, r.item)}` })), root));
  }
  // the panels' marks, for whoever reads the chart as data
  return wrapBox;
}

// --- the release bar ----------------------------------------------------------------------------------

async function renderRelease() {
  const v = state.flow.vintage;
  let text = `${both(v.title)} · ${fill(t("released_on"), { date: both(v.date) })}`;
  if (v.revises) text += ` · ${t("revised")}: ${v.revises}${v.reason ? ` (${v.reason})` : ""}`;
  $("release-info").textContent = text;
  $("release-info").title = v.id;
  const vintage = state.vintage;
  const doc = await releaseDoc(vintage);
  if (vintage !== state.vintage) return;
  const files = new Map(((doc && doc.files) || []).map((f) => [f.name, f.url]));
  for (const [id, ext] of [["press-release", "html"], ["press-release-pdf", "pdf"]]) {
    const a = $(id);
    const url = files.get(`press-release.${state.lang}.${ext}`) || files.get(`press-release.en.${ext}`);
    a.hidden = !url;
    if (url) a.href = url;
  }
}

function renderShare() {
  const here = `${location.origin}/?${addressParams()}`;
  $("embed-title").textContent = $("table-title").textContent;
  $("embed-source").href = here;
  $("embed-source").textContent = both(state.flow.vintage.title);
  $("share-link").value = here;
  const embed = `${location.origin}/?${addressParams()}&embed=1`;
  const title = $("chart-caption").textContent.replace(/"/g, "&quot;");
  $("embed-code").value = `<iframe src="${embed.replace(/&/g, "&amp;")}" title="${title}" width="800" height="520" style="border:0"></iframe>`;
  const sdmx = sdmxQuery();
  $("sdmx-query").href = sdmx;
  $("sdmx-query-text").textContent = sdmx ? `${location.origin}${sdmx}` : "";
  const csv = `/api/table.csv?${tableQuery()}`;
  $("csv-url").href = csv;
  $("csv-url-text").textContent = `${location.origin}${csv}`;
}

// --- the home view ----------------------------------------------------------------------------------------

function homeProgramme() {
  const progs = state.home.programmes;
  return progs.find((p) => p.id === state.homeFlow) || progs[0];
}

function figureLink(prog, f) {
  return viewAddress({ dataflow: prog.id, vintage: prog.vintage.id, breakdown: f.table.breakdown,
    freq: prog.freq, period: f.table.period, measure: f.table.measure });
}

function renderHome() {
  const prog = homeProgramme();
  if (!prog) { showMessage(t("nothing_released")); return; }
  state.homeFlow = prog.id;
  $("home-programmes").replaceChildren(...state.home.programmes.map((p) => {
    const b = el("button", { type: "button", role: "tab", "aria-selected": String(p.id === prog.id),
      "data-flow": p.id, text: both(p.label) });
    b.addEventListener("click", () => { state.homeFlow = p.id; renderHome(); writeAddress(); });
    return b;
  }));
  $("home-title").textContent = both(prog.vintage.title);
  const when = [fill(t("released_on"), { date: both(prog.vintage.date) })];
  $("home-when").textContent = when.join(" · ");
  $("key-figures").replaceChildren(...prog.figures.map((f) => {
    const value = el("span", { class: "value", text: both(f.text) });
    if (f.status === "P") value.append(el("sup", { text: "p", title: both(state.statuses.P) }));
    return el("a", { class: `figure${f.value !== null && f.value < 0 ? " neg" : ""}`, href: figureLink(prog, f),
      "data-measure": f.measure, "data-value": f.value === null ? "" : String(f.value), title: t("open_table") },
      el("span", { class: "name", text: both(f.label) }), value,
      ...f.lines.map((c) => el("span", { class: "change", "data-basis": c.basis, text: both(c.text) })),
      el("span", { class: "more", text: `${t("open_table")} →` }));
  }));
  renderHomeChart(prog);
  const files = [];
  const link = (key, text) => {
    const got = prog.files[key];
    const url = got && (got[state.lang] || got.en);
    if (url) files.push(el("li", {}, el("a", { href: url, id: `home-${key.replace(/_/g, "-")}`, text })));
  };
  link("press_release", t("press_release"));
  link("press_release_pdf", `${t("press_release")} (${t("press_release_pdf")})`);
  link("tables", t("tables_xlsx"));
  files.push(el("li", {}, el("a", { id: "home-tables-view", href: viewAddress({ dataflow: prog.id }),
    text: t("open_tables") })));
  $("home-files").replaceChildren(...files);
  const next = prog.next_release;
  $("home-next").hidden = !next.length;
  $("home-next").replaceChildren(...(next.length ? [el("strong", { text: `${t("next_release")}: ${both(next[0].date)}` }),
    ...next.map((e) => el("span", { class: "due", text: both(e.title) }))] : []));
  document.title = `${both(prog.vintage.title)} · ktstat`;
  $("home").dataset.state = "ready";
}

function renderHomeChart(prog) {
  const tr = prog.trend;
  const periods = tr.periods;
  const first = both(periods[0].label), last = both(periods[periods.length - 1].label);
  // the unit the press release counts in: billions (English), 억 (Korean), else millions
  let most = 0;
  for (const k of ["exports", "imports", "balance"]) for (const v of tr.series[k]) if (v !== null) most = Math.max(most, Math.abs(v));
  const [div, unitKey] = [state.lang === "ko" ? [1e8, "unit_usd_eok"] : [1e9, "unit_usd_billion"], [1e6, "unit_usd_million"]]
    .find(([d]) => most >= 10 * d) || [1e6, "unit_usd_million"];
  $("home-chart-caption").textContent = `${fill(t("headline_chart"), { first, last })} (${t(unitKey)})`;
  const W = chartWidth("home-chart", 340, 640), H = W < 560 ? 220 : 250, left = W < 560 ? 44 : 64;
  const right = 16, top = 12, bottom = 30;
  const vals = [];
  for (const k of ["exports", "imports", "balance"]) for (const v of tr.series[k]) if (v !== null) vals.push(v / div);
  const ticks = niceTicks(Math.min(0, ...vals), Math.max(0, ...vals));
  const lo = ticks[0], hi = ticks[ticks.length - 1];
  const band = (W - left - right) / periods.length;
  const y = (v) => top + (1 - (v - lo) / (hi - lo)) * (H - top - bottom);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": $("home-chart-caption").textContent,
    "data-kind": "headline" });
  const colours = { exports: PALETTE[0], imports: PALETTE[1], balance: "#1d2733" };
  const names = Object.fromEntries(prog.figures.map((f) => [f.measure, both(f.label)]));
  hatchDefs(root, [colours.exports, colours.imports]);
  const grid = svg("g", { class: "grid" });
  const fmt = new Intl.NumberFormat(locale(), { maximumFractionDigits: div > 1e6 ? 2 : 0 });
  for (const tk of ticks) {
    grid.append(svg("line", { x1: left, x2: W - right, y1: y(tk), y2: y(tk) }));
    grid.append(svg("text", { x: left - 6, y: y(tk) + 4, "text-anchor": "end", "font-size": 11 }, axisText(tk, ticks)));
  }
  root.append(grid);
  periods.forEach((p, i) => {
    const x0 = left + i * band;
    const words = both(p.label) + (p.status === "P" ? " p" : "");
    const tick = svg("text", { x: x0 + band / 2, y: H - 18, "text-anchor": "middle", "font-size": 11 });
    (band < 90 ? wrap(words, 8) : [words]).forEach((ln, k) => tick.append(svg("tspan", { x: x0 + band / 2, dy: k ? 13 : 0 }, ln)));
    root.append(tick);
    ["exports", "imports"].forEach((k, j) => {
      const v = tr.series[k][i];
      if (v === null) return;
      const bw = band * 0.3;
      const bx = x0 + band * 0.18 + j * bw;
      const r = svg("rect", { x: bx, y: Math.min(y(0), y(v / div)), width: bw - 2, height: Math.abs(y(v / div) - y(0)),
        fill: p.status === "P" ? `url(#hatch-${j})` : colours[k], stroke: colours[k], "data-series": k,
        "data-period": p.id, "data-value": v });
      r.append(svg("title", {}, `${names[k] || k}, ${both(p.label)}: ${fmt.format(v / div)}`));
      root.append(r);
    });
  });
  if (lo < 0 && hi > 0) root.append(svg("line", { x1: left, x2: W - right, y1: y(0), y2: y(0), class: "zero" }));
  let path = "";
  tr.series.balance.forEach((v, i) => {
    if (v === null) return;
    const cx = left + i * band + band / 2;
    path += `${path ? "L" : "M"}${cx.toFixed(1)},${y(v / div).toFixed(1)}`;
  });
  root.append(svg("path", { d: path, class: "series", stroke: colours.balance }));
  tr.series.balance.forEach((v, i) => {
    if (v === null) return;
    const prov = periods[i].status === "P";
    root.append(svg("circle", { cx: left + i * band + band / 2, cy: y(v / div), r: prov ? 4.5 : 3.5,
      fill: prov ? "#fff" : colours.balance, stroke: colours.balance, "stroke-width": 2, "data-series": "balance",
      "data-period": periods[i].id, "data-value": v }));
  });
  $("home-chart").replaceChildren(root);
  $("home-chart-legend").replaceChildren(...["exports", "imports", "balance"].map((k) =>
    el("span", { class: "key" }, el("span", { class: `swatch ${k === "balance" ? "line" : ""}`,
      style: `background:${colours[k]}` }), names[k] || k)),
  el("span", { class: "hint", text: t("provisional_points") }));
}

// --- the calendar ---------------------------------------------------------------------------------------------

function renderCalendar() {
  const cal = state.home.calendar;
  const row = (e) => {
    const title = e.vintage
      ? el("a", { href: viewAddress({ dataflow: e.dataflow, vintage: e.vintage }), text: both(e.title) })
      : both(e.title);
    return el("tr", { "data-state": e.state, "data-vintage": e.vintage || "" },
      el("td", { class: "date", text: both(e.date) }), el("th", { scope: "row" }, title));
  };
  const upcoming = cal.filter((e) => e.state === "upcoming");
  const released = cal.filter((e) => e.state === "released").reverse();
  $("calendar-upcoming").replaceChildren(el("tbody", {}, ...upcoming.map(row)));
  $("calendar-released").replaceChildren(el("tbody", {}, ...released.map(row)));
  $("calendar").dataset.state = "ready";
  document.title = `${t("view_calendar")} · ktstat`;
}

// --- search -----------------------------------------------------------------------------------------------

async function runSearch(text) {
  const seq = ++state.searchSeq;
  const box = $("search-results");
  if (!text.trim()) { box.hidden = true; box.replaceChildren(); return; }
  const doc = await getJSON(`/api/search?${new URLSearchParams({ q: text })}`);
  if (seq !== state.searchSeq) return;
  const hits = doc.results.map((r) => el("a", { role: "option", class: "hit",
    href: viewAddress({ dataflow: r.dataflow, breakdown: r.breakdown, item: r.item }),
    "data-flow": r.dataflow, "data-breakdown": r.breakdown, "data-item": r.item },
    el("span", { class: "name", text: both(r.label) + (r.matched !== both(r.label) ? ` (${r.matched})` : "") }),
    el("span", { class: "where", text: `${both(r.breakdown_label)} · ${both(r.programme)}` })));
  box.replaceChildren(...(hits.length ? hits : [el("p", { class: "none", text: fill(t("search_none"), { q: text }) })]));
  box.dataset.q = text;
  box.hidden = false;
}

// --- putting it together ----------------------------------------------------------------------------------

async function refresh() {
  if (!state.flow) return;  // the first programme is still loading
  const seq = ++state.seq;  // any answer to an earlier refresh is stale from here on
  writeAddress();
  renderControls();
  renderRelease().catch((err) => showMessage(`${t("error")}: ${err.message}`));
  const q = tableQuery();
  $("download-csv").href = `/api/table.csv?${q}`;
  $("download-xlsx").href = `/api/table.xlsx?${q}`;
  const table = $("table");
  if (!state.periods.length || !state.measures.length) {
    showMessage(!state.periods.length ? t("pick_period") : t("pick_measure"));
    table.replaceChildren();
    table.dataset.state = "empty";
    $("chart").replaceChildren();
    $("app").removeAttribute("aria-busy");
    return;
  }
  table.dataset.state = "loading";
  $("app").setAttribute("aria-busy", "true");
  try {
    const doc = await getJSON(`/api/table?${q}`);
    if (seq !== state.seq) return;
    showMessage("");
    state.table = doc;
    state.usd = usdScale(doc);
    renderTable(doc);
    renderChart(doc);
    renderShare();
    markReady();
  } catch (err) {
    if (seq !== state.seq) return;
    table.dataset.state = "error";
    showMessage(`${t("error")}: ${err.message}`);
  } finally {
    if (seq === state.seq) $("app").removeAttribute("aria-busy");
  }
}

async function useFlow(flowId, vintage, keep = {}) {
  const call = ++state.flowCalls;
  const meta = await flowMeta(flowId, vintage);
  if (call !== state.flowCalls) return;  // the reader has picked another programme or release since
  state.flow = meta;
  state.vintage = state.flow.vintage.id;
  applyDefaults(keep);
  await refresh();
}

function update() {
  refresh().catch((err) => showMessage(`${t("error")}: ${err.message}`));
}

function checked(name) {
  return [...document.querySelectorAll(`input[name="${name}"]:checked`)].map((i) => i.value);
}

function setRange(from, to) {
  const order = periodOrder();
  let a = order.indexOf(from), b = order.indexOf(to);
  if (a < 0 || b < 0) return;
  if (a > b) [a, b] = [b, a];
  state.periods = order.slice(a, b + 1);
  update();
}

/** Performance marks for the first view: when its figures are on screen (read by the browser tests). */
function markReady() {
  if (!document.body.dataset.firstView) {
    document.body.dataset.firstView = String(Math.round(performance.now()));
    performance.mark("ktstat-first-view");
  }
}

/** On a phone the choices start folded away: the chart and the table come first. */
function foldOnPhone() {
  if (!state.folded && window.matchMedia("(max-width: 800px)").matches) $("options").open = false;
  state.folded = true;
}

async function showView(view) {
  state.view = view;
  for (const id of ["home", "app", "calendar"]) $(id).hidden = true;
  writeAddress();
  if (view === "home") {
    $("home").hidden = false;
    renderHome();
    markReady();
  } else if (view === "calendar") {
    $("calendar").hidden = false;
    renderCalendar();
    markReady();
  } else {
    $("app").hidden = false;
    foldOnPhone();
    if (!state.flow) {
      const flows = state.meta.dataflows;
      const flow = flows.find((f) => f.id === state.homeFlow) || flows[0];
      await useFlow(flow.id, null, {});
    } else {
      update();
    }
  }
}

function wire() {
  $("programme").addEventListener("change", (e) => {
    state.breakdown = null;
    state.freq = null;
    state.item = null;
    useFlow(e.target.value, null).catch((err) => showMessage(err.message));
  });
  $("vintage").addEventListener("change", (e) => {
    useFlow(state.flow.id, e.target.value, { periods: state.periods, measures: state.measures })
      .catch((err) => showMessage(err.message));
  });
  $("breakdown").addEventListener("change", (e) => { state.breakdown = e.target.value; state.item = null; update(); });
  $("frequency").addEventListener("change", () => {
    state.freq = checked("freq")[0];
    applyDefaults({ measures: state.measures, freq: state.freq });
    update();
  });
  $("period-from").addEventListener("change", () => setRange($("period-from").value, $("period-to").value));
  $("period-to").addEventListener("change", () => setRange($("period-from").value, $("period-to").value));
  $("period-quick").addEventListener("click", (e) => {
    const n = Number(e.target.dataset && e.target.dataset.last);
    if (!n) return;
    const order = periodOrder();
    const end = order.indexOf(state.periods[state.periods.length - 1]);
    const last = end >= 0 ? end : order.length - 1;
    setRange(order[Math.max(0, last - n + 1)], order[last]);
  });
  $("periods-all").addEventListener("click", () => { state.periods = periodOrder(); update(); });
  $("measures").addEventListener("change", () => {
    const order = state.flow.measures.map((m) => m.id);
    state.measures = checked("measure").sort((a, b) => order.indexOf(a) - order.indexOf(b));
    if (!state.measures.includes(state.chartMeasure)) state.chartMeasure = state.measures[0] || null;
    update();
  });
  $("layout").addEventListener("change", () => {
    state.layout = checked("layout")[0] || "across";
    writeAddress();
    if (state.table) { renderTable(state.table); renderShare(); }
  });
  $("labels").addEventListener("change", (e) => {
    state.labels = e.target.value;
    writeAddress();
    if (state.table) { renderTable(state.table); renderChart(state.table); renderShare(); }
  });
  $("chart-measure").addEventListener("change", (e) => {
    state.chartMeasure = e.target.value;
    writeAddress();
    if (state.table) { renderChart(state.table); renderShare(); }
  });
  $("chart-scale").addEventListener("change", (e) => {
    state.scale = e.target.value;
    writeAddress();
    if (state.table) { renderChart(state.table); renderShare(); }
  });
  for (const b of document.querySelectorAll(".lang button")) {
    b.addEventListener("click", () => {
      state.lang = b.dataset.lang;
      renderStrings();
      if (state.view === "table") update();
      else showView(state.view);
      if (!$("search-results").hidden) runSearch($("search").value).catch(() => {});
    });
  }
  for (const a of document.querySelectorAll("#views a[data-view]")) {
    a.addEventListener("click", (e) => {
      if (e.metaKey || e.ctrlKey || e.shiftKey) return;
      e.preventDefault();
      showView(a.dataset.view).catch((err) => showMessage(err.message));
    });
  }
  let timer = null;
  $("search").addEventListener("keydown", (e) => {
    if (e.key === "ArrowDown") {
      const first = $("search-results").querySelector("a.hit");
      if (first) { e.preventDefault(); first.focus(); }
    } else if (e.key === "Escape") {
      $("search-results").hidden = true;
    }
  });
  $("search-results").addEventListener("keydown", (e) => {
    const hits = [...$("search-results").querySelectorAll("a.hit")];
    const k = hits.indexOf(document.activeElement);
    if (e.key === "ArrowDown" && k < hits.length - 1) { e.preventDefault(); hits[k + 1].focus(); }
    else if (e.key === "ArrowUp") { e.preventDefault(); (k > 0 ? hits[k - 1] : $("search")).focus(); }
    else if (e.key === "Escape") { $("search-results").hidden = true; $("search").focus(); }
  });
  $("search").addEventListener("input", (e) => {
    clearTimeout(timer);
    timer = setTimeout(() => runSearch(e.target.value).catch((err) => showMessage(err.message)), 120);
  });
  $("search-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const first = $("search-results").querySelector("a.hit");
    if (first) location.href = first.href;
  });
  document.addEventListener("click", (e) => {
    if (!$("search-form").contains(e.target)) $("search-results").hidden = true;
  });
  $("controls").addEventListener("submit", (e) => e.preventDefault());
  for (const id of ["share-link", "embed-code"]) $(id).addEventListener("focus", (e) => e.target.select());
}

async function start() {
  const params = new URLSearchParams(location.search);
  const lang = params.get("lang") || (navigator.language || "").slice(0, 2);
  state.lang = lang === "ko" ? "ko" : "en";
  state.embed = params.get("embed") === "1";
  if (state.embed) document.body.classList.add("embed");
  state.layout = params.get("layout") === "down" ? "down" : "across";
  state.labels = ["code", "both"].includes(params.get("labels")) ? params.get("labels") : "name";
  state.scale = ["same", "own", "share"].includes(params.get("scale")) ? params.get("scale") : "auto";
  state.item = params.get("item");
  if (params.has("hide")) state.askedHidden = params.getAll("hide");
  const tableAsked = ["breakdown", "period", "measure", "vintage"].some((k) => params.has(k));
  let view = params.get("view") || (tableAsked ? "table" : "home");
  if (!["home", "table", "calendar"].includes(view)) view = "home";
  if (state.embed) view = "table";
  try {
    const [strings, meta, home] = await Promise.all([
      getJSON("/static/i18n.json"), getJSON("/api/meta"), getJSON("/api/home")]);
    state.strings = strings;
    state.meta = meta;
    state.home = home;
  } catch (err) {
    showMessage(err.message);
    return;
  }
  state.statuses = state.meta.statuses;
  state.units = state.meta.units;
  renderStrings();
  const flows = state.meta.dataflows;
  wire();
  if (!flows.length) {
    state.view = "calendar";
    showMessage(t("nothing_released"));
    if (view === "calendar") await showView("calendar");
    return;
  }
  const wanted = (params.get("dataflow") || "").toUpperCase();
  state.homeFlow = (flows.find((f) => f.id === wanted) || flows[0]).id;
  if (view !== "table") {
    await showView(view);
    return;
  }
  state.view = "table";
  $("app").hidden = false;
  foldOnPhone();
  const flow = flows.find((f) => f.id === wanted) || flows[0];
  const vintage = flow.vintages.some((v) => v.id === params.get("vintage")) ? params.get("vintage") : null;
  state.breakdown = params.get("breakdown");
  state.chartMeasure = params.get("chart");
  try {
    await useFlow(flow.id, vintage, { periods: params.getAll("period"), measures: params.getAll("measure"),
                                      freq: params.get("freq") });
  } catch (err) {
    showMessage(err.message);
  }
}

document.addEventListener("DOMContentLoaded", start);
