// Per host counters of the router: requests, status classes, bytes and a response-time histogram.
// The proxy adds to them once per request (a few increments; a host's counters are made once per
// interval); every interval the router sends what was counted and starts again from zero. Only
// hosts of the route table are counted: clients choose Host headers, the table bounds the map.
import type { RouteUsage } from '../agent/protocol.ts';
import { LATENCY_BUCKETS_MS, bucketIndex } from './latency-buckets.ts';

interface HostCounters { requests: number; statuses: [number, number, number, number, number]; bytes: number; latency: Uint32Array; sumMs: number }

export class RequestMeter {
  private hosts = new Map<string, HostCounters>();

  record(host: string, status: number, ms: number, bytes: number): void {
    let c = this.hosts.get(host);
    if (!c) {
      c = { requests: 0, statuses: [0, 0, 0, 0, 0], bytes: 0, latency: new Uint32Array(LATENCY_BUCKETS_MS.length), sumMs: 0 };
      this.hosts.set(host, c);
    }
    c.requests++;
    const statusClass = Math.floor(status / 100) - 1;
    if (statusClass >= 0 && statusClass < 5) c.statuses[statusClass as 0 | 1 | 2 | 3 | 4]++;
    c.bytes += bytes;
    c.latency[bucketIndex(ms)]!++;
    c.sumMs += ms;
  }

  /** What was counted since the last call, by host (hosts without requests left out), and a fresh start. */
  take(): Record<string, RouteUsage> {
    const taken = this.hosts;
    this.hosts = new Map();
    const out: Record<string, RouteUsage> = {};
    for (const [host, c] of taken) {
      if (!c.requests) continue;
      const counts: Record<number, number> = {};
      c.latency.forEach((n, i) => {
        if (n) counts[i] = n;
      });
      out[host] = { requests: c.requests, statuses: c.statuses, bytes: c.bytes, latency: { counts, sumMs: Math.round(c.sumMs * 1000) / 1000 } };
    }
    return out;
  }
}
