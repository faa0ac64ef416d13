#!/usr/bin/env node
// The CLI runs compiled: dist/cli.mjs, built from cli/main.ts by scripts/build-cli.js (`npm install`
// runs it). Compiling the TypeScript at run time (tsx) cost ~1 s per call; see bench/cli-start.ts.
// It must never run code older than the sources: dist/cli.mjs records the sha256 of every source it
// was built from, checked here on every call (a few ms). When one changed (a developer edited
// cli/*.ts, a pull), the CLI first rebuilds (a few hundred ms, once); when it cannot (dist/ not
// writable, a syntax error esbuild rejects) it runs the sources through tsx as before, which also
// reports that error the way TypeScript sees it.
import { pathToFileURL } from 'node:url';
import { CLI_OUTPUT, ROOT, staleReason } from '../scripts/cli-stamp.js';

async function compiledCli() {
  const reason = staleReason();
  if (reason === undefined) return CLI_OUTPUT;
  try {
    const { buildCli } = await import('../scripts/build-cli.js');
    const file = await buildCli();
    if (staleReason() === undefined) return file;
    // A source was saved during the build: its new content is not in the file.
    return undefined;
  } catch (error) {
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    process.stderr.write(
      `scalarium: ${reason} and dist/cli.mjs could not be rebuilt (${why}); running the TypeScript sources, which is slower.\n` +
      `  Run \`npm run build\` in ${ROOT} to fix.\n`,
    );
    return undefined;
  }
}

const compiled = await compiledCli();
if (compiled) {
  await import(pathToFileURL(compiled).href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('../cli/main.ts');
}
