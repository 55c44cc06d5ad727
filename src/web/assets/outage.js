// The full-width warning that the page is not showing the present: the manager does not answer
// (its last data stays on screen, marked stale), or the page talks to a standby, which reads the
// store but does not run the groups. Before, only a small "Reconnecting…" said so while the rest
// of the page still read "converged".
import { byId, clock } from './dom.js';

/**
 * `connection`: live | reconnecting | unreachable | offline. `since`: when the page last heard
 * from the manager. `status`: the last status (its `self` and `leader`).
 */
export function renderOutage({ connection, since, status }) {
  const outage = byId('outage');
  const app = byId('app');
  const last = since ? `Last update ${clock(since)}.` : '';
  let title = '';
  let text = '';
  let tone = 'bad';
  if (connection === 'unreachable') {
    title = 'Manager unreachable.';
    text = `Nothing on this page is current: the data below is stale. ${last} Retrying…`;
  } else if (status?.self?.role === 'standby') {
    tone = 'warn';
    const leader = status.leader;
    title = `${status.self.name} is a standby.`;
    text = leader
      ? `It does not run the groups; health and instances come from the store and may be stale. The leader is ${leader.name} (epoch ${leader.epoch}).`
      : 'No leader is running the groups: nothing is healed or rolled out, and the data below is stale.';
  }
  const stale = title !== '';
  outage.hidden = !stale;
  outage.dataset.tone = tone;
  byId('outage-title').textContent = title;
  byId('outage-text').textContent = text;
  app.dataset.stale = stale ? 'true' : 'false';
  return stale;
}
