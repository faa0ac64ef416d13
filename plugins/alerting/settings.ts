// The operator's settings of alerting, from the environment, checked at start.
export interface AlertingSettings {
  intervalMs: number;
  /** what a rule's figure is read over: the complete 10 s buckets of the last windowMs */
  windowMs: number;
  timeoutMs: number;
  retryBaseMs: number;
  maxAttempts: number;
}

function seconds(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback * 1000;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) throw new Error(`${name} must be a number of seconds from ${min} to ${max}, got "${raw}"`);
  return Math.round(n * 1000);
}

export function alertingSettings(env: NodeJS.ProcessEnv = process.env): AlertingSettings {
  const attempts = env.SCALARIUM_NOTIFY_ATTEMPTS ?? '5';
  if (!/^\d+$/.test(attempts) || Number(attempts) < 1 || Number(attempts) > 20) throw new Error(`SCALARIUM_NOTIFY_ATTEMPTS must be a whole number from 1 to 20, got "${attempts}"`);
  return {
    intervalMs: seconds(env, 'SCALARIUM_ALERT_INTERVAL', 10, 0.1, 300),
    // 20 s at least: a shorter window holds no complete 10 s bucket at most times.
    windowMs: seconds(env, 'SCALARIUM_ALERT_WINDOW', 60, 20, 3600),
    timeoutMs: seconds(env, 'SCALARIUM_NOTIFY_TIMEOUT', 10, 0.1, 120),
    retryBaseMs: seconds(env, 'SCALARIUM_NOTIFY_RETRY_BASE', 10, 0.05, 3600),
    maxAttempts: Number(attempts),
  };
}
