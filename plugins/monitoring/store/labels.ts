// A series is a metric and its labels; labels are stored as JSON with sorted keys so that one set
// of labels is one string (the unique key), whatever order a caller wrote them in.
import type { Labels } from './types.ts';

/** JSON of the labels, keys sorted (written by hand: this runs for every sample). */
export function canonicalLabels(labels: Labels): string {
  const keys = Object.keys(labels);
  if (keys.length > 1) keys.sort();
  let json = '{';
  for (let i = 0; i < keys.length; i++) json += `${i ? ',' : ''}${JSON.stringify(keys[i])}:${JSON.stringify(String(labels[keys[i]!]))}`;
  return `${json}}`;
}

/** Whether `labels` has every label of `subset` with the same value. */
export function hasLabels(labels: Labels, subset: Labels | undefined): boolean {
  if (!subset) return true;
  return Object.entries(subset).every(([k, v]) => labels[k] === v);
}
