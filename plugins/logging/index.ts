// App logs: one stream per app in Heroku's format — what its processes print (app[web.1]), one
// access line per request through the router (router[…]) and what the platform did (scalarium[deploy],
// scalarium[ps]…) — kept on disk per app within a bound (SCALARIUM_LOG_MAX_BYTES, 50 MB by default,
// rotated), read by GET /api/apps/:app/logs (`scalarium logs`, filters, --tail) and the Logs tab.
// docs/logs.md says it all for users.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LogLine, Plugin, Scalarium } from '../../server/plugin-api.ts';
import { isValidName } from '../../server/plugin-api.ts';
import { DEFAULT_MAX_BYTES, LogStore } from './log-store.ts';
import { tapPlatformEvents } from './platform-events.ts';
import { logRoutes } from './routes.ts';
import { LiveTails } from './live-tail.ts';
import { logsPagePath, logsPages } from './page.ts';

const NAME = 'logging';
/** Below this, rotation would keep too little to read (tests use small bounds to see it rotate). */
const MIN_MAX_BYTES = 64 * 1024;

/** SCALARIUM_LOG_MAX_BYTES: how much of each app's log is kept, in bytes (the current file and one rotated). */
export function maxBytes(value = process.env.SCALARIUM_LOG_MAX_BYTES): number {
  if (value === undefined || value === '') return DEFAULT_MAX_BYTES;
  const n = Number(value);
  if (!Number.isInteger(n) || n < MIN_MAX_BYTES) throw new Error(`SCALARIUM_LOG_MAX_BYTES must be a whole number of bytes, at least ${MIN_MAX_BYTES}, got "${value}"`);
  return n;
}

export function createLoggingPlugin(): Plugin {
  return {
    name: NAME,
    apply(scalarium: Scalarium) {
      let reported = false;
      const store = new LogStore(path.join(scalarium.config.dataDir, 'logs'), maxBytes(), (error) => {
        if (!reported) scalarium.say(`logging: could not write an app's log: ${error.message}`);
        reported = true;
      });
      scalarium.onClose(() => store.close());
      scalarium.hooks.log.tap(NAME, (line: LogLine) => {
        if (isValidName(line.app)) store.append(line);
      });
      // Platform lines go through the log hook too, so that whoever else taps it (log drains) has them.
      tapPlatformEvents(scalarium, NAME, (line) => scalarium.hooks.log.call(line));
      scalarium.hooks.destroyed.tapPromise(NAME, async (gone) => {
        if (gone.kind === 'app' && isValidName(gone.name)) store.forget(gone.name);
      });
      const tails = new LiveTails(scalarium, store);
      scalarium.hooks.routes.tap(NAME, (router) => logRoutes(scalarium, router, store, tails));
      scalarium.templates.add(NAME, fileURLToPath(new URL('./templates/', import.meta.url)));
      scalarium.hooks.pages.tap(NAME, (router) => logsPages(scalarium, router, store, tails));
      scalarium.hooks.appNav.tap(NAME, (items, { app }) => [...items, { href: logsPagePath(app), label: 'Logs' }]);
    },
  };
}

export default createLoggingPlugin;
