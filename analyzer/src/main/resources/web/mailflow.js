// mailflow web page: polls the query API (docs/query-api.md) every few seconds and redraws only what
// changed, so nothing flickers. Plain modern JavaScript, no framework, no build step.
'use strict';

const POLL_MS = 3000;
/** Alert history (for the queue-depth line) changes slowly; fetched every this many polls. */
const HISTORY_EVERY = 5;
/** Queued recipients listed in the queue flyout (the API gives up to 20, oldest first). */
const SAMPLES_SHOWN = 10;
const TOKEN_KEY = 'mailflow.query.token';
const STATUS_ORDER = { failing: 0, backlog: 1, healthy: 2 };
const STATUS_TEXT = { failing: 'Failing', backlog: 'Backlog', healthy: 'Healthy' };

const state = {
  selected: null,       // connector whose queue and chart are shown
  pickedByUser: false,  // a click keeps the selection; otherwise the worst connector is shown
  polls: 0,
  history: [],          // all alerts, for the queue-depth line
  liveDepth: new Map(), // connectorId -> Map(asOf -> queuedRecipients) seen while this page is open
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

/** Failures per status code per 5-minute window (stacked bars), deliveries and queue depth (lines). */
function renderChart(connectorId, windows) {
  if (typeof Chart === 'undefined') {
    $('chart-note').textContent = 'The chart library did not load.';
    return;
  }
  $('chart-connector').textContent = connectorId || '–';
  const starts = [...new Set(windows.map((w) => w.windowStart))].sort();
  const index = new Map(starts.map((s, i) => [s, i]));
  const codes = [...new Set(windows.filter((w) => w.failures > 0).map((w) => w.statusCode))].sort();
  const failures = codes.map((code, i) => {
    const data = starts.map(() => 0);
    for (const w of windows) if (w.statusCode === code) data[index.get(w.windowStart)] += w.failures;
    return { type: 'bar', label: `failures ${code}`, data, backgroundColor: FAILURE_COLOURS[i % FAILURE_COLOURS.length], stack: 'f', yAxisID: 'y', order: 2 };
  });
  const deliveries = starts.map(() => 0);
  for (const w of windows) deliveries[index.get(w.windowStart)] += w.deliveries;
  const depth = queueDepth(connectorId, starts);
  const datasets = [
    ...failures,
    { type: 'line', label: 'deliveries', data: deliveries, borderColor: '#2e7d32', backgroundColor: '#2e7d32', borderWidth: 1.5, pointRadius: 0, yAxisID: 'y', order: 1 },
    { type: 'line', label: 'queued recipients', data: depth, borderColor: '#1f5fbf', backgroundColor: '#1f5fbf', borderWidth: 2, pointRadius: 3, spanGaps: false, yAxisID: 'y1', order: 0 },
  ];
  const labels = starts.map((s) => s.substring(11, 16));
  if (!state.chart) {
    state.chart = new Chart($('chart'), {
      data: { labels, datasets },
      options: {
        animation: false, responsive: true, maintainAspectRatio: false, interaction: { mode: 'index', intersect: false },
        plugins: { legend: { position: 'bottom', labels: { boxWidth: 12 } } },
        scales: {
          x: { stacked: true, title: { display: true, text: 'window start (UTC)' } },
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
    ? `${starts.length} windows from ${fmtTime(starts[0])}. Queue depth: the alerts' snapshots and what this page saw while open.`
    : 'No statistics windows for this connector in the last hours.';
}

/** Queued recipients per window: the last alert snapshot or live poll that falls into it. */
function queueDepth(connectorId, starts) {
  const points = state.history.filter((a) => a.connectorId === connectorId && a.queuedRecipients != null)
    .map((a) => [a.eventTime, a.queuedRecipients]);
  for (const [t, n] of state.liveDepth.get(connectorId) || []) points.push([t, n]);
  points.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return starts.map((start, i) => {
    const end = starts[i + 1] || new Date(Date.parse(start) + 5 * 60000).toISOString();
    let value = null;
    for (const [t, n] of points) {
      if (Date.parse(t) >= Date.parse(start) && Date.parse(t) < Date.parse(end)) value = n;
    }
    return value;
  });
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

async function poll() {
  clearTimeout(timer);
  try {
    const [connectors, alerts, notices] = await Promise.all([
      api('/api/v1/connectors'), api('/api/v1/alerts?state=active'), api('/api/v1/notices?limit=20')]);
    if (state.polls % HISTORY_EVERY === 0) state.history = (await api('/api/v1/alerts?state=all')).alerts || [];
    state.selected = chooseConnector(connectors.connectors);
    const connector = connectors.connectors.find((c) => c.connectorId === state.selected);
    let queue = null;
    let windows = { windows: [] };
    if (state.selected) {
      const path = `/api/v1/connectors/${encodeURIComponent(state.selected)}`;
      [queue, windows] = await Promise.all([api(`${path}/queue`), api(`${path}/windows?hours=6`)]);
    }
    for (const c of connectors.connectors) {
      if (!connectors.asOf) break;
      if (!state.liveDepth.has(c.connectorId)) state.liveDepth.set(c.connectorId, new Map());
      state.liveDepth.get(c.connectorId).set(connectors.asOf, c.queuedRecipients);
    }
    renderOverall(connectors.connectors);
    renderAlerts(alerts.alerts || []);
    renderConnectors(connectors);
    renderQueue(queue, connector);
    renderChart(state.selected, windows.windows || []);
    renderNotices(notices.ndr || [], $('ndr'), 'NDRs');
    renderNotices(notices.delays || [], $('delays'), 'delay notices');
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
  clearTimeout(timer);
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

poll();
