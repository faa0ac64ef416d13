// Prices per hour, in US dollars: the defaults below, overridden by what the operator sets (db/
// prices.ts) from a month on, so a month's cost stays what it was when prices change later.
//
// The EC2 defaults are on-demand list prices of Linux instances in US East (N. Virginia,
// us-east-1), as AWS's price list (https://aws.amazon.com/ec2/pricing/on-demand/) gave them in
// 2024. Other regions, Windows, spot, reserved instances and savings plans cost otherwise: set your
// own with `scalarium usage:prices:set`. Instances of the local provider run on this host and cost
// nothing more by default. Processes have one size today, `standard`, priced like an hour of the
// smallest default instance type an app instance runs on (t3.micro) until the operator says.
import type { Db } from '../../server/plugin-api.ts';
import { pricesIn, type PriceKind } from './db/prices.ts';
import { DEFAULT_SIZE } from './db/live.ts';

export const CURRENCY = 'USD';
export const DEFAULT_PRICES_SOURCE = 'EC2 on-demand list prices, Linux, us-east-1, 2024 (aws.amazon.com/ec2/pricing/on-demand)';

export const DEFAULT_INSTANCE_PRICES: Readonly<Record<string, number>> = {
  't3.nano': 0.0052,
  't3.micro': 0.0104,
  't3.small': 0.0208,
  't3.medium': 0.0416,
  't3.large': 0.0832,
  'm5.large': 0.096,
  'c5.large': 0.085,
  local: 0,
};

export const SIZES: readonly string[] = [DEFAULT_SIZE];
export const DEFAULT_SIZE_PRICES: Readonly<Record<string, number>> = { [DEFAULT_SIZE]: 0.0104 };

export interface Price { name: string; perHour: number; source: 'default' | 'operator'; fromMonth?: string }
export interface PriceTable { month: string; currency: string; instanceTypes: Price[]; sizes: Price[] }

export const microsOf = (perHour: number): number => Math.round(perHour * 1_000_000);
const perHourOf = (micros: number): number => micros / 1_000_000;

/** The prices that hold in `month` (YYYY-MM): the operator's where set, else the defaults. */
export async function priceTable(db: Db, month: string): Promise<PriceTable> {
  const stored = await pricesIn(db, month);
  const merge = (kind: PriceKind, defaults: Readonly<Record<string, number>>): Price[] => {
    const out = new Map<string, Price>(Object.entries(defaults).map(([name, perHour]) => [name, { name, perHour, source: 'default' }]));
    for (const p of stored.filter((s) => s.kind === kind)) out.set(p.name, { name: p.name, perHour: perHourOf(p.microsPerHour), source: 'operator', fromMonth: p.fromMonth });
    return [...out.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  };
  return { month, currency: CURRENCY, instanceTypes: merge('instance', DEFAULT_INSTANCE_PRICES), sizes: merge('size', DEFAULT_SIZE_PRICES) };
}

/** A lookup of a table's prices; a name nobody priced costs nothing (and says so: `priced: false`). */
export function pricer(table: PriceTable) {
  const instance = new Map(table.instanceTypes.map((p) => [p.name, p.perHour]));
  const size = new Map(table.sizes.map((p) => [p.name, p.perHour]));
  return {
    instance: (name: string | undefined) => ({ perHour: instance.get(name ?? '') ?? 0, priced: instance.has(name ?? '') }),
    size: (name: string | undefined) => ({ perHour: size.get(name ?? '') ?? 0, priced: size.has(name ?? '') }),
  };
}
