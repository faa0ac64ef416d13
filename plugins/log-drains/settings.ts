// The operator's settings of log drains (environment variables, read when the server starts):
// how much each drain may buffer, how long to wait for a receiver, how long to back off, and which
// extra certificate authorities TLS drains trust.
import fs from 'node:fs';
import tls from 'node:tls';

export interface DrainSettings {
  /** Per drain: at most this many messages… */
  bufferMessages: number;
  /** …and this many bytes wait (the batch being sent included); then the oldest are dropped. */
  bufferBytes: number;
  /** Connecting, a POST's answer, a write reaching the kernel: longer means the receiver is stuck. */
  timeoutMs: number;
  /** Retries back off from 250 ms, doubling, up to this. */
  backoffMaxMs: number;
  /** Certificate authorities for syslog+tls and https drains; undefined: the system's. */
  ca?: string[];
}

function whole(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number): number {
  const value = env[name];
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`${name} must be a whole number of at least ${min}, got "${value.slice(0, 40)}"`);
  return n;
}

export function drainSettings(env: NodeJS.ProcessEnv = process.env): DrainSettings {
  const caFile = env.SCALARIUM_DRAINS_CA_FILE;
  let ca: string[] | undefined;
  if (caFile) {
    let pem: string;
    try {
      pem = fs.readFileSync(caFile, 'utf8');
    } catch (error) {
      throw new Error(`SCALARIUM_DRAINS_CA_FILE: cannot read ${caFile} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`SCALARIUM_DRAINS_CA_FILE: ${caFile} holds no PEM certificate`);
    // In addition to the system's authorities, not instead of them: other drains keep working.
    ca = [...tls.rootCertificates, pem];
  }
  return {
    bufferMessages: whole(env, 'SCALARIUM_DRAINS_BUFFER_MESSAGES', 10_000, 10),
    bufferBytes: whole(env, 'SCALARIUM_DRAINS_BUFFER_BYTES', 8 * 1024 * 1024, 64 * 1024),
    timeoutMs: whole(env, 'SCALARIUM_DRAINS_TIMEOUT_MS', 30_000, 100),
    backoffMaxMs: whole(env, 'SCALARIUM_DRAINS_BACKOFF_MAX_MS', 60_000, 10),
    ca,
  };
}
