// The pre-receive hook of every app repository (plain JavaScript: it must start fast and needs no
// build step). git runs it with the pushed refs on stdin while the new objects are quarantined. It
// hands the push to the server and relays the server's progress lines, which git shows the client
// as "remote: …". The last line of the server's answer is the verdict.
import http from 'node:http';

const url = process.env.SCALARIUM_HOOK_URL;
const token = process.env.SCALARIUM_HOOK_TOKEN;
if (!url || !token) {
  process.stdout.write('! Pushes must go through the Scalarium server (git over HTTP).\n');
  process.exit(1);
}

let input = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => (input += chunk));
process.stdin.on('end', () => {
  const refs = input.split('\n').filter(Boolean).map((line) => {
    const [oldSha, newSha, ref] = line.split(' ');
    return { oldSha, newSha, ref };
  });
  const body = JSON.stringify({
    refs,
    quarantine: process.env.GIT_QUARANTINE_PATH ?? null,
    objectDirectory: process.env.GIT_OBJECT_DIRECTORY ?? null,
    alternates: process.env.GIT_ALTERNATE_OBJECT_DIRECTORIES ?? null,
  });
  const req = http.request(url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
  }, (res) => {
    let pending = '';
    let verdict = '';
    res.setEncoding('utf8');
    res.on('data', (chunk) => {
      pending += chunk;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (line.startsWith('\u0000verdict:')) verdict = line.slice(9);
        else process.stdout.write(`${line}\n`);
      }
    });
    res.on('end', () => {
      if (pending) process.stdout.write(`${pending}\n`);
      process.exit(res.statusCode === 200 && verdict === 'ok' ? 0 : 1);
    });
    res.on('error', () => process.exit(1));
  });
  req.on('error', (error) => {
    process.stdout.write(`! Lost contact with the Scalarium server: ${error.message}\n`);
    process.exit(1);
  });
  req.end(body);
});
