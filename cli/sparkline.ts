// Sparklines and values for the CLI's metric tables. Imports nothing from server/ so the compiled
// CLI stays small; the unit words duplicate formatValue in server/http/ui/graph.ts (keep them alike:
// sparkline.test.ts compares the two).

const BARS = '▁▂▃▄▅▆▇█';

/**
 * One character per value, scaled from the lowest to the highest value; null is a space. Longer
 * than `width`, values are grouped and each group shows its max, so short peaks survive (shorter
 * ones are not stretched). A flat
 * series has no range to scale: all ▁ when it is all zero (idle), all ▄ otherwise (steady, not nothing).
 */
export function sparkline(values: ReadonlyArray<number | null>, width = values.length): string {
  const known = (v: number | null): v is number => v !== null && Number.isFinite(v);
  const maxOf = (vs: ReadonlyArray<number | null>) => vs.reduce<number | null>((m, v) => (known(v) && (m === null || v > m) ? v : m), null);
  const shown = values.length <= width ? values
    : Array.from({ length: Math.max(0, width) }, (_, g) => maxOf(values.slice(Math.floor((g * values.length) / width), Math.floor(((g + 1) * values.length) / width))));
  let low = Infinity;
  let high = -Infinity;
  for (const v of shown) if (known(v)) [low, high] = [Math.min(low, v), Math.max(high, v)];
  return shown.map((v) => {
    if (!known(v)) return ' ';
    if (high === low) return high === 0 ? BARS[0] : BARS[3];
    return BARS[Math.min(7, Math.floor(((v - low) / (high - low)) * 8))];
  }).join('');
}

const digits = (v: number) => String(Number(v.toFixed(Math.abs(v) >= 100 ? 0 : Math.min(6, 2 - Math.floor(Math.log10(Math.abs(v)))))));
const si = (v: number) => {
  const abs = Math.abs(v);
  return abs >= 999.5e6 ? `${digits(v / 1e9)}G` : abs >= 999.5e3 ? `${digits(v / 1e6)}M` : abs >= 999.5 ? `${digits(v / 1e3)}k` : digits(v);
};

/** "12.3 req/s", "87 ms", "1.2 s", "45 %", "512 MiB", "0.75"; '-' for no value, a bare "0" for zero. */
export function formatTableValue(value: number | null, unit: 'count' | 'per_second' | 'ms' | 'percent' | 'bytes' | 'load'): string {
  if (value === null || !Number.isFinite(value)) return '-';
  if (value === 0) return '0';
  const abs = Math.abs(value);
  if (unit === 'bytes') {
    let power = 0;
    while (power < 5 && abs >= 1023.5 * 1024 ** power) power++;
    return `${digits(value / 1024 ** power)} ${['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'][power]}`;
  }
  if (unit === 'ms') return abs >= 999.5 ? `${digits(value / 1000)} s` : `${digits(value)} ms`;
  if (unit === 'percent') return `${digits(value)} %`;
  if (unit === 'per_second') return `${si(value)} req/s`;
  return unit === 'count' ? si(value) : digits(value);
}
