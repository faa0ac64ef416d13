#!/usr/bin/env node
// Compiles the CLI (cli/main.ts and everything it imports) into one JavaScript file, dist/cli.mjs,
// with esbuild, stamped with the sha256 of every source it read (scripts/cli-stamp.js). `npm install`
// runs this through `prepare` (also `npm run build`); bin/scalarium.js runs it itself when a source
// changed since. Loading one compiled file takes a fraction of what compiling TypeScript at run time
// (tsx) takes on every call.
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';
import { CLI_OUTPUT, ROOT, sha256, stampLine } from './cli-stamp.js';

const ENTRY = 'cli/main.ts';
const LOADERS = { '.ts': 'ts', '.mts': 'ts', '.cts': 'ts', '.js': 'js', '.mjs': 'js', '.cjs': 'js', '.json': 'json' };
/** Files that shape the output without being imported: this script's options, the TS settings. */
const ALSO_STAMPED = ['scripts/build-cli.js', 'tsconfig.json'];

/**
 * Builds dist/cli.mjs and returns its path. The hashes are of the very bytes esbuild compiled (read
 * by the plugin below), so a file saved during the build makes the result stale, not wrong. The
 * file is written beside the old one and renamed over it: a CLI starting meanwhile runs either.
 */
export async function buildCli() {
  /** @type {Record<string, string>} */
  const sources = {};
  const hashInputs = {
    name: 'scalarium-hash-inputs',
    /** @param {import('esbuild').PluginBuild} plugin */
    setup(plugin) {
      plugin.onLoad({ filter: /.*/, namespace: 'file' }, async (args) => {
        const contents = await fs.promises.readFile(args.path);
        sources[path.relative(ROOT, args.path)] = sha256(contents);
        const loader = LOADERS[/** @type {keyof typeof LOADERS} */ (path.extname(args.path))];
        return loader ? { contents, loader } : undefined;
      });
    },
  };
  const result = await build({
    absWorkingDir: ROOT, entryPoints: [ENTRY], bundle: true, platform: 'node', format: 'esm', target: 'node20',
    write: false, logLevel: 'silent', plugins: [hashInputs],
    // Class and function names stay as written: error messages and instanceof-free checks may read them.
    keepNames: true,
    // For CommonJS dependencies that call require() (none today): ESM has no require of its own.
    banner: { js: "import { createRequire as __scalariumRequire } from 'node:module'; const require = __scalariumRequire(import.meta.url);" },
  });
  for (const file of ALSO_STAMPED) sources[file] = sha256(fs.readFileSync(path.join(ROOT, file)));
  const sorted = Object.fromEntries(Object.entries(sources).sort(([a], [b]) => a.localeCompare(b)));
  fs.mkdirSync(path.dirname(CLI_OUTPUT), { recursive: true });
  const temporary = `${CLI_OUTPUT}.${process.pid}.tmp`;
  try {
    fs.writeFileSync(temporary, Buffer.concat([Buffer.from(stampLine(sorted)), result.outputFiles[0].contents]));
    fs.renameSync(temporary, CLI_OUTPUT);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
  return CLI_OUTPUT;
}

if (process.argv[1] && fs.realpathSync(process.argv[1]) === fs.realpathSync(new URL(import.meta.url))) {
  try {
    const file = await buildCli();
    console.log(`built ${path.relative(process.cwd(), file) || file}`);
  } catch (error) {
    console.error(`Could not build the CLI: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}
