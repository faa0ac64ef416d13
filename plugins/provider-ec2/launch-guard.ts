// Two brakes on launching, so that a cluster that cannot get instances stops asking instead of
// looping: a per-role backoff after failed launches or boots (30 s, doubling to 15 min, reset by a
// boot that succeeds), and a runaway guard on launches per cluster per hour.

const BACKOFF_CAP_MS = 15 * 60_000;
export const HOUR_MS = 60 * 60_000;

interface Streak { failures: number; until: number; reason: string }

function clock(at: number): string {
  return new Date(at).toISOString().slice(11, 19);
}

/** Failures in a row per role of one cluster (kept in memory: a restarted server tries again at once). */
export class RoleBackoff {
  private readonly roles = new Map<string, Streak>();

  failed(role: string, reason: string, baseMs: number, now = Date.now()): Streak {
    const failures = (this.roles.get(role)?.failures ?? 0) + 1;
    const streak = { failures, until: now + Math.min(baseMs * 2 ** (failures - 1), BACKOFF_CAP_MS), reason };
    this.roles.set(role, streak);
    return streak;
  }

  succeeded(role: string): void {
    this.roles.delete(role);
  }

  /** Why the role may not launch now, in words; nothing when it may. */
  blocked(role: string, now = Date.now()): string | undefined {
    const streak = this.roles.get(role);
    if (!streak || streak.until <= now) return undefined;
    return describe(streak);
  }
}

export function describe(streak: Streak): string {
  const times = streak.failures === 1 ? 'once' : `${streak.failures} times in a row`;
  return `launching paused until ${clock(streak.until)} UTC: it failed ${times} (last: ${streak.reason.slice(0, 300)})`;
}

/**
 * How many launches a cluster may make in an hour: the setting, else twice what its roles want
 * (every instance replaced twice over) and never fewer than 50.
 */
export function launchesPerHour(setting: number | undefined, desiredTotal: number): number {
  return setting ?? Math.max(50, 2 * desiredTotal);
}

/** Launches recorded in the last hour (rows keep their launch time, so this survives a restart). */
export function recentLaunches(rows: Array<{ launchedAt: string | null }>, now = Date.now()): number {
  return rows.filter((r) => r.launchedAt && now - Date.parse(r.launchedAt) < HOUR_MS).length;
}
