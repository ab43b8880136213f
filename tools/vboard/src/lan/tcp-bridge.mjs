// TCP from the board to a virtual address, carried by a Node socket to a loopback host:port. Only loopback
// targets are accepted: nothing the board does can reach beyond this machine.
import net from 'node:net';

export function isLoopback(host) {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

// "192.0.2.20:8883=127.0.0.1:40001" → { ip, port, target: { host, port } }
export function parseBridge(text) {
  const m = /^(\d+\.\d+\.\d+\.\d+):(\d+)=(.+):(\d+)$/.exec(text);
  if (!m) throw new Error(`--bridge ${text}: expected VIRTUAL_IP:PORT=LOOPBACK_HOST:PORT`);
  const [, ip, port, host, targetPort] = m;
  if (!ip.startsWith('192.0.2.')) throw new Error(`--bridge ${text}: the virtual address must be in 192.0.2.0/24`);
  if (!isLoopback(host)) throw new Error(`--bridge ${text}: only loopback targets are allowed`);
  return { ip, port: Number(port), target: { host, port: Number(targetPort) } };
}

// events: { connected, data(bytes), end, reset }. Returns the chip-facing peer.
export function openBridge(target, events, { onOpen = () => {}, onClose = () => {} } = {}) {
  if (!isLoopback(target.host)) throw new Error(`refusing a non-loopback bridge target ${target.host}`);
  const socket = net.connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
  let ended = false;
  let finished = false;
  onOpen();
  socket.on('connect', () => events.connected());
  socket.on('data', (bytes) => events.data(bytes));
  socket.on('end', () => {
    ended = true;
    events.end();
  });
  socket.on('error', () => {});  // 'close' follows with hadError
  socket.on('close', (hadError) => {
    onClose();
    // A clean close after both FINs: the ACK of ours arrived (LAST_ACK → CLOSED on the chip).
    if (hadError || !ended) events.reset();
    else if (finished) events.end();
  });
  return {
    write: (bytes) => { if (!socket.destroyed) socket.write(bytes); },
    end: () => { finished = true; if (!socket.destroyed) socket.end(); },
    destroy: () => {
      if (socket.destroyed) return;
      if (typeof socket.resetAndDestroy === 'function' && socket.readyState === 'open') socket.resetAndDestroy();
      else socket.destroy();
    },
    pause: () => socket.pause(),
    resume: () => socket.resume(),
  };
}
