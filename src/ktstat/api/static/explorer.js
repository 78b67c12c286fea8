/* ktstat web data explorer.
 *
 * A page over the API's explorer endpoints, nothing else: /api/meta (programmes, released
 * vintages, breakdowns, periods, measures, labels in English and Korean), /api/table (one
 * breakdown's items by the chosen periods and measures), /api/table.csv|.xlsx (the same table
 * to download) and /releases/{vintage} (the release's documents). Only released vintages exist
 * for those endpoints, so nothing embargoed can reach the page.
 *
 * The selection lives in the address (?dataflow=&vintage=&breakdown=&period=&measure=&lang=),
 * so a view can be bookmarked and shared. Values are shown rounded (US$ million, or thousand or
 * dollars for a table of small values: usdScale; one decimal; percentages one decimal); downloads
 * carry the API's full values.
 */
"use strict";

const MAIN_MEASURES = ["exports", "imports", "balance", "volume", "ratio"];
const DEFAULT_MEASURES = ["exports", "imports", "balance"];
const STATUS_SYMBOL = { C: "x", N: "–" };
const NO_CELL = "..";
const PALETTE = ["#1f5fa8", "#c4512b", "#2e8b57", "#8a4fb3", "#d49a00", "#3aa7c4", "#a0522d", "#6b7a8f",
  "#d46a9f", "#4b6e1f"];
const MAX_BARS = 30;
const MAX_LINES = 8;

const state = {
  lang: "en",
  strings: null,       // i18n.json
  meta: null,          // /api/meta (latest vintage of every dataflow)
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
  table: null,         // last /api/table answer
  usd: { div: 1e6, key: "unit_usd_million" },  // how US dollars are shown (usdScale)
  seq: 0,             // refresh() calls: only the latest one's table is drawn
  flowCalls: 0,       // useFlow() calls: only the latest one's programme and release apply
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
const label = (obj) => (obj && obj.label ? obj.label[state.lang] || obj.label.en : "");
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

function defaultPeriods(freq) {
  const ids = (frequency(freq) || { periods: [] }).periods.map((p) => p.id);
  const own = state.flow.vintage.period;
  const end = ids.includes(own) ? ids.indexOf(own) : ids.length - 1;
  if (end < 0) return [];
  const last = ids[end];
  const yearBefore = `${Number(last.slice(0, 4)) - 1}${last.slice(4)}`;
  return ids.includes(yearBefore) ? [yearBefore, last] : [last];
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
  const parts = [v.period, t(v.status) || v.status];
  if (v.revises) parts.push(t("revised"));
  if (v.id === state.meta.dataflows.find((f) => f.id === state.flow.id).vintage.id) parts.push(t("latest"));
  return `${v.id} (${parts.slice(1).join(", ")})`;
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

  const periods = [...frequency(state.freq).periods].reverse();
  $("periods").replaceChildren(...periods.map((p) => el("label", {},
    el("input", { type: "checkbox", name: "period", value: p.id, checked: state.periods.includes(p.id) }),
    label(p))));

  const avail = measuresFor(state.freq);
  const box = (m) => el("label", {},
    el("input", { type: "checkbox", name: "measure", value: m.id, checked: state.measures.includes(m.id) }),
    label(m));
  const main = avail.filter((m) => MAIN_MEASURES.includes(m.id));
  const more = avail.filter((m) => !MAIN_MEASURES.includes(m.id));
  $("measures").replaceChildren(
    el("h3", { text: t("main_measures") }), ...main.map(box),
    el("h3", { text: t("more_measures") }), ...more.map(box));

  const byId = Object.fromEntries(avail.map((m) => [m.id, m]));
  $("chart-measure").replaceChildren(...state.measures.map((m) => option(m, label(byId[m]), m === state.chartMeasure)));
}

function renderStrings() {
  document.documentElement.lang = state.lang;
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
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

function writeAddress() {
  const q = tableQuery();
  q.set("freq", state.freq);
  history.replaceState(null, "", `${location.pathname}?${q}`);
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

// --- the table ----------------------------------------------------------------------------------------

function renderTable(doc) {
  const table = $("table");
  const head = el("tr", {}, el("th", { scope: "col", text: t("item") }));
  for (const c of doc.columns) {
    head.append(el("th", { scope: "col", "data-column": c.id },
      el("div", { text: c.period_label }), el("div", { text: c.measure_label }),
      el("div", { class: "unit", text: `(${unitText(c.unit)})` })));
  }
  const body = el("tbody");
  for (const row of doc.rows) {
    const tr = el("tr", { "data-item": row.item });
    tr.append(el("th", { scope: "row", class: row.parent ? "child" : null, text: row.label }));
    for (const c of doc.columns) {
      const value = row.values[c.id];
      const status = row.statuses[c.id];
      const shown = cellText(value, status);
      const td = el("td", { "data-column": c.id, "data-status": status || "" });
      if (shown.value !== undefined && shown.value !== null) {
        td.append(formatValue(value, c.unit));
        if (value < 0) td.classList.add("neg");
        if (status === "P") td.append(el("sup", { text: "p" }));
        const names = state.statuses[status];
        if (names) td.title = names[state.lang] || names.en;
      } else {
        td.textContent = shown.text;
        td.classList.add(shown.cls);
        const names = state.statuses[status];
        td.title = names ? names[state.lang] || names.en : t("no_cell");
      }
      tr.append(td);
    }
    body.append(tr);
  }
  table.replaceChildren(el("caption", { class: "visually-hidden", text: doc.breakdown.label }), el("thead", {}, head), body);
  table.dataset.usdScale = String(state.usd.div);
  table.dataset.state = "ready";
  table.dataset.query = tableQuery(doc.lang).toString();
  $("table-title").textContent = `${label(state.flow)}: ${doc.breakdown.label}`;
  document.title = `${label(state.flow)}: ${doc.breakdown.label} · ktstat`;
}

// --- the chart ------------------------------------------------------------------------------------------

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

function chartSeries(doc) {
  const measure = state.chartMeasure;
  const cols = doc.columns.filter((c) => c.measure === measure);
  return { measure, cols, unit: cols.length ? cols[0].unit : "USD" };
}

function renderChart(doc) {
  const box = $("chart");
  const { measure, cols, unit } = chartSeries(doc);
  const m = state.flow.measures.find((x) => x.id === measure);
  $("chart-caption").textContent = m ? fill(t("chart_caption"), { measure: label(m), unit: unitText(unit) }) : "";
  if (!cols.length) { box.replaceChildren(); return; }
  const chart = cols.length === 1 ? barChart(doc, cols[0], unit) : lineChart(doc, cols, unit);
  chart.setAttribute("data-measure", measure);
  chart.setAttribute("data-kind", cols.length === 1 ? "bars" : "lines");
  box.replaceChildren(chart);
}

function barChart(doc, col, unit) {
  let rows = doc.rows.map((r) => ({ row: r, value: r.values[col.id], status: r.statuses[col.id] }));
  let note = "";
  if (rows.length > MAX_BARS) {
    rows = [...rows].sort((a, b) => Math.abs(b.value ?? 0) - Math.abs(a.value ?? 0)).slice(0, MAX_BARS);
    note = fill(t("chart_top"), { n: MAX_BARS, period: col.period_label });
  }
  const W = 760, left = 210, right = 70, top = 26, rowH = 22;
  const H = top + rows.length * rowH + 30;
  const vals = rows.filter((r) => r.value !== null && r.value !== undefined).map((r) => scaled(r.value, unit));
  const ticks = vals.length ? niceTicks(Math.min(0, ...vals), Math.max(0, ...vals)) : [0, 1];
  const lo = ticks[0], hi = ticks[ticks.length - 1];
  const x = (v) => left + ((v - lo) / (hi - lo)) * (W - left - right);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": `${col.label}` });
  const grid = svg("g", { class: "grid" });
  for (const tk of ticks) {
    grid.append(svg("line", { x1: x(tk), x2: x(tk), y1: top - 6, y2: H - 24 }));
    grid.append(svg("text", { x: x(tk), y: H - 8, "text-anchor": "middle", "font-size": 11 }, axisText(tk, ticks)));
  }
  root.append(grid);
  rows.forEach((r, i) => {
    const y = top + i * rowH;
    root.append(svg("text", { x: left - 8, y: y + rowH * 0.65, "text-anchor": "end", "font-size": 12 },
      truncate(r.row.label, 30)));
    if (r.value === null || r.value === undefined) {
      const text = r.status === "C" ? t("chart_withheld") : r.status ? STATUS_SYMBOL[r.status] || "" : NO_CELL;
      root.append(svg("text", { x: x(0) + 4, y: y + rowH * 0.65, "font-size": 11, class: "withheld",
        "data-item": r.row.item }, text));
      return;
    }
    const v = scaled(r.value, unit);
    const x0 = x(Math.min(0, v)), x1 = x(Math.max(0, v));
    const bar = svg("rect", { x: x0, y: y + 3, width: Math.max(0.5, x1 - x0), height: rowH - 6,
      class: `bar ${v < 0 ? "neg" : "pos"}`, "data-item": r.row.item, "data-value": r.value });
    bar.append(svg("title", {}, `${r.row.label}: ${formatValue(r.value, unit)}`));
    root.append(bar);
  });
  root.append(svg("line", { x1: x(0), x2: x(0), y1: top - 6, y2: H - 24, class: "zero" }));
  if (note) root.append(svg("text", { x: left, y: 14, "font-size": 11, class: "withheld" }, note));
  return root;
}

function lineChart(doc, cols, unit) {
  const last = cols[cols.length - 1];
  let rows = doc.rows;
  let note = "";
  if (rows.length > MAX_LINES) {
    const size = (r) => {
      for (let i = cols.length - 1; i >= 0; i--) {
        const v = r.values[cols[i].id];
        if (v !== null && v !== undefined) return Math.abs(v);
      }
      return -1;
    };
    rows = [...rows].sort((a, b) => size(b) - size(a)).slice(0, MAX_LINES);
    note = fill(t("chart_top"), { n: MAX_LINES, period: last.period_label });
  }
  const W = 760, H = 340, left = 70, right = 190, top = 26, bottom = 40;
  const vals = [];
  for (const r of rows) for (const c of cols) {
    const v = r.values[c.id];
    if (v !== null && v !== undefined) vals.push(scaled(v, unit));
  }
  const ticks = niceTicks(Math.min(0, ...vals), Math.max(0, ...vals));
  const lo = ticks[0], hi = ticks[ticks.length - 1];
  const x = (i) => left + (cols.length === 1 ? 0 : (i / (cols.length - 1)) * (W - left - right));
  const y = (v) => top + (1 - (v - lo) / (hi - lo)) * (H - top - bottom);
  const root = svg("svg", { viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": cols.map((c) => c.label).join(", ") });
  const grid = svg("g", { class: "grid" });
  for (const tk of ticks) {
    grid.append(svg("line", { x1: left, x2: W - right, y1: y(tk), y2: y(tk) }));
    grid.append(svg("text", { x: left - 6, y: y(tk) + 4, "text-anchor": "end", "font-size": 11 }, axisText(tk, ticks)));
  }
  const every = Math.ceil(cols.length / 10);
  cols.forEach((c, i) => {
    if (i % every === 0 || i === cols.length - 1) {
      grid.append(svg("text", { x: x(i), y: H - bottom + 18, "text-anchor": "middle", "font-size": 11 }, c.period_label));
    }
  });
  root.append(grid);
  if (lo < 0 && hi > 0) root.append(svg("line", { x1: left, x2: W - right, y1: y(0), y2: y(0), class: "zero" }));
  rows.forEach((r, k) => {
    const colour = PALETTE[k % PALETTE.length];
    const g = svg("g", { "data-item": r.item });
    let path = "";
    let pen = false;
    cols.forEach((c, i) => {
      const v = r.values[c.id];
      if (v === null || v === undefined) { pen = false; return; }
      path += `${pen ? "L" : "M"}${x(i).toFixed(1)},${y(scaled(v, unit)).toFixed(1)}`;
      pen = true;
      const dot = svg("circle", { cx: x(i), cy: y(scaled(v, unit)), r: 3, fill: colour, "data-period": c.period,
        "data-value": v });
      dot.append(svg("title", {}, `${r.label}, ${c.period_label}: ${formatValue(v, unit)}`));
      g.append(dot);
    });
    g.prepend(svg("path", { d: path, class: "series", stroke: colour }));
    root.append(g);
    const ly = top + 8 + k * 18;
    root.append(svg("rect", { x: W - right + 14, y: ly - 8, width: 12, height: 4, fill: colour }));
    if (path) {
      root.append(svg("text", { x: W - right + 32, y: ly - 2, "font-size": 11 }, truncate(r.label, 24)));
    } else {  // every value of the item withheld or absent: named in the legend, no line
      root.append(svg("text", { x: W - right + 32, y: ly - 2, "font-size": 11, class: "withheld", "data-item": r.item },
        `${truncate(r.label, 18)} (${t("chart_withheld")})`));
    }
  });
  if (note) root.append(svg("text", { x: left, y: 14, "font-size": 11, class: "withheld" }, note));
  return root;
}

function truncate(text, n) {
  // n is a width in Latin characters; wide characters (Hangul, CJK, full-width forms) count twice
  const wide = (ch) => /[\u1100-\u115f\u2e80-\ua4cf\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]/.test(ch);
  let width = 0;
  const chars = [...text];
  for (let i = 0; i < chars.length; i++) {
    width += wide(chars[i]) ? 2 : 1;
    if (width > n) return `${chars.slice(0, Math.max(1, i - 1)).join("")}…`;
  }
  return text;
}

// --- the release bar ----------------------------------------------------------------------------------

async function renderRelease() {
  const v = state.flow.vintage;
  const when = v.release_at.replace("T", " ").slice(0, 16);
  const zone = v.release_at.slice(19);
  let text = `${v.id} · ${t(v.status) || v.status} · ${t("released")} ${when} (${zone || "UTC"})`;
  if (v.revises) text += ` · ${t("revised")}: ${v.revises}${v.reason ? ` (${v.reason})` : ""}`;
  $("release-info").textContent = text;
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

function wire() {
  $("programme").addEventListener("change", (e) => {
    state.breakdown = null;
    state.freq = null;
    useFlow(e.target.value, null).catch((err) => showMessage(err.message));
  });
  $("vintage").addEventListener("change", (e) => {
    useFlow(state.flow.id, e.target.value, { periods: state.periods, measures: state.measures })
      .catch((err) => showMessage(err.message));
  });
  $("breakdown").addEventListener("change", (e) => { state.breakdown = e.target.value; update(); });
  $("frequency").addEventListener("change", () => {
    state.freq = checked("freq")[0];
    applyDefaults({ measures: state.measures, freq: state.freq });
    update();
  });
  $("periods").addEventListener("change", () => {
    const order = periodOrder();
    state.periods = checked("period").sort((a, b) => order.indexOf(a) - order.indexOf(b));
    update();
  });
  $("periods-all").addEventListener("click", () => { state.periods = periodOrder(); update(); });
  $("periods-none").addEventListener("click", () => { state.periods = []; update(); });
  $("measures").addEventListener("change", () => {
    const order = state.flow.measures.map((m) => m.id);
    state.measures = checked("measure").sort((a, b) => order.indexOf(a) - order.indexOf(b));
    if (!state.measures.includes(state.chartMeasure)) state.chartMeasure = state.measures[0] || null;
    update();
  });
  $("chart-measure").addEventListener("change", (e) => {
    state.chartMeasure = e.target.value;
    if (state.table) renderChart(state.table);
  });
  for (const b of document.querySelectorAll(".lang button")) {
    b.addEventListener("click", () => {
      state.lang = b.dataset.lang;
      renderStrings();
      update();
    });
  }
  $("controls").addEventListener("submit", (e) => e.preventDefault());
}

async function start() {
  const params = new URLSearchParams(location.search);
  const lang = params.get("lang") || (navigator.language || "").slice(0, 2);
  state.lang = lang === "ko" ? "ko" : "en";
  try {
    state.strings = await getJSON("/static/i18n.json");
    renderStrings();
    state.meta = await getJSON("/api/meta");
  } catch (err) {
    showMessage(err.message);
    return;
  }
  state.statuses = state.meta.statuses;
  state.units = state.meta.units;
  renderStrings();
  const flows = state.meta.dataflows;
  if (!flows.length) {
    showMessage(t("nothing_released"));
    return;
  }
  wire();
  $("app").hidden = false;
  const wanted = (params.get("dataflow") || "").toUpperCase();
  const flow = flows.find((f) => f.id === wanted) || flows[0];
  const vintage = flow.vintages.some((v) => v.id === params.get("vintage")) ? params.get("vintage") : null;
  state.breakdown = params.get("breakdown");
  try {
    await useFlow(flow.id, vintage, { periods: params.getAll("period"), measures: params.getAll("measure"),
                                      freq: params.get("freq") });
  } catch (err) {
    showMessage(err.message);
  }
}

document.addEventListener("DOMContentLoaded", start);
