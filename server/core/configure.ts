// The configure event: runs on every membership change of a cluster. Bursts coalesce — while one
// configure runs, further requests share a single follow-up run (the newest state wins); the
// requests it absorbs are logged as superseded.
import type { Scalarium } from './scalarium.ts';
import type { Cluster } from '../db/instances.ts';
import { listInstances } from '../db/instances.ts';

interface FollowUp {
  reasons: string[];
  promise: Promise<void>;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface ClusterQueue {
  running: boolean;
  next?: FollowUp;
}

const queues = new WeakMap<Scalarium, Map<number, ClusterQueue>>();

export function configureCluster(scalarium: Scalarium, cluster: Cluster, reason: string): Promise<void> {
  let byCluster = queues.get(scalarium);
  if (!byCluster) queues.set(scalarium, (byCluster = new Map()));
  let queue = byCluster.get(cluster.id);
  if (!queue) byCluster.set(cluster.id, (queue = { running: false }));

  if (!queue.next) {
    let resolve!: () => void;
    let reject!: (error: unknown) => void;
    const promise = new Promise<void>((res, rej) => ((resolve = res), (reject = rej)));
    queue.next = { reasons: [], promise, resolve, reject };
  }
  queue.next.reasons.push(reason);
  const { promise } = queue.next;
  if (!queue.running) void drain(scalarium, cluster, queue);
  return promise;
}

async function drain(scalarium: Scalarium, cluster: Cluster, queue: ClusterQueue): Promise<void> {
  queue.running = true;
  while (queue.next) {
    const run = queue.next;
    queue.next = undefined;
    if (run.reasons.length > 1) {
      scalarium.say(`configure ${cluster.name}: ${run.reasons.length - 1} earlier request(s) superseded`);
    }
    try {
      const instances = (await listInstances(scalarium.db, cluster.id)).filter((i) => i.state === 'online');
      await scalarium.hooks.configure.promise({ cluster, instances, reason: run.reasons.join('; ') });
      run.resolve();
    } catch (error) {
      run.reject(error);
    }
  }
  queue.running = false;
}
