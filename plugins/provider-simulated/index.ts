// The simulated provider: a cloud for tests and benchmarks. Its instances are simulated agents and
// routers in one child process (the fleet host) that speak the real agent protocol to the real
// server — with a boot time, a failure rate and a load of the cluster's choosing — but run nothing.
// It lets one machine put a 1,000-instance cluster through the real server, reconciler, route table
// builds and configure fan-out. See README.md and docs/simulated.md.
import type { Plugin, Scalarium } from '../../server/plugin-api.ts';
import { PROVIDER, SimulatedCloud } from './simulated-cloud.ts';

const NAME = 'provider-simulated';
const NOTE = 'Simulated cloud';

export { PROVIDER, SimulatedCloud };

const clouds = new WeakMap<Scalarium, SimulatedCloud>();

/** The simulated cloud of a server that loaded this plugin (tests and benchmarks kill and inspect instances through it). */
export function simulatedCloud(scalarium: Scalarium): SimulatedCloud {
  const cloud = clouds.get(scalarium);
  if (!cloud) throw new Error(`the ${NAME} plugin is not loaded in this server`);
  return cloud;
}

export const simulatedProviderPlugin: Plugin = {
  name: NAME,
  apply(scalarium) {
    const cloud = new SimulatedCloud(scalarium, (pid) => {
      // Says so where operators look: these instances are not machines.
      scalarium.statusNotes.set(NOTE, { ok: true, text: `clusters of provider "${PROVIDER}" have simulated instances (fleet host pid ${pid}): they run nothing, for tests and benchmarks` });
    });
    clouds.set(scalarium, cloud);
    scalarium.registerProvider(cloud.provider);
    scalarium.onClose(async () => {
      await cloud.close();
      scalarium.statusNotes.delete(NOTE);
    });
  },
};

export default simulatedProviderPlugin;
