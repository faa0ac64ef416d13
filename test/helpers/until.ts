// Waiting in tests for something a real server does: `check` is asked again until it answers
// something truthy, and the test fails after `timeoutMs` saying what it waited for. End-to-end
// checks that ask a server over HTTP poll less often (`everyMs`) than in-process ones.
export interface UntilOptions { timeoutMs?: number; everyMs?: number }
/** What `check` answers once it answers something truthy. */
export type Truthy<T> = Exclude<T, false | 0 | '' | null | undefined>;

export async function until<T>(what: string, check: () => T | Promise<T>, options: UntilOptions = {}): Promise<Truthy<T>> {
  const { timeoutMs = 10_000, everyMs = 5 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value as Truthy<T>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}
