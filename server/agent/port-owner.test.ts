import test from 'ava';
import net from 'node:net';
import { foreignListener, listenerUids, listenersIn } from './port-owner.ts';

const TABLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 700000002        0 1 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000 700000004        0 2 1 0000000000000000 100 0 0 10 0
   2: 0100007F:1F90 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 3 1 0000000000000000 20 4 30 10 -1
   3: 0100007F:1F91 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4 1 0000000000000000 100 0 0 10 0
`;

test('listeners on a port are read from the kernel table: listening sockets only, every address', (t) => {
  t.deepEqual(listenersIn(TABLE, 8080), [700000002, 700000004]);
  t.deepEqual(listenersIn(TABLE, 8081), [0]);
  t.deepEqual(listenersIn(TABLE, 9999), []);
});

test('a real listening socket is found with this process\'s uid; a foreign uid is named', async (t) => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    t.deepEqual(await listenerUids(port), [process.getuid!()]);
    t.is(await foreignListener(port, process.getuid!()), undefined);
    t.regex((await foreignListener(port, process.getuid!() + 1)) ?? '', new RegExp(`port ${port} is also held by uid ${process.getuid!()}`));
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  t.deepEqual(await listenerUids(port), []);
});
