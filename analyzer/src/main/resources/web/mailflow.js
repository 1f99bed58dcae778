// mailflow web page: polls the query API (docs/query-api.md) every few seconds and redraws only what
// changed, so nothing flickers. Plain modern JavaScript, no framework, no build step.
'use strict';

const POLL_MS = 3000;
/** Alert history (for the queue-depth line) and notices change slowly; fetched every this many polls. */
const HISTORY_EVERY = 5;
/** Queued recipients listed in the queue flyout (the API gives up to 20, oldest first). */
const SAMPLES_SHOWN = 10;
const TOKEN_KEY = 'mailflow.query.token';
const HISTORY_KEY = 'mailflow.chart.history';
/** Hours of statistics windows the chart shows. */
const CHART_HOURS = 6;
const STATUS_ORDER = { failing: 0, backlog: 1, healthy: 2 };
const STATUS_TEXT = { failing: 'Failing', backlog: 'Backlog', healthy: 'Healthy' };

const state = {
  selected: null,       // connector whose queue and chart are shown
  pickedByUser: false,  // a click keeps the selection; otherwise the worst connector is shown
  polls: 0,
  history: [],          // all alerts, for the queue-depth line
  liveDepth: new Map(), // connectorId -> Map(asOf -> queuedRecipients) seen while this page is open
  windows: new Map(),   // connectorId -> Map(slot|statusCode -> window) seen while this page is open
  alertFailures: new Map(), // connectorId -> Map(slot|statusCode -> failures) estimated from alert updates
  failureCounts: new Map(), // alertId -> {count, time}: the last failure count seen and up to when it counted
  notices: { ndr: [], delays: [] },
  chart: null,
  stopped: false,
};

// ---------- helpers ----------

const $ = (id) => document.getElementById(id);

function esc(value) {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** Replaces an element's content only when it differs: no flicker, selection and scroll survive. */
function setHtml(el, html) {
  if (el.dataset.rendered !== html) {
    el.innerHTML = html;
    el.dataset.rendered = html;
  }
}

function fmtTime(iso) {
  return iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z').replace(/Z$/, ' UTC') : '–';
}

function fmtClock(iso) {
  return iso ? iso.substring(11, 19) : '–';
}

function fmtNum(n) {
  return n == null ? '–' : Number(n).toLocaleString('en-US');
}

/** A duration in words: 45 s, 12 min, 3 h 05 min, 2 d 4 h. */
function fmtAge(ms) {
  if (ms == null || Number.isNaN(ms)) return '–';
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${String(m % 60).padStart(2, '0')} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** Age at the state's event time (asOf), not the wall clock: a replay of history shows that time's ages. */
function ageAt(asOf, iso) {
  if (!asOf || !iso) return null;
  return Date.parse(asOf) - Date.parse(iso);
}

/** The IP of the last attempt, from the error text (Exchange and Postfix wording) or a destination. */
function lastIp(lastError, destinations) {
  const texts = [lastError || '', ...(destinations || []).map((d) => (typeof d === 'string' ? d : d.destination) || '')];
  for (const t of texts) {
    const m = t.match(/LastAttemptedIP=([0-9a-fA-F.:]+?)(?::\d+)?\]/) || t.match(/\[([0-9]{1,3}(?:\.[0-9]{1,3}){3})\]/)
      || t.match(/\b([0-9]{1,3}(?:\.[0-9]{1,3}){3})\b/);
    if (m) return m[1];
  }
  return null;
}

function pill(status) {
  return `<span class="pill ${esc(status)}" data-status="${esc(status)}">${esc(STATUS_TEXT[status] || status)}</span>`;
}

// ---------- API ----------

class Unauthorized extends Error {}

async function api(path) {
  const headers = { Accept: 'application/json' };
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (token) headers.Authorization = `Bearer ${token}`;
  const response = await fetch(path, { headers, cache: 'no-store' });
  if (response.status === 401) throw new Unauthorized('the API needs a token');
  let body = null;
  try {
    body = await response.json();
  } catch (e) {
    if (response.ok) throw new Error(`${path}: not JSON`);
  }
  if (!response.ok) {
    const error = new Error(body && body.error ? body.error : `${path}: HTTP ${response.status}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

function askForToken() {
  const dialog = $('token-dialog');
  if (!dialog.hidden) return;
  dialog.hidden = false;
  $('token-value').value = '';
  $('token-value').focus();
}

$('token-form').addEventListener('submit', (event) => {
  event.preventDefault();
  sessionStorage.setItem(TOKEN_KEY, $('token-value').value.trim());
  $('token-dialog').hidden = true;
  pollNow();
});

// ---------- rendering ----------

function renderOverall(connectors) {
  const count = { failing: 0, backlog: 0, healthy: 0 };
  for (const c of connectors) count[c.status] = (count[c.status] || 0) + 1;
  const parts = ['failing', 'backlog', 'healthy'].filter((s) => count[s] > 0)
    .map((s) => `<span class="pill ${s}">${count[s]} ${STATUS_TEXT[s].toLowerCase()}</span>`);
  setHtml($('overall'), parts.length ? parts.join('') : '<span class="muted">no connectors seen yet</span>');
}

function renderAlerts(alerts) {
  // failures first (they explain the backlog), newest first within a type
  alerts = [...alerts].sort((a, b) => (a.type === b.type ? 0 : a.type === 'CONNECTOR_FAILURE' ? -1 : 1));
  if (!alerts.length) {
    setHtml($('alerts'), '<div class="all-clear" data-all-clear>No active alerts: every connector delivers.</div>');
    return;
  }
  setHtml($('alerts'), alerts.map((a) => `
    <div class="alert ${esc(a.type)}" data-alert-id="${esc(a.alertId)}" data-connector="${esc(a.connectorId)}" data-type="${esc(a.type)}">
      <div class="head">
        <span class="pill sev ${esc(a.severity)}">${esc(a.severity)}</span>
        <span>${esc(a.type === 'QUEUE_BACKLOG' ? 'Queue backlog' : 'Connector failure')} · ${esc(a.connectorId)}</span>
        <span class="mono">${esc(a.statusCode || '')} ${esc(a.category || '')}</span>
        <span class="muted">since ${esc(fmtTime(a.firstFailureTime || a.eventTime))}, updated ${esc(fmtClock(a.eventTime))}</span>
      </div>
      <div class="summary">${esc(a.summary)}</div>
      ${a.remediation ? `<div class="fix"><b>How to fix:</b> ${esc(a.remediation)}</div>` : ''}
    </div>`).join(''));
}

function renderConnectors(data) {
  const rows = data.connectors.map((c) => {
    const alert = (c.activeAlerts || [])[0];
    const oldest = c.oldestQueuedTime
      ? `${esc(fmtAge(ageAt(data.asOf, c.oldestQueuedTime)))} <span class="muted">(${esc(fmtClock(c.oldestQueuedTime))})</span>` : '–';
    return `<tr data-connector="${esc(c.connectorId)}" data-status="${esc(c.status)}"${c.connectorId === state.selected ? ' class="selected"' : ''}>
      <td><span class="dot ${esc(c.status)}"></span><b>${esc(c.connectorId)}</b></td>
      <td>${pill(c.status)}</td>
      <td class="num" data-field="queued">${esc(fmtNum(c.queuedRecipients))}</td>
      <td class="num">${esc(fmtNum(c.queuedOverAge))}</td>
      <td>${oldest}</td>
      <td class="error mono" title="${esc(c.lastError || '')}">${c.lastError ? esc(c.lastError) : '<span class="muted">–</span>'}</td>
      <td>${alert ? `<span class="pill sev ${esc(alert.severity)}">${esc(alert.type === 'QUEUE_BACKLOG' ? 'backlog' : 'failure')}</span>` : '<span class="muted">–</span>'}</td>
    </tr>`;
  });
  setHtml($('connectors').tBodies[0], rows.length ? rows.join('')
    : '<tr><td colspan="7" class="muted">No connector has been seen in the traces yet.</td></tr>');
}

function renderQueue(q, connector) {
  if (!q) {
    setHtml($('queue'), '<h2>Queue</h2><p class="muted">Select a connector.</p>');
    return;
  }
  const alert = connector && (connector.activeAlerts || [])[0];
  const status = connector ? connector.status : 'healthy';
  const queueStart = alert && alert.firstFailureTime ? alert.firstFailureTime : q.oldestQueuedTime;
  const destinations = (q.destinations || []);
  const maxBucket = Math.max(1, ...(q.ageBuckets || []).map((b) => b.recipients));
  const buckets = (q.ageBuckets || []).map((b, i, all) => {
    const label = b.maxMinutes == null ? `> ${all[i - 1] ? all[i - 1].maxMinutes : 0} min` : `≤ ${b.maxMinutes} min`;
    const old = b.maxMinutes == null || b.maxMinutes > 60;
    return `<span>${esc(label)}</span><span class="bar"><span class="${old ? 'old' : ''}" style="width:${(100 * b.recipients / maxBucket).toFixed(1)}%"></span></span><span class="num">${esc(fmtNum(b.recipients))}</span>`;
  }).join('');
  const shown = (q.samples || []).slice(0, SAMPLES_SHOWN);
  const samples = shown.map((r) => `<tr>
      <td class="mono">${esc(r.recipient)}</td>
      <td>${esc(r.subject || '')}<div class="muted">${esc(r.originalSender || '')}</div></td>
      <td>${esc(fmtAge(ageAt(q.asOf, r.queuedSince)))}</td>
      <td class="num">${esc(fmtNum(r.attempts))}</td>
    </tr>`).join('');
  const html = `
    <h2><span>Queue · ${esc(q.connectorId)}</span>${pill(status)}</h2>
    <dl class="fields">
      <dt>Number queued</dt><dd class="big" data-field="queued">${esc(fmtNum(q.queuedRecipients))}</dd>
      <dt>Queued over age</dt><dd data-field="over-age">${esc(fmtNum(q.queuedOverAge))}</dd>
      <dt>Connector</dt><dd data-field="connector">${esc(q.connectorId)}</dd>
      <dt>Queue start time</dt><dd>${esc(fmtTime(queueStart))}</dd>
      <dt>Oldest message</dt><dd>${q.oldestQueuedTime ? `${esc(fmtTime(q.oldestQueuedTime))} <span class="muted">(${esc(fmtAge(ageAt(q.asOf, q.oldestQueuedTime)))} old)</span>` : '–'}</dd>
      <dt>Destination server</dt><dd>${destinations.length ? destinations.map((d) => `${esc(d.destination)} <span class="muted">(${esc(fmtNum(d.recipients))})</span>`).join('<br>') : '–'}</dd>
      <dt>Last IP</dt><dd class="mono">${esc(lastIp(q.lastError, destinations) || '–')}</dd>
      <dt>Last error</dt><dd class="mono" data-field="last-error">${q.lastError ? esc(q.lastError) : '–'}</dd>
      <dt>Last error time</dt><dd>${esc(fmtTime(q.lastErrorTime))}</dd>
      <dt>Last attempt</dt><dd>${esc(fmtTime(q.lastAttemptTime))}</dd>
      <dt>Next retry</dt><dd>${esc(q.nextRetryTime ? fmtTime(q.nextRetryTime) : 'not known')}</dd>
      <dt>As of</dt><dd class="muted">${esc(fmtTime(q.asOf))}</dd>
    </dl>
    ${q.remediation ? `<div class="fixbox" data-field="remediation"><h3>How to fix</h3>${esc(q.remediation)}</div>` : ''}
    ${buckets ? `<h3>Queued recipients by age</h3><div class="buckets">${buckets}</div>` : ''}
    <h3>Oldest queued recipients</h3>
    ${samples ? `<table class="grid samples"><thead><tr><th>Recipient</th><th>Subject / sender</th><th>Waiting</th><th class="num">Tries</th></tr></thead><tbody>${samples}</tbody></table>${q.queuedRecipients > shown.length ? `<p class="hint">The ${shown.length} oldest of ${esc(fmtNum(q.queuedRecipients))}; look one up below.</p>` : ''}`
      : '<p class="muted">Nothing queued.</p>'}`;
  setHtml($('queue'), html);
}

function renderNotices(groups, el, kind) {
  if (!groups.length) {
    setHtml(el, `<p class="muted">No ${kind} sent.</p>`);
    return;
  }
  setHtml(el, groups.map((g) => `
    <div class="notice-code" data-code="${esc(g.statusCode)}">
      <span class="code mono">${esc(g.statusCode)}</span> · <b>${esc(fmtNum(g.count))}</b> ${kind}
      <ul>${(g.samples || []).map((s) => `<li><span class="mono">${esc(s.finalRecipient)}</span> from ${esc(s.originalSender)}
        <span class="muted">at ${esc(fmtTime(s.eventTime))}${s.connectorId ? ` via ${esc(s.connectorId)}` : ''}</span><br>
        <span class="mono muted">${esc(s.diagnosticCode || '')}</span></li>`).join('')}</ul>
    </div>`).join(''));
}

// ---------- chart ----------

const FAILURE_COLOURS = ['#c62828', '#ef6c00', '#8e24aa', '#ad1457', '#6d4c41', '#f9a825'];

/** The statistics windows' size (mailflow.connector-stats holds 5-minute windows): the chart's slot. */
const SLOT_MS = 5 * 60000;

function slotOf(ms) {
  return Math.floor(ms / SLOT_MS) * SLOT_MS;
}

/**
 * The API holds only the statistics windows still open (docs/query-api.md), and with one
 * partition they close almost as soon as they fill. So the page also counts failures itself: the
 * growth of each active connector-failure alert's failure count between two updates, spread over
 * the event time it covers. A window the API returned wins over that estimate for its slot.
 */
function rememberAlertFailures(alerts) {
  for (const a of alerts) {
    if (a.type !== 'CONNECTOR_FAILURE' || a.failureCount == null) continue;
    const prev = state.failureCounts.get(a.alertId);
    const from = prev ? prev.time : Date.parse(a.firstFailureTime || a.eventTime);
    const to = Date.parse(a.lastFailureTime || a.eventTime);
    const added = a.failureCount - (prev ? prev.count : 0);
    state.failureCounts.set(a.alertId, { count: a.failureCount, time: Math.max(to, prev ? prev.time : to) });
    if (added > 0) spreadFailures(a.connectorId, a.statusCode, from, to, added);
  }
}

function spreadFailures(connectorId, code, from, to, count) {
  if (!state.alertFailures.has(connectorId)) state.alertFailures.set(connectorId, new Map());
  const slots = state.alertFailures.get(connectorId);
  const add = (slot, n) => slots.set(`${slot}|${code}`, (slots.get(`${slot}|${code}`) || 0) + n);
  if (to <= from) {
    add(slotOf(to), count);
    return;
  }
  for (let slot = slotOf(from); slot < to; slot += SLOT_MS) {
    const overlap = Math.min(to, slot + SLOT_MS) - Math.max(from, slot);
    if (overlap > 0) add(slot, (count * overlap) / (to - from));
  }
}

/** Failures per status code per 5 minutes of event time (stacked bars), deliveries and recipients queued (lines). */
function renderChart(connectorId) {
  if (typeof Chart === 'undefined') {
    $('chart-note').textContent = 'The chart library did not load.';
    return;
  }
  $('chart-connector').textContent = connectorId || '–';
  const windows = [...(state.windows.get(connectorId) || new Map()).values()];
  const estimated = state.alertFailures.get(connectorId) || new Map();
  const depth = depthPoints(connectorId);
  const times = [...windows.map((w) => Date.parse(w.windowStart)), ...[...estimated.keys()].map((k) => Number(k.split('|')[0])),
    ...depth.map(([t]) => Date.parse(t))];
  const starts = [];
  if (times.length) {
    const last = slotOf(Math.max(...times));
    for (let t = Math.max(slotOf(Math.min(...times)), last - CHART_HOURS * 3600000 + SLOT_MS); t <= last; t += SLOT_MS) starts.push(t);
  }
  const index = new Map(starts.map((t, i) => [t, i]));
  const measured = new Map(); // slot|code -> failures from a real window
  const deliveries = starts.map(() => null);
  for (const w of windows) {
    const slot = slotOf(Date.parse(w.windowStart));
    if (!index.has(slot)) continue;
    measured.set(`${slot}|${w.statusCode}`, (measured.get(`${slot}|${w.statusCode}`) || 0) + w.failures);
    deliveries[index.get(slot)] = (deliveries[index.get(slot)] || 0) + w.deliveries;
  }
  // the code with most failures first: it gets the red and the bottom of the stack
  const totals = new Map();
  for (const [k, n] of [...measured.entries(), ...estimated.entries()]) {
    if (n > 0 && index.has(Number(k.split('|')[0]))) totals.set(k.split('|')[1], (totals.get(k.split('|')[1]) || 0) + n);
  }
  const codes = [...totals.keys()].sort((a, b) => totals.get(b) - totals.get(a) || a.localeCompare(b));
  const failures = codes.map((code, i) => ({
    type: 'bar', label: `failures ${code}`, stack: 'f', yAxisID: 'y', order: 2,
    backgroundColor: FAILURE_COLOURS[i % FAILURE_COLOURS.length],
    data: starts.map((slot) => Math.round(measured.get(`${slot}|${code}`) ?? estimated.get(`${slot}|${code}`) ?? 0)),
  }));
  const queued = starts.map((slot) => {
    let value = null;
    for (const [t, n] of depth) if (slotOf(Date.parse(t)) === slot) value = n;
    return value;
  });
  const datasets = [
    ...failures,
    { type: 'line', label: 'deliveries', data: deliveries, borderColor: '#2e7d32', backgroundColor: '#2e7d32', borderWidth: 1.5, pointRadius: 0, spanGaps: false, yAxisID: 'y', order: 1 },
    { type: 'line', label: 'queued recipients', data: queued, borderColor: '#1f5fbf', backgroundColor: '#1f5fbf', borderWidth: 2, pointRadius: 3, spanGaps: false, yAxisID: 'y1', order: 0 },
  ];
  const labels = starts.map((t) => new Date(t).toISOString().substring(11, 16));
  if (!state.chart) {
    state.chart = new Chart($('chart'), {
      data: { labels, datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, interaction: { mode: 'index', intersect: false },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
        scales: {
          x: { stacked: true, title: { display: true, text: 'event time (UTC), 5-minute slots' } },
          y: { stacked: true, beginAtZero: true, title: { display: true, text: 'per 5 min' } },
          y1: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'queued' } },
        },
      },
    });
  } else {
    // in place: Chart.js redraws without rebuilding the canvas
    state.chart.data.labels = labels;
    state.chart.data.datasets = datasets;
    state.chart.update('none');
  }
  $('chart-note').textContent = starts.length
    ? `From ${fmtTime(new Date(starts[0]).toISOString())}, collected while this page is open (kept for this tab): failures from the statistics `
      + 'windows the API still holds, else from the growth of the active alert\'s failure count; queued recipients at each update.'
    : 'Nothing collected for this connector yet: the chart fills while this page is open.';
}

/** [event time, recipients queued] of the alerts' snapshots and of this page's updates, oldest first. */
function depthPoints(connectorId) {
  const points = state.history.filter((a) => a.connectorId === connectorId && a.queuedRecipients != null)
    .map((a) => [a.eventTime, a.queuedRecipients]);
  for (const [t, n] of state.liveDepth.get(connectorId) || []) points.push([t, n]);
  return points.sort((a, b) => Date.parse(a[0]) - Date.parse(b[0]));
}

/**
 * Every statistics window seen, latest counts winning, for CHART_HOURS, kept in sessionStorage with
 * the rest of the chart's history so a reload keeps it.
 */
function rememberWindows(connectorId, windows) {
  if (!state.windows.has(connectorId)) state.windows.set(connectorId, new Map());
  const seen = state.windows.get(connectorId);
  for (const w of windows) seen.set(`${slotOf(Date.parse(w.windowStart))}|${w.statusCode}`, w);
  const newest = Math.max(...[...seen.values()].map((w) => Date.parse(w.windowEnd)));
  for (const [key, w] of seen) {
    if (Date.parse(w.windowEnd) < newest - CHART_HOURS * 3600000) seen.delete(key);
  }
}

function saveHistory() {
  const keep = (map) => Object.fromEntries([...map].map(([id, m]) => [id, [...m]]));
  const depth = {};
  for (const [id, points] of state.liveDepth) depth[id] = [...points].slice(-CHART_HOURS * 3600 / (POLL_MS / 1000));
  try {
    sessionStorage.setItem(HISTORY_KEY, JSON.stringify({
      windows: keep(state.windows), estimated: keep(state.alertFailures), counts: [...state.failureCounts], depth }));
  } catch (e) {
    // storage full or disabled: the chart still works for this page's lifetime
  }
}

function loadHistory() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(HISTORY_KEY) || '{}');
    for (const [id, entries] of Object.entries(saved.windows || {})) state.windows.set(id, new Map(entries));
    for (const [id, entries] of Object.entries(saved.estimated || {})) state.alertFailures.set(id, new Map(entries));
    state.failureCounts = new Map(saved.counts || []);
    for (const [id, points] of Object.entries(saved.depth || {})) state.liveDepth.set(id, new Map(points));
  } catch (e) {
    sessionStorage.removeItem(HISTORY_KEY);
  }
}

// ---------- polling ----------

function chooseConnector(connectors) {
  if (state.pickedByUser && connectors.some((c) => c.connectorId === state.selected)) return state.selected;
  const worst = [...connectors].sort((a, b) => (STATUS_ORDER[a.status] - STATUS_ORDER[b.status])
    || (b.queuedRecipients - a.queuedRecipients))[0];
  if (!worst) return null;
  // all healthy: stay on the connector shown so far, so its recovery stays in view
  if (worst.status === 'healthy' && connectors.some((c) => c.connectorId === state.selected)) return state.selected;
  return worst.connectorId;
}

let timer = null;
let inFlight = false;
let again = false;

/** One update at a time: a click or a token during an update asks for another one right after it. */
async function poll() {
  clearTimeout(timer);
  if (inFlight) {
    again = true;
    return;
  }
  inFlight = true;
  try {
    await update();
  } finally {
    inFlight = false;
  }
  if (again) {
    again = false;
    poll();
  }
}

async function update() {
  try {
    const [connectors, alerts] = await Promise.all([api('/api/v1/connectors'), api('/api/v1/alerts?state=active')]);
    if (state.polls % HISTORY_EVERY === 0) {
      // these read the output topics' tails, not the state: slower, and they change less often
      const [history, notices] = await Promise.all([api('/api/v1/alerts?state=all'), api('/api/v1/notices?limit=20')]);
      state.history = history.alerts || [];
      state.notices = notices;
    }
    state.selected = chooseConnector(connectors.connectors);
    const connector = connectors.connectors.find((c) => c.connectorId === state.selected);
    let queue = null;
    const ids = connectors.connectors.map((c) => c.connectorId);
    const [q, ...windows] = await Promise.all([
      state.selected ? api(`/api/v1/connectors/${encodeURIComponent(state.selected)}/queue`) : null,
      ...ids.map((id) => api(`/api/v1/connectors/${encodeURIComponent(id)}/windows?hours=${CHART_HOURS}`))]);
    queue = q;
    windows.forEach((w, i) => rememberWindows(ids[i], w.windows || []));
    rememberAlertFailures(alerts.alerts || []);
    for (const c of connectors.connectors) {
      if (!connectors.asOf) break;
      if (!state.liveDepth.has(c.connectorId)) state.liveDepth.set(c.connectorId, new Map());
      state.liveDepth.get(c.connectorId).set(connectors.asOf, c.queuedRecipients);
    }
    saveHistory();
    renderOverall(connectors.connectors);
    renderAlerts(alerts.alerts || []);
    renderConnectors(connectors);
    renderQueue(queue, connector);
    renderChart(state.selected);
    renderNotices(state.notices.ndr || [], $('ndr'), 'NDRs');
    renderNotices(state.notices.delays || [], $('delays'), 'delay notices');
    state.polls++;
    const updated = $('updated');
    updated.classList.remove('stale');
    updated.dataset.polls = String(state.polls);
    updated.dataset.asOf = connectors.asOf || '';
    updated.textContent = `Updated ${new Date().toLocaleTimeString('en-GB', { hour12: false })} · every ${POLL_MS / 1000} s · data as of ${fmtTime(connectors.asOf)}`;
  } catch (error) {
    if (error instanceof Unauthorized) {
      askForToken();
      $('updated').textContent = 'Waiting for the access token';
      return; // the token form starts polling again
    }
    const updated = $('updated');
    updated.classList.add('stale');
    updated.textContent = `Update failed (${error.message}); showing the last data, retrying every ${POLL_MS / 1000} s`;
  }
  timer = setTimeout(poll, POLL_MS);
}

function pollNow() {
  poll();
}

$('connectors').addEventListener('click', (event) => {
  const row = event.target.closest('tr[data-connector]');
  if (!row) return;
  state.selected = row.dataset.connector;
  state.pickedByUser = true;
  pollNow();
});

// ---------- message lookup ----------

function recipientRows(recipients) {
  return recipients.map((r) => `<tr data-recipient="${esc(r.recipient)}">
      <td class="mono">${esc(r.recipient)}</td><td>${pill(r.status === 'expired' ? 'failing' : 'backlog').replace(/>(Failing|Backlog)</, `>${esc(r.status)}<`)}</td>
      <td>${esc(r.connectorId || '–')}</td><td>${esc(fmtTime(r.queuedSince))}</td><td class="num">${esc(fmtNum(r.attempts))}</td>
      <td class="mono">${esc(r.lastError || '–')}</td>
      <td>${r.delayNoticeSent ? 'delay notice' : ''}${r.delayNoticeSent && r.ndrSent ? ', ' : ''}${r.ndrSent ? 'NDR' : ''}${!r.delayNoticeSent && !r.ndrSent ? '–' : ''}</td>
    </tr>`).join('');
}

function lookupTable(recipients, heading) {
  return `<p>${heading}</p><table class="grid samples"><thead><tr><th>Recipient</th><th>Status</th><th>Connector</th><th>Queued since</th>
    <th class="num">Tries</th><th>Last error</th><th>Sent</th></tr></thead><tbody>${recipientRows(recipients)}</tbody></table>`;
}

$('lookup').addEventListener('submit', async (event) => {
  event.preventDefault();
  const kind = $('lookup-kind').value;
  const value = $('lookup-value').value.trim();
  const out = $('lookup-result');
  if (!value) return;
  out.innerHTML = '<p class="muted">Looking up…</p>';
  try {
    if (kind === 'recipient') {
      const result = await api(`/api/v1/recipients/${encodeURIComponent(value)}`);
      const recipients = result.recipients || [];
      out.innerHTML = recipients.length
        ? lookupTable(recipients, `${recipients.length} queued or expired deliveries to <b>${esc(result.address)}</b>:`)
        : `<p>Nothing queued or expired for <b>${esc(value)}</b>: its mail was delivered or never deferred.</p>`;
      return;
    }
    let result = await api(`/api/v1/messages/${encodeURIComponent(value)}`);
    if (!result.found && !value.startsWith('<')) result = await api(`/api/v1/messages/${encodeURIComponent(`<${value}>`)}`);
    if (!result.found) {
      out.innerHTML = `<p>Message <span class="mono">${esc(value)}</span> is not in the queue state: delivered, or never deferred.</p>`;
      return;
    }
    const r0 = result.recipients[0] || {};
    out.innerHTML = lookupTable(result.recipients,
      `<span class="mono">${esc(result.messageId)}</span> from ${esc(r0.originalSender || '?')}${r0.subject ? `, “${esc(r0.subject)}”` : ''}:`);
  } catch (error) {
    if (error instanceof Unauthorized) askForToken();
    out.innerHTML = `<p class="error-text">${esc(error.message)}</p>`;
  }
});

loadHistory();
poll();
