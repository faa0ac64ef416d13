// The admin UI's one graph renderer (app metrics, cluster load, usage): a complete <svg> built on
// the server, so graphs read without JavaScript and every page draws them alike. Styling is inline
// (presentation attributes) so the SVG also looks right on its own; classes are hooks for page CSS.
// Long ranges are downsampled to the min and max of each pixel column: a week of 10 s samples
// draws as at most ~2 points per pixel, and a one-sample peak still shows.

export type GraphUnit = 'count' | 'per_second' | 'ms' | 'percent' | 'bytes' | 'load';
export interface GraphSeries { label: string; points: ReadonlyArray<{ at: number /* ms epoch */; value: number | null }> }
export interface GraphOptions {
  title: string; unit: GraphUnit; from: number; to: number; stepMs: number; series: GraphSeries[];
  width?: number /* default 720 */; height?: number /* default 220 */; id?: string;
}
type Point = GraphSeries['points'][number];

// Colour-blind-friendly and distinct on white (Tableau 10); series beyond ten reuse them in order.
const PALETTE = ['#4e79a7', '#f28e2b', '#e15759', '#59a14f', '#b07aa1', '#76b7b2', '#edc948', '#9c755f', '#ff9da7', '#bab0ac'];
const FONT = 11;
const CHAR_WIDTH = 6.2; // estimated width of a character at 11px: the server cannot measure text
const LEGEND_ROW = 16;
const LEGEND_LABEL_MAX = 40;
const MIN_PLOT_HEIGHT = 100;
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const WEEK = 7 * DAY;
// At most 8 intervals: an hour goes by 10 min, a day by 3 h, a week by days.
const TIME_STEPS = [1, 2, 5, 10, 15, 30, 60, 120, 180, 360, 720].map((m) => m * MINUTE).concat([DAY, 2 * DAY, WEEK, 2 * WEEK, 4 * WEEK]);
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text for XML content and attributes; control characters are dropped, as XML allows none of them. */
function esc(text: string): string {
  return text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, '').replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** Up to 3 significant digits, without exponent or trailing zeros: 12.3, 87, 0.75, 1234. */
function digits(value: number): string {
  const abs = Math.abs(value);
  const decimals = abs >= 100 ? 0 : Math.min(6, 2 - Math.floor(Math.log10(abs)));
  return String(Number(value.toFixed(decimals)));
}

function si(value: number): string {
  const abs = Math.abs(value);
  // 999.5 and up would round to "1000": the next prefix reads better.
  if (abs >= 999.5e6) return `${digits(value / 1e9)}G`;
  if (abs >= 999.5e3) return `${digits(value / 1e6)}M`;
  return abs >= 999.5 ? `${digits(value / 1e3)}k` : digits(value);
}

/** "12.3 req/s", "87 ms", "1.2 s", "45 %", "512 MiB", "0.75"; zero is a bare "0" in every unit (the axes' baseline). */
export function formatValue(value: number, unit: GraphUnit): string {
  if (value === 0 || !Number.isFinite(value)) return value === 0 ? '0' : '-';
  const abs = Math.abs(value);
  switch (unit) {
    case 'bytes': {
      let power = 0;
      while (abs >= 1023.5 * 1024 ** power && power < BYTE_UNITS.length - 1) power++; // 1023.5 would round to 1024
      return `${digits(value / 1024 ** power)} ${BYTE_UNITS[power]}`;
    }
    case 'ms': return abs >= 999.5 ? `${digits(value / 1000)} s` : `${digits(value)} ms`;
    case 'percent': return `${digits(value)} %`;
    case 'per_second': return `${si(value)} req/s`;
    case 'count': return si(value);
    case 'load': return digits(value);
  }
}

/**
 * The y axis: 0 to a multiple of a 1-2-5 step, the smallest step that needs at most 5 intervals
 * (so 3-5 of them; 4-5 every time is not possible with 1-2-5 steps: 87 → 0..100 by 20, 101 →
 * 0..150 by 50). Bytes step in their binary unit so that ticks read "512 MiB", not "488 MiB".
 */
function yAxis(max: number, unit: GraphUnit): number[] {
  if (!(max > 0)) max = 1;
  let base = 1;
  if (unit === 'bytes') {
    while (max / base > 1024) base *= 1024;
    // Just under the next unit, quarters of it read better than 1-2-5: 256, 512, 768 MiB, 1 GiB.
    if (max / base > 1000) return [0, 1, 2, 3, 4].map((i) => i * 256 * base);
  }
  const scaled = max / base;
  const decade = 10 ** Math.floor(Math.log10(scaled / 5));
  let step = decade * 10;
  let intervals = 0;
  for (const m of [1, 2, 5, 10]) {
    intervals = Math.ceil((scaled / (decade * m)) * (1 - 1e-12)); // 0.6 / 0.2 is 2.9999999999999996
    if (intervals <= 5) { step = decade * m; break; }
  }
  return Array.from({ length: intervals + 1 }, (_, i) => i * step * base);
}

/** Ticks on [from, to] in UTC: HH:MM below a day's step, "Mon 30" from a day up (weeks start on Monday). */
function timeTicks(from: number, to: number): Array<{ at: number; label: string }> {
  const span = Math.max(to - from, 1);
  const step = TIME_STEPS.find((s) => span / s <= 8) ?? Math.ceil(span / 8 / WEEK) * WEEK;
  const offset = step >= WEEK ? 4 * DAY : 0; // the epoch was a Thursday
  const ticks: Array<{ at: number; label: string }> = [];
  for (let at = Math.ceil((from - offset) / step) * step + offset; at <= to; at += step) {
    const date = new Date(at);
    const label = step < DAY
      ? `${String(date.getUTCHours()).padStart(2, '0')}:${String(date.getUTCMinutes()).padStart(2, '0')}`
      : `${WEEKDAYS[date.getUTCDay()]} ${date.getUTCDate()}`;
    ticks.push({ at, label });
  }
  return ticks;
}

/** FNV-1a: a stable id for a graph's clip path, so the same graph renders to the same text. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return (h >>> 0).toString(36);
}

/** The points in time order: as given when they are (the usual case, no copy), else sorted. */
function ordered(points: ReadonlyArray<Point>): ReadonlyArray<Point> {
  for (let i = 1; i < points.length; i++) {
    if (points[i]!.at < points[i - 1]!.at) return [...points].sort((a, b) => a.at - b.at);
  }
  return points;
}

const usable = (p: Point, from: number, to: number): p is { at: number; value: number } =>
  p.at >= from && p.at <= to && p.value !== null && Number.isFinite(p.value);

interface Frame { from: number; to: number; gapMs: number; left: number; top: number; width: number; height: number; yMax: number }

/**
 * One series as path data: a subpath per run of points without a null or a gap over 1.5 steps,
 * each pixel column reduced to its min and max (in time order). Single-point runs become dots.
 */
function trace(points: ReadonlyArray<Point>, f: Frame): { d: string; dots: Array<[number, number]>; drawn: number } {
  const xPerMs = f.width / (f.to - f.from);
  const columns = Math.max(1, Math.ceil(f.width));
  const x = (at: number) => f.left + (at - f.from) * xPerMs;
  const y = (value: number) => f.top + f.height - (value / f.yMax) * f.height;
  const parts: string[] = [];
  const dots: Array<[number, number]> = [];
  let run: number[] = []; // x, y, x, y, … of the subpath being built
  let drawn = 0;
  let column = -1;
  let minAt = 0, minValue = 0, maxAt = 0, maxValue = 0;
  let lastAt = -Infinity;
  const flushColumn = () => {
    if (column < 0) return;
    const [firstAt, firstValue, secondAt, secondValue] = minAt <= maxAt ? [minAt, minValue, maxAt, maxValue] : [maxAt, maxValue, minAt, minValue];
    run.push(x(firstAt), y(firstValue));
    if (secondAt !== firstAt) run.push(x(secondAt), y(secondValue));
    column = -1;
  };
  const endRun = () => {
    flushColumn();
    if (run.length === 2) dots.push([run[0]!, run[1]!]);
    else if (run.length) {
      let d = `M${run[0]!.toFixed(1)} ${run[1]!.toFixed(1)}`;
      for (let i = 2; i < run.length; i += 2) d += `L${run[i]!.toFixed(1)} ${run[i + 1]!.toFixed(1)}`;
      parts.push(d);
    }
    drawn += run.length / 2;
    run = [];
  };
  for (const p of points) {
    if (p.at < f.from || p.at > f.to) continue;
    if (!usable(p, f.from, f.to)) {
      endRun();
      lastAt = -Infinity;
      continue;
    }
    if (p.at - lastAt > f.gapMs) endRun();
    lastAt = p.at;
    const c = Math.min(columns - 1, Math.floor((p.at - f.from) * xPerMs));
    if (c !== column) {
      flushColumn();
      column = c;
      minAt = maxAt = p.at;
      minValue = maxValue = p.value;
    } else if (p.value < minValue) {
      minAt = p.at;
      minValue = p.value;
    } else if (p.value > maxValue) {
      maxAt = p.at;
      maxValue = p.value;
    }
  }
  endRun();
  return { d: parts.join(''), dots, drawn };
}

const px = (n: number) => Number(n.toFixed(1));

export function renderGraph(options: GraphOptions): string {
  const { title, unit, from } = options;
  const to = Math.max(options.to, from + 1);
  const width = options.width ?? 720;
  const id = options.id ? options.id.replace(/[^A-Za-z0-9_-]/g, '-') : `graph-${hash(title)}`;

  // One pass over each series for the y axis's max and the legend's latest value.
  const series = options.series.map((s, i) => {
    const points = ordered(s.points);
    let max = -Infinity;
    let latest: number | null = null;
    for (const p of points) {
      if (!usable(p, from, to)) continue;
      if (p.value > max) max = p.value;
      latest = p.value;
    }
    return { label: s.label, color: PALETTE[i % PALETTE.length]!, points, max, latest };
  });
  const empty = series.every((s) => s.latest === null);
  const yTicks = yAxis(Math.max(0, ...series.map((s) => s.max)), unit);
  const yLabels = yTicks.map((v) => formatValue(v, unit));

  // Legend items flow left to right and wrap; a long legend makes the graph taller, not the plot flat.
  const legend = series.map((s) => {
    const label = s.label.length > LEGEND_LABEL_MAX ? `${s.label.slice(0, LEGEND_LABEL_MAX - 1)}…` : s.label;
    const latest = s.latest === null ? 'no data' : formatValue(s.latest, unit);
    return { ...s, text: label, latestText: latest, width: 14 + (label.length + 1 + latest.length) * CHAR_WIDTH + 16 };
  });
  const left = Math.max(36, Math.ceil(Math.max(...(empty ? [] : yLabels).map((l) => l.length)) * CHAR_WIDTH) + 12);
  const right = 24; // room for half of a time label at the right edge
  const top = 28;
  const placed: Array<{ x: number; row: number }> = [];
  let lx = left;
  let row = 0;
  for (const item of legend) {
    if (lx > left && lx + item.width > width - right) { lx = left; row++; }
    placed.push({ x: lx, row });
    lx += item.width;
  }
  const bottom = 22 + (legend.length ? (row + 1) * LEGEND_ROW : 0);
  const height = Math.max(options.height ?? 220, top + MIN_PLOT_HEIGHT + bottom);
  const frame: Frame = {
    from, to, gapMs: options.stepMs > 0 ? 1.5 * options.stepMs : Infinity,
    left, top, width: width - left - right, height: height - top - bottom, yMax: yTicks[yTicks.length - 1]!,
  };
  const plotBottom = top + frame.height;

  const out: string[] = [];
  const summary = empty ? 'no data for this range' : legend.map((s) => `${s.label} ${s.latestText}`).join(', ');
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" class="graph" id="${esc(id)}" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(`${title}: ${summary}`)}" font-family="system-ui, sans-serif" font-size="${FONT}">`);
  out.push(`<title>${esc(title)}</title>`);
  out.push(`<defs><clipPath id="${esc(id)}-plot"><rect x="${left}" y="${top - 3}" width="${px(frame.width)}" height="${px(frame.height + 6)}"/></clipPath></defs>`);
  out.push(`<text class="graph-title" x="${left}" y="16" font-weight="600" fill="#222">${esc(title)}</text>`);

  out.push('<g class="axis-y">');
  if (!empty) {
    yTicks.forEach((v, i) => {
      const ty = px(plotBottom - (v / frame.yMax) * frame.height);
      if (i > 0) out.push(`<line x1="${left}" x2="${px(left + frame.width)}" y1="${ty}" y2="${ty}" stroke="#e6e6e6"/>`);
      out.push(`<text class="tick-y" x="${left - 6}" y="${px(ty + 4)}" text-anchor="end" fill="#666">${esc(yLabels[i]!)}</text>`);
    });
  }
  out.push('</g><g class="axis-x">');
  out.push(`<line x1="${left}" x2="${px(left + frame.width)}" y1="${px(plotBottom)}" y2="${px(plotBottom)}" stroke="#999"/>`);
  for (const tick of timeTicks(from, to)) {
    const tx = px(left + ((tick.at - from) / (to - from)) * frame.width);
    out.push(`<line x1="${tx}" x2="${tx}" y1="${px(plotBottom)}" y2="${px(plotBottom + 4)}" stroke="#999"/>`);
    out.push(`<text class="tick-x" x="${tx}" y="${px(plotBottom + 16)}" text-anchor="middle" fill="#666">${esc(tick.label)}</text>`);
  }
  out.push('</g>');

  if (empty) {
    out.push(`<text class="empty" x="${px(left + frame.width / 2)}" y="${px(top + frame.height / 2)}" text-anchor="middle" fill="#888">No data for this range</text>`);
  } else {
    out.push(`<g class="plot" clip-path="url(#${esc(id)}-plot)">`);
    for (const s of series) {
      const { d, dots, drawn } = trace(s.points, frame);
      out.push(`<path class="series" data-label="${esc(s.label)}" data-points="${drawn}" d="${d}" fill="none" stroke="${s.color}" stroke-width="1.5" stroke-linejoin="round" stroke-linecap="round"/>`);
      for (const [cx, cy] of dots) out.push(`<circle class="point" data-label="${esc(s.label)}" cx="${px(cx)}" cy="${px(cy)}" r="2.5" fill="${s.color}"/>`);
    }
    out.push('</g>');
  }

  if (legend.length) {
    out.push('<g class="legend">');
    legend.forEach((item, i) => {
      const ly = plotBottom + 22 + placed[i]!.row * LEGEND_ROW;
      const lxi = px(placed[i]!.x);
      out.push(`<g class="legend-item" data-label="${esc(item.label)}"><rect x="${lxi}" y="${px(ly + 2)}" width="10" height="10" rx="2" fill="${item.color}"/>`);
      out.push(`<text x="${px(lxi + 14)}" y="${px(ly + 11)}" fill="#222">${esc(item.text)} <tspan class="latest" fill="#666">${esc(item.latestText)}</tspan></text></g>`);
    });
    out.push('</g>');
  }
  out.push('</svg>');
  return out.join('');
}
