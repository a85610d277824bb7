// The dashboard's pages: poll the JSON endpoints about once a second and
// redraw. No library, nothing fetched from elsewhere. Text from the cluster
// (function names, keys, messages) goes in through textContent only.
'use strict';

const PALETTE = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22',
                 '#7f7f7f', '#aec7e8'];  // the same as the performance report's
const ERRED = '#d62728';
const POLL_MS = 1000;
const STREAM_WINDOW_S = 20;
const STREAM_KEEP = 20000;

const state = { functions: [], colour: new Map(), workers: [], stream: [], last: 0, now: 0, stats: null };

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === 'class') e.className = v;
    else if (k.startsWith('data-')) e.setAttribute(k, v);
    else e[k] = v;
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function bytes(n) {
  if (n === null || n === undefined) return '–';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n.toFixed(0) : n.toFixed(1)) + ' ' + units[i];
}

function seconds(s) {
  if (s === null || s === undefined) return '–';
  return s < 1 ? (s * 1000).toFixed(1) + ' ms' : s.toFixed(2) + ' s';
}

function clock(t) {
  return new Date(t * 1000).toLocaleTimeString();
}

async function getJSON(path) {
  const r = await fetch(path, { cache: 'no-store' });
  if (!r.ok) throw new Error(path + ': HTTP ' + r.status);
  return r.json();
}

function colourOf(name) {
  if (!state.colour.has(name)) state.colour.set(name, PALETTE[state.colour.size % PALETTE.length]);
  return state.colour.get(name);
}

function setRows(tbody, rows) {
  tbody.replaceChildren(...rows);
}

function summary(stats) {
  const s = stats.states;
  return `${stats.workers} workers, ${stats.threads} threads · tasks: ${s.waiting + s.released} waiting, ` +
         `${s.queued + s['no-worker']} queued, ${s.processing} processing, ${s.memory} in memory, ` +
         `${s.erred} erred · ${stats.finished} finished of ${stats.submitted} submitted`;
}

// ---- status ---------------------------------------------------------------------

function drawProgress(functions) {
  const box = document.getElementById('progress');
  if (functions.length === 0) return;
  box.replaceChildren(...functions.map((f) => {
    const s = f.states;
    const done = s.memory + s.forgotten;
    const waiting = s.released + s.waiting + s['no-worker'] + s.queued;
    const total = Math.max(f.total, 1);
    const colour = colourOf(f.name);
    const seg = (cls, n, bg) => {
      const span = el('span', { class: cls, title: `${cls}: ${n}` });
      span.style.width = (100 * n / total) + '%';
      if (bg) span.style.background = bg;
      return span;
    };
    const bar = el('div', { class: 'bar' }, seg('memory', done, colour), seg('processing', s.processing, colour),
                   seg('erred', s.erred));
    return el('div', { class: 'fn', 'data-function': f.name, title: f.name },
              el('span', { class: 'name' }, f.name), bar,
              el('span', { class: 'count' },
                 `${done} / ${f.total}` + (s.processing ? ` · ${s.processing} running` : '') +
                 (waiting ? ` · ${waiting} waiting` : '') + (s.erred ? ` · ${s.erred} erred` : '')));
  }));
}

function drawMemory(workers) {
  const box = document.getElementById('memory');
  if (workers.length === 0) return;
  // Without a memory limit, bars compare the workers with the largest one.
  const largest = Math.max(1, ...workers.map((w) => w.rss));
  box.replaceChildren(...workers.map((w) => {
    const limit = w.memory_limit || 0;
    const span = el('span');
    const frac = limit > 0 ? w.rss / limit : 0;
    span.style.width = Math.min(100, 100 * (limit > 0 ? frac : w.rss / largest)) + '%';
    if (frac > 0.9) span.className = 'over';
    return el('div', { class: 'mem', 'data-rank': w.rank },
              el('span', {}, `rank ${w.rank}`), el('div', { class: 'bar' }, span),
              el('span', {}, `${bytes(w.rss)}` + (limit ? ` of ${bytes(limit)}` : '') + ` · ${bytes(w.held_bytes)} held`));
  }));
}

function drawWorkers(workers) {
  const tbody = document.querySelector('#workers tbody');
  setRows(tbody, workers.map((w) => el('tr', { 'data-rank': w.rank, class: w.alive ? '' : 'gone' },
    el('td', {}, el('a', { href: `/info/worker/${w.rank}` }, `rank ${w.rank}`)),
    el('td', { class: 'text' }, w.host + (w.alive ? (w.paused ? ' (paused)' : '') : ' (gone)')),
    el('td', {}, w.nthreads), el('td', {}, w.processing), el('td', {}, w.executing), el('td', {}, w.held),
    el('td', {}, bytes(w.held_bytes)), el('td', {}, bytes(w.rss)),
    el('td', {}, w.memory_limit ? bytes(w.memory_limit) : 'none'),
    el('td', {}, w.cpu_percent === null ? '–' : w.cpu_percent.toFixed(0) + '%'), el('td', {}, w.done),
    el('td', {}, w.heartbeat_age === null ? '–' : w.heartbeat_age.toFixed(1) + ' s ago'))));
}

function drawStream() {
  const canvas = document.getElementById('stream');
  const rows = [];
  for (const w of state.workers)
    for (let t = 0; t < w.nthreads; t++) rows.push(w.rank * 65536 + t);
  for (const e of state.stream) {
    const r = e.rank * 65536 + e.thread;
    if (!rows.includes(r)) rows.push(r);
  }
  rows.sort((a, b) => a - b);
  const rowH = 16, label = 90, axis = 18;
  const dpr = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || 1000;
  const height = Math.max(rows.length, 1) * rowH + axis;
  canvas.style.height = height + 'px';
  canvas.width = width * dpr;
  canvas.height = height * dpr;
  const g = canvas.getContext('2d');
  g.scale(dpr, dpr);
  g.clearRect(0, 0, width, height);
  g.font = '11px sans-serif';
  g.fillStyle = '#444';
  const index = new Map(rows.map((r, i) => [r, i]));
  rows.forEach((r, i) => g.fillText(`rank ${Math.floor(r / 65536)} · ${r % 65536}`, 2, i * rowH + 12));
  const t1 = state.now, t0 = t1 - STREAM_WINDOW_S;
  const x = (t) => label + (t - t0) / STREAM_WINDOW_S * (width - label);
  for (const e of state.stream) {
    if (e.stop < t0) continue;
    g.fillStyle = e.erred ? ERRED : colourOf(e.function);
    const x0 = Math.max(x(e.start), label);
    g.fillRect(x0, index.get(e.rank * 65536 + e.thread) * rowH + 2, Math.max(x(e.stop) - x0, 1), rowH - 4);
  }
  g.fillStyle = '#666';
  for (let s = 0; s <= STREAM_WINDOW_S; s += 5) {
    const px = x(t1 - s);
    g.fillRect(px, height - axis, 1, 4);
    g.fillText(s === 0 ? 'now' : `-${s} s`, Math.min(px - 10, width - 28), height - 4);
  }
  const legend = document.getElementById('stream-legend');
  legend.replaceChildren(...[...state.colour.entries()].flatMap(([name, colour]) => {
    const sw = el('span', { class: 'swatch' });
    sw.style.background = colour;
    return [sw, name];
  }));
}

async function pollStatus() {
  const [stats, workers, functions, stream] = await Promise.all([
    getJSON('/json/stats'), getJSON('/json/workers'), getJSON('/json/functions'),
    getJSON('/json/stream?after=' + state.last)]);
  state.stats = stats;
  state.now = stats.now;
  state.workers = workers;
  for (const f of functions) colourOf(f.name);
  state.stream.push(...stream.entries);
  if (state.stream.length > STREAM_KEEP) state.stream.splice(0, state.stream.length - STREAM_KEEP);
  state.last = stream.last;
  document.getElementById('summary').textContent = summary(stats);
  drawProgress(functions);
  drawMemory(workers);
  drawWorkers(workers);
  drawStream();
}

// ---- info and the worker pages --------------------------------------------------------

function drawErrors(errors) {
  setRows(document.querySelector('#errors tbody'), errors.slice().reverse().map((e) => el('tr', { 'data-key': e.key },
    el('td', { class: 'text' }, clock(e.time)), el('td', { class: 'text' }, e.key),
    el('td', { class: 'text' }, e.function), el('td', {}, e.rank), el('td', { class: 'message' }, e.message))));
  document.getElementById('no-errors').hidden = errors.length > 0;
}

async function pollInfo() {
  const [stats, workers, errors] = await Promise.all([getJSON('/json/stats'), getJSON('/json/workers'),
                                                      getJSON('/json/errors')]);
  document.getElementById('summary').textContent = summary(stats);
  setRows(document.querySelector('#worker-list tbody'), workers.map((w) => el('tr', { 'data-rank': w.rank },
    el('td', {}, w.rank), el('td', { class: 'text' }, w.host), el('td', { class: 'text' }, w.alive ? (w.paused ? 'paused' : 'alive') : 'gone'),
    el('td', {}, w.nthreads), el('td', {}, w.memory_limit ? bytes(w.memory_limit) : 'none'), el('td', {}, w.done),
    el('td', {}, w.busy_seconds.toFixed(2)),
    el('td', { class: 'text' }, el('a', { href: `/info/worker/${w.rank}` }, `worker ${w.rank}`)))));
  drawErrors(errors);
}

async function pollWorker() {
  const rank = Number(location.pathname.split('/').pop());
  const [workers, errors, stream] = await Promise.all([getJSON('/json/workers'), getJSON('/json/errors'),
                                                       getJSON('/json/stream?after=' + state.last)]);
  state.stream.push(...stream.entries.filter((e) => e.rank === rank));
  if (state.stream.length > 200) state.stream.splice(0, state.stream.length - 200);
  state.last = stream.last;
  const w = workers.find((x) => x.rank === rank);
  document.getElementById('worker-title').textContent = `Worker rank ${rank}` + (w ? ` on ${w.host}` : ' (unknown)');
  if (w) {
    const facts = [['state', w.alive ? (w.paused ? 'paused' : 'alive') : 'gone'], ['threads', w.nthreads],
      ['memory limit', w.memory_limit ? bytes(w.memory_limit) : 'none'], ['processing', w.processing],
      ['executing', w.executing], ['results held', `${w.held} (${bytes(w.held_bytes)})`],
      ['data store', bytes(w.stored_bytes)], ['memory (RSS)', bytes(w.rss)],
      ['CPU', w.cpu_percent === null ? '–' : w.cpu_percent.toFixed(0) + '%'], ['tasks done', w.done],
      ['busy', seconds(w.busy_seconds)],
      ['last heartbeat', w.heartbeat_age === null ? '–' : w.heartbeat_age.toFixed(1) + ' s ago']];
    document.getElementById('worker-detail').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', {}, k), el('dd', {}, v)]));
  }
  setRows(document.querySelector('#worker-tasks tbody'), state.stream.slice(-50).reverse().map((e) => el('tr', {},
    el('td', { class: 'text' }, e.function), el('td', {}, e.thread), el('td', { class: 'text' }, clock(e.start)),
    el('td', {}, (e.stop - e.start).toFixed(4)), el('td', { class: 'text' }, e.erred ? 'erred' : 'ok'))));
  drawErrors(errors.filter((e) => e.rank === rank));
}

// ---- the loop ------------------------------------------------------------------------

const pollers = { status: pollStatus, info: pollInfo, worker: pollWorker };

async function loop() {
  const badge = document.getElementById('state');
  try {
    await pollers[document.body.dataset.page]();
    badge.textContent = 'live · ' + new Date().toLocaleTimeString();
    badge.classList.remove('down');
  } catch (err) {
    badge.textContent = 'not connected: ' + err.message;
    badge.classList.add('down');
  }
  setTimeout(loop, POLL_MS);
}

document.addEventListener('DOMContentLoaded', () => {
  for (const [id, colour] of [['legend-memory', PALETTE[0]], ['legend-processing', PALETTE[0]], ['legend-erred', ERRED]]) {
    const sw = document.getElementById(id);
    if (sw) { sw.style.background = colour; if (id === 'legend-processing') sw.style.opacity = 0.45; }
  }
  loop();
});
