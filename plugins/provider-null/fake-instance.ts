// One FAKE instance of the null provider, for tests: it connects to the server's /agent endpoint
// over a real WebSocket with a real instance token and speaks the real protocol (hello, token
// rotation, requests and replies, log lines and metrics a test makes up) — but it runs nothing. A
// "started" process is an entry in a map, reported ready at once with no port; events run no app
// hooks; a fake router only keeps the last route table it was sent.
import {
  PeerConnection, type HookResult, type LifecycleEventName, type ProcessReport, type AgentRequest as Request,
  type RouteTable, type MetricsMessage,
} from '../../server/plugin-api.ts';

/** A fake process: what a real agent would report, minus a port (nothing listens). */
export type FakeProcess = Omit<ProcessReport, 'port'>;

export interface FakeInstanceOptions {
  url: string;
  instanceId: string;
  kind: 'agent' | 'router';
  token: string;
  /** Answers lifecycle events: the app hooks' results this instance reports (none ran by default). */
  onEvent: (event: LifecycleEventName, apps: string[] | undefined) => Promise<HookResult[]>;
  /** Told of every request taken up (+1) and answered (-1): how one knows the server is done with the fakes. */
  activity: (delta: 1 | -1) => void;
}

export class FakeInstance {
  readonly processes = new Map<string, FakeProcess>();
  /** Routers: the last route table the server sent. */
  table: RouteTable | undefined;
  private readonly connection: PeerConnection;

  constructor(private readonly options: FakeInstanceOptions) {
    this.connection = new PeerConnection({
      url: options.url,
      // pid 0: no process of its own exists; a router claims no port because none listens.
      hello: () => ({
        kind: options.kind, instanceId: options.instanceId, token: options.token, pid: 0,
        ...(options.kind === 'agent' ? { processes: [...this.processes.values()] as ProcessReport[] } : { tableVersion: this.table?.version ?? 0 }),
      }),
      onRequest: async (request) => {
        options.activity(1);
        try {
          return await this.handle(request);
        } finally {
          options.activity(-1);
        }
      },
    });
  }

  get id(): string {
    return this.options.instanceId;
  }

  start(): void {
    this.connection.start();
  }

  stop(): void {
    this.connection.stop();
  }

  /** Sends a line as the app's process `source` (e.g. "web.1") would print it; the server decides whether to keep it. */
  log(app: string, source: string, line: string, at = new Date().toISOString()): void {
    this.connection.send({ type: 'log', app, source, line, at });
  }

  /** Reports a new state of one of its processes as an agent would (a crash, with its restart count). */
  report(id: string, change: Pick<FakeProcess, 'state'> & Partial<Pick<FakeProcess, 'restarts' | 'reason'>>): void {
    const process = this.processes.get(id);
    if (!process) throw new Error(`no process ${id} on ${this.id}`);
    Object.assign(process, change);
    this.connection.send({ type: 'process', process: { ...process, port: 0 } });
  }

  /** Sends a metrics report the test makes up (a fake measures nothing and sends none by itself). */
  metrics(report: Omit<MetricsMessage, 'type' | 'at' | 'intervalMs'> & { at?: string; intervalMs?: number }): void {
    this.connection.send({ type: 'metrics', at: new Date().toISOString(), intervalMs: 10_000, ...report });
  }

  private async handle(request: Request): Promise<unknown> {
    switch (request.op) {
      case 'start': {
        if (this.options.kind !== 'agent') throw new Error('a router runs no processes');
        const { id, app, type, release } = request.spec;
        const process: FakeProcess = { id, app, type, release, state: 'ready', restarts: 0, startedAt: new Date().toISOString() };
        this.processes.set(id, process);
        return process;
      }
      case 'stop':
        for (const id of request.ids) this.processes.delete(id);
        return { stopped: request.ids.length };
      case 'table':
        if (this.options.kind !== 'router') throw new Error('an agent takes no route table');
        if (!this.table || request.table.version > this.table.version) this.table = request.table;
        return { version: this.table.version };
      case 'drain':
        return { drained: request.backends.length };
      case 'event':
        return { hooks: await this.options.onEvent(request.event, (request.payload as { apps?: string[] } | undefined)?.apps) };
      default:
        throw new Error(`unsupported op ${JSON.stringify((request as { op?: unknown }).op)}`);
    }
  }
}
