// The router as a process: configuration from the environment, one line on stdout once it listens,
// graceful stop on SIGTERM/SIGINT (in-flight requests finish, up to 10 s).
import { loadRouterConfig } from './config.ts';
import { startRouter } from './router.ts';

export async function runRouterProcess(): Promise<void> {
  const log = (line: string): void => {
    process.stderr.write(`${new Date().toISOString()} router: ${line}\n`);
  };

  try {
    const config = loadRouterConfig();
    if (!config.serverUrl) log('SCALARIUM_SERVER_URL is not set: serving the stored route table only');
    const router = await startRouter({ ...config, log });
    process.stdout.write(`router listening on ${router.url}\n`);

    let stopping = false;
    const stop = (signal: string): void => {
      if (stopping) return;
      stopping = true;
      log(`${signal}: draining`);
      router.close().then(
        () => process.exit(0),
        (error: Error) => {
          log(`shutdown failed: ${error.stack ?? error.message}`);
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', () => stop('SIGTERM'));
    process.on('SIGINT', () => stop('SIGINT'));
  } catch (error) {
    log(`cannot start: ${(error as Error).message}`);
    process.exit(1);
  }
}
