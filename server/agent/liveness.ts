// Liveness: a web process that passed readiness keeps being probed the same way (readiness.ts), so
// that one which still runs but no longer answers — a deadlock, a full pool, a wedged event loop —
// is noticed; a crash alone would be. One probe at a time: the next waits `intervalMs` after the
// previous one ended, so a slow app is never asked twice at once.
import { probe } from './readiness.ts';
import type { LivenessCheck } from './protocol.ts';

export interface LivenessWatch {
  /** No probe after this one; an answer still awaited is dropped. */
  stop(): void;
}

/**
 * Probes 127.0.0.1:`port` every `check.intervalMs`. After `check.failures` failures in a row it
 * calls `unhealthy` once, with the count and the last failure ("GET /health: HTTP 503"), and stops:
 * what follows (a restart) is the caller's. A probe that passes starts the count again.
 */
export function watchLiveness(port: number, check: LivenessCheck, unhealthy: (failures: number, why: string) => void): LivenessWatch {
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let failures = 0;
  const next = () => {
    timer = setTimeout(() => void once(), check.intervalMs);
  };
  const once = async () => {
    const result = await probe(port, check, abort.signal);
    if (abort.signal.aborted) return;
    if (result.ok) {
      failures = 0;
    } else if (++failures >= check.failures) {
      abort.abort();
      unhealthy(failures, `GET ${check.path}: ${result.why}`);
      return;
    }
    next();
  };
  next();
  return {
    stop() {
      abort.abort();
      clearTimeout(timer);
    },
  };
}
