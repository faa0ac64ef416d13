// Git over smart HTTP: koa authenticates and authorises, then native `git http-backend` does the
// protocol work (pack negotiation, quarantine, fsck, atomic ref updates). Pushes carry a one-time
// hook token in the environment so the pre-receive hook can call back into this server.
import { spawn } from 'node:child_process';
import { PassThrough, type Readable, type Writable } from 'node:stream';
import zlib from 'node:zlib';
import type Koa from 'koa';
import type { Scalarium } from '../core/scalarium.ts';
import { isValidName } from '../core/names.ts';
import { findApp } from '../db/apps.ts';
import type { RepoStore } from './repos.ts';
import type { PushSessions } from './push-sessions.ts';
import { audit } from '../core/audit.ts';
import { ScalariumError } from '../core/errors.ts';
import { settleRefs } from '../deploy/settle.ts';

const GIT_PATH = /^\/([^/]+)\.git\/(info\/refs|git-upload-pack|git-receive-pack|HEAD)$/;

export function smartHttp(scalarium: Scalarium, repos: RepoStore, sessions: PushSessions, hookUrl: () => string): Koa.Middleware {
  return async (ctx, next) => {
    const match = GIT_PATH.exec(ctx.path);
    if (!match) return next();
    const [, app, service] = match;
    ctx.state.gitRequest = true; // counted as route "git" (server/http/app.ts)
    const isPush = service === 'git-receive-pack' || ctx.query.service === 'git-receive-pack';

    const principal = await scalarium.hooks.authenticate.promise({ token: basicPassword(ctx.get('authorization')) });
    if (!principal) {
      ctx.status = 401;
      ctx.set('WWW-Authenticate', 'Basic realm="Scalarium"');
      ctx.body = 'Authentication required: use an API token as the password.\n';
      return;
    }
    const appRow = isValidName(app) ? await findApp(scalarium.db, app) : undefined;
    if (!appRow || !repos.exists(app)) {
      ctx.status = 404;
      ctx.body = `No app named ${JSON.stringify(app.slice(0, 60))}.\n`;
      return;
    }
    const allowed = await scalarium.hooks.authorize.promise(principal, isPush ? 'deploy' : 'read', { kind: 'app', name: app });
    if (!allowed) {
      await audit(scalarium, principal.user.name, isPush ? 'git.push' : 'git.fetch', app, { outcome: 'denied', source: ctx.ip });
      // Those who may not even read the app do not learn that it exists.
      const visible = isPush && (await scalarium.hooks.authorize.promise(principal, 'read', { kind: 'app', name: app }));
      ctx.status = visible ? 403 : 404;
      ctx.body = visible ? 'You are not allowed to push to this app.\n' : `No app named ${JSON.stringify(app.slice(0, 60))}.\n`;
      return;
    }

    const maxBytes = scalarium.config.maxPushBytes;
    const receivesPack = service === 'git-receive-pack'; // the POST that carries a push's pack
    const declared = ctx.get('content-length');
    if (receivesPack && declared && Number(declared) > maxBytes) {
      // Refused before git starts (and without reading the body): nothing reaches the repository.
      await tooLarge(scalarium, ctx, principal.user.name, app, maxBytes);
      return;
    }
    // The limit is on what git stores, so a gzip-encoded push is inflated here and counted after
    // inflating (a small compressed body can expand without bound); git then reads plain bytes.
    const encoding = ctx.get('content-encoding').toLowerCase();
    const inflate = receivesPack && (encoding === 'gzip' || encoding === 'x-gzip');

    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_PROJECT_ROOT: repos.root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: ctx.path,
      REQUEST_METHOD: ctx.method,
      QUERY_STRING: ctx.querystring,
      CONTENT_TYPE: ctx.get('content-type'),
      REMOTE_USER: principal.user.name,
      REMOTE_ADDR: ctx.ip,
      GIT_PROTOCOL: ctx.get('git-protocol'),
      HTTP_CONTENT_ENCODING: inflate ? '' : ctx.get('content-encoding'),
    };
    // Without CONTENT_LENGTH git reads its input to EOF (as for chunked requests).
    if (declared && !inflate) env.CONTENT_LENGTH = declared;
    let pushToken: string | undefined;
    if (receivesPack) {
      pushToken = sessions.open({ app, principal, source: ctx.ip });
      env.SCALARIUM_HOOK_URL = hookUrl();
      env.SCALARIUM_HOOK_TOKEN = pushToken;
      // Belt and braces: receive-pack refuses a pack stream over the limit by itself too.
      env.GIT_CONFIG_COUNT = '1';
      env.GIT_CONFIG_KEY_0 = 'receive.maxInputSize';
      env.GIT_CONFIG_VALUE_0 = String(maxBytes);
    }

    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    child.stdin.on('error', () => {});
    const exited = new Promise<'exited'>((resolve) => child.once('exit', () => resolve('exited')));
    const fed = receivesPack ? pipeLimited(ctx.req, child.stdin, inflate, maxBytes) : undefined;
    if (!fed) ctx.req.pipe(child.stdin);
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 10_000) stderr += chunk.toString();
    });
    child.on('close', () => {
      if (pushToken) sessions.close(pushToken);
      // Git has moved (or not) the pushed branch: the other branches of the release follow.
      if (pushToken) void settleRefs(scalarium, app).catch((error: Error) => process.stderr.write(`settling ${app}'s branches failed: ${error.message}\n`));
      if (stderr.trim()) process.stderr.write(`git http-backend (${app}): ${stderr.trim()}\n`);
    });
    // The client went away mid-request: stop git too (res 'close' fires on disconnect or finish).
    ctx.res.on('close', () => {
      if (!ctx.res.writableFinished && child.exitCode === null) child.kill('SIGTERM');
    });

    const cgi = readCgiResponse(child.stdout);
    if (fed) {
      // http-backend prints its headers (a 200) before it reads the push, and receive-pack answers
      // only once it has all of it; so git's answer is relayed after the whole body went in, and a
      // push over the limit can still get a proper 413 instead of a 200 cut short.
      cgi.catch(() => {}); // a killed git ends without a response
      const input = await Promise.race([fed, exited]);
      if (input === 'too-large' || input === 'bad-body') {
        // Its input is already cut: receive-pack sees a truncated pack, fails and discards the
        // quarantined objects itself (killing it mid-way can leave the quarantine behind). Should
        // it linger anyway, it is killed. Should it have had a whole pack before the excess (a
        // crafted body), its pre-receive hook finds the session gone and declines the push.
        if (pushToken) sessions.close(pushToken);
        const timer = setTimeout(() => child.kill('SIGTERM'), 10_000);
        child.once('exit', () => clearTimeout(timer));
        void cgi.then(({ body }) => body.resume(), () => {});
        if (input === 'too-large') {
          await tooLarge(scalarium, ctx, principal.user.name, app, maxBytes);
        } else {
          ctx.status = 400;
          ctx.set('Connection', 'close');
          ctx.type = 'text/plain; charset=utf-8';
          ctx.body = 'The request body is not valid gzip.\n';
        }
        return;
      }
    }
    const { status, headers, body } = await cgi;
    ctx.status = status;
    for (const [name, value] of headers) ctx.set(name, value);
    ctx.body = body;
  };
}

/** 413 with the limit and how to raise it; the connection is closed instead of reading the rest. */
async function tooLarge(scalarium: Scalarium, ctx: Koa.Context, actor: string, app: string, maxBytes: number): Promise<void> {
  const error = new ScalariumError('push_too_large', { limit: Math.round(maxBytes / (1024 * 1024)) });
  await audit(scalarium, actor, 'git.push', app, { outcome: 'denied', source: ctx.ip, detail: { reason: error.message } });
  ctx.status = error.status;
  ctx.set('Connection', 'close');
  ctx.type = 'text/plain; charset=utf-8';
  ctx.body = `${error.message}\n${error.hint}\n`;
}

/**
 * Pipes a push body into git (inflating gzip first when asked), counting the bytes git gets.
 * Resolves 'done' once all of it went in; past `limit` it stops at once — the chunk that crosses
 * the limit is not written and git's input is closed — and resolves 'too-large'; a corrupt gzip
 * body resolves 'bad-body'.
 */
function pipeLimited(req: Readable, stdin: Writable, inflate: boolean, limit: number): Promise<'done' | 'too-large' | 'bad-body'> {
  return new Promise((resolve) => {
    const gunzip = inflate ? zlib.createGunzip() : undefined;
    const source: Readable = gunzip ?? req;
    let count = 0;
    let stopped = false;
    const stop = (reason: 'too-large' | 'bad-body'): void => {
      if (stopped) return;
      stopped = true;
      source.off('data', onData);
      if (gunzip) {
        req.unpipe(gunzip);
        gunzip.destroy();
      }
      stdin.destroy();
      // What the client still sends is read and dropped until the answer is out and the
      // connection closes: a paused upload would keep the client from reading the answer.
      req.resume();
      resolve(reason);
    };
    const onData = (chunk: Buffer): void => {
      count += chunk.length;
      if (count > limit) return stop('too-large');
      if (!stdin.write(chunk)) source.pause();
    };
    source.on('data', onData);
    stdin.on('drain', () => {
      if (!stopped) source.resume();
    });
    source.on('end', () => {
      if (stopped) return;
      stdin.end();
      resolve('done');
    });
    if (gunzip) {
      gunzip.on('error', () => stop('bad-body'));
      req.pipe(gunzip);
    }
  });
}

function basicPassword(header: string): string | undefined {
  const [scheme, encoded] = header.split(' ');
  if (scheme?.toLowerCase() !== 'basic' || !encoded) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon >= 0 ? decoded.slice(colon + 1) : undefined;
}

/** Splits a CGI response into status, headers and a streaming body. */
function readCgiResponse(stdout: NodeJS.ReadableStream): Promise<{ status: number; headers: Array<[string, string]>; body: PassThrough }> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const body = new PassThrough();
    let done = false;
    const onData = (chunk: Buffer) => {
      if (done) return;
      head = Buffer.concat([head, chunk]);
      const end = headerEnd(head);
      if (!end) return;
      done = true;
      stdout.removeListener('data', onData);
      const headers: Array<[string, string]> = [];
      let status = 200;
      for (const line of head.subarray(0, end.index).toString('latin1').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon <= 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = parseInt(value, 10) || 500;
        else headers.push([name, value]);
      }
      body.write(head.subarray(end.index + end.length));
      stdout.pipe(body);
      resolve({ status, headers, body });
    };
    stdout.on('data', onData);
    stdout.on('end', () => {
      if (!done) reject(new Error('git http-backend ended without a response'));
    });
  });
}

function headerEnd(buf: Buffer): { index: number; length: number } | undefined {
  const crlf = buf.indexOf('\r\n\r\n');
  if (crlf >= 0) return { index: crlf, length: 4 };
  const lf = buf.indexOf('\n\n');
  return lf >= 0 ? { index: lf, length: 2 } : undefined;
}
