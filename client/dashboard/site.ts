import {
  aggregate,
  breakdown,
  intervalFor,
  PERIODS,
  propertyKey,
  realtimeVisitors,
  timeseries,
  TOP_METRICS,
  type BreakdownRow,
  type Period,
  type Query,
} from './api.js';
import { visitorsChart } from './chart.js';
import { clear, h } from './dom.js';
import { countryName, formatMetric } from './format.js';

const CONVERSION_LABELS: Record<string, string> = {
  visitors: 'Unique conversions',
  events: 'Total conversions',
  conversion_rate: 'Conversion rate',
};
const TOP_LABELS: Record<string, string> = {
  visitors: 'Unique visitors',
  visits: 'Total visits',
  pageviews: 'Total pageviews',
  views_per_visit: 'Views per visit',
  bounce_rate: 'Bounce rate',
  visit_duration: 'Visit duration',
};
/** Lower is better for these: a rise shows red. */
const LOWER_IS_BETTER = new Set(['bounce_rate']);

interface Tab {
  id: string;
  label: string;
  property: string;
  /** Column header of the value. */
  valueLabel?: string;
}

interface PanelSpec {
  id: string;
  title: string;
  tabs: Tab[];
  metrics?: string[];
  wide?: boolean;
  empty?: string;
}

const PANELS: PanelSpec[] = [
  { id: 'sources', title: 'Top Sources', tabs: [{ id: 'source', label: 'Sources', property: 'visit:source' }] },
  {
    id: 'pages',
    title: 'Top Pages',
    tabs: [
      { id: 'top', label: 'Top Pages', property: 'event:page' },
      { id: 'entry', label: 'Entry Pages', property: 'visit:entry_page' },
      { id: 'exit', label: 'Exit Pages', property: 'visit:exit_page' },
    ],
  },
  { id: 'countries', title: 'Countries', tabs: [{ id: 'country', label: 'Countries', property: 'visit:country' }] },
  {
    id: 'devices',
    title: 'Devices',
    tabs: [
      { id: 'browser', label: 'Browser', property: 'visit:browser' },
      { id: 'os', label: 'OS', property: 'visit:os' },
      { id: 'device', label: 'Size', property: 'visit:device' },
    ],
  },
  {
    id: 'goals',
    title: 'Goal Conversions',
    tabs: [{ id: 'goal', label: 'Goals', property: 'event:goal' }],
    metrics: ['visitors', 'events', 'conversion_rate'],
    wide: true,
    empty: 'No goal conversions in this period (goals are set up per site).',
  },
];

export function readQuery(): Query {
  const params = new URLSearchParams(location.search);
  const period = params.get('period') as Period | null;
  return {
    period: PERIODS.some((p) => p.value === period) ? (period as Period) : '30d',
    filters: params.getAll('f').filter((f) => /^[a-z_]+:[\w:]+(==|!=)/.test(f)),
  };
}

function writeQuery(query: Query): void {
  const params = new URLSearchParams({ period: query.period });
  for (const f of query.filters) params.append('f', f);
  history.pushState(null, '', `${location.pathname}?${params}`);
}

/** The per-site page: everything is re-fetched whenever the query (period, filters) changes. */
export function sitePage(root: HTMLElement, domain: string, csrfToken: string): void {
  let query = readQuery();
  let generation = 0;
  const tabs: Record<string, string> = Object.fromEntries(PANELS.map((p) => [p.id, p.tabs[0]?.id ?? '']));

  const realtime = h('span', { className: 'realtime', 'data-testid': 'realtime-visitors', 'data-value': '' }, '…');
  const periodSelect = h(
    'select',
    { 'data-testid': 'period-select', 'aria-label': 'Period', onchange: () => update({ ...query, period: periodSelect.value as Period }) },
    ...PERIODS.map((p) => h('option', { value: p.value }, p.label)),
  );
  const chips = h('div', { className: 'chips', 'data-testid': 'filters' });
  const top = h('div', { className: 'top-stats', 'data-testid': 'top-stats' });
  const chartBox = h('div', { className: 'chart-box' });
  const panelEls = Object.fromEntries(PANELS.map((p) => [p.id, h('section', { className: `panel${p.wide ? ' wide' : ''}`, 'data-testid': `panel-${p.id}` })]));

  clear(root);
  root.append(
    h(
      'header',
      { className: 'site-header' },
      h('div', { className: 'site-title' }, h('a', { href: '/sites', className: 'back', 'data-testid': 'back-to-sites' }, '←'), h('h1', {}, domain), h('span', { className: 'live-dot' }), realtime),
      h('div', { className: 'controls' }, periodSelect, logoutForm(csrfToken)),
    ),
    chips,
    h('div', { className: 'card main-card' }, top, chartBox),
    h('div', { className: 'grid' }, ...PANELS.map((p) => panelEls[p.id] as HTMLElement)),
  );
  root.dataset.testid = 'dashboard';

  function update(next: Query): void {
    query = next;
    writeQuery(query);
    void load();
  }
  window.addEventListener('popstate', () => {
    query = readQuery();
    void load();
  });

  const addFilter = (property: string, value: string) => {
    const expression = `${property}==${value}`;
    if (query.filters.includes(expression)) return;
    update({ ...query, filters: [...query.filters.filter((f) => !f.startsWith(`${property}==`)), expression] });
  };

  async function load(): Promise<void> {
    const mine = ++generation;
    root.dataset.state = 'loading';
    root.dataset.query = `period=${query.period}&filters=${query.filters.join(';')}`;
    periodSelect.value = query.period;
    renderChips();
    const tasks = [loadTop(mine), loadChart(mine), ...PANELS.map((p) => loadPanel(p, mine))];
    await Promise.allSettled(tasks);
    if (mine === generation) root.dataset.state = 'ready';
  }

  function renderChips(): void {
    clear(chips);
    for (const filter of query.filters) {
      const [property = '', value = ''] = filter.split('==');
      chips.append(
        h(
          'span',
          { className: 'chip', 'data-testid': 'filter-chip', 'data-filter': filter },
          h('span', { className: 'chip-label' }, `${propertyLabel(property)} is `, h('b', {}, property === 'visit:country' ? countryName(value) : value)),
          h('button', {
            className: 'chip-remove',
            'data-testid': 'filter-remove',
            'aria-label': `Remove filter ${filter}`,
            onclick: () => update({ ...query, filters: query.filters.filter((f) => f !== filter) }),
          }, '×'),
        ),
      );
    }
  }

  async function loadTop(mine: number): Promise<void> {
    const shown = topMetrics(query.filters);
    // Plausible refuses views_per_visit with a page filter; ask for what can be answered and show a dash.
    const pageFiltered = query.filters.some((f) => f.startsWith('event:page'));
    const metrics = shown.filter((m) => !(pageFiltered && m === 'views_per_visit'));
    try {
      const results = await aggregate(domain, query, metrics);
      if (mine !== generation) return;
      clear(top);
      top.dataset.metrics = shown.join(',');
      for (const metric of shown) {
        const result = results[metric];
        const value = result?.value ?? null;
        const change = result?.change ?? null;
        const good = change === null || change === 0 ? '' : (change > 0) !== LOWER_IS_BETTER.has(metric) ? 'up' : 'down';
        top.append(
          h(
            'div',
            { className: 'stat', 'data-testid': `stat-${metric}`, 'data-value': value === null ? '' : String(value) },
            h('div', { className: 'stat-label' }, (shown.includes('conversion_rate') ? CONVERSION_LABELS[metric] : TOP_LABELS[metric]) ?? metric),
            h('div', { className: 'stat-value', 'data-testid': `stat-value-${metric}` }, formatMetric(metric, value)),
            h(
              'div',
              { className: `stat-change ${good}`, 'data-testid': `stat-change-${metric}`, 'data-value': change === null ? '' : String(change) },
              change === null ? '' : `${change > 0 ? '↑' : change < 0 ? '↓' : ''} ${Math.abs(change)}${metric === 'bounce_rate' || metric === 'conversion_rate' ? ' pp' : '%'}`,
            ),
          ),
        );
      }
    } catch (error) {
      if (mine === generation) showError(top, error);
    }
  }

  async function loadChart(mine: number): Promise<void> {
    try {
      const points = await timeseries(domain, query);
      if (mine !== generation) return;
      clear(chartBox);
      chartBox.append(visitorsChart(points, intervalFor(query.period)));
    } catch (error) {
      if (mine === generation) showError(chartBox, error);
    }
  }

  async function loadPanel(spec: PanelSpec, mine: number): Promise<void> {
    const el = panelEls[spec.id] as HTMLElement;
    const tab = spec.tabs.find((t) => t.id === tabs[spec.id]) ?? (spec.tabs[0] as Tab);
    const metrics = spec.metrics ?? ['visitors'];
    const header = h(
      'div',
      { className: 'panel-header' },
      h('h2', {}, spec.tabs.length > 1 ? tab.label : spec.title),
      spec.tabs.length > 1
        ? h(
            'div',
            { className: 'tabs' },
            ...spec.tabs.map((t) =>
              h('button', {
                className: `tab${t.id === tab.id ? ' active' : ''}`,
                'data-testid': `tab-${spec.id}-${t.id}`,
                onclick: () => {
                  tabs[spec.id] = t.id;
                  root.dataset.state = 'loading';
                  void loadPanel(spec, generation).then(() => (root.dataset.state = 'ready'));
                },
              }, t.label),
            ),
          )
        : null,
    );
    try {
      const rows = await breakdown(domain, query, tab.property, metrics);
      if (mine !== generation) return;
      clear(el);
      el.dataset.property = tab.property;
      el.append(header, breakdownList(spec, tab, rows, metrics));
    } catch (error) {
      if (mine !== generation) return;
      clear(el);
      el.append(header);
      showError(el, error, true);
    }
  }

  function breakdownList(spec: PanelSpec, tab: Tab, rows: BreakdownRow[], metrics: string[]): HTMLElement {
    const key = propertyKey(tab.property);
    if (rows.length === 0) return h('div', { className: 'empty' }, spec.empty ?? 'No data yet');
    const max = Math.max(1, ...rows.map((r) => Number(r.visitors ?? 0)));
    return h(
      'div',
      { className: 'list' },
      h('div', { className: 'list-head' }, h('span', {}, tab.label), h('span', { className: 'cols' }, ...metrics.map((m) => h('span', {}, metricHeader(m))))),
      ...rows.map((row) => {
        const name = String(row[key] ?? '(none)');
        const visitors = Number(row.visitors ?? 0);
        const bar = h('span', { className: 'bar' });
        bar.style.width = `${(visitors / max) * 100}%`;
        const label = tab.property === 'visit:country' ? countryName(name) : name;
        return h(
          'div',
          { className: 'row', 'data-testid': 'breakdown-row', 'data-name': name, 'data-value': String(visitors) },
          bar,
          h('button', { className: 'row-label', title: `Filter by ${name}`, onclick: () => addFilter(tab.property, name) }, label),
          h('span', { className: 'cols' }, ...metrics.map((m) => h('span', { 'data-metric': m }, formatMetric(m, row[m] === null ? null : Number(row[m]))))),
        );
      }),
    );
  }

  async function pollRealtime(): Promise<void> {
    try {
      const n = await realtimeVisitors(domain);
      realtime.dataset.value = String(n);
      realtime.textContent = `${n} current visitor${n === 1 ? '' : 's'}`;
    } catch {
      realtime.textContent = '';
    }
  }

  void load();
  void pollRealtime();
  setInterval(() => void pollRealtime(), 30_000);
}

/**
 * Visit metrics (visits, bounce rate, duration) mean nothing for a goal, a custom event or its props, and
 * the API refuses them under such a filter: the top row then counts conversions, as Plausible's does.
 */
export function topMetrics(filters: string[]): string[] {
  const eventOnly = filters.some((f) => /^event:(goal|name|props:)/.test(f));
  return eventOnly ? ['visitors', 'events', 'conversion_rate'] : [...TOP_METRICS];
}

function metricHeader(metric: string): string {
  return { visitors: 'Visitors', events: 'Events', conversion_rate: 'CR', pageviews: 'Pageviews' }[metric] ?? metric;
}

function propertyLabel(property: string): string {
  const name = property.replace(/^(visit|event):/, '');
  return { source: 'Source', page: 'Page', entry_page: 'Entry page', exit_page: 'Exit page', country: 'Country', device: 'Screen size', browser: 'Browser', os: 'OS', goal: 'Goal' }[name] ?? name;
}

function showError(el: HTMLElement, error: unknown, append = false): void {
  if (!append) clear(el);
  el.append(h('div', { className: 'error', 'data-testid': 'panel-error' }, error instanceof Error ? error.message : String(error)));
}

export function logoutForm(csrfToken: string): HTMLFormElement {
  return h(
    'form',
    { method: 'post', action: '/logout', className: 'logout' },
    h('input', { type: 'hidden', name: '_csrf', value: csrfToken }),
    h('button', { type: 'submit', 'data-testid': 'logout' }, 'Log out'),
  );
}
