// One interceptor records how long every hook call takes (deployment steps, build phases, events),
// exposed at GET /api/hooks/timings for operators and plugin authors.
import { declare, serverResource, type Plugin } from '../../server/plugin-api.ts';

const NAME = 'timings';

interface Stat { calls: number; totalMs: number; lastMs: number; maxMs: number; errors: number }

type Interceptable = { intercept(interceptor: Record<string, (...args: unknown[]) => void>): void };

export const timingsPlugin: Plugin = {
  name: NAME,
  apply(scalarium) {
    const stats = new Map<string, Stat>();
    const record = (name: string, ms: number, failed: boolean) => {
      const s = stats.get(name) ?? { calls: 0, totalMs: 0, lastMs: 0, maxMs: 0, errors: 0 };
      s.calls++;
      s.totalMs += ms;
      s.lastMs = ms;
      s.maxMs = Math.max(s.maxMs, ms);
      if (failed) s.errors++;
      stats.set(name, s);
    };
    for (const [name, hook] of Object.entries(scalarium.hooks)) {
      if (!('intercept' in hook) || name === 'build') continue;
      // Calls of one hook may overlap (two deploys); a FIFO of start times is close enough for stats.
      const starts: number[] = [];
      (hook as unknown as Interceptable).intercept({
        call: () => void starts.push(performance.now()),
        done: () => record(name, performance.now() - (starts.shift() ?? performance.now()), false),
        result: () => record(name, performance.now() - (starts.shift() ?? performance.now()), false),
        error: () => record(name, performance.now() - (starts.shift() ?? performance.now()), true),
      });
    }
    scalarium.hooks.routes.tap(NAME, (router) => {
      declare(scalarium, router, {
        method: 'get', path: '/api/hooks/timings', action: 'admin', resource: serverResource,
        async handler(ctx) {
          ctx.body = Object.fromEntries([...stats].map(([k, s]) => [k, { ...s, avgMs: Math.round(s.totalMs / s.calls) }]));
        },
      });
    });
  },
};

export default timingsPlugin;
