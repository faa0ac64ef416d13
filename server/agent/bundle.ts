// Builds the instance program (agent + router + their dependencies) into one ESM file with esbuild,
// once per server start, so an instance needs nothing but Node to join a cluster.
import crypto from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const ENTRY = fileURLToPath(new URL('./bundle-entry.ts', import.meta.url));

let pending: Promise<{ file: string; sha256: string }> | undefined;

export function agentBundle(dir: string): Promise<{ file: string; sha256: string }> {
  pending ??= (async () => {
    await fs.mkdir(dir, { recursive: true });
    const result = await build({
      entryPoints: [ENTRY], bundle: true, platform: 'node', format: 'esm', target: 'node20', write: false, logLevel: 'silent',
      // ws has optional native helpers it loads only if present.
      external: ['bufferutil', 'utf-8-validate'],
      banner: { js: "import { createRequire as __scalariumRequire } from 'node:module'; const require = __scalariumRequire(import.meta.url);" },
    });
    const code = result.outputFiles[0]!.contents;
    const sha256 = crypto.createHash('sha256').update(code).digest('hex');
    const file = path.join(dir, `agent-${sha256.slice(0, 16)}.mjs`);
    await fs.writeFile(file, code);
    return { file, sha256 };
  })().catch((error) => {
    pending = undefined;
    throw error;
  });
  return pending;
}
