import type { TimeseriesPoint } from './api.js';
import { s } from './dom.js';
import { formatNumber } from './format.js';

const W = 1000;
const H = 260;
const PAD = { top: 16, right: 32, bottom: 28, left: 48 };
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** A hand-drawn SVG area chart of visitors: no chart library to ship for one line. */
export function visitorsChart(points: TimeseriesPoint[], interval: 'hour' | 'date' | 'month'): SVGElement {
  const values = points.map((p) => p.visitors ?? 0);
  const max = niceMax(Math.max(1, ...values));
  const plotW = W - PAD.left - PAD.right;
  const plotH = H - PAD.top - PAD.bottom;
  const x = (i: number) => PAD.left + (points.length <= 1 ? plotW / 2 : (i * plotW) / (points.length - 1));
  const y = (v: number) => PAD.top + plotH - (v / max) * plotH;

  const svg = s('svg', {
    viewBox: `0 0 ${W} ${H}`,
    className: 'chart',
    role: 'img',
    'aria-label': 'Visitors over time',
    'data-testid': 'visitors-chart',
    'data-points': points.length,
    'data-total': values.reduce((a, b) => a + b, 0),
    preserveAspectRatio: 'none',
  });
  for (let step = 0; step <= 4; step++) {
    const v = (max * step) / 4;
    svg.append(
      s('line', { x1: PAD.left, x2: W - PAD.right, y1: y(v), y2: y(v), className: step === 0 ? 'axis' : 'grid' }),
      s('text', { x: PAD.left - 8, y: y(v) + 4, className: 'tick', 'text-anchor': 'end' }, formatNumber(v)),
    );
  }
  const labelEvery = Math.max(1, Math.ceil(points.length / 8));
  points.forEach((p, i) => {
    if (i % labelEvery === 0) svg.append(s('text', { x: x(i), y: H - 8, className: 'tick', 'text-anchor': 'middle' }, label(p.date, interval)));
  });
  if (points.length > 0) {
    const at = (i: number) => `${x(i).toFixed(1)},${y(values[i] ?? 0).toFixed(1)}`;
    const line = points.map((_p, i) => `${i === 0 ? 'M' : 'L'}${at(i)}`).join('');
    const area = `${line}L${x(points.length - 1).toFixed(1)},${y(0)}L${x(0).toFixed(1)},${y(0)}Z`;
    // Every period ends now: the last interval is still filling up, so its segment is drawn dashed.
    const last = points.length - 1;
    const settled = points.slice(0, Math.max(1, last)).map((_p, i) => `${i === 0 ? 'M' : 'L'}${at(i)}`).join('');
    svg.append(s('path', { d: area, className: 'area' }), s('path', { d: settled, className: 'line' }));
    if (last > 0) svg.append(s('path', { d: `M${at(last - 1)}L${at(last)}`, className: 'line partial' }));
    points.forEach((p, i) => {
      svg.append(
        s('circle', { cx: x(i), cy: y(values[i] ?? 0), r: points.length > 40 ? 0 : 3, className: 'dot' }),
        // A transparent column per point carries the tooltip, easy to hover.
        s(
          'rect',
          { x: x(i) - plotW / Math.max(points.length, 1) / 2, y: PAD.top, width: plotW / Math.max(points.length, 1), height: plotH, className: 'hover' },
          s('title', {}, `${label(p.date, interval, true)}: ${values[i] ?? 0} visitors`),
        ),
      );
    });
  }
  return svg;
}

/** A top for the y axis whose quarter lines fall on whole, round numbers. */
function niceMax(value: number): number {
  const quarter = value / 4;
  const magnitude = 10 ** Math.floor(Math.log10(quarter));
  for (const step of [1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) {
    const tick = step * magnitude;
    if (tick >= quarter && Number.isInteger(tick)) return tick * 4;
  }
  return Math.max(4, Math.ceil(quarter) * 4);
}

function label(date: string, interval: 'hour' | 'date' | 'month', long = false): string {
  const [day = '', time = ''] = date.split(/[ T]/);
  const [yyyy, mm, dd] = day.split('-');
  const month = MONTHS[Number(mm) - 1] ?? mm;
  if (interval === 'hour') return long ? `${dd} ${month} ${time.slice(0, 5)}` : time.slice(0, 5);
  if (interval === 'month') return `${month} ${long ? yyyy : (yyyy ?? '').slice(2)}`;
  return `${Number(dd)} ${month}`;
}
