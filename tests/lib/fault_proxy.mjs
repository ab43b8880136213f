// A loopback TCP proxy that can cut the network: the host-side stand-in for pulling the Ethernet cable.
//   node fault_proxy.mjs LISTEN_PORT TARGET_PORT
// SIGUSR1: cut. Every open connection is reset (RST, as a router that lost its state does) and new ones are
//          reset as soon as they arrive, until SIGUSR2.
// SIGUSR2: restore. New connections are forwarded to 127.0.0.1:TARGET_PORT again.
// One line per event on stdout ("proxy: ..."), so a test can wait for them and count reconnects.
// Loopback only, and it stops by itself after --max-seconds (default 600) so a failed test never leaves it behind.
import net from 'node:net';

const [listenPort, targetPort] = process.argv.slice(2, 4).map(Number);
const maxIndex = process.argv.indexOf('--max-seconds');
const maxSeconds = maxIndex > 0 ? Number(process.argv[maxIndex + 1]) : 600;
if (!listenPort || !targetPort) {
  console.error('usage: node fault_proxy.mjs LISTEN_PORT TARGET_PORT [--max-seconds N]');
  process.exit(2);
}

let down = false;
let accepted = 0;
const open = new Set();
const say = (text) => console.log(`proxy: ${text}`);

const server = net.createServer((client) => {
  accepted += 1;
  if (down) {
    say(`connection ${accepted} reset (network is cut)`);
    client.resetAndDestroy();
    return;
  }
  const upstream = net.connect(targetPort, '127.0.0.1');
  const pair = { client, upstream };
  open.add(pair);
  say(`connection ${accepted} forwarded`);
  client.pipe(upstream);
  upstream.pipe(client);
  const close = () => {
    open.delete(pair);
    client.destroy();
    upstream.destroy();
  };
  client.on('error', close).on('close', close);
  upstream.on('error', close).on('close', close);
});

process.on('SIGUSR1', () => {
  down = true;
  const count = open.size;
  for (const { client, upstream } of open) {
    client.resetAndDestroy();
    upstream.resetAndDestroy();
  }
  open.clear();
  say(`cut: ${count} connection(s) reset`);
});
process.on('SIGUSR2', () => {
  down = false;
  say('restored');
});
process.on('SIGTERM', () => process.exit(0));
setTimeout(() => process.exit(0), maxSeconds * 1000).unref();

server.listen(listenPort, '127.0.0.1', () => say(`listening on 127.0.0.1:${listenPort} -> 127.0.0.1:${targetPort}`));
