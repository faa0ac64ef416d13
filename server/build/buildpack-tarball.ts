// Why a downloaded buildpack could not be unpacked, in words for the person who chose its URL:
// the unpacker's own reason, then what the download looks like instead (an HTML page is the usual
// one: a repository's web page, a login page, an error page). Only the kind of content is named,
// never the content: the URL may lead to a server that should not be read back through us.
import fsp from 'node:fs/promises';

const HINT = 'a buildpack URL must serve a .tgz or .tar of the buildpack (bin/compile at its top or in its single top folder), or name a git repository (https://host/owner/repo.git#ref)';

export async function notATarballReason(archive: string, error: Error): Promise<string> {
  // The unpacker's advice is for app archives ("create it again with tar -czf app.tar.gz …").
  const reason = error.message.replace(/[:;] create it again with .*$/, '');
  const kind = await contentKind(archive);
  return `${reason}${kind ? `; the download is ${kind}` : ''} (${HINT})`;
}

async function contentKind(file: string): Promise<string | undefined> {
  let head: Buffer;
  try {
    const handle = await fsp.open(file, 'r');
    try {
      const buffer = Buffer.alloc(512);
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await handle.close();
    }
  } catch {
    return undefined;
  }
  if (!head.length) return 'empty';
  if (head[0] === 0x1f && head[1] === 0x8b) return undefined; // gzip: the unpacker said what is wrong with it
  if (head.subarray(0, 4).equals(Buffer.from('PK\x03\x04', 'latin1'))) return 'a zip archive, not a tarball';
  const text = head.toString('utf8').replace(/^\uFEFF/, '').trimStart().toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html') || /^<[a-z!?]/.test(text) && text.includes('<html')) return 'an HTML page';
  if (text.startsWith('<')) return 'an XML document';
  if (text.startsWith('{') || text.startsWith('[')) return 'JSON';
  if (!/[\x00-\x08\x0e-\x1f]/.test(head.toString('latin1'))) return 'text';
  return undefined;
}
