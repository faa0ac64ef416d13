// autocannon@8 ships no type declarations; this covers the part of its programmatic API the
// benchmarks use (see node_modules/autocannon/README.md, "API" and "Results").
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  namespace autocannon {
    interface Options {
      url: string;
      connections?: number;
      /** Seconds. */
      duration?: number;
      pipelining?: number;
      /** Seconds. */
      timeout?: number;
      method?: string;
      headers?: Record<string, string>;
      body?: string | Buffer;
      title?: string;
      expectBody?: string;
      workers?: number;
    }

    /** An hdr-histogram-percentiles-obj summary. */
    interface Histogram {
      min: number; max: number; average: number; mean: number; stddev: number; total: number;
      p0_001: number; p0_01: number; p0_1: number; p1: number; p2_5: number; p10: number; p25: number;
      p50: number; p75: number; p90: number; p97_5: number; p99: number; p99_9: number; p99_99: number; p99_999: number;
    }

    interface Result {
      title?: string;
      url: string;
      /** Requests per second, sampled once a second. */
      requests: Histogram & { sent: number };
      /** Milliseconds. */
      latency: Histogram;
      /** Bytes per second. */
      throughput: Histogram;
      /** Seconds. */
      duration: number;
      errors: number;
      timeouts: number;
      mismatches: number;
      non2xx: number;
      resets: number;
      connections: number;
      pipelining: number;
      start: Date;
      finish: Date;
      '1xx': number; '2xx': number; '3xx': number; '4xx': number; '5xx': number;
      statusCodeStats: Record<string, { count: number }>;
    }

    type Instance = EventEmitter & Promise<Result> & { stop(): void };
  }

  function autocannon(options: autocannon.Options): autocannon.Instance;
  function autocannon(options: autocannon.Options, callback: (error: Error | null, result: autocannon.Result) => void): EventEmitter & { stop(): void };

  export default autocannon;
}
