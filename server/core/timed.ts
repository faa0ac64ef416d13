// Measures one phase (a build step, a deployment step) whether it succeeds or throws.
export async function timed<T>(fn: () => Promise<T>, record: (ms: number) => void): Promise<T> {
  const start = performance.now();
  try {
    return await fn();
  } finally {
    record(Math.round(performance.now() - start));
  }
}
