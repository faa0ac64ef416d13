// Output helpers: aligned tables, times, shell quoting and the progress line on stderr
// ("Setting config vars and restarting shop... done, v5") with a spinner only on a TTY.

/** What the CLI writes to: process.stdout/stderr, or a test's collector. */
export interface Output {
  write(chunk: string | Uint8Array): unknown;
  isTTY?: boolean;
}

/** Left-aligned columns separated by two spaces; header row first. */
export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [headers, ...rows];
  const widths = headers.map((_, column) => Math.max(...all.map((row) => (row[column] ?? '').length)));
  return all
    .map((row) => row.map((cell, column) => (column === row.length - 1 ? cell : (cell ?? '').padEnd(widths[column]))).join('  ').trimEnd())
    .join('\n');
}

/** `Label:  value` lines with the values aligned. */
export function fields(pairs: readonly (readonly [string, string])[]): string {
  const width = Math.max(...pairs.map(([label]) => label.length + 1));
  return pairs.map(([label, value]) => `${`${label}:`.padEnd(width)}  ${value}`).join('\n');
}

/** "2026-11-28T10:00:00.000Z" → "2026-11-28 10:00:00 UTC"; anything else as given. */
export function formatTime(value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return `${date.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

/** "3m", "2h", "5d" since the given time. */
export function age(value: unknown, now = Date.now()): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '';
  const then = new Date(value).getTime();
  if (Number.isNaN(then)) return '';
  const seconds = Math.max(0, Math.round((now - then) / 1000));
  if (seconds < 60) return `${seconds}s`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** POSIX single-quoting when the value has anything a shell would interpret. */
export function shellQuote(value: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(value)) return value;
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** "a", "a and b", "a, b and c". */
export function listing(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

export function plural(count: number, word: string, many = `${word}s`): string {
  return `${count} ${count === 1 ? word : many}`;
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/**
 * Runs a long request while showing `label...` on stderr, then ends the line with what `done`
 * returns ("done, v5") or "failed". On a TTY a spinner turns in front of the label; otherwise the
 * line is printed once, in two writes.
 */
export async function progress<T>(stderr: Output, label: string, task: () => Promise<T>, done: (result: T) => string = () => 'done'): Promise<T> {
  const tty = stderr.isTTY === true;
  let timer: ReturnType<typeof setInterval> | undefined;
  if (tty) {
    let frame = 0;
    const draw = () => stderr.write(`\r\x1b[2K${FRAMES[frame++ % FRAMES.length]} ${label}...`);
    draw();
    timer = setInterval(draw, 80);
  } else {
    stderr.write(`${label}... `);
  }
  const finish = (text: string) => {
    if (timer) clearInterval(timer);
    stderr.write(tty ? `\r\x1b[2K${label}... ${text}\n` : `${text}\n`);
  };
  let result: T;
  try {
    result = await task();
  } catch (error) {
    finish(error instanceof Error && error.name === 'AbortError' ? 'interrupted' : 'failed');
    throw error;
  }
  finish(done(result));
  return result;
}

/** A formation as "web=2 worker=1" (types sorted), or "(none)". */
export function formatFormation(formation: Record<string, number> | undefined): string {
  const entries = Object.entries(formation ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return entries.length ? entries.map(([type, count]) => `${type}=${count}`).join(' ') : '(none)';
}

/** Text the server sent (reasons, instance output): escaped there already, but a terminal is not left to trust that (nor an old server). */
export function terminalSafe(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '').replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, '');
}
