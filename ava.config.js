// Tests are TypeScript run through tsx; end-to-end tests start real servers, agents and git
// clients, so they get generous timeouts and limited concurrency (CI has 2 cores).
export default {
  files: ['test/**/*.test.ts', 'plugins/**/*.test.ts', 'server/**/*.test.ts', 'cli/**/*.test.ts'],
  extensions: { ts: 'module' },
  nodeArguments: ['--import=tsx'],
  timeout: '3m',
  concurrency: 2,
  workerThreads: false,
  verbose: true,
};
