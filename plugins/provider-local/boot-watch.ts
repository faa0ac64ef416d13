// Waits for a local instance's process to connect to the server — and stops waiting the moment that
// process exits, with the reason it printed (a router whose port is taken says EADDRINUSE and exits
// at once; waiting out the whole connect timeout would only hide that).
import path from 'node:path';
import type { Scalarium } from '../../server/plugin-api.ts';
import { lastLines } from './instance-output.ts';

const POLL_MS = 100;

export async function waitForConnection(scalarium: Scalarium, id: string, dir: string, alive: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (scalarium.hub.peer(id)) return;
    if (!alive()) {
      // It may have connected just before it exited.
      if (scalarium.hub.peer(id)) return;
      const last = (await lastLines(path.join(dir, 'output.log'), 1))[0];
      throw new Error(`instance ${id} exited before it connected${last ? `; its last output: ${last}` : ''}`);
    }
    if (Date.now() > deadline) throw new Error(`instance ${id} did not connect within ${Math.round(timeoutMs / 1000)} s`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}
