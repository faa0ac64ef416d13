// Builds the instance program (agent + router + their dependencies) into one ESM file with esbuild,
// once per server start (at its first use), so an instance needs nothing but Node to join a
// cluster. Local instances run the same file: built from the running server's own sources, it
// cannot be older than they are, and it starts without compiling TypeScript.
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
    // Renamed into place: local agents run this very file, and one may start from it (or an EC2
    // instance download it) while a restarted server writes it again.
    const temporary = `${file}.${process.pid}.tmp`;
    await fs.writeFile(temporary, code);
    await fs.rename(temporary, file);
    return { file, sha256 };
  })().catch((error) => {
    pending = undefined;
    throw error;
  });
  return pending;
}
