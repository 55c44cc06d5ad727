// The dashboard's confirmation: a styled modal <dialog> in place of window.confirm(), which
// cannot say what will happen in the page's own words, cannot be styled, and blocks the tab.
import { byId } from './dom.js';

/**
 * Resolves true when the user presses the confirm button, false on Cancel, Escape or a click on
 * the backdrop. One dialog at a time: a second call cancels the first.
 */
let pending;

export function confirmDialog({ title, body, confirmLabel, tone = 'danger' }) {
  const dialog = byId('confirm-dialog');
  pending?.(false);
  byId('confirm-title').textContent = title;
  byId('confirm-body').textContent = body;
  const ok = byId('confirm-ok');
  ok.textContent = confirmLabel;
  ok.className = tone;
  return new Promise((resolve) => {
    const finish = (answer) => {
      if (pending !== finish) return;
      pending = undefined;
      if (dialog.open) dialog.close();
      resolve(answer);
    };
    pending = finish;
    ok.onclick = () => finish(true);
    byId('confirm-cancel').onclick = () => finish(false);
    dialog.onclose = () => finish(false);
    dialog.onclick = (event) => {
      if (event.target === dialog) finish(false);
    };
    dialog.showModal();
    byId('confirm-cancel').focus();
  });
}
