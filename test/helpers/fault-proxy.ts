// An HTTP proxy in front of moto that injects the faults a real cloud has:
//   throttle(action, n)        the next n requests of an Action get EC2's RequestLimitExceeded (503);
//   loseResponse(action, n)    the next n requests of an Action reach moto (which acts on them),
//                              then the client's socket is destroyed instead of answered;
//   refuse(action, code, n)    the next n requests of an Action get a 400 with that EC2 error code
//                              (a launch the cloud turns down: InsufficientInstanceCapacity…);
//   notFoundAfterLaunch(n)     the next n DescribeInstances that name a just-launched instance id
//                              are answered InvalidInstanceID.NotFound (eventual consistency).
// The Action is read from the form-encoded body (EC2's query protocol).
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'throttled' | 'refused' | 'lost-response' | 'not-found' | 'held';

export interface ProxiedRequest {
  action: string;
  fault?: Fault;
  /** Instance ids named in the request (InstanceId.N). */
  instanceIds: string[];
}

export interface FaultProxy {
  url: string;
  throttle(action: string, times: number): void;
  loseResponse(action?: string, times?: number): void;
  notFoundAfterLaunch(times?: number): void;
  refuse(action: string, code: string, times: number): void;
  /** The next n requests of an Action reach moto, but their answers wait until release() (e.g. to kill the client meanwhile). */
  hold(action: string, times?: number): void;
  release(): void;
  /** Every request seen, in order. */
  readonly requests: ProxiedRequest[];
  count(action: string, fault?: Fault): number;
  /** Clears armed faults and the request log. */
  reset(): void;
  close(): Promise<void>;
}

function ec2Error(code: string, message: string): string {
  const escape = (s: string) => s.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${escape(code)}</Code><Message>${escape(message)}</Message></Error></Errors><RequestID>fault-proxy-${Date.now()}</RequestID></Response>`;
}

const HOP_BY_HOP = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'upgrade', 'proxy-connection']);

export async function startFaultProxy(target: string): Promise<FaultProxy> {
  const throttles = new Map<string, number>();
  const losses = new Map<string, number>();
  const refusals = new Map<string, { code: string; times: number }>();
  let notFounds = 0;
  const holds = new Map<string, number>();
  let released: Array<() => void> = [];
  const launched = new Set<string>();
  const requests: ProxiedRequest[] = [];

  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const params = new URLSearchParams(body.toString('utf8'));
    const action = params.get('Action') ?? new URL(req.url ?? '/', 'http://x').searchParams.get('Action') ?? '';
    const instanceIds = [...params.entries()].filter(([k]) => /^InstanceId(\.\d+)?$/.test(k)).map(([, v]) => v);
    const entry: ProxiedRequest = { action, instanceIds };
    requests.push(entry);

    const send = (status: number, xml: string) => {
      res.writeHead(status, { 'content-type': 'text/xml;charset=UTF-8' });
      res.end(xml);
    };

    if ((throttles.get(action) ?? 0) > 0) {
      throttles.set(action, throttles.get(action)! - 1);
      entry.fault = 'throttled';
      send(503, ec2Error('RequestLimitExceeded', 'Request limit exceeded.'));
      return;
    }
    const refusal = refusals.get(action);
    if (refusal && refusal.times > 0) {
      refusal.times--;
      entry.fault = 'refused';
      send(400, ec2Error(refusal.code, `fault proxy refuses ${action} (${refusal.code})`));
      return;
    }
    if (action === 'DescribeInstances' && notFounds > 0) {
      const fresh = instanceIds.find((id) => launched.has(id));
      if (fresh) {
        notFounds--;
        launched.delete(fresh);
        entry.fault = 'not-found';
        send(400, ec2Error('InvalidInstanceID.NotFound', `The instance ID '${fresh}' does not exist`));
        return;
      }
    }

    let upstream: Response;
    let answer: Buffer;
    try {
      const headers: Record<string, string> = {};
      for (const [key, value] of Object.entries(req.headers)) {
        if (!HOP_BY_HOP.has(key) && typeof value === 'string') headers[key] = value;
      }
      upstream = await fetch(`${target}${req.url ?? '/'}`, { method: req.method, headers, ...(body.length ? { body } : {}) });
      answer = Buffer.from(await upstream.arrayBuffer());
    } catch (error) {
      send(502, ec2Error('InternalError', `fault proxy: ${(error as Error).message}`));
      return;
    }
    if (action === 'RunInstances' && upstream.ok && notFounds > 0) {
      for (const match of answer.toString('utf8').matchAll(/<instanceId>(i-[0-9a-zA-Z]+)<\/instanceId>/g)) launched.add(match[1]!);
    }
    if ((holds.get(action) ?? 0) > 0) {
      holds.set(action, holds.get(action)! - 1);
      entry.fault = 'held';
      await new Promise<void>((resolve) => released.push(resolve));
      if (req.socket.destroyed) return;
    }
    if ((losses.get(action) ?? 0) > 0) {
      losses.set(action, losses.get(action)! - 1);
      entry.fault = 'lost-response';
      req.socket.destroy();
      return;
    }
    const out: Record<string, string> = {};
    upstream.headers.forEach((value, key) => {
      if (!HOP_BY_HOP.has(key) && key !== 'content-encoding') out[key] = value;
    });
    res.writeHead(upstream.status, out);
    res.end(answer);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    throttle(action, times) {
      throttles.set(action, (throttles.get(action) ?? 0) + times);
    },
    hold(action, times = 1) {
      holds.set(action, (holds.get(action) ?? 0) + times);
    },
    release() {
      const waiting = released;
      released = [];
      for (const resolve of waiting) resolve();
    },
    loseResponse(action = 'RunInstances', times = 1) {
      losses.set(action, (losses.get(action) ?? 0) + times);
    },
    refuse(action, code, times) {
      refusals.set(action, { code, times });
    },
    notFoundAfterLaunch(times = 1) {
      notFounds += times;
    },
    count(action, fault) {
      return requests.filter((r) => r.action === action && (fault === undefined || r.fault === fault)).length;
    },
    reset() {
      throttles.clear();
      losses.clear();
      refusals.clear();
      notFounds = 0;
      requests.length = 0;
    },
    async close() {
      for (const resolve of released.splice(0)) resolve();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
