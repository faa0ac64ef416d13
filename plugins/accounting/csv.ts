// A usage report as CSV (RFC 4180): one line per app and process type, per cluster and instance
// role/type, or per owner and app — what a spreadsheet sums up again. Cells are quoted when they
// need it, and a cell that a spreadsheet would read as a formula is prefixed with a quote.
import type { AppRow, ClusterRow, UsageReport, UserRow } from './report.ts';

function cell(value: string | number | boolean): string {
  let text = String(value);
  if (typeof value === 'string' && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

const line = (cells: Array<string | number | boolean>): string => `${cells.map(cell).join(',')}\r\n`;

export function usageCsv(report: UsageReport): string {
  const { month, currency } = report;
  if (report.by === 'cluster') {
    let out = line(['month', 'cluster', 'destroyed', 'role', 'instance_type', 'seconds', `price_per_hour_${currency.toLowerCase()}`, 'priced', `cost_${currency.toLowerCase()}`]);
    for (const c of report.rows as ClusterRow[]) {
      for (const i of c.instances) out += line([month, c.cluster, c.destroyed, i.role, i.instanceType, i.seconds, i.pricePerHour, i.priced, i.cost]);
    }
    return out;
  }
  if (report.by === 'user') {
    let out = line(['month', 'user', 'app', 'cluster', 'destroyed', 'seconds', `cost_${currency.toLowerCase()}`]);
    for (const u of report.rows as UserRow[]) for (const a of u.apps) out += line([month, u.user, a.app, a.cluster, a.destroyed, a.seconds, a.cost]);
    return out;
  }
  let out = line(['month', 'app', 'cluster', 'owner', 'destroyed', 'process_type', 'size', 'seconds', `price_per_hour_${currency.toLowerCase()}`, 'priced', `cost_${currency.toLowerCase()}`]);
  for (const a of report.rows as AppRow[]) {
    for (const p of a.processTypes) out += line([month, a.app, a.cluster, a.owner, a.destroyed, p.type, p.size, p.seconds, p.pricePerHour, p.priced, p.cost]);
  }
  return out;
}
