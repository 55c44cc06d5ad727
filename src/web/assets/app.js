// Tend's dashboard: sign in with a token, watch groups, instances and events live, and act as far
// as the token's role allows. The server is the authority on permissions; hiding a control is a
// courtesy, and any refusal it sends back is shown as it came.

import { createActions } from './actions.js';
import { ApiError, describeError as describe, openStream, request } from './api.js';
import { hideBanner, showBanner } from './banner.js';
import { badge, byId, PHASE_TONE } from './dom.js';
import { renderInstances } from './instances-table.js';
import { applyEvent, HealthLog } from './live.js';
import { renderOutage } from './outage.js';
import { createPanels } from './panels.js';
import { renderFilters, renderGroups, renderLeader, renderTimeline } from './views.js';

const TOKEN_KEY = 'tend.token';
const RANK = { viewer: 0, operator: 1, admin: 2 };
const MAX_EVENTS = 1000;
/** The status lists groups without instances; the selected group's come from its first page. */
const INSTANCE_PAGE = 500;

function emptyDetail(id) {
  return { id, instances: [], total: 0, cursor: undefined, next: undefined, back: [] };
}

/** Every element the script drives, looked up once; a missing one fails loudly at load. */
const el = Object.fromEntries(
  (
    'login login-form token login-error app leader connection whoami whoami-name whoami-role logout ' +
    'banner-close groups-body groups-summary detail-title detail-phase actions scale-form scale-size ' +
    'scale pause resume destroy actions-note instances-body instances-empty filters timeline ' +
    'timeline-empty page-prev page-next'
  )
    .split(' ')
    .map((id) => [id, byId(id)]),
);

const state = {
  token: null,
  me: null,
  status: null,
  /**
   * The selected group's instances (GET /v1/groups/:id/instances): the page shown, how many the
   * group has, the cursor that page was read with (none: the first), the next page's, and the
   * cursors of the pages before it (for Previous).
   */
  detail: emptyDetail(null),
  events: [],
  eventKeys: new Set(),
  selected: null,
  filter: { group: null, instance: null },
  stream: null,
  busy: false,
  sizeEdited: false,
  connection: 'offline',
  /** When the page last heard from the manager (a status, an event, an answer). */
  lastHeard: 0,
  health: new HealthLog(),
};

const groups = () => state.status?.groups ?? [];
/** The selected group's summary, with the instances of its page once they are loaded. */
const selectedGroup = () => {
  const group = groups().find((g) => g.id === state.selected);
  if (!group) return undefined;
  return { ...group, instances: state.detail.id === group.id ? state.detail.instances : [] };
};
const can = (role) => state.me !== null && (RANK[state.me.role] ?? -1) >= RANK[role];

const panels = createPanels({
  token: () => state.token,
  group: selectedGroup,
  instance: () => state.filter.instance,
  events: () => state.events,
  health: (id) => state.health.of(id),
  canOperate: () => can('operator'),
  onError: (error) => onError(error),
  refresh: () => refresh(),
  closeInstance: () => filterInstance(state.filter.instance),
});

const actions = createActions({
  el,
  state,
  group: selectedGroup,
  can,
  refresh: () => refresh(),
  onError: (error) => onError(error),
});

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
  panels.start();
  state.stream = openStream(token, {
    onOpen: () => refresh().catch(onError),
    onState: (connection) => {
      // Unreachable stays so until the stream is back: each failed retry would otherwise flicker it.
      if (!(connection === 'reconnecting' && state.connection === 'unreachable')) setConnection(connection);
      if (connection === 'reconnecting') checkSession();
    },
    onEvent: (event) => {
      state.lastHeard = Date.now();
      addEvents([event]);
      state.health.fromEvent(event);
      // Any commit is a new revision, also one that changes neither config nor size.
      if (event.type === 'committed' && event.groupId === state.selected) panels.specChanged();
      // The table moves with the timeline, not a second later with the next status.
      if (applyEvent(state.detail, event)) renderDetail();
      else if (event.instanceId !== undefined && event.instanceId === state.filter.instance) panels.render();
      renderEvents();
    },
    onStatus: (status) => applyStatus(status),
  });
}

function signOut(message) {
  state.stream?.close();
  panels.stop();
  Object.assign(state, { token: null, me: null, status: null, events: [], stream: null, selected: null });
  state.detail = emptyDetail(null);
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

/** While the stream is down, find out whether the token was revoked or the manager is gone. */
function checkSession() {
  if (state.token === null) return;
  request(state.token, 'GET', '/v1/whoami').catch((error) => {
    if (error instanceof ApiError && error.status === 0 && state.connection === 'reconnecting') {
      setConnection('unreachable');
      render();
      return;
    }
    onError(error);
  });
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
  const before = selectedGroup();
  state.status = status;
  state.lastHeard = Date.now();
  const after = selectedGroup();
  // Every status may come with changed instances (health, config, location): fetch the page again.
  loadInstances();
  // A commit (apply, scale, undo) shows as a new config or size: the history has a new revision.
  if (before && after && (before.config !== after.config || before.desired !== after.desired))
    panels.specChanged();
  if (before && after && (before.healthy !== after.healthy || before.desired !== after.desired))
    panels.countsChanged();
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
  if (state.selected !== id) {
    state.sizeEdited = false;
    state.detail = emptyDetail(id);
  }
  state.selected = id;
  state.filter = { group: id, instance: null };
  loadInstances();
}

/**
 * Fetches the selected group's first page of instances. One request at a time: a status that
 * arrives meanwhile asks for one more afterwards, so the table ends on the newest page.
 */
let loadingInstances = null;
let loadAgain = false;
function loadInstances() {
  if (state.token === null || state.selected === null) return;
  if (loadingInstances !== null) {
    loadAgain = true;
    return;
  }
  const id = state.selected;
  const { cursor, back } = state.detail;
  const from = cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`;
  const path = `/v1/groups/${encodeURIComponent(id)}/instances?limit=${INSTANCE_PAGE}${from}`;
  loadingInstances = request(state.token, 'GET', path)
    .then((page) => {
      if (state.selected !== id || state.detail.cursor !== cursor || !Array.isArray(page?.instances)) return;
      const total = page.total ?? page.instances.length;
      state.detail = { id, instances: page.instances, total, cursor, next: page.next, back };
      state.health.fromStatus([state.detail], Date.now());
      renderDetail();
    })
    .catch((error) => {
      // A group removed meanwhile is gone from the next status too; anything else is shown.
      if (!(error instanceof ApiError && error.status === 404)) onError(error);
    })
    .finally(() => {
      loadingInstances = null;
      if (loadAgain) {
        loadAgain = false;
        loadInstances();
      }
    });
}

// --- rendering -------------------------------------------------------------------------------

function render() {
  const stale = renderOutage({ connection: state.connection, since: state.lastHeard, status: state.status });
  renderLeader(el.leader, state.status);
  const list = groups();
  const healthy = list.filter((g) => g.healthy >= g.desired && !g.breaker?.open).length;
  el['groups-summary'].textContent =
    list.length === 0 ? '' : `${healthy} of ${list.length} at desired health`;
  renderGroups(
    el['groups-body'],
    list,
    state.selected,
    (id) => {
      select(id);
      render();
    },
    stale,
  );
  renderDetail();
  renderEvents();
}

/** Moves the table one page on (a cursor) or back (the cursor the page before was read with). */
function turnPage(forward) {
  const { id, cursor, next, back } = state.detail;
  if (forward && next === undefined) return;
  if (!forward && back.length === 0) return;
  state.detail = forward
    ? { ...emptyDetail(id), cursor: next, back: [...back, cursor] }
    : { ...emptyDetail(id), cursor: back.at(-1), back: back.slice(0, -1) };
  loadInstances();
}

function renderDetail() {
  const group = selectedGroup();
  const shown = group?.instances?.length ?? 0;
  const first = state.detail.back.length * INSTANCE_PAGE;
  const more =
    group && state.detail.total > shown ? ` (${first + 1}–${first + shown} of ${state.detail.total})` : '';
  el['page-prev'].hidden = state.detail.back.length === 0;
  el['page-next'].hidden = state.detail.next === undefined;
  el['detail-title'].textContent = group ? `Instances of ${group.id}${more}` : 'Instances';
  el['detail-phase'].replaceChildren(group ? badge(group.phase, PHASE_TONE[group.phase] ?? 'muted') : '');
  renderInstances(el['instances-body'], group, state.filter.instance, filterInstance, Date.now());
  el['instances-empty'].hidden = shown > 0;
  el['instances-empty'].textContent = group ? 'No instances.' : 'Select a group above.';
  actions.render(group);
  panels.render();
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

function setConnection(connection) {
  const was = state.connection;
  state.connection = connection;
  el.connection.dataset.state = connection;
  el.connection.textContent = {
    live: 'Live',
    reconnecting: 'Reconnecting…',
    unreachable: 'Unreachable',
    offline: 'Offline',
  }[connection];
  if (was !== connection && state.status !== null && (was === 'unreachable' || connection === 'unreachable'))
    render();
}

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
el['page-prev'].addEventListener('click', () => turnPage(false));
el['page-next'].addEventListener('click', () => turnPage(true));
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
