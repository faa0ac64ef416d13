// The fleet host: the child process the simulated instances of one server live in (fleet.ts starts
// it). Apart from the server so that a benchmark measures the server alone — the simulation's own
// CPU and memory (a thousand WebSocket clients, their JSON) are this process's. One clock drives
// every instance: boots that are due, heartbeats and metrics (each instance at its own offset).
// It ends with its parent: when the IPC channel closes, so does it.
import type { BootOrder, FromHost, ToHost } from './fleet-messages.ts';
import { SimulatedAgent } from './simulated-agent.ts';

const TICK_MS = 100;

const agents = new Map<string, SimulatedAgent>();
/** Boots under way, each until its bootMs has passed. */
let booting: Array<{ dueAt: number; order: BootOrder }> = [];

function tell(message: FromHost): void {
  process.send?.(message);
}

function bootDue(now: number): void {
  if (!booting.length) return;
  const due = booting.filter((b) => b.dueAt <= now);
  if (!due.length) return;
  booting = booting.filter((b) => b.dueAt > now);
  for (const { order } of due) {
    if (order.fails) {
      tell({ type: 'boot-failed', id: order.id, reason: 'the simulated machine failed to boot (as failureRate and seed decided)' });
      continue;
    }
    const agent = new SimulatedAgent(order);
    agents.set(order.id, agent);
    agent.connect();
  }
}

function forget(ids: string[]): void {
  const gone = new Set(ids);
  booting = booting.filter((b) => !gone.has(b.order.id));
  for (const id of ids) agents.delete(id);
}

async function obey(message: ToHost): Promise<void> {
  switch (message.type) {
    case 'boot': {
      const now = Date.now();
      for (const order of message.orders) {
        agents.get(order.id)?.stop();
        forget([order.id]);
        booting.push({ dueAt: now + order.bootMs, order });
      }
      bootDue(now);
      return;
    }
    case 'stop':
      for (const id of message.ids) agents.get(id)?.stop();
      forget(message.ids);
      return;
    case 'kill': {
      const killing = message.ids.map((id) => agents.get(id)?.kill());
      forget(message.ids);
      await Promise.all(killing);
      tell({ type: 'answer', reqId: message.reqId, result: null });
      return;
    }
    case 'mute':
      for (const id of message.ids) agents.get(id)?.mute(message.ms);
      tell({ type: 'answer', reqId: message.reqId, result: null });
      return;
    case 'inspect':
      tell({ type: 'answer', reqId: message.reqId, result: agents.get(message.id)?.view() ?? null });
      return;
  }
}

process.on('message', (message: ToHost) => void obey(message));
process.on('disconnect', () => process.exit(0));
setInterval(() => {
  const now = Date.now();
  bootDue(now);
  for (const agent of agents.values()) agent.tick(now);
}, TICK_MS);
tell({ type: 'ready', pid: process.pid });
