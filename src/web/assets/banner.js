// The one message line under the header: successes fade, errors stay until dismissed.
import { byId } from './dom.js';

let timer;

export function showBanner(text, tone) {
  clearTimeout(timer);
  const banner = byId('banner');
  banner.dataset.tone = tone;
  byId('banner-text').textContent = text;
  banner.hidden = false;
  if (tone === 'ok') timer = setTimeout(hideBanner, 5000);
}

export function hideBanner() {
  clearTimeout(timer);
  byId('banner').hidden = true;
}
