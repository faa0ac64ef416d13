// clusters, clusters:create, clusters:info, clusters:scale, clusters:destroy: environments on one
// provider (`local` on the server's machine, `ec2` on EC2 or an EC2-compatible cloud) with roles
// and a desired instance count per role (docs/api.md, "Clusters").
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { isValidName } from '../../server/core/names.ts';
import { ApiError, isAbort, NetworkError, type ApiClient } from '../api-client.ts';
import type { Command, Context } from '../command.ts';
import { CliError } from '../errors.ts';
import { fields, plural, shellQuote, table, terminalSafe } from '../output.ts';
import { checkName } from '../scopes.ts';
import type { Cluster, ClusterInstance, ClusterRole, NewClusterBody, RoleCountsBody } from '../types.ts';

/** The API gives an instance's last output lines when it failed or died (docs/api.md). */
type InstanceWithOutput = ClusterInstance & { lastOutput?: string[] | null };


/** The most instances one role may have (server/http/api/bodies/clusters.ts, MAX_INSTANCES_PER_ROLE). */
export const MAX_INSTANCES_PER_ROLE = 100;

/** How often `clusters:scale` looks at the instances while it waits (tests shorten it). */
export const scaleWatch = { intervalMs: 1000 };

const ROLE_COUNT_HINT = `Use ROLE=COUNT with a role name and 0-${MAX_INSTANCES_PER_ROLE} instances, e.g. app=2 router=1.`;
const MAX_SECRET_FILE = 4096;

export function clusterPath(name: string, rest = ''): string {
  return `/api/clusters/${encodeURIComponent(name)}${rest}`;
}

/** Adds "list clusters" to the API's cluster_not_found error, which comes without a hint. */
export async function withClusterHint<T>(task: Promise<T>): Promise<T> {
  try {
    return await task;
  } catch (error) {
    if (error instanceof ApiError && error.code === 'cluster_not_found' && !error.hint) {
      throw new ApiError(error.status, error.code, error.message, 'Run `scalarium clusters` to list clusters.');
    }
    throw error;
  }
}

/** "app=2 router=1", by role name, from the API's role list or a ROLE → COUNT map. */
export function formatRoles(roles: readonly ClusterRole[] | Record<string, number> | undefined): string {
  const entries: [string, number][] = Array.isArray(roles)
    ? roles.map((role) => [role.name, role.count])
    : Object.entries((roles ?? {}) as Record<string, number>);
  entries.sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? entries.map(([name, count]) => `${name}=${count}`).join(' ') : '(none)';
}

/**
 * `ROLE=COUNT` arguments (one argument may hold several, comma-separated: `app=2,router=1`) as a
 * ROLE → COUNT map. Throws an Error whose message is meant for a usage error.
 */
export function parseRoleCounts(args: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const part of args.flatMap((arg) => arg.split(',')).map((p) => p.trim()).filter(Boolean)) {
    const match = /^([^=]*)=(.*)$/.exec(part);
    if (!match) throw new Error(`Expected ROLE=COUNT, got ${JSON.stringify(part)}.`);
    const [, role, count] = match;
    if (!isValidName(role)) throw new Error(`${JSON.stringify(role)} is not a valid role name.`);
    if (!/^\d{1,6}$/.test(count) || Number(count) > MAX_INSTANCES_PER_ROLE) {
      throw new Error(`The count of ${role} must be a whole number from 0 to ${MAX_INSTANCES_PER_ROLE}, got ${JSON.stringify(count)}.`);
    }
    if (role in counts) throw new Error(`The role ${role} is given twice.`);
    counts[role] = Number(count);
  }
  if (Object.keys(counts).length === 0) throw new Error('No ROLE=COUNT given.');
  return counts;
}

function roleCountsOf(ctx: Context, args: readonly string[]): Record<string, number> {
  try {
    return parseRoleCounts(args);
  } catch (error) {
    throw ctx.usage((error as Error).message, ROLE_COUNT_HINT);
  }
}

function desiredCount(cluster: Cluster): number {
  return (cluster.roles ?? []).reduce((sum, role) => sum + (Number.isFinite(role.count) ? role.count : 0), 0);
}

function online(instances: readonly ClusterInstance[] | undefined): number {
  return (instances ?? []).filter((i) => i.state === 'online').length;
}

/** "3 instances online", "2 of 4 instances online (1 booting, 1 failed)", "no instances". */
export function instanceSummary(instances: readonly ClusterInstance[] | undefined): string {
  const all = instances ?? [];
  if (all.length === 0) return 'no instances';
  const up = online(all);
  if (up === all.length) return `${plural(all.length, 'instance')} online`;
  const others = new Map<string, number>();
  for (const instance of all) if (instance.state !== 'online') others.set(instance.state, (others.get(instance.state) ?? 0) + 1);
  const rest = [...others].sort(([a], [b]) => a.localeCompare(b)).map(([state, count]) => `${count} ${state}`);
  return `${up} of ${plural(all.length, 'instance')} online (${rest.join(', ')})`;
}

/** Natural order by role, then id: prod-app-2 before prod-app-10. */
function byRoleAndId(a: ClusterInstance, b: ClusterInstance): number {
  return a.role.localeCompare(b.role) || a.id.localeCompare(b.id, 'en', { numeric: true });
}

async function getCluster(api: ApiClient, name: string): Promise<Cluster> {
  return withClusterHint(api.get<Cluster>(clusterPath(name)));
}

// ---------------------------------------------------------------------------------------------
// clusters

const list: Command = {
  name: 'clusters',
  aliases: ['clusters:list'],
  summary: 'List clusters: provider, roles, instances online, apps',
  json: true,
  description: 'INSTANCES is the number of online instances / the number the roles ask for.',
  examples: ['scalarium clusters', 'scalarium clusters --json'],
  async run(ctx) {
    const clusters = await (await ctx.api()).get<Cluster[]>('/api/clusters');
    if (ctx.json) return ctx.printJson(clusters);
    if (clusters.length === 0) {
      ctx.out('No clusters you may see. An admin creates them with: scalarium clusters:create NAME --provider ec2 …');
      return;
    }
    const rows = [...clusters].sort((a, b) => a.name.localeCompare(b.name)).map((c) => [
      c.name,
      c.provider,
      formatRoles(c.roles),
      `${online(c.instances)}/${desiredCount(c)}`,
      c.apps?.length ? [...c.apps].sort().join(',') : '-',
    ]);
    ctx.out(table(['NAME', 'PROVIDER', 'ROLES', 'INSTANCES', 'APPS'], rows));
  },
};

// ---------------------------------------------------------------------------------------------
// clusters:create

/** The settings a cluster is created with (POST /api/clusters, `settings`). */
type Settings = NonNullable<NewClusterBody['settings']>;
type StringSetting = 'region' | 'endpoint' | 'image' | 'instanceType' | 'subnet' | 'keyPair' | 'serverUrl';

/** Option → settings key, for the plain string settings. */
const STRING_SETTINGS: readonly (readonly [option: string, key: StringSetting])[] = [
  ['region', 'region'],
  ['endpoint', 'endpoint'],
  ['image', 'image'],
  ['instance-type', 'instanceType'],
  ['subnet', 'subnet'],
  ['key-pair', 'keyPair'],
  ['server-url', 'serverUrl'],
];
const URL_OPTIONS = new Set(['endpoint', 'server-url']);

function settingsOf(ctx: Context): Settings {
  const settings: Settings = {};
  for (const [option, key] of STRING_SETTINGS) {
    const value = ctx.string(option);
    if (value === undefined) continue;
    if (value === '' || value.length > 255 || /[\s\0]/.test(value)) {
      throw ctx.usage(`--${option} needs a value of at most 255 characters without spaces.`);
    }
    if (URL_OPTIONS.has(option)) {
      let url: URL | undefined;
      try {
        url = new URL(value);
      } catch {
        url = undefined;
      }
      if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
        throw ctx.usage(`--${option} must be an http:// or https:// URL, got ${JSON.stringify(value)}.`,
          option === 'endpoint' ? 'e.g. https://ec2.my-private-cloud:8773' : 'e.g. https://scalarium.example.com');
      }
      if (url.username || url.password) throw ctx.usage(`Do not put credentials in --${option}.`);
    }
    settings[key] = value;
  }
  if (ctx.flag('spot')) settings.spot = true;
  return settings;
}

function expandPath(ctx: Context, path: string): string {
  if (path === '~' || path.startsWith('~/')) return join(ctx.env.HOME || homedir(), path.slice(1));
  return resolve(ctx.cwd, path);
}

/**
 * The secret access key from a file: the file's one line. Never printed, not even in errors (they
 * name the file only). Warns when other users can read the file.
 */
export async function readSecretFile(ctx: Context, given: string): Promise<string> {
  const path = expandPath(ctx, given);
  const hint = 'Put the secret access key alone in a file (chmod 600), and give that file.';
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new CliError(code === 'ENOENT' ? `${path} does not exist.` : `Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`, hint);
  }
  if (!info.isFile()) throw new CliError(`${path} is not a file.`, hint);
  if (info.size > MAX_SECRET_FILE) throw new CliError(`${path} is too big to hold just a secret access key.`, hint);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new CliError(`Cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'error'}.`, hint);
  }
  const secret = text.trim();
  if (secret === '') throw new CliError(`${path} is empty.`, hint);
  if (/aws_secret_access_key|^\s*\[/im.test(text)) {
    throw new CliError(`${path} looks like an AWS credentials or config file, not a secret access key alone.`, hint);
  }
  if (/[\s\0]/.test(secret)) throw new CliError(`${path} holds more than one line or word; it should hold the secret access key alone.`, hint);
  if (process.platform !== 'win32' && (info.mode & 0o077) !== 0) {
    ctx.err(`▸ ${path} can be read by other users of this machine: chmod 600 ${shellQuote(path)}`);
  }
  return secret;
}

const create: Command = {
  name: 'clusters:create',
  summary: 'Create a cluster on a provider, with roles and instance counts (admin)',
  args: 'NAME',
  positionals: { min: 1, max: 1 },
  options: {
    provider: { type: 'string', short: 'p', value: 'PROVIDER', description: 'local (the server\'s machine; default) or ec2 (EC2 or an EC2-compatible cloud)' },
    region: { type: 'string', value: 'REGION', description: 'ec2: the region, e.g. eu-central-1 (required for ec2)' },
    endpoint: { type: 'string', value: 'URL', description: 'ec2: the EC2 API of a private cloud, e.g. https://ec2.my-cloud:8773 (default: AWS)' },
    image: { type: 'string', value: 'AMI', description: 'ec2: the image id, e.g. ami-0abc… (required for ec2)' },
    'instance-type': { type: 'string', value: 'TYPE', description: 'ec2: the instance type, e.g. t3.small' },
    subnet: { type: 'string', value: 'SUBNET', description: 'ec2: the subnet id to launch into' },
    'key-pair': { type: 'string', value: 'NAME', description: 'ec2: the key pair installed on the instances' },
    spot: { type: 'boolean', description: 'ec2: launch spot instances instead of on-demand ones' },
    'server-url': { type: 'string', value: 'URL', description: 'the URL instances reach the server at (default: the server\'s own)' },
    'access-key-id': { type: 'string', value: 'ID', description: 'ec2: store these credentials with the cluster (with --secret-access-key-file)' },
    'secret-access-key-file': { type: 'string', value: 'FILE', description: 'ec2: a file holding the secret access key alone (with --access-key-id)' },
    'secret-access-key': { type: 'string', value: 'KEY', description: 'not accepted (it would land in your shell history): use --secret-access-key-file' },
    roles: { type: 'string', short: 'r', value: 'ROLES', description: `instances per role, e.g. app=2,router=1 (0-${MAX_INSTANCES_PER_ROLE} each; default: the server's, app=1,router=1)` },
  },
  json: true,
  description:
    'Creates the cluster; the server then launches its instances in the background (watch them with\n' +
    '`scalarium clusters:info NAME`). Apps go onto it with `scalarium apps:create APP --cluster NAME`.\n' +
    'The provider and its settings are checked by the server.\n\n' +
    'Credentials: without --access-key-id the server uses the standard AWS credential chain of its\n' +
    'own environment (AWS_* variables, ~/.aws of its user, an instance role). With --access-key-id and\n' +
    '--secret-access-key-file they are stored with the cluster, encrypted, and never shown again. The\n' +
    'secret is read from the file, never from the command line.',
  examples: [
    'scalarium clusters:create staging --roles app=1,router=1',
    'scalarium clusters:create prod --provider ec2 --region eu-central-1 --image ami-0abc1234 --instance-type t3.small --roles app=2,router=1',
    'scalarium clusters:create lab --provider ec2 --endpoint https://ec2.my-cloud:8773 --region lab --image emi-12345678 \\\n' +
    '      --access-key-id AKIAEXAMPLE --secret-access-key-file ~/.config/lab-secret',
  ],
  async run(ctx) {
    const name = checkName(ctx, 'cluster', ctx.positionals[0]);
    if (ctx.string('secret-access-key') !== undefined) {
      throw ctx.usage('--secret-access-key is not accepted: a secret on the command line ends up in your shell history and in `ps`.',
        'Put the secret access key alone in a file (chmod 600) and give --secret-access-key-file FILE.');
    }
    const provider = ctx.string('provider') ?? 'local';
    const settings = settingsOf(ctx);
    const rolesValue = ctx.string('roles');
    const roles = rolesValue === undefined ? undefined : roleCountsOf(ctx, [rolesValue]);
    const accessKeyId = ctx.string('access-key-id');
    const secretFile = ctx.string('secret-access-key-file');
    if ((accessKeyId === undefined) !== (secretFile === undefined)) {
      throw ctx.usage(accessKeyId === undefined ? '--secret-access-key-file needs --access-key-id ID.' : '--access-key-id needs --secret-access-key-file FILE.',
        'Give both to store credentials with the cluster, or neither: the server then uses its standard AWS credential chain.');
    }
    if (accessKeyId !== undefined && !/^[A-Za-z0-9]{1,128}$/.test(accessKeyId)) {
      // not echoed: it might be the secret, pasted into the wrong option
      throw ctx.usage('--access-key-id must be letters and digits only (like AKIAIOSFODNN7EXAMPLE).',
        'The secret access key goes in a file: --secret-access-key-file FILE.');
    }
    if (accessKeyId !== undefined && secretFile !== undefined) {
      settings.credentials = { accessKeyId, secretAccessKey: await readSecretFile(ctx, secretFile) };
    }
    const body: NewClusterBody = { name, provider, settings, ...(roles ? { roles } : {}) };
    const api = await ctx.api();
    const cluster = await ctx.progress(`Creating cluster ${name} (${provider})`, () => api.post<Cluster>('/api/clusters', body));
    if (ctx.json) return ctx.printJson(cluster);
    const created = cluster ?? { name, provider, roles: [] };
    ctx.out(`Created cluster ${name}: provider ${created.provider ?? provider}, roles ${formatRoles(created.roles ?? roles)}.`);
    if (desiredCount(created) > 0) ctx.out(`Its instances start in the background; watch them with: scalarium clusters:info ${name}`);
    ctx.out(`Put apps on it with: scalarium apps:create APP --cluster ${name}`);
  },
};

// ---------------------------------------------------------------------------------------------
// clusters:info

const SETTING_LABELS: readonly (readonly [key: string, label: string])[] = [
  ['region', 'Region'],
  ['endpoint', 'Endpoint'],
  ['image', 'Image'],
  ['instanceType', 'Instance type'],
  ['subnet', 'Subnet'],
  ['keyPair', 'Key pair'],
  ['spot', 'Spot'],
  ['elasticIpForRouters', 'Router Elastic IPs'],
  ['serverUrl', 'Server URL'],
];
/** Setting names that may hold something secret: never shown, whatever the server sends. */
const SECRET_SETTING = /secret|password|token|credential|private/i;

function settingText(value: unknown): string {
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  if (typeof value === 'string' || typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

/** The settings as `Label: value` pairs, secrets left out (credentials: only whether some are stored). */
export function settingFields(cluster: Cluster): [string, string][] {
  const settings = cluster.settings ?? {};
  const pairs: [string, string][] = [];
  const known = new Set(SETTING_LABELS.map(([key]) => key));
  for (const [key, label] of SETTING_LABELS) {
    const value = settings[key];
    if (value !== undefined && value !== null && value !== '') pairs.push([label, settingText(value)]);
  }
  for (const [key, value] of Object.entries(settings).sort(([a], [b]) => a.localeCompare(b))) {
    if (known.has(key) || SECRET_SETTING.test(key) || value === undefined || value === null || value === '') continue;
    pairs.push([key, settingText(value)]);
  }
  const credentials = settings.credentials;
  if (typeof credentials === 'string' && credentials) pairs.push(['Credentials', credentials]);
  else if (credentials && typeof credentials === 'object') pairs.push(['Credentials', 'stored']);
  else if (cluster.provider === 'ec2') pairs.push(['Credentials', 'none stored: the server\'s AWS credential chain']);
  return pairs;
}

export const INSTANCE_HEADERS = ['ID', 'ROLE', 'STATE', 'ADDRESS', 'PROVIDER-ID', 'CONNECTED'];

export function instanceRows(instances: readonly ClusterInstance[]): string[][] {
  return [...instances].sort(byRoleAndId).map((i) => [
    i.id, i.role, i.state, i.address || '-', i.providerRef || '-', i.connected ? 'yes' : 'no',
  ]);
}

const info: Command = {
  name: 'clusters:info',
  summary: 'Show a cluster: provider settings (no secrets), roles, instances and apps',
  args: 'NAME',
  positionals: { min: 1, max: 1 },
  json: true,
  description:
    'Instance states: requested → booting → setup → online → draining → stopped, or failed (with the\n' +
    'reason below the table). CONNECTED says whether the instance\'s agent is connected right now.\n' +
    'An instance that failed, or should be connected and is not, shows the last lines it printed.',
  examples: ['scalarium clusters:info prod', 'scalarium clusters:info local --json'],
  async run(ctx) {
    const name = checkName(ctx, 'cluster', ctx.positionals[0]);
    const cluster = await getCluster(await ctx.api(), name);
    if (ctx.json) return ctx.printJson(cluster);
    const instances = cluster.instances ?? [];
    const apps = [...(cluster.apps ?? [])].sort();
    ctx.out(`=== ${cluster.name}`);
    ctx.out(fields([
      ['Provider', cluster.provider],
      ...settingFields(cluster),
      ['Roles', formatRoles(cluster.roles)],
      ['Instances', `${instanceSummary(instances)}, ${desiredCount(cluster)} wanted`],
      ['Apps', apps.length ? apps.join(', ') : 'none'],
    ]));
    ctx.out('');
    ctx.out(`=== Instances (${instances.length})`);
    if (instances.length === 0) {
      ctx.out('No instances.');
      return;
    }
    ctx.out(table(INSTANCE_HEADERS, instanceRows(instances)));
    const failed = [...instances].sort(byRoleAndId).filter((i) => i.failure);
    if (failed.length) {
      ctx.out('');
      for (const instance of failed) ctx.out(`${instance.id} ${instance.state}: ${terminalSafe(instance.failure ?? '')}`);
      ctx.out(`The lifecycle event runs may tell more: scalarium events --cluster ${cluster.name} --verbose`);
    }
    for (const instance of [...instances].sort(byRoleAndId) as InstanceWithOutput[]) {
      const lines = (instance.lastOutput ?? []).map((line) => terminalSafe(String(line)).trimEnd());
      if (!lines.length) continue;
      ctx.out('');
      ctx.out(`=== ${instance.id}: its last output (${instance.state}${instance.connected ? '' : ', not connected'})`);
      for (const line of lines) ctx.out(`  ${line}`);
    }
  },
};

// ---------------------------------------------------------------------------------------------
// clusters:scale

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Runs the scaling request while watching the cluster: every instance that appears, changes state or
 * goes away gets a line on stderr ("  prod-app-1a2b (app): booting"). On a TTY a spinner shows how
 * many instances are online; otherwise the lines are printed as they come and, when there were any,
 * the label is repeated with the result.
 */
async function scaleWithProgress(
  ctx: Context, api: ApiClient, name: string, counts: Record<string, number>, baseline: Cluster,
): Promise<{ roles: ClusterRole[]; final: Cluster | undefined }> {
  const stderr = ctx.io.stderr;
  const tty = stderr.isTTY === true;
  const label = `Scaling cluster ${name} to ${formatRoles(counts)}`;
  let states = new Map((baseline.instances ?? []).map((i) => [i.id, i.state]));
  let status = instanceSummary(baseline.instances);
  let lines = 0;
  let frame = 0;
  let finished = false;
  let timer: ReturnType<typeof setInterval> | undefined;
  const draw = () => stderr.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${label}... ${status}`);
  const line = (text: string) => {
    if (tty) {
      stderr.write(`\r\x1b[2K${text}\n`);
      draw();
    } else {
      stderr.write(`${lines === 0 ? '\n' : ''}${text}\n`);
    }
    lines++;
  };
  const observe = (cluster: Cluster) => {
    const now = [...(cluster.instances ?? [])].sort(byRoleAndId);
    for (const instance of now) {
      if (states.get(instance.id) === instance.state) continue;
      line(`  ${instance.id} (${instance.role}): ${instance.state}${instance.failure ? ` — ${instance.failure}` : ''}`);
    }
    const ids = new Set(now.map((i) => i.id));
    for (const id of states.keys()) if (!ids.has(id)) line(`  ${id}: gone`);
    states = new Map(now.map((i) => [i.id, i.state]));
    status = instanceSummary(now);
  };

  let wake: (() => void) | undefined;
  const pause = (ms: number) => new Promise<void>((done) => {
    const t = setTimeout(done, ms);
    wake = () => {
      clearTimeout(t);
      done();
    };
  });
  const watch = (async () => {
    while (!finished) {
      await pause(scaleWatch.intervalMs);
      if (finished) return;
      try {
        const cluster = await api.get<Cluster>(clusterPath(name));
        if (!finished) observe(cluster);
      } catch (error) {
        if (isAbort(error) || ctx.signal?.aborted) return;
        // a failed look is no reason to stop waiting: the next one may work
      }
    }
  })();
  const stop = async () => {
    finished = true;
    wake?.();
    await watch;
  };
  const end = (text: string) => {
    if (timer) clearInterval(timer);
    if (tty) stderr.write(`\r\x1b[2K${label}... ${text}\n`);
    else stderr.write(lines > 0 ? `${label}... ${text}\n` : ` ${text}\n`);
  };

  if (tty) {
    draw();
    timer = setInterval(draw, 80);
  } else {
    stderr.write(`${label}...`);
  }
  let answer: { roles: ClusterRole[] };
  try {
    answer = await withClusterHint(api.patch<{ roles: ClusterRole[] }>(clusterPath(name, '/roles'), counts satisfies RoleCountsBody));
  } catch (error) {
    await stop();
    end(isAbort(error) ? 'interrupted' : 'failed');
    if (error instanceof NetworkError) {
      throw new CliError(`Lost the connection to ${api.server} while cluster ${name} was scaling (${error.reason}).`,
        `The server goes on scaling it: watch it with \`scalarium clusters:info ${name}\`.`);
    }
    throw error;
  }
  await stop();
  let final: Cluster | undefined;
  try {
    final = await api.get<Cluster>(clusterPath(name));
    observe(final);
  } catch {
    // the scaling is done; the last look is only for the report
  }
  end(`done, now ${formatRoles(answer?.roles ?? counts)}${final ? `; ${instanceSummary(final.instances)}` : ''}`);
  return { roles: answer?.roles ?? [], final };
}

const scale: Command = {
  name: 'clusters:scale',
  summary: 'Set how many instances each role of a cluster has, and wait for them (no counts: show them)',
  args: 'NAME [ROLE=COUNT...]',
  positionals: { min: 1, max: Infinity },
  json: true,
  description:
    `Launches or terminates instances until every role has its count (0-${MAX_INSTANCES_PER_ROLE}); roles not named keep\n` +
    'theirs, a new name adds a role. Waits until the instances match, printing each instance\'s state\n' +
    'changes on stderr meanwhile. Needs admin or manager of the cluster.',
  examples: ['scalarium clusters:scale prod app=5 router=1', 'scalarium clusters:scale prod app=2,worker=1', 'scalarium clusters:scale prod'],
  async run(ctx) {
    const name = checkName(ctx, 'cluster', ctx.positionals[0]);
    const args = ctx.positionals.slice(1);
    const counts = args.length ? roleCountsOf(ctx, args) : undefined;
    const api = await ctx.api();
    const cluster = await getCluster(api, name);
    if (!counts) {
      if (ctx.json) return ctx.printJson({ roles: cluster.roles });
      ctx.out(formatRoles(cluster.roles));
      return;
    }
    const { roles, final } = await scaleWithProgress(ctx, api, name, counts, cluster);
    const failed = (final?.instances ?? []).filter((i) => i.state === 'failed');
    for (const instance of failed) ctx.err(`▸ ${instance.id} failed: ${instance.failure ?? 'no reason given'}`);
    if (failed.length) ctx.err(`  See what happened with: scalarium events --cluster ${name} --verbose`);
    if (ctx.json) ctx.printJson({ roles });
  },
};

// ---------------------------------------------------------------------------------------------
// clusters:destroy

const destroy: Command = {
  name: 'clusters:destroy',
  summary: 'Destroy a cluster and terminate its instances (needs --confirm NAME; admin)',
  args: 'NAME',
  positionals: { min: 1, max: 1 },
  options: {
    confirm: { type: 'string', value: 'NAME', description: 'the cluster name again, to confirm' },
  },
  description:
    'Terminates the instances the cluster launched (nothing else in the cloud account) and deletes the\n' +
    'cluster. It must have no apps left: destroy them first. The local cluster cannot be destroyed.\n' +
    'There is no undo, so --confirm must repeat the name.',
  examples: ['scalarium clusters:destroy staging --confirm staging'],
  async run(ctx) {
    const name = checkName(ctx, 'cluster', ctx.positionals[0]);
    const confirm = ctx.string('confirm');
    if (confirm !== name) {
      throw new CliError(
        confirm === undefined
          ? `This destroys the cluster ${name} and terminates its instances. It cannot be undone.`
          : `--confirm ${confirm} does not match the cluster name ${name}; nothing was destroyed.`,
        `To proceed, run: scalarium clusters:destroy ${name} --confirm ${name}`,
      );
    }
    const api = await ctx.api();
    await ctx.progress(`Destroying cluster ${name} (terminating its instances)`,
      () => withClusterHint(api.delete(clusterPath(name))));
  },
};

export const commands: Command[] = [list, create, info, scale, destroy];
