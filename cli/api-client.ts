// The one place that talks HTTP to the Scalarium REST API (docs/api.md): base URL, bearer token,
// JSON in and out, and the API's error shape `{ error: { code, message, hint } }` turned into a
// typed ApiError the CLI prints as `▸ message` + hint.
import http from 'node:http';
import https from 'node:https';
import { Readable } from 'node:stream';
import { CliError, UsageError } from './errors.ts';

export type Query = Record<string, string | number | boolean | undefined>;

/** An error answer of the API, with its stable code (see server/core/errors.ts). */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    hint?: string,
  ) {
    super(message, hint);
    this.name = 'ApiError';
  }
}

/** The server could not be reached at all (refused, unknown host, reset, TLS…). */
export class NetworkError extends CliError {
  constructor(readonly server: string, readonly reason: string) {
    super(
      `cannot reach the server at ${server} — is it running?`,
      `${reason} — check the server URL (\`scalarium login --server URL\`, or SCALARIUM_SERVER).`,
    );
    this.name = 'NetworkError';
  }
}

/**
 * Checks and normalises a server URL given by a person: http(s) only, no credentials, query or
 * fragment, no trailing slash. A path is kept (a server behind a proxy prefix).
 */
export function normalizeServerUrl(input: string): string {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    throw new UsageError(`${JSON.stringify(input)} is not a URL.`, 'Give the server as http://HOST:PORT, e.g. http://127.0.0.1:5050');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new UsageError(`The server URL must start with http:// or https:// (got ${JSON.stringify(input)}).`, 'e.g. http://127.0.0.1:5050');
  }
  if (url.username || url.password) {
    throw new UsageError('Do not put credentials in the server URL.', 'Pass the API token with --token.');
  }
  if (url.search || url.hash) {
    throw new UsageError('The server URL must not have a query string or fragment.');
  }
  return url.href.replace(/\/+$/, '');
}

export interface ApiClientOptions {
  server: string;
  token?: string;
  /** Aborts every request (the CLI wires it to SIGINT). */
  signal?: AbortSignal;
  userAgent?: string;
}

export interface RequestOptions {
  query?: Query;
  body?: unknown;
  /** A binary body (an uploaded tarball) instead of JSON. */
  raw?: { data: Uint8Array; type: string };
  accept?: string;
  /**
   * Work that may take long or stream for hours (a deploy's build, `logs --tail`): sent with
   * node:http(s), which has no timeouts of its own. fetch() gives up after 300 s without headers
   * (a long build) or without a body chunk (a quiet log).
   */
  long?: boolean;
}

export class ApiClient {
  readonly server: string;
  private readonly token: string | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly userAgent: string;

  constructor(options: ApiClientOptions) {
    this.server = options.server.replace(/\/+$/, '');
    this.token = options.token;
    this.signal = options.signal;
    this.userAgent = options.userAgent ?? 'scalarium-cli';
  }

  get<T>(path: string, query?: Query): Promise<T> {
    return this.json<T>('GET', path, { query });
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.json<T>('POST', path, { body: body ?? {} });
  }

  /** GETs a text answer (a build log) as it is. */
  async text(path: string): Promise<string> {
    return this.readText(await this.request('GET', path, { accept: 'text/plain' }));
  }

  /** POSTs a binary body and parses the JSON answer. */
  async upload<T>(path: string, data: Uint8Array, type: string): Promise<T> {
    const response = await this.request('POST', path, { raw: { data, type }, long: true });
    return (await response.json()) as T;
  }

  /** A POST that may take as long as a build and a rollout (deploys): no client-side timeout. */
  postLong<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('POST', path, { body, long: true });
  }

  put<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PUT', path, { body });
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.json<T>('PATCH', path, { body });
  }

  delete<T = undefined>(path: string): Promise<T> {
    return this.json<T>('DELETE', path, {});
  }

  /** A JSON request; an empty answer (204) resolves to undefined. */
  async json<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const response = await this.request(method, path, options);
    const text = await this.readText(response);
    if (text.trim() === '') return undefined as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new CliError(
        `The server at ${this.server} answered ${method} ${path} with something that is not JSON.`,
        'Is this URL a Scalarium server? Check `scalarium whoami`.',
      );
    }
  }

  /** A streaming text request (logs): the response body, to be read chunk by chunk, for as long as it lasts. */
  async stream(path: string, query?: Query): Promise<ReadableStream<Uint8Array>> {
    const response = await this.request('GET', path, { query, accept: 'text/plain', long: true });
    if (!response.body) return new ReadableStream({ start: (controller) => controller.close() });
    return response.body;
  }

  /**
   * A request answered with NDJSON events (a deploy's progress), yielded one by one for as long as
   * the answer lasts. A server that answers with one JSON document instead yields it as `{release}`.
   */
  async *events(method: string, path: string, options: Pick<RequestOptions, 'body' | 'raw'>): AsyncGenerator<Record<string, unknown>> {
    const response = await this.request(method, path, { ...options, accept: 'application/x-ndjson', long: true });
    if (!(response.headers.get('content-type') ?? '').includes('ndjson')) {
      yield { release: JSON.parse(await this.readText(response)) as unknown };
      return;
    }
    if (!response.body) return;
    const decoder = new TextDecoder();
    let pending = '';
    try {
      for await (const chunk of response.body) {
        pending += decoder.decode(chunk, { stream: true });
        let newline: number;
        while ((newline = pending.indexOf('\n')) >= 0) {
          const line = pending.slice(0, newline).trim();
          pending = pending.slice(newline + 1);
          if (line) yield this.event(line, method, path);
        }
      }
    } catch (error) {
      throw this.transportError(error);
    }
    if (pending.trim()) yield this.event(pending.trim(), method, path);
  }

  private event(line: string, method: string, path: string): Record<string, unknown> {
    try {
      const event = JSON.parse(line) as unknown;
      if (event && typeof event === 'object' && !Array.isArray(event)) return event as Record<string, unknown>;
    } catch {
      // described below
    }
    throw new CliError(`The server at ${this.server} answered ${method} ${path} with a line that is not a JSON event: ${line.slice(0, 80)}`);
  }

  url(path: string, query?: Query): string {
    const url = new URL(`${this.server}${path.startsWith('/') ? '' : '/'}${path}`);
    for (const [key, value] of Object.entries(query ?? {})) {
      if (value !== undefined && value !== false) url.searchParams.set(key, value === true ? '1' : String(value));
    }
    return url.href;
  }

  /** Sends the request; non-2xx answers become ApiError, network failures NetworkError. */
  async request(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
    const headers: Record<string, string> = {
      accept: options.accept ?? 'application/json',
      'user-agent': this.userAgent,
    };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let body: string | Uint8Array | undefined;
    if (options.raw) {
      headers['content-type'] = options.raw.type;
      body = options.raw.data;
    } else if (options.body !== undefined) {
      headers['content-type'] = 'application/json';
      body = JSON.stringify(options.body);
    }
    let response: Response;
    try {
      const url = this.url(path, options.query);
      response = options.long
        ? await requestWithoutTimeouts(url, method, headers, body, this.signal)
        : await fetch(url, { method, headers, body: body instanceof Uint8Array ? new Blob([new Uint8Array(body)]) : body, signal: this.signal, redirect: 'manual' });
    } catch (error) {
      throw this.transportError(error);
    }
    if (response.ok) return response;
    throw await this.errorFrom(response);
  }

  private async readText(response: Response): Promise<string> {
    try {
      return await response.text();
    } catch (error) {
      throw this.transportError(error);
    }
  }

  private transportError(error: unknown): unknown {
    if (isAbort(error) || this.signal?.aborted) return error;
    return new NetworkError(this.server, describeCause(error));
  }

  private async errorFrom(response: Response): Promise<ApiError> {
    let text = '';
    try {
      text = await response.text();
    } catch {
      // the status alone has to do
    }
    try {
      const data = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; hint?: unknown } };
      const e = data?.error;
      if (e && typeof e.code === 'string' && typeof e.message === 'string') {
        return new ApiError(response.status, e.code, e.message, typeof e.hint === 'string' && e.hint ? e.hint : undefined);
      }
    } catch {
      // not the API's error shape: describe the status below
    }
    if (response.status === 401) {
      return new ApiError(401, 'unauthenticated', 'Authentication required: the server did not accept the API token.',
        'Log in with `scalarium login --server URL --token TOKEN`.');
    }
    const location = response.headers.get('location');
    const status = `${response.status}${response.statusText ? ` ${response.statusText}` : ''}${location ? ` (redirect to ${location})` : ''}`;
    return new ApiError(response.status, `http_${response.status}`, `The server at ${this.server} answered ${status}.`,
      response.status === 404 || (response.status >= 300 && response.status < 400)
        ? 'Is this URL a Scalarium server (the API lives under /api)?'
        : undefined);
  }
}

/** The same request with node:http(s), answered as a fetch Response (its body streams). */
function requestWithoutTimeouts(url: string, method: string, headers: Record<string, string>, body: string | Uint8Array | undefined, signal?: AbortSignal): Promise<Response> {
  // An uploaded tarball is sent as it is: no copy of it (it may be hundreds of MB).
  const data = typeof body === 'string' ? Buffer.from(body) : body;
  const client = new URL(url).protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(url, { method, headers: { ...headers, ...(data ? { 'content-length': String(data.length) } : {}) }, signal }, (res) => {
      const status = res.statusCode ?? 502;
      const answer = new Headers();
      for (const [key, value] of Object.entries(res.headers)) if (value !== undefined) answer.set(key, Array.isArray(value) ? value.join(', ') : value);
      // A Response may not have a body for these statuses.
      const stream = status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream<Uint8Array>);
      if (!stream) res.resume();
      resolve(new Response(stream, { status, statusText: res.statusMessage ?? '', headers: answer }));
    });
    req.once('error', reject);
    req.end(data);
  });
}

export function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || (error as { code?: string }).code === 'ABORT_ERR');
}

/** fetch() hides the reason in `cause` ("fetch failed" → "connect ECONNREFUSED 127.0.0.1:5050"). */
function describeCause(error: unknown): string {
  let current: unknown = error;
  let message = '';
  for (let depth = 0; current instanceof Error && depth < 5; depth++) {
    const code = (current as { code?: unknown }).code;
    if (current.message && current.message !== 'fetch failed') message = current.message;
    else if (!message && typeof code === 'string') message = code;
    current = (current as { cause?: unknown }).cause;
  }
  return (message || 'the request failed').replace(/\.$/, '');
}
