// Tend's dashboard: sign in with a token, watch groups, instances and events live, and act as far
// as the token's role allows. The server is the authority on permissions; hiding a control is a
// courtesy, and any refusal it sends back is shown as it came.
import { ApiError, describeError as describe, openStream, request } from './api.js';
import { hideBanner, showBanner } from './banner.js';
import { badge, byId, PHASE_TONE } from './dom.js';
import { renderFilters, renderGroups, renderInstances, renderLeader, renderTimeline } from './views.js';

const TOKEN_KEY = 'tend.token';
const RANK = { viewer: 0, operator: 1, admin: 2 };
const MAX_EVENTS = 1000;

/** Every element the script drives, looked up once; a missing one fails loudly at load. */
const el = Object.fromEntries(
  (
    'login login-form token login-error app leader connection whoami whoami-name whoami-role logout ' +
    'banner-close groups-body groups-summary detail-title detail-phase actions scale-form scale-size ' +
    'scale pause resume destroy actions-note instances-body instances-empty filters timeline ' +
    'timeline-empty'
  )
    .split(' ')
    .map((id) => [id, byId(id)]),
);

const state = {
  token: null,
  me: null,
  status: null,
  events: [],
  eventKeys: new Set(),
  selected: null,
  filter: { group: null, instance: null },
  stream: null,
  busy: false,
  sizeEdited: false,
};

const groups = () => state.status?.groups ?? [];
const selectedGroup = () => groups().find((g) => g.id === state.selected);
const can = (role) => state.me !== null && (RANK[state.me.role] ?? -1) >= RANK[role];

// --- session ---------------------------------------------------------------------------------

async function signIn(token) {
  const me = await request(token, 'GET', '/v1/whoami');
  state.token = token;
  state.me = me;
  sessionStorage.setItem(TOKEN_KEY, token);
  el['whoami-name'].textContent = me.name;
  el['whoami-role'].replaceChildren(badge(me.role, me.role === 'viewer' ? 'muted' : 'info'));
  el.whoami.hidden = false;
  el.login.hidden = true;
  el.app.hidden = false;
  await refresh();
  state.stream = openStream(token, {
    onOpen: () => refresh().catch(onError),
    onState: (connection) => {
      setConnection(connection);
      if (connection === 'reconnecting') checkSession();
    },
    onEvent: (event) => {
      addEvents([event]);
      renderEvents();
    },
    onStatus: (status) => applyStatus(status),
  });
}

function signOut(message) {
  state.stream?.close();
  Object.assign(state, { token: null, me: null, status: null, events: [], stream: null, selected: null });
  state.eventKeys.clear();
  state.filter = { group: null, instance: null };
  sessionStorage.removeItem(TOKEN_KEY);
  el.whoami.hidden = true;
  el.app.hidden = true;
  el.login.hidden = false;
  el['login-error'].textContent = message ?? '';
  hideBanner();
  setConnection('offline');
  renderLeader(el.leader, null);
  el.token.value = '';
  el.token.focus();
}

/** While the stream is down, find out whether the token itself was revoked. */
function checkSession() {
  if (state.token === null) return;
  request(state.token, 'GET', '/v1/whoami').catch(onError);
}

function onError(error) {
  if (error instanceof ApiError && error.status === 401 && state.token !== null) {
    signOut('Your token is no longer accepted. Sign in again.');
    return;
  }
  if (error instanceof ApiError && error.status === 0) return; // the stream's reconnect covers it
  showBanner(describe('Request', error), 'bad');
}

// --- data ------------------------------------------------------------------------------------

async function refresh() {
  const [status, events] = await Promise.all([
    request(state.token, 'GET', '/v1/status'),
    request(state.token, 'GET', '/v1/events?limit=500'),
  ]);
  addEvents(events?.events ?? []);
  applyStatus(status);
}

function applyStatus(status) {
  if (!status || !Array.isArray(status.groups)) return;
  state.status = status;
  if (selectedGroup() === undefined) select(groups()[0]?.id ?? null);
  render();
}

/** The list and the stream overlap after a reconnect; the sequence number removes duplicates. */
function addEvents(events) {
  for (const event of events) {
    const key =
      event.seq ?? `${event.at}|${event.type}|${event.groupId}|${event.instanceId}|${event.message}`;
    if (state.eventKeys.has(key)) continue;
    state.eventKeys.add(key);
    state.events.push(event);
  }
  state.events.sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0) || a.at - b.at);
  if (state.events.length > MAX_EVENTS) state.events.splice(0, state.events.length - MAX_EVENTS);
}

function select(id) {
  if (state.selected !== id) state.sizeEdited = false;
  state.selected = id;
  state.filter = { group: id, instance: null };
}

// --- rendering -------------------------------------------------------------------------------

function render() {
  renderLeader(el.leader, state.status);
  const list = groups();
  const healthy = list.filter((g) => g.healthy >= g.desired && !g.breaker?.open).length;
  el['groups-summary'].textContent =
    list.length === 0 ? '' : `${healthy} of ${list.length} at desired health`;
  renderGroups(el['groups-body'], list, state.selected, (id) => {
    select(id);
    render();
  });
  renderDetail();
  renderEvents();
}

function renderDetail() {
  const group = selectedGroup();
  el['detail-title'].textContent = group ? `Instances of ${group.id}` : 'Instances';
  el['detail-phase'].replaceChildren(group ? badge(group.phase, PHASE_TONE[group.phase] ?? 'muted') : '');
  renderInstances(el['instances-body'], group, state.filter.instance, filterInstance, Date.now());
  const count = group?.instances?.length ?? 0;
  el['instances-empty'].hidden = count > 0;
  el['instances-empty'].textContent = group ? 'No instances.' : 'Select a group above.';
  renderActions(group);
}

function renderEvents() {
  renderFilters(el.filters, state.filter, (key) => {
    state.filter = { ...state.filter, [key]: null, ...(key === 'group' ? { instance: null } : {}) };
    renderDetail();
    renderEvents();
  });
  el['timeline-empty'].hidden = renderTimeline(el.timeline, state.events, state.filter, filterInstance) > 0;
}

function filterInstance(id) {
  state.filter = { ...state.filter, instance: state.filter.instance === id ? null : id };
  renderDetail();
  renderEvents();
}

function renderActions(group) {
  const operator = can('operator');
  const disabled = !operator || group === undefined || state.busy;
  for (const control of [el['scale-size'], el.scale, el.pause, el.resume]) control.disabled = disabled;
  el.pause.hidden = group?.paused === true;
  el.resume.hidden = group?.paused !== true;
  el.destroy.hidden = !can('admin');
  el.destroy.disabled = group === undefined || state.busy;
  el['actions-note'].textContent = operator
    ? ''
    : `Read-only: your role is ${state.me?.role ?? 'unknown'}. Scaling and rollouts need an operator token.`;
  const input = el['scale-size'];
  if (group && !state.sizeEdited && document.activeElement !== input) input.value = String(group.desired);
}

function setConnection(connection) {
  el.connection.dataset.state = connection;
  el.connection.textContent = { live: 'Live', reconnecting: 'Reconnecting…', offline: 'Offline' }[connection];
}

// --- actions ---------------------------------------------------------------------------------

async function act(what, path, body, success) {
  const group = selectedGroup();
  if (group === undefined) return;
  state.busy = true;
  renderActions(group);
  try {
    await request(state.token, 'POST', `/v1/groups/${encodeURIComponent(group.id)}/${path}`, body);
    showBanner(success(group.id), 'ok');
    state.sizeEdited = false;
    await refresh();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) onError(error);
    else showBanner(describe(what, error), 'bad');
  } finally {
    state.busy = false;
    renderActions(selectedGroup());
  }
}

el['scale-form'].addEventListener('submit', (event) => {
  event.preventDefault();
  const size = Number(el['scale-size'].value);
  if (!Number.isInteger(size) || size < 0) {
    showBanner('Scale: enter a whole number ≥ 0.', 'bad');
    return;
  }
  // act() reports its own failures in the banner.
  void act('Scale', 'scale', { size }, (id) => `Scaling ${id} to ${size}.`);
});
el['scale-size'].addEventListener('input', () => {
  state.sizeEdited = true;
});
el.pause.addEventListener('click', () => void act('Pause', 'rollout/pause', {}, (id) => `Paused ${id}.`));
el.resume.addEventListener('click', () => void act('Resume', 'rollout/resume', {}, (id) => `Resumed ${id}.`));
el.destroy.addEventListener('click', () => {
  const group = selectedGroup();
  if (!group) return;
  const sure = window.confirm(
    `Destroy group ${group.id}? Its ${group.instances.length} instances are drained and destroyed. This cannot be undone.`,
  );
  if (sure) void act('Destroy', 'destroy', {}, (id) => `Destroying ${id}.`);
});

el['login-form'].addEventListener('submit', (event) => {
  event.preventDefault();
  const token = el.token.value.trim();
  el['login-error'].textContent = '';
  signIn(token).catch((error) => {
    state.stream?.close();
    const refused = error instanceof ApiError && error.status === 401;
    signOut(refused ? 'This token is not accepted.' : describe('Sign-in', error));
  });
});
el.logout.addEventListener('click', () => signOut());
el['banner-close'].addEventListener('click', hideBanner);

// Ages move on even when nothing else does.
setInterval(() => {
  if (state.status !== null) renderDetail();
}, 5000);

const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved) {
  signIn(saved).catch(() => signOut('Your session ended. Sign in again.'));
} else {
  signOut();
}
