// PUT /api/usage/prices: { "from": "2026-11", "instanceTypes": { "t3.micro": 0.0104 }, "sizes": { "standard": 0.03 } }
// — US dollars per hour from that month on (this month when `from` is left out); null removes the
// operator's price of that month (the one before, or the default, holds again). The whole body
// is checked before anything is stored.
import { z } from 'zod';
import { OBJECT_BODY, keyOf } from '../../server/plugin-api.ts';
import { SIZES } from './prices.ts';

export const MAX_PRICE = 10_000;
const INSTANCE_TYPE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const priceOf = (what: string) => {
  const error = (issue: { path?: PropertyKey[] }) =>
    `the price of ${what} ${JSON.stringify(keyOf(issue))} must be a number of US dollars per hour from 0 to ${MAX_PRICE} with at most 6 decimals, or null to remove it`;
  return z.number({ error }).min(0, { error }).max(MAX_PRICE, { error })
    .refine((n) => Math.abs(n * 1e6 - Math.round(n * 1e6)) < 1e-6, { error }).nullable();
};

export const pricesBody = z.object({
  from: z.string({ error: 'from must be a month as YYYY-MM, e.g. 2026-11' }).regex(/^(2\d{3})-(0[1-9]|1[0-2])$/, { error: 'from must be a month as YYYY-MM, e.g. 2026-11' }).optional(),
  instanceTypes: z.record(
    z.string().regex(INSTANCE_TYPE, { error: 'an instance type is 1-64 letters, digits, dots, dashes and underscores (e.g. t3.micro)' }),
    priceOf('instance type'),
    { error: 'instanceTypes must be an object of instance type → price per hour' },
  ).optional(),
  sizes: z.record(
    z.string().refine((s) => SIZES.includes(s), { error: `the process sizes are ${SIZES.join(', ')} (one size today)` }),
    priceOf('process size'),
    { error: 'sizes must be an object of process size → price per hour' },
  ).optional(),
}, {
  error: (issue) => (issue.code === 'unrecognized_keys' ? 'the body takes from, instanceTypes and sizes only' : OBJECT_BODY.error),
}).strict()
  .refine((b) => Object.keys(b.instanceTypes ?? {}).length + Object.keys(b.sizes ?? {}).length > 0, { error: 'give at least one price in instanceTypes or sizes' });
