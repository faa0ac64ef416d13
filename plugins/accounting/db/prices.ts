// The usage_prices table: the operator's prices per instance type and process size, each from a
// month on (migrations/001-usage.ts). Stored as whole millionths per hour: no float drift.
import type { Db } from '../../../server/plugin-api.ts';

export type PriceKind = 'instance' | 'size';
export interface StoredPrice { kind: PriceKind; name: string; fromMonth: string; microsPerHour: number }

/** The prices that hold in `month`: per kind and name, the row of the latest month not after it. */
export async function pricesIn(db: Db, month: string): Promise<StoredPrice[]> {
  const rows = await db('usage_prices').where('from_month', '<=', month).orderBy([{ column: 'kind' }, { column: 'name' }, { column: 'from_month' }]);
  const latest = new Map<string, StoredPrice>();
  for (const r of rows) latest.set(`${r.kind}:${r.name}`, { kind: r.kind, name: r.name, fromMonth: r.from_month, microsPerHour: Number(r.micros_per_hour) });
  return [...latest.values()];
}

/** Sets (a number) or removes (null) prices from `fromMonth` on, all or none. */
export async function setPrices(db: Db, fromMonth: string, changes: Array<{ kind: PriceKind; name: string; microsPerHour: number | null }>, by: string, at: string): Promise<void> {
  await db.transaction(async (trx) => {
    for (const c of changes) {
      if (c.microsPerHour === null) {
        await trx('usage_prices').where({ kind: c.kind, name: c.name, from_month: fromMonth }).delete();
      } else {
        await trx('usage_prices').insert({ kind: c.kind, name: c.name, from_month: fromMonth, micros_per_hour: c.microsPerHour, set_by: by, set_at: at })
          .onConflict(['kind', 'name', 'from_month']).merge();
      }
    }
  });
}
