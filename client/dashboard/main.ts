import './styles.css';
import { aggregate, csrfToken, listSites } from './api.js';
import { formatNumber } from './format.js';
import { clear, h } from './dom.js';
import { logoutForm, sitePage } from './site.js';

async function sitesPage(root: HTMLElement): Promise<void> {
  root.dataset.testid = 'sites-page';
  root.dataset.state = 'loading';
  clear(root);
  const list = h('ul', { className: 'sites', 'data-testid': 'sites-list' });
  root.append(h('header', { className: 'site-header' }, h('h1', {}, 'My Sites'), h('div', { className: 'controls' }, logoutForm(csrfToken()))), list);
  try {
    const sites = await listSites();
    if (sites.length === 0) {
      list.append(h('li', { className: 'empty' }, 'No sites yet. Add one with: analytics sites add example.com'));
    }
    const counts: Promise<void>[] = [];
    for (const site of sites) {
      const today = h('span', { className: 'muted', 'data-testid': 'site-visitors' }, '');
      list.append(
        h(
          'li',
          { className: 'card site-card' },
          h('a', { href: `/sites/${encodeURIComponent(site.domain)}`, 'data-testid': 'site-link', 'data-domain': site.domain }, h('span', { className: 'favicon' }, site.domain.slice(0, 1).toUpperCase()), site.domain),
          today,
        ),
      );
      counts.push(
        aggregate(site.domain, { period: 'day', filters: [] }, ['visitors']).then(
          (r) => {
            const n = r.visitors?.value ?? 0;
            today.dataset.value = String(n);
            today.textContent = `${formatNumber(n)} visitor${n === 1 ? '' : 's'} today`;
          },
          () => undefined,
        ),
      );
    }
    await Promise.all(counts);
  } catch (error) {
    list.append(h('li', { className: 'error' }, error instanceof Error ? error.message : String(error)));
  }
  root.dataset.state = 'ready';
}

const root = document.getElementById('app');
if (root) {
  const match = /^\/sites\/([^/]+)\/?$/.exec(location.pathname);
  if (match?.[1]) sitePage(root, decodeURIComponent(match[1]), csrfToken());
  else void sitesPage(root);
}
