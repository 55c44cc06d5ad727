// The troubleshooting parts under the tables: the selected group's spec and history (with undo),
// the selected instance up close (with its log), and the last hour's charts. Each loads its own
// data from the API and redraws when the page says the selection or the data changed.
import { ApiError, describeError, request } from './api.js';
import { showBanner } from './banner.js';
import { renderCharts } from './charts.js';
import { confirmDialog } from './dialog.js';
import { byId } from './dom.js';
import { appendLog, readLog, renderInstance } from './instance-view.js';
import { renderSpec } from './spec-view.js';
import { eventMatches } from './views.js';

const CHART_REFRESH_MS = 10_000;
const CHART_MIN_GAP_MS = 2_000;

/**
 * `page` gives the panels what they read of the page's state: token(), group(), instance(),
 * events(), health(id), canOperate(), onError(error), refresh().
 */
export function createPanels(page) {
  const spec = { group: null, history: null, view: {}, loading: 0 };
  const log = { key: null, abort: null };
  let metrics = null;
  let chartsTimer;

  async function loadHistory(force = false) {
    const group = page.group();
    const id = group?.id ?? null;
    if (!force && id === spec.group && spec.history !== null) return;
    if (id !== spec.group) spec.view = {};
    spec.group = id;
    spec.history = null;
    drawSpec();
    if (id === null) return;
    const ticket = ++spec.loading;
    try {
      const history = await request(page.token(), 'GET', `/v1/groups/${encodeURIComponent(id)}/history`);
      if (ticket === spec.loading) spec.history = history;
    } catch (error) {
      if (ticket === spec.loading) spec.history = { id, revisions: [] };
      page.onError(error);
    }
    drawSpec();
  }

  function drawSpec() {
    byId('spec-title').textContent = spec.group ? `Spec and history of ${spec.group}` : 'Spec and history';
    renderSpec(byId('spec'), spec.group === null ? { revisions: [] } : spec.history, spec.view, {
      canUndo: page.canOperate(),
      show: (revision) => {
        spec.view = { to: revision };
        drawSpec();
      },
      compare: (from, to) => {
        spec.view = { from, to };
        drawSpec();
      },
      undo: (previous) => void undo(previous),
    });
  }

  async function undo(previous) {
    const id = spec.group;
    if (id === null || previous === undefined) return;
    const sure = await confirmDialog({
      title: `Undo the last change to ${id}?`,
      body: `The spec goes back to revision #${previous.revision} (by ${previous.author || 'unknown'}), committed as a new revision; a changed config rolls out again.`,
      confirmLabel: 'Undo last change',
      tone: 'primary',
    });
    if (!sure) return;
    try {
      const answer = await request(
        page.token(),
        'POST',
        `/v1/groups/${encodeURIComponent(id)}/rollout/undo`,
        {},
      );
      showBanner(answer?.message ?? `Undid the last change to ${id}.`, 'ok');
      await loadHistory(true);
      await page.refresh();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) page.onError(error);
      else showBanner(describeError('Undo', error), 'bad');
    }
  }

  function drawInstance() {
    const group = page.group();
    const id = page.instance();
    const instance = group?.instances?.find((i) => i.id === id);
    const element = byId('instance-panel');
    const key = group && instance ? `${group.id}/${instance.id}` : null;
    // Keep the log (and its follow) across re-renders of the same instance.
    const keepLog = key !== null && key === log.key ? byId('log') : null;
    const follow = keepLog ? byId('log-follow').checked : false;
    const logState = keepLog ? byId('log-state').textContent : '';
    renderInstance(element, {
      group,
      instance,
      health: instance ? page.health(instance.id) : [],
      events: instance
        ? page.events().filter((e) => eventMatches(e, { group: group.id, instance: instance.id }))
        : [],
      now: Date.now(),
      onClose: () => page.closeInstance(),
    });
    if (key === null) {
      stopLog();
      log.key = null;
      return;
    }
    if (keepLog) {
      byId('log').replaceWith(keepLog);
      byId('log-follow').checked = follow;
      byId('log-state').textContent = logState;
    } else startLog(group.id, instance.id, false);
    log.key = key;
    byId('log-follow').onchange = (event) => startLog(group.id, instance.id, event.target.checked);
  }

  function stopLog() {
    log.abort?.abort();
    log.abort = null;
  }

  function startLog(group, instance, follow) {
    stopLog();
    const controller = new AbortController();
    log.abort = controller;
    const pre = byId('log');
    pre.textContent = '';
    void readLog({
      token: page.token(),
      group,
      instance,
      follow,
      signal: controller.signal,
      onText: (text) => {
        if (!controller.signal.aborted) appendLog(byId('log'), text);
      },
      onState: (text) => {
        if (!controller.signal.aborted) byId('log-state').textContent = text;
      },
    });
  }

  let chartsAt = 0;

  async function loadCharts() {
    if (page.token() === null) return;
    chartsAt = Date.now();
    try {
      metrics = await request(page.token(), 'GET', '/v1/metrics/history');
    } catch (error) {
      if (error instanceof ApiError && error.status === 404) {
        byId('charts-note').textContent = 'this manager keeps no history';
      } else page.onError(error);
    }
    drawCharts();
  }

  function drawCharts() {
    renderCharts(byId('charts'), metrics, page.group()?.id ?? null);
  }

  return {
    /** After a status or a selection change. */
    render() {
      void loadHistory();
      drawInstance();
      drawCharts();
    },
    /** Counts changed: the chart's last point is refetched, at most every few seconds. */
    countsChanged() {
      if (chartsTimer !== undefined && Date.now() - chartsAt > CHART_MIN_GAP_MS) void loadCharts();
    },
    /** A spec commit (or destroy) of the shown group: history changed. */
    specChanged: () => void loadHistory(true),
    start() {
      void loadCharts();
      chartsTimer ??= setInterval(() => void loadCharts(), CHART_REFRESH_MS);
    },
    stop() {
      clearInterval(chartsTimer);
      chartsTimer = undefined;
      stopLog();
      log.key = null;
      metrics = null;
      spec.group = null;
      spec.history = null;
    },
  };
}
