// The console's pages. Data comes from /console/api (a JSON facade over the station's gRPC services);
// what is live arrives as server-sent events (the overview once a second, a task set's progress as the
// scheduler reports it), never by polling.

const $ = (sel) => document.querySelector(sel);
const api = '/console/api';
let me = null;
let live = null;
const watches = new Map();
const fmt = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '-');

async function call(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && me) headers['X-CSRF-Token'] = me.csrf;
  const r = await fetch(api + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), credentials: 'same-origin' });
  const json = await r.json().catch(() => ({}));
  if (!r.ok) throw Object.assign(new Error(json.error || `HTTP ${r.status}`), { status: r.status });
  return json;
}

function toast(text, bad = false) {
  const t = $('#toast');
  t.textContent = text;
  t.className = bad ? 'bad' : '';
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.hidden = true), 6000);
}

function show(page) {
  for (const s of document.querySelectorAll('.page')) s.hidden = s.id !== `page-${page}`;
  for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.page === page);
  if (page === 'tasks') loadTaskSets().catch((e) => toast(e.message, true));
  if (page === 'programs') loadPrograms().catch((e) => toast(e.message, true));
  if (page === 'overview') setTimeout(() => charts.resize(), 0);
  if (page === 'grid') loadGrid().catch((e) => toast(e.message, true));
  if (page === 'terminals') loadTerminals().catch((e) => toast(e.message, true));
  if (page === 'pods') loadPods().catch((e) => toast(e.message, true));
}

function route() {
  if (!me) return show('sign-in');
  show((location.hash || '#overview').slice(1));
}

function signedIn(session) {
  me = session;
  $('#nav').hidden = false;
  $('#who').hidden = false;
  $('#who-name').textContent = me.user;
  $('#who-role').textContent = me.role;
  for (const b of document.querySelectorAll('[data-operator]')) {
    b.disabled = me.role !== 'operator';
    b.title = me.role === 'operator' ? '' : 'needs the operator role';
  }
  startLive();
  route();
}

// --- overview --------------------------------------------------------------------------------------

const charts = {
  rate: null,
  latency: null,
  points: [],
  init() {
    this.rate = echarts.init($('#chart-rate'));
    this.latency = echarts.init($('#chart-latency'));
    const base = { animation: false, grid: { left: 50, right: 10, top: 20, bottom: 30 }, xAxis: { type: 'time' }, yAxis: { type: 'value' }, tooltip: { trigger: 'axis' } };
    this.rate.setOption({ ...base, legend: { data: ['parsed', 'stored'] }, series: [{ name: 'parsed', type: 'line', showSymbol: false, data: [] }, { name: 'stored', type: 'line', showSymbol: false, data: [] }] });
    this.latency.setOption({ ...base, series: [{ name: 'p99', type: 'line', showSymbol: false, data: [], areaStyle: {} }] });
  },
  push(samples) {
    this.points.push(...samples);
    if (this.points.length > 300) this.points.splice(0, this.points.length - 300);
    if (!this.rate) this.init();
    const p = this.points;
    this.rate.setOption({ series: [{ data: p.map((s) => [s.at, Math.round(s.readingsParsedPerS)]) }, { data: p.map((s) => [s.at, Math.round(s.readingsStoredPerS)]) }] });
    this.latency.setOption({ series: [{ data: p.filter((s) => Number.isFinite(s.p99Ms)).map((s) => [s.at, Math.round(s.p99Ms)]) }] });
  },
  resize() {
    this.rate?.resize();
    this.latency?.resize();
  },
};

function tiles(s) {
  $('#v-connections').textContent = fmt(s.connections);
  $('#v-frames').textContent = fmt(s.framesPerS);
  $('#v-stored-rate').textContent = fmt(s.readingsStoredPerS);
  $('#v-stored').textContent = fmt(s.readingsStored);
  $('#v-p99').textContent = Number.isFinite(s.p99Ms) && s.p99Ms !== null ? `${fmt(s.p99Ms)} ms` : '-';
  $('#v-lag').textContent = fmt(s.lag);
  $('#v-dead').textContent = fmt(s.deadLetters);
}

async function startLive() {
  const { recent } = await call('GET', '/overview');
  if (recent.length) {
    charts.push(recent);
    tiles(recent[recent.length - 1]);
  }
  live?.close();
  live = new EventSource(`${api}/live`);
  live.addEventListener('sample', (e) => {
    const s = JSON.parse(e.data);
    if (s.p99Ms === null) s.p99Ms = NaN;
    tiles(s);
    charts.push([s]);
  });
}

// --- terminals -------------------------------------------------------------------------------------

let traffic = null;
const ago = (ms) => {
  if (!ms) return '-';
  const s = Math.max(0, Math.round((Date.now() - ms) / 1000));
  return s < 60 ? `${s} s ago` : s < 3600 ? `${Math.floor(s / 60)} min ago` : new Date(ms).toLocaleString();
};

async function loadTerminals() {
  const input = $('#terminals-day');
  if (!input.value) {
    const d = new Date();
    input.value = `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
  }
  const [y, m, d] = input.value.split('-').map(Number);
  const r = await call('GET', `/terminals?day=${new Date(y, m - 1, d).getTime()}`);
  $('#terminals-summary').textContent = `${fmt(r.online)} online, ${fmt(r.offline)} offline (terminals that left since the station started)${r.errors.length ? `; not answering: ${r.errors.join('; ')}` : ''}`;
  const body = $('#terminals tbody');
  body.replaceChildren(
    ...r.terminals.map((t) => {
      const tr = document.createElement('tr');
      tr.dataset.terminal = t.address;
      tr.dataset.state = t.online ? 'online' : 'offline';
      const state = `<span class="state ${t.online ? 'online' : 'offline'}">${t.online ? 'online' : 'offline'}</span>`;
      const rate = t.collection ? `${fmt(t.collection.rate * 100, 1)} % (${fmt(t.collection.present)} / ${fmt(t.collection.expected)}, plan ${t.collection.plan})` : '-';
      const cells = [t.address, state, t.protocol, t.remote, new Date(t.connectedAtMs).toLocaleTimeString(), ago(t.lastSeenMs), fmt(t.framesReceived), rate, t.online ? '' : `${t.disconnectReason} (${ago(t.disconnectedAtMs)})`];
      tr.innerHTML = cells.map((c, i) => `<td class="c${i}">${i === 1 ? c : escapeHtml(c)}</td>`).join('');
      tr.addEventListener('click', () => watchTerminal(t));
      return tr;
    }),
  );
}

function escapeHtml(v) {
  return String(v).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]);
}

/** One line for a decoded frame: protocol, function, data units (or the inspector's error). */
function frameSummary(f) {
  if (f.error) return `error ${f.error}: ${f.message}`;
  const names = [...new Set((f.dataUnits ?? []).map((u) => u.name ?? `p${u.pn} F${u.fn}`))];
  const units = names.length > 4 ? `${names.slice(0, 4).join(', ')} and ${names.length - 4} more` : names.join(', ');
  const what = [f.protocol, f.afn !== undefined ? `AFN ${f.afn}` : '', f.control?.function ?? f.apdu?.type ?? f.control?.direction ?? '', f.link ?? ''].filter(Boolean).join(' ');
  return units ? `${what}: ${units}` : what;
}

function watchTerminal(t) {
  for (const tr of document.querySelectorAll('#terminals tbody tr')) tr.classList.toggle('selected', tr.dataset.terminal === t.address);
  traffic?.close();
  $('#traffic-card').hidden = false;
  $('#traffic-title').textContent = `Traffic of ${t.address}`;
  const list = $('#traffic');
  list.replaceChildren();
  if (!t.online) {
    const li = document.createElement('li');
    li.textContent = 'offline: nothing to watch until it logs in again';
    list.append(li);
    return;
  }
  traffic = new EventSource(`${api}/terminals/${encodeURIComponent(t.address)}/traffic`);
  traffic.addEventListener('traffic', (e) => {
    const x = JSON.parse(e.data);
    const li = document.createElement('li');
    li.dataset.direction = x.direction;
    const head = document.createElement('div');
    head.innerHTML = `<span class="dir ${x.direction}">${x.direction === 'in' ? 'IN' : 'OUT'}</span> ${new Date(x.atMs).toLocaleTimeString()} <span class="summary"></span>`;
    head.querySelector('.summary').textContent = x.frames.length ? x.frames.map(frameSummary).join(' | ') : '(part of a frame)';
    if (x.frames.some((f) => f.error)) head.querySelector('.summary').classList.add('bad');
    const details = document.createElement('details');
    const sum = document.createElement('summary');
    const bytes = x.hex.replace(/(..)/g, '$1 ').trim();
    sum.textContent = `${fmt(x.hex.length / 2)} bytes${x.truncated ? ' (the first 4 KiB kept)' : ''}: ${bytes.slice(0, 71)}${bytes.length > 71 ? ' ...' : ''}`;
    const code = document.createElement('code');
    code.textContent = bytes;
    const pre = document.createElement('pre');
    pre.textContent = JSON.stringify(x.frames, null, 1);
    details.append(sum, code, pre);
    li.append(head, details);
    list.prepend(li);
    while (list.children.length > 200) list.lastElementChild.remove();
  });
  traffic.addEventListener('failed', (e) => {
    traffic.close();
    toast(JSON.parse(e.data).message, true);
  });
  traffic.addEventListener('ended', () => {
    traffic.close();
    toast(`${t.address}: its connection ended`);
  });
}

$('#terminals-refresh').addEventListener('click', () => loadTerminals().catch((e) => toast(e.message, true)));
$('#terminals-day').addEventListener('change', () => loadTerminals().catch((e) => toast(e.message, true)));

// --- agents and pods -------------------------------------------------------------------------------

const pods = { chart: null, stream: null, decisions: [], loads: [] };

async function loadPods() {
  const r = await call('GET', '/pods');
  if (!r.rebalancer) {
    $('#pods-summary').textContent = 'This station runs embedded (one process): there are no pods to balance and no rebalancer.';
    return;
  }
  pods.decisions = r.decisions.slice().reverse();
  pods.loads = r.pods;
  renderPods(r.errors);
  if (!pods.stream) {
    pods.stream = new EventSource(`${api}/pods/live`);
    pods.stream.addEventListener('decision', (e) => {
      const d = JSON.parse(e.data);
      pods.decisions.push(d);
      if (pods.decisions.length > 300) pods.decisions.shift();
      // Agents moved: the pods' agent lists changed.
      if (d.moves.length && !$('#page-pods').hidden) loadPods().catch((err) => toast(err.message, true));
      else renderPods([]);
    });
    pods.stream.addEventListener('failed', (e) => {
      pods.stream.close();
      toast(JSON.parse(e.data).message, true);
    });
  }
}

function renderPods(errors) {
  if ($('#page-pods').hidden) return;
  const last = pods.decisions[pods.decisions.length - 1];
  const moves = pods.decisions.flatMap((d) => d.moves.map((m) => ({ ...m, atMs: d.atMs })));
  $('#pods-summary').textContent = `${fmt(pods.loads.length)} pods, ${fmt(pods.loads.reduce((n, p) => n + p.agents.length, 0))} agents; ${fmt(pods.decisions.length)} periods shown, ${fmt(pods.decisions.filter((d) => d.hotspots.length).length)} with a hotspot, ${fmt(moves.length)} agents moved${errors.length ? `; not answering: ${errors.join('; ')}` : ''}`;
  const score = new Map((last?.pods ?? []).map((p) => [p.pod, p]));
  $('#pods tbody').replaceChildren(
    ...pods.loads.map((p) => {
      const tr = document.createElement('tr');
      tr.dataset.pod = p.pod;
      const s = score.get(p.pod);
      const hot = last?.hotspots.includes(p.pod);
      tr.innerHTML = [p.pod, s ? fmt(s.score, 2) : '-', fmt(p.recordsPerSecond), fmt(p.queue), fmt(p.cpu, 2), fmt(p.agents.length)].map((c) => `<td>${escapeHtml(c)}</td>`).join('') + `<td>${hot ? '<span class="hotspot">hotspot</span>' : s?.overPeriods ? `over the threshold ${s.overPeriods} period(s)` : ''}</td>`;
      return tr;
    }),
  );
  $('#agents tbody').replaceChildren(
    ...pods.loads.flatMap((p) =>
      p.agents.map((a) => {
        const tr = document.createElement('tr');
        tr.dataset.agent = a.agentId;
        tr.dataset.pod = p.pod;
        tr.innerHTML = [a.agentId, a.site, p.pod, fmt(a.recordsPerSecond), new Date(a.connectedAtMs).toLocaleTimeString()].map((c) => `<td>${escapeHtml(c)}</td>`).join('');
        return tr;
      }),
    ),
  );
  $('#moves').replaceChildren(
    ...moves.reverse().map((m) => {
      const li = document.createElement('li');
      li.dataset.agent = m.agentId;
      li.textContent = `${new Date(m.atMs).toLocaleTimeString()} ${m.agentId}: ${m.from} -> ${m.to} (${fmt(m.recordsPerSecond)} records/s) `;
      const told = document.createElement('span');
      told.className = m.told ? 'told' : 'error';
      told.textContent = m.told ? 'told' : 'the donor pod did not confirm';
      li.append(told);
      return li;
    }),
  );
  if (!pods.chart) pods.chart = echarts.init($('#chart-pods'));
  const names = [...new Set(pods.decisions.flatMap((d) => d.pods.map((p) => p.pod)))].sort();
  pods.chart.setOption(
    {
      animation: false,
      grid: { left: 50, right: 10, top: 30, bottom: 30 },
      legend: { data: [...names, 'mean'] },
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'time' },
      yAxis: { type: 'value', name: 'load score' },
      series: [
        ...names.map((n) => ({
          name: n,
          type: 'line',
          showSymbol: false,
          data: pods.decisions.map((d) => [d.atMs, d.pods.find((p) => p.pod === n)?.score ?? null]),
          markPoint: { symbol: 'pin', symbolSize: 30, data: pods.decisions.filter((d) => d.hotspots.includes(n)).slice(-20).map((d) => ({ coord: [d.atMs, d.pods.find((p) => p.pod === n)?.score ?? 0], value: 'hot' })) },
        })),
        { name: 'mean', type: 'line', showSymbol: false, lineStyle: { type: 'dashed' }, data: pods.decisions.map((d) => [d.atMs, d.mean]) },
      ],
    },
    true,
  );
}

// --- grid and outages ------------------------------------------------------------------------------

const grid = { byId: new Map(), roots: [], alerts: new Map(), chart: null, stream: null, loaded: false };
const CLEARED_SHOWN_MS = 30_000;

async function loadGrid() {
  if (!grid.loaded) {
    const g = await call('GET', '/grid');
    grid.byId = new Map(g.nodes.map((n) => [n.id, { ...n, children: [] }]));
    for (const n of grid.byId.values()) (grid.byId.get(n.parent)?.children ?? grid.roots).push(n);
    const count = (level, noun) => {
      const n = g.nodes.filter((x) => x.level === level).length;
      return `${fmt(n)} ${noun}${n === 1 ? '' : 's'}`;
    };
    $('#grid-summary').textContent = g.version
      ? `topology version ${g.version}: ${count('substation', 'substation')}, ${count('feeder', 'feeder')}, ${count('area', 'transformer area')}${g.truncated ? ' (the first 20,000 elements)' : ''}`
      : 'no topology loaded';
    renderTree();
    grid.loaded = true;
  }
  if (!grid.stream) {
    grid.stream = new EventSource(`${api}/alerts/live`);
    grid.stream.addEventListener('alert', (e) => onAlert(JSON.parse(e.data)));
    grid.stream.addEventListener('failed', (e) => toast(`alerts: ${JSON.parse(e.data).message}`, true));
  }
  paint();
  setTimeout(() => grid.chart?.resize(), 0);
}

function renderTree() {
  const item = (n) => {
    const li = document.createElement('li');
    li.dataset.id = n.id;
    const label = document.createElement('span');
    label.textContent = n.name || n.id;
    label.title = n.id + (n.terminals.length ? ` (terminal ${n.terminals.join(', ')})` : '');
    const meters = document.createElement('span');
    meters.className = 'meters';
    meters.textContent = `${fmt(n.meters)} meters`;
    li.append(label, meters);
    if (n.children.length) {
      const ul = document.createElement('ul');
      ul.append(...n.children.map(item));
      li.append(ul);
    }
    return li;
  };
  $('#grid-tree').replaceChildren(...grid.roots.map(item));
}

function onAlert(a) {
  const held = grid.alerts.get(a.id);
  if (held && held.revision >= a.revision) return;
  grid.alerts.set(a.id, a);
  let li = document.querySelector(`#alerts li[data-alert="${CSS.escape(a.id)}"]`);
  if (!li) {
    li = document.createElement('li');
    li.dataset.alert = a.id;
    $('#alerts').prepend(li);
  }
  li.dataset.state = a.state;
  li.dataset.element = a.element;
  li.className = a.state === 'cleared' ? 'cleared' : a.kind;
  const since = new Date(a.detectedAtMs).toLocaleTimeString();
  li.textContent = `${a.kind.replace(/_/g, ' ')} at ${a.level} ${a.element}${a.meters ? `: ${fmt(a.meters)} meters` : ''}`;
  const when = document.createElement('span');
  when.className = 'when';
  // Supply came back at the evidence's (device) time, which need not be today's.
  const back = a.clearedAtMs ? new Date(a.clearedAtMs) : null;
  const backText = back ? (back.toDateString() === new Date().toDateString() ? back.toLocaleTimeString() : back.toLocaleString()) : '';
  when.textContent = a.state === 'cleared' ? `cleared${backText ? `, supply back at ${backText} by the evidence` : ''}` : `since ${since}, confidence ${fmt(a.confidence * 100)} %`;
  li.append(when);
  if (a.state === 'cleared') {
    setTimeout(() => {
      if (grid.alerts.get(a.id)?.revision !== a.revision) return;
      grid.alerts.delete(a.id);
      li.remove();
    }, CLEARED_SHOWN_MS);
  }
  paint();
}

/** 'out' or 'flapping' for an element with an open alert at it or above it, 'below' for one with an outage under it, else ''. */
function supplyState(id) {
  const open = new Map();
  for (const a of grid.alerts.values()) if (a.state !== 'cleared' && (a.kind === 'outage' || a.kind === 'flapping')) open.set(a.element, a.kind === 'outage' ? 'out' : 'flapping');
  for (let n = grid.byId.get(id); n; n = grid.byId.get(n.parent)) if (open.has(n.id)) return open.get(n.id);
  // Supply lost somewhere below it (an area under a feeder, a box or meter in an area).
  for (const a of grid.alerts.values()) if (a.state !== 'cleared' && a.kind === 'outage' && [a.area, a.feeder, a.substation].includes(id)) return 'below';
  return '';
}

function paint() {
  if (!grid.loaded || $('#page-grid').hidden) return;
  for (const li of document.querySelectorAll('#grid-tree li')) {
    const st = supplyState(li.dataset.id);
    li.classList.toggle('out', st === 'out');
    li.classList.toggle('flapping', st === 'flapping');
    li.classList.toggle('below', st === 'below');
  }
  const color = (id) => ({ out: '#c0392b', flapping: '#e67e22', below: '#e8a39b' })[supplyState(id)] ?? '#7fb685';
  const node = (n) => ({ name: n.name || n.id, id: n.id, value: n.meters, itemStyle: n.level === 'area' ? { color: color(n.id) } : undefined, children: n.children.length ? n.children.map(node) : undefined });
  if (!grid.chart) grid.chart = echarts.init($('#chart-grid'));
  grid.chart.setOption({
    animation: false,
    tooltip: { formatter: (p) => `${p.data.id}: ${fmt(p.value)} meters${{ out: ' (without supply)', flapping: ' (flapping)', below: ' (supply lost below)' }[supplyState(p.data.id)] ?? ''}` },
    series: [{ type: 'treemap', data: grid.roots.map(node), roam: false, nodeClick: false, breadcrumb: { show: false }, label: { show: true }, upperLabel: { show: true, height: 18 }, levels: [
      { itemStyle: { borderWidth: 0, gapWidth: 4 }, upperLabel: { show: false } },
      { itemStyle: { borderColor: '#334e68', borderWidth: 3, gapWidth: 3 }, upperLabel: { color: '#fff' } },
      { itemStyle: { borderColor: '#bcccdc', borderWidth: 2, gapWidth: 2 }, upperLabel: { color: '#102a43' } },
      { itemStyle: { borderColor: '#fff', borderWidth: 1, gapWidth: 1 } },
    ] }],
  });
}

// --- tasks -----------------------------------------------------------------------------------------

function finished(t) {
  return (t.counts.SUCCESS || 0) + (t.counts.FAILED || 0);
}

function row(t) {
  const tr = document.createElement('tr');
  tr.dataset.id = t.id;
  tr.innerHTML = `<td class="name"></td><td class="by"></td><td><span class="bar"><span></span></span> <span class="pct"></span></td><td class="states"></td><td class="dur"></td><td><button type="button" class="secondary cancel">Cancel</button></td>`;
  tr.querySelector('.cancel').addEventListener('click', async () => {
    try {
      await call('POST', `/task-sets/${encodeURIComponent(t.id)}/cancel`);
      toast(`cancelled ${t.name}`);
    } catch (e) {
      toast(e.message, true);
    }
  });
  return tr;
}

function render(t, done) {
  let tr = document.querySelector(`#task-sets tr[data-id="${CSS.escape(t.id)}"]`);
  if (!tr) {
    tr = row(t);
    tr.dataset.created = String(t.createdAtMs || Date.now());
    // Newest first, wherever the set came from (the list, a submit, a watch).
    const later = [...document.querySelectorAll('#task-sets tbody tr')].find((r) => Number(r.dataset.created) < Number(tr.dataset.created));
    $('#task-sets tbody').insertBefore(tr, later ?? null);
  }
  const share = done ?? (t.total ? finished(t) / t.total : 0);
  tr.querySelector('.name').textContent = t.name;
  tr.querySelector('.by').textContent = t.user;
  tr.querySelector('.bar > span').style.width = `${Math.round(share * 100)}%`;
  tr.querySelector('.pct').textContent = `${fmt(share * 100)} %`;
  tr.dataset.done = String(share);
  tr.querySelector('.states').textContent = Object.entries(t.counts).map(([k, v]) => `${k} ${v}`).join(', ') + (t.cancelled ? ' (cancelled)' : '');
  const end = t.finishedAtMs || Date.now();
  tr.querySelector('.dur').textContent = t.createdAtMs ? `${fmt((end - t.createdAtMs) / 1000, 1)} s` : '';
  tr.dataset.state = t.finishedAtMs ? 'finished' : 'running';
  tr.querySelector('.cancel').hidden = !!t.finishedAtMs;
}

function watch(t) {
  if (watches.has(t.id) || t.finishedAtMs) return;
  const es = new EventSource(`${api}/task-sets/${encodeURIComponent(t.id)}/watch`);
  watches.set(t.id, es);
  es.addEventListener('progress', (e) => {
    const u = JSON.parse(e.data);
    render(u.taskSet, u.done);
    if (u.taskSet.finishedAtMs) {
      es.close();
      watches.delete(t.id);
    }
  });
  es.addEventListener('failed', (e) => toast(JSON.parse(e.data).message, true));
  es.onerror = () => {
    es.close();
    watches.delete(t.id);
  };
}

async function loadTaskSets() {
  const { taskSets } = await call('GET', '/task-sets');
  for (const t of taskSets.slice().reverse()) {
    render(t);
    watch(t);
  }
}

$('#submit-set').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  try {
    const { taskSet } = await call('POST', '/task-sets', { name: f.get('name'), count: Number(f.get('count')), ms: Number(f.get('ms')) });
    render(taskSet);
    watch(taskSet);
    toast(`submitted ${taskSet.name}: ${taskSet.total} tasks`);
  } catch (err) {
    toast(err.message, true);
  }
});

// --- a meter's curve -------------------------------------------------------------------------------

let meterChart = null;

const QUALITY_COLOR = { SUSPECT: '#c0392b', ESTIMATED: '#e67e22', EDITED: '#8e44ad' };

/** One quantity in a VEE view: the line, and the values that are not plain raw ones marked by quality. */
async function showValues(id, f) {
  const view = f.get('view');
  const c = await call('GET', `/meters/${encodeURIComponent(id)}/values?view=${view}&quantity=${encodeURIComponent(f.get('quantity'))}&hours=${encodeURIComponent(f.get('hours'))}`);
  meterChart ??= echarts.init($('#chart-meter'));
  const marked = c.values.filter((v) => v.quality !== 'RAW');
  meterChart.setOption({
    animation: false,
    tooltip: { trigger: 'axis' },
    legend: { data: [c.quantity, ...Object.keys(QUALITY_COLOR)] },
    grid: { left: 60, right: 20, top: 40, bottom: 40 },
    xAxis: { type: 'time', min: c.fromMs, max: c.toMs },
    yAxis: { type: 'value', scale: true },
    series: [
      { name: c.quantity, type: 'line', showSymbol: c.values.length < 200, data: c.values.map((v) => [v.atMs, v.value]) },
      ...Object.entries(QUALITY_COLOR).map(([q, color]) => ({ name: q, type: 'scatter', symbol: q === 'SUSPECT' ? 'diamond' : 'triangle', symbolSize: 10, itemStyle: { color }, data: marked.filter((v) => v.quality === q).map((v) => [v.atMs, v.value]) })),
    ],
  }, true);
  const counts = Object.entries(c.values.reduce((m, v) => ({ ...m, [v.quality]: (m[v.quality] ?? 0) + 1 }), {})).map(([q, n]) => `${fmt(n)} ${q.toLowerCase()}`).join(', ');
  $('#meter-title').textContent = `${c.meterId} ${c.quantity}, ${view} view: ${fmt(c.values.length)} values${counts ? ` (${counts})` : ''}`;
  $('#meter-flags').replaceChildren(...marked.slice(0, 50).map((v) => Object.assign(document.createElement('li'), { textContent: `${new Date(v.atMs).toLocaleString()} = ${v.value}: ${v.quality.toLowerCase()}${v.rules.length ? `, rules ${v.rules.join(', ')}` : ''}${v.method ? `, ${v.method.toLowerCase()}` : ''}${v.raw !== null ? ` (raw ${v.raw})` : ''}` })));
  if (!c.values.length) toast(`no ${c.quantity} values for ${id} in the last ${f.get('hours')} h`, true);
}

$('#meter-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  const id = String(f.get('meter')).trim();
  if (f.get('view') !== 'stored') return showValues(id, f).catch((err) => toast(err.message, true));
  try {
    const c = await call('GET', `/meters/${encodeURIComponent(id)}/curve?hours=${encodeURIComponent(f.get('hours'))}`);
    const names = Object.keys(c.series).sort();
    const flagged = [];
    const flagNames = (q) => c.flags.filter((x) => (q & x.bit) !== 0).map((x) => x.name).join(', ');
    meterChart ??= echarts.init($('#chart-meter'));
    meterChart.setOption({
      animation: false,
      tooltip: { trigger: 'axis' },
      legend: { type: 'scroll', data: names },
      grid: { left: 60, right: 20, top: 40, bottom: 40 },
      xAxis: { type: 'time', min: c.fromMs, max: c.toMs },
      yAxis: { type: 'value', scale: true },
      series: names.flatMap((n) => {
        const pts = c.series[n];
        for (const [t, v, q] of pts) if (q) flagged.push({ n, t, v, q });
        return [
          { name: n, type: 'line', showSymbol: pts.length < 200, data: pts.map(([t, v]) => [t, v]) },
          { name: n, type: 'scatter', symbol: 'diamond', symbolSize: 9, itemStyle: { color: '#c0392b' }, data: pts.filter(([, , q]) => q).map(([t, v]) => [t, v]) },
        ];
      }),
    }, true);
    $('#meter-title').textContent = `${c.meterId}: ${names.length} quantities, ${names.reduce((a, n) => a + c.series[n].length, 0)} values`;
    const ul = $('#meter-flags');
    ul.replaceChildren(...flagged.slice(0, 50).map((x) => Object.assign(document.createElement('li'), { textContent: `${new Date(x.t).toLocaleString()} ${x.n} = ${x.v}: ${flagNames(x.q)}` })));
    if (!names.length) toast(`no values for ${id} in the last ${f.get('hours')} h`, true);
  } catch (err) {
    toast(err.message, true);
  }
});

// --- programs --------------------------------------------------------------------------------------

const STAGES = ['REVIEWED', 'PUBLIC', 'TRIAL', 'LAUNCHED', 'RETIRED'];

async function loadPrograms() {
  const { slots, programs } = await call('GET', '/programs');
  const tbody = $('#programs tbody');
  tbody.replaceChildren();
  for (const p of programs) {
    const tr = document.createElement('tr');
    tr.innerHTML = `<td></td><td></td><td class="stage"></td><td></td><td><select></select> <button type="button" data-operator>Advance</button></td>`;
    const [name, slot, stage, owner] = tr.querySelectorAll('td');
    name.textContent = `${p.name}@${p.version}`;
    slot.textContent = p.slot;
    stage.textContent = p.stage;
    owner.textContent = p.owner || (p.private ? 'private' : '');
    const sel = tr.querySelector('select');
    for (const s of STAGES) sel.append(new Option(s.toLowerCase(), s));
    const btn = tr.querySelector('button');
    btn.disabled = me.role !== 'operator';
    btn.title = btn.disabled ? 'needs the operator role' : '';
    btn.addEventListener('click', async () => {
      try {
        const r = await call('POST', `/programs/${encodeURIComponent(p.name)}/${encodeURIComponent(p.version)}/advance`, { to: sel.value });
        stage.textContent = r.program.stage;
        toast(`${p.name}@${p.version} is now ${r.program.stage.toLowerCase()}`);
      } catch (err) {
        toast(err.message, true);
      }
    });
    tbody.append(tr);
  }
  const box = $('#slots');
  box.replaceChildren();
  for (const s of slots) {
    const div = document.createElement('div');
    div.className = 'slot';
    div.dataset.slot = s.name;
    const h = document.createElement('h4');
    h.textContent = `${s.name}${s.pool ? ` (pool ${s.pool})` : ''}`;
    const d = document.createElement('p');
    d.className = 'hint';
    d.textContent = s.description;
    const form = document.createElement('form');
    for (const field of s.fields) {
      const l = document.createElement('label');
      l.textContent = `${field.name}${field.required ? ' *' : ''} (${field.type}) `;
      const input = document.createElement('input');
      input.name = field.name;
      input.type = field.type === 'integer' || field.type === 'number' ? 'number' : 'text';
      input.required = field.required;
      input.placeholder = field.description;
      l.append(input);
      form.append(l);
    }
    div.append(h, d, form);
    box.append(div);
  }
}

// --- start -----------------------------------------------------------------------------------------

$('#sign-in').addEventListener('submit', async (e) => {
  e.preventDefault();
  const f = new FormData(e.target);
  try {
    signedIn(await call('POST', '/session', { user: f.get('user'), password: f.get('password') }));
    $('#sign-in-error').hidden = true;
  } catch (err) {
    $('#sign-in-error').textContent = err.message;
    $('#sign-in-error').hidden = false;
  }
});

$('#sign-out').addEventListener('click', async () => {
  await call('DELETE', '/session').catch(() => undefined);
  location.reload();
});

window.addEventListener('hashchange', route);
window.addEventListener('resize', () => {
  charts.resize();
  grid.chart?.resize();
  pods.chart?.resize();
});
call('GET', '/session').then(signedIn, () => route());
