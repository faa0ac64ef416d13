// Unpacks untrusted tarballs (deploy archives, buildpack tarballs, slugs) into an empty folder.
// The server runs as root, so an archive may create only regular files, folders and symbolic links
// that stay inside the folder, and nothing is ever written through a symbolic link. Owners from the
// archive are ignored; setuid, setgid, sticky and world-writable bits are dropped. Sizes and entry
// counts come from the tar headers as they are parsed, so a bomb stops before its data is written.
//
// Refused (ArchiveError, nothing left behind): entry paths that are absolute, contain `..` or a NUL
// byte (no honest archive has them), damaged or non-tar data, archives over the limits.
// Skipped and reported: hard links (all of them), devices, FIFOs, unknown entry types, symbolic
// links pointing outside (absolute, or climbing out), and entries below a symbolic link.
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import path from 'node:path';
import { pipeline, type Readable } from 'node:stream';
import zlib from 'node:zlib';
import { Header, Parser, Unpack, type ReadEntry } from 'tar';

export interface ExtractLimits {
  /** Uncompressed bytes: the sum of the entries' sizes. */
  maxBytes: number;
  /** Entries of every kind, skipped ones included. */
  maxEntries: number;
}

export interface ExtractOptions extends ExtractLimits {
  /**
   * Strip one top-level folder when every entry lives under the same single top-level directory
   * (forge tarballs: repo-abc123/...). Decided from the entries' paths as listed in the archive,
   * never by looking at the disk.
   */
  stripSingleTopFolder?: boolean;
  /**
   * When the process is root: owner given to every extracted file, directory and symbolic link
   * (default: the current uid/gid; never the uid/gid recorded in the archive).
   */
  owner?: { uid: number; gid: number };
}

export interface ExtractReport {
  /** Entries extracted, by kind (folders only implied by paths are not counted). */
  files: number;
  dirs: number;
  symlinks: number;
  /** Bytes of the regular files written. */
  bytes: number;
  /** What was left out and why: the first 1000, then one summary item. */
  skipped: Array<{ path: string; reason: string }>;
}

/** What is wrong with the archive, worded for the person who provided it. */
export class ArchiveError extends Error {
  override name = 'ArchiveError';
}

const FILE_TYPES = new Set(['File', 'OldFile', 'ContiguousFile']);
const SKIP_REASONS: Record<string, string> = {
  Link: 'hard link: not supported (an archive could link to files it does not contain)',
  CharacterDevice: 'device file: not allowed',
  BlockDevice: 'device file: not allowed',
  FIFO: 'named pipe (FIFO): not allowed',
};
/** Modes keep the user's bits and read/execute for others; the process umask applies on top. */
const MODE_MASK = 0o755;
const MAX_LISTED_SKIPS = 1000;
/** Tar data beyond the entries' contents (headers, pax records, padding) that we accept. */
const OVERHEAD_PER_ENTRY = 8 * 1024;
const OVERHEAD = 16 * 1024 * 1024;
const REMAKE = 'create it again with `tar -czf app.tar.gz -C my-app .`';

/** Unpacks a .tar or .tar.gz (recognised by content, not name) into `targetDir`, which must exist and be empty. */
export async function extractArchive(archive: string, targetDir: string, options: ExtractOptions): Promise<ExtractReport> {
  const target = path.resolve(targetDir);
  if (!(await fsp.lstat(target)).isDirectory()) throw new Error(`cannot unpack into ${target}: not a folder`);
  if ((await fsp.readdir(target)).length > 0) throw new Error(`cannot unpack into ${target}: the folder is not empty`);
  const gzip = await hasGzipMagic(archive);
  // A first pass that writes nothing: the folder to strip must be known before the first entry is
  // placed, because symbolic links are checked against where they end up.
  const top = options.stripSingleTopFolder ? await singleTopFolder(archive, gzip, options) : undefined;
  const extraction = new Extraction(target, top, options);
  try {
    await parse(archive, gzip, options, (entry) => extraction.admit(entry), extraction.unpackOptions());
    await extraction.chownSymlinks();
  } catch (error) {
    await emptyFolder(target);
    throw error;
  }
  return extraction.report;
}

/** Decides what each entry becomes and keeps the report. */
class Extraction {
  readonly report: ExtractReport = { files: 0, dirs: 0, symlinks: 0, bytes: 0, skipped: [] };
  /** Paths (as keys) extracted as symbolic links: nothing may be placed below them. */
  private readonly links = new Set<string>();
  private readonly linkPaths: string[] = [];
  private readonly owner: { uid: number; gid: number } | undefined;
  private sawGlobalHeader = false;
  private skips = 0;

  constructor(private readonly target: string, private readonly top: string | undefined, options: ExtractOptions) {
    this.owner = process.getuid?.() === 0 ? options.owner : undefined;
  }

  unpackOptions(): ConstructorParameters<typeof Unpack>[0] {
    return {
      cwd: this.target,
      preserveOwner: false,
      ...(this.owner ? { uid: this.owner.uid, gid: this.owner.gid } : {}),
      // With chmod, folders created before their own entry still get that entry's mode, and
      // implicitly created folders are 0755 whatever the process umask says.
      chmod: true,
      processUmask: 0o022,
    };
  }

  /** Called with each entry's header before any of its data is written: true to extract it. */
  admit(entry: ReadEntry): boolean {
    const listed = entry.path;
    let parts = entryPath(listed);
    if (entry.globalExtended && !this.sawGlobalHeader) {
      this.sawGlobalHeader = true;
      this.skip('pax_global_header', 'pax global header: archive metadata (git archive puts the commit id there), not a file');
    }
    if (this.top !== undefined) {
      if (parts.length > 0 && parts[0] !== this.top) throw new ArchiveError('the archive changed while it was being unpacked; try again');
      parts = parts.slice(1);
    }
    // The archive's root ('./', or the stripped folder) is the target folder itself: it keeps its own mode and owner.
    if (parts.length === 0) return entry.type === 'Directory' ? false : this.skip(listed, 'replaces the archive root');
    if (parts.slice(0, -1).some((_, i) => this.links.has(key(parts.slice(0, i + 1))))) {
      return this.skip(listed, 'below a symbolic link of the archive: never written through a link');
    }
    if (FILE_TYPES.has(entry.type)) {
      this.report.files += 1;
      this.report.bytes += entry.size;
    } else if (entry.type === 'Directory') {
      this.report.dirs += 1;
    } else if (entry.type === 'SymbolicLink') {
      const problem = linkProblem(parts, entry.linkpath ?? '');
      if (problem) return this.skip(listed, problem);
      this.links.add(key(parts));
      this.linkPaths.push(parts.join('/'));
      this.report.symlinks += 1;
    } else {
      return this.skip(listed, entry.meta ? 'tar metadata header over 1 MiB: ignored' : (SKIP_REASONS[entry.type] ?? `unsupported entry type ${entry.type}: not extracted`));
    }
    if (typeof entry.mode === 'number') entry.mode &= MODE_MASK;
    entry.path = parts.join('/');
    return true;
  }

  /** node-tar does not chown symbolic links; lchown never follows them. */
  async chownSymlinks(): Promise<void> {
    if (!this.owner) return;
    for (const link of this.linkPaths) {
      await fsp.lchown(path.join(this.target, link), this.owner.uid, this.owner.gid).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error; // replaced by a later entry
      });
    }
  }

  private skip(listed: string, reason: string): false {
    this.skips += 1;
    if (this.skips <= MAX_LISTED_SKIPS) this.report.skipped.push({ path: listed.slice(0, 300), reason });
    else if (this.skips === MAX_LISTED_SKIPS + 1) this.report.skipped.push({ path: '…', reason: 'more entries were skipped' });
    return false;
  }
}

/** The listing pass: the single top-level folder's name, when there is one and it is a real folder. */
async function singleTopFolder(archive: string, gzip: boolean, limits: ExtractLimits): Promise<string | undefined> {
  let top: string | null | undefined;
  await parse(archive, gzip, limits, (entry) => {
    const parts = entryPath(entry.path);
    if (parts.length === 0) return false; // './'
    // A symbolic link (or file) named like the folder means there is no folder to strip.
    if (top === undefined) top = parts[0];
    if (parts[0] !== top || (parts.length === 1 && entry.type !== 'Directory')) top = null;
    return false;
  });
  return top ?? undefined;
}

/**
 * Streams the archive through node-tar (an Unpack when `unpack` is given, else a listing Parser).
 * `admit` sees every entry, after the limits were checked; it may throw an ArchiveError to refuse
 * the archive. Resolves once node-tar has finished every write, so that a failure can be cleaned up.
 */
async function parse(archive: string, gzip: boolean, limits: ExtractLimits, admit: (entry: ReadEntry) => boolean, unpack?: ConstructorParameters<typeof Unpack>[0]): Promise<void> {
  let failure: Error | undefined;
  let entries = 0;
  let bytes = 0;
  const seen = new WeakSet<ReadEntry>();
  const consider = (entry: ReadEntry): boolean => {
    seen.add(entry);
    if (failure) return false;
    entries += 1;
    bytes += entry.size;
    if (entries > limits.maxEntries) failure = new ArchiveError(`the archive has more than ${limits.maxEntries} entries (files, folders and links); leave out what is not needed (dependencies, build output, .git)`);
    else if (bytes > limits.maxBytes) failure = new ArchiveError(`the archive unpacks to more than ${formatBytes(limits.maxBytes)}; leave out what is not needed (dependencies, build output, .git)`);
    if (failure) return false;
    try {
      return admit(entry);
    } catch (error) {
      failure = error as Error;
      return false;
    }
  };
  // No brotli/zstd sniffing: we decompress gzip ourselves and refuse anything else compressed.
  const options = { filter: (_path: string, entry: unknown) => consider(entry as ReadEntry), brotli: false, zstd: false };
  const parser: Parser = unpack ? new Unpack({ ...unpack, ...options }) : new Parser(options);
  let eof = false;
  const settled = new Promise<void>((resolve) => {
    parser.once('close', () => resolve());
    parser.once('abort', () => resolve());
    parser.on('error', (error: Error) => {
      failure ??= tarProblem(error.message, error as { code?: string; tarCode?: string }, unpack?.cwd);
      if (error.name === 'CwdError') resolve(); // node-tar stops there without closing
    });
  });
  parser.on('warn', (code: string, message: string, data: { code?: string; tarCode?: string; entry?: ReadEntry }) => {
    if (code !== 'TAR_ENTRY_INFO') failure ??= tarProblem(message, data, unpack?.cwd);
  });
  // Entries node-tar ignores by itself (unknown types) never reach the filter: count and report them too.
  parser.on('ignoredEntry', (entry: ReadEntry) => {
    if (!seen.has(entry)) consider(entry);
  });
  parser.on('eof', () => (eof = true));

  const file = fs.createReadStream(archive);
  const data: Readable = gzip ? pipeline(file, zlib.createGunzip(), () => {}) : file;
  let head: Buffer | undefined = Buffer.alloc(0);
  let read = 0;
  try {
    for await (const piece of data) {
      let chunk = piece as Buffer;
      read += chunk.length;
      // After the end-of-archive marker nothing matters (node-tar would keep it all in memory).
      if (failure || eof) break;
      // Headers bound the entries' contents; this bounds everything else (meta headers, padding).
      if (read > bytes + entries * OVERHEAD_PER_ENTRY + OVERHEAD) {
        failure = new ArchiveError(`the archive holds more data than its entries account for; it is damaged or not a plain tar archive: ${REMAKE}`);
        break;
      }
      if (head) {
        head = Buffer.concat([head, chunk]);
        if (head.length < 512) continue;
        if (!looksLikeTar(head)) {
          failure = notTar();
          break;
        }
        [chunk, head] = [head, undefined];
      }
      if (!parser.write(chunk)) await once(parser, 'drain').catch(() => undefined);
    }
    if (head && !failure) failure = notTar();
  } catch (error) {
    const zlibError = /^Z_/.test((error as NodeJS.ErrnoException).code ?? '');
    failure ??= zlibError ? new ArchiveError(`the archive is not valid gzip data (${(error as Error).message}); ${REMAKE}`) : (error as Error);
  } finally {
    data.destroy();
    file.destroy();
  }
  parser.end();
  await settled;
  if (failure) throw failure;
}

/** A symbolic link's target is allowed when it is relative and, resolved from the link's folder, stays inside. */
function linkProblem(parts: string[], target: string): string | undefined {
  if (target.includes('\0')) return 'symbolic link target contains a NUL byte';
  if (target.startsWith('/')) return `symbolic link to an absolute path (${target.slice(0, 200)}): only links inside the archive are allowed`;
  const steps = target.split('/').filter((step) => step !== '' && step !== '.');
  const climbs = steps.findIndex((step) => step !== '..');
  const up = climbs === -1 ? steps.length : climbs;
  // `..` after a name would be resolved from wherever that name leads, possibly another link: only leading `..` are checked lexically.
  if (steps.slice(up).includes('..')) return `symbolic link target ${target.slice(0, 200)} has ".." after a name: not allowed`;
  if (up > parts.length - 1) return `symbolic link to ${target.slice(0, 200)} points outside the archive`;
  return undefined;
}

/** An entry's path as segments, without '.' and empty ones; refuses paths that could leave the target. */
function entryPath(listed: string): string[] {
  const shown = JSON.stringify(listed.slice(0, 200));
  if (listed.includes('\0')) throw new ArchiveError(`the archive has an entry whose name contains a NUL byte (${shown}); ${REMAKE}`);
  if (listed.startsWith('/') || /^[A-Za-z]:/.test(listed)) {
    throw new ArchiveError(`the archive has an entry with an absolute path (${shown}); archives may only hold relative paths: ${REMAKE}`);
  }
  if (listed.split(/[\\/]/).includes('..')) {
    throw new ArchiveError(`the archive has an entry whose path contains ".." (${shown}); archives may only hold paths inside them: ${REMAKE}`);
  }
  return listed.split('/').filter((part) => part !== '' && part !== '.');
}

/** Compares paths conservatively, as a case-insensitive or normalising file system would. */
function key(parts: string[]): string {
  return parts.join('/').normalize('NFD').toLowerCase();
}

/** The first block must be a tar header, and not of a second compressed layer. */
function looksLikeTar(head: Buffer): boolean {
  if (head[0] === 0x1f && head[1] === 0x8b) return false;
  try {
    return new Header(head.subarray(0, 512)).cksumValid;
  } catch {
    return false;
  }
}

function notTar(): ArchiveError {
  return new ArchiveError(`the file is empty or not a tar archive (.tar or .tar.gz); ${REMAKE}`);
}

/** Errors of the server's disk rather than of the archive. */
const SERVER_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EACCES', 'EPERM', 'EROFS', 'EMFILE', 'ENFILE', 'EIO', 'ENOMEM']);

/** node-tar's warnings and errors (`data` is the error itself for the latter). */
function tarProblem(message: string, data: { code?: string; tarCode?: string; entry?: ReadEntry }, target = ''): Error {
  const where = data.entry ? ` (${JSON.stringify(data.entry.path.slice(0, 200))})` : '';
  // The person who sent the archive has no business with the server's paths.
  const text = `${(target ? message.replaceAll(`${target}/`, '').replaceAll(target, '.') : message).slice(0, 200)}${where}`;
  if (data.code && SERVER_ERRORS.has(data.code)) return new Error(`could not unpack the archive: ${text}`);
  if (data.tarCode === 'TAR_BAD_ARCHIVE' || data.tarCode === 'TAR_ENTRY_INVALID') return new ArchiveError(`the archive is damaged or incomplete: ${text}; ${REMAKE}`);
  // E.g. a file and a folder of the same name, or (caught by node-tar too) a path through a link.
  return new ArchiveError(`the archive could not be unpacked safely: ${text}; ${REMAKE}`);
}

async function hasGzipMagic(file: string): Promise<boolean> {
  const handle = await fsp.open(file, 'r');
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await handle.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await handle.close();
  }
}

/** rm never follows symbolic links: it removes them. */
async function emptyFolder(dir: string): Promise<void> {
  for (const name of await fsp.readdir(dir).catch(() => [])) await fsp.rm(path.join(dir, name), { recursive: true, force: true });
}

function formatBytes(n: number): string {
  for (const [unit, size] of [['GiB', 1024 ** 3], ['MiB', 1024 ** 2], ['KiB', 1024]] as const) {
    if (n >= size) return `${Number((n / size).toFixed(1))} ${unit}`;
  }
  return `${n} bytes`;
}
