// The selected group's controls: scale, pause/resume (operator) and destroy (admin, after a
// confirmation dialog). The server decides; a disabled control is a courtesy, and a refusal is
// shown in the server's own words.
import { ApiError, describeError as describe, request } from './api.js';
import { showBanner } from './banner.js';
import { confirmDialog } from './dialog.js';

/** `page`: { el, state, group(), can(role), refresh(), onError(error) }. */
export function createActions(page) {
  const { el, state } = page;

  function render(group) {
    const operator = page.can('operator');
    const disabled = !operator || group === undefined || state.busy;
    for (const control of [el['scale-size'], el.scale, el.pause, el.resume]) control.disabled = disabled;
    el.pause.hidden = group?.paused === true;
    el.resume.hidden = group?.paused !== true;
    el.destroy.hidden = !page.can('admin');
    el.destroy.disabled = group === undefined || state.busy;
    el['actions-note'].textContent = operator
      ? ''
      : `Read-only: your role is ${state.me?.role ?? 'unknown'}. Scaling and rollouts need an operator token.`;
    const input = el['scale-size'];
    if (group && !state.sizeEdited && document.activeElement !== input) input.value = String(group.desired);
  }

  async function act(what, path, body, success) {
    const group = page.group();
    if (group === undefined) return;
    state.busy = true;
    render(group);
    try {
      await request(state.token, 'POST', `/v1/groups/${encodeURIComponent(group.id)}/${path}`, body);
      showBanner(success(group.id), 'ok');
      state.sizeEdited = false;
      await page.refresh();
    } catch (error) {
      if (error instanceof ApiError && error.status === 401) page.onError(error);
      else showBanner(describe(what, error), 'bad');
    } finally {
      state.busy = false;
      render(page.group());
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
  el.resume.addEventListener(
    'click',
    () => void act('Resume', 'rollout/resume', {}, (id) => `Resumed ${id}.`),
  );
  el.destroy.addEventListener('click', async () => {
    const group = page.group();
    if (!group) return;
    const sure = await confirmDialog({
      title: `Destroy group ${group.id}?`,
      body: `Its ${group.observed} instances are drained and destroyed, and the group is removed (its history is kept). This cannot be undone.`,
      confirmLabel: `Destroy ${group.id}`,
    });
    if (sure) void act('Destroy', 'destroy', {}, (id) => `Destroying ${id}.`);
  });

  return { render };
}
