// Git over smart HTTP: koa authenticates and authorises, then native `git http-backend` does the
// protocol work (pack negotiation, quarantine, fsck, atomic ref updates). Pushes carry a one-time
// hook token in the environment so the pre-receive hook can call back into this server.
import { spawn } from 'node:child_process';
import { PassThrough } from 'node:stream';
import type Koa from 'koa';
import type { Scalarium } from '../core/scalarium.ts';
import { isValidName } from '../core/names.ts';
import { findApp } from '../db/apps.ts';
import type { RepoStore } from './repos.ts';
import type { PushSessions } from './push-sessions.ts';
import { appendAudit } from '../db/audit.ts';

const GIT_PATH = /^\/([^/]+)\.git\/(info\/refs|git-upload-pack|git-receive-pack|HEAD)$/;

export function smartHttp(scalarium: Scalarium, repos: RepoStore, sessions: PushSessions, hookUrl: () => string): Koa.Middleware {
  return async (ctx, next) => {
    const match = GIT_PATH.exec(ctx.path);
    if (!match) return next();
    const [, app, service] = match;
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
      await appendAudit(scalarium.db, { actor: principal.user.name, source: ctx.ip, action: isPush ? 'git.push' : 'git.fetch', target: app, outcome: 'denied' });
      // Those who may not even read the app do not learn that it exists.
      const visible = isPush && (await scalarium.hooks.authorize.promise(principal, 'read', { kind: 'app', name: app }));
      ctx.status = visible ? 403 : 404;
      ctx.body = visible ? 'You are not allowed to push to this app.\n' : `No app named ${JSON.stringify(app.slice(0, 60))}.\n`;
      return;
    }

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
      HTTP_CONTENT_ENCODING: ctx.get('content-encoding'),
    };
    if (ctx.get('content-length')) env.CONTENT_LENGTH = ctx.get('content-length');
    let pushToken: string | undefined;
    if (service === 'git-receive-pack') {
      pushToken = sessions.open({ app, principal, source: ctx.ip });
      env.SCALARIUM_HOOK_URL = hookUrl();
      env.SCALARIUM_HOOK_TOKEN = pushToken;
    }

    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    ctx.req.pipe(child.stdin);
    child.stdin.on('error', () => {});
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 10_000) stderr += chunk.toString();
    });
    child.on('close', () => {
      if (pushToken) sessions.close(pushToken);
      if (stderr.trim()) process.stderr.write(`git http-backend (${app}): ${stderr.trim()}\n`);
    });
    // The client went away mid-request: stop git too (res 'close' fires on disconnect or finish).
    ctx.res.on('close', () => {
      if (!ctx.res.writableFinished && child.exitCode === null) child.kill('SIGTERM');
    });

    const { status, headers, body } = await readCgiResponse(child.stdout);
    ctx.status = status;
    for (const [name, value] of headers) ctx.set(name, value);
    ctx.body = body;
  };
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
