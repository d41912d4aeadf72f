/**
 * A probe that runs inside instance namespaces (the machine has no ping or nc):
 *   probe serve PORT [TAG]               answers "[TAG ]peer=<source address>" to every TCP connection
 *   probe connect HOST PORT [SRC] [MS]   prints the answer, or "timeout" / "error <code>"
 *   probe udp-sink PORT...               prints "ready", then "<port> <payload> <arrival ms>" for every datagram
 *   probe udp-stream MS SECONDS TARGET...
 *       every MS ms sends one datagram "<target index> <seq> <sent ms>" to each TARGET (HOST:PORT[:SRC]),
 *       for SECONDS at most; on SIGTERM or then prints "sent <target index> <count>" per target
 *   probe echo PORT                      echoes every TCP connection's and UDP datagram's bytes back (prints "ready")
 *   probe talk tcp|udp HOST PORT MS      one long-lived flow (one connection, or one UDP socket): every MS ms
 *       sends "<n>", prints "echo <n>" for each answer that comes back, until SIGTERM
 */
import dgram from 'node:dgram';
import net from 'node:net';

const [mode, ...args] = process.argv.slice(2);

function udpSink(ports: string[]): void {
  let bound = 0;
  for (const port of ports) {
    const socket = dgram.createSocket('udp4');
    socket.on('message', (m) => console.log(`${port} ${m} ${Date.now()}`));
    socket.bind(Number(port), '0.0.0.0', () => {
      if (++bound === ports.length) console.log('ready');
    });
  }
}

function udpStream(intervalMs: number, seconds: number, targets: string[]): void {
  const sent = targets.map(() => 0);
  const sendOne = (i: number) => {
    const [host, port, src] = targets[i].split(':');
    // a socket (so a source port, so a conntrack entry) per datagram: each one is a new flow the rules judge afresh
    const socket = dgram.createSocket('udp4');
    socket.bind({ address: src || undefined, port: 0 }, () => {
      socket.send(`${i} ${++sent[i]} ${Date.now()}`, Number(port), host, () => socket.close());
    });
  };
  const timer = setInterval(() => targets.forEach((_, i) => sendOne(i)), intervalMs);
  const stop = () => {
    clearInterval(timer);
    for (const [i, n] of sent.entries()) console.log(`sent ${i} ${n}`);
    process.exit(0);
  };
  setTimeout(stop, seconds * 1000);
  process.once('SIGTERM', stop);
}

function echo(port: number): void {
  const udp = dgram.createSocket('udp4');
  udp.on('message', (m, from) => udp.send(m, from.port, from.address));
  let ready = 0;
  const up = () => { if (++ready === 2) console.log('ready'); };
  udp.bind(port, '0.0.0.0', up);
  net.createServer((s) => { s.on('data', (d) => s.write(d)); s.on('error', () => s.destroy()); }).listen(port, '0.0.0.0', up);
}

function talk(protocol: string, host: string, port: number, intervalMs: number): void {
  let n = 0;
  const answered = (d: Buffer) => { for (const line of String(d).split('\n')) if (line) console.log(`echo ${line}`); };
  let send: () => void;
  if (protocol === 'udp') {
    const socket = dgram.createSocket('udp4');
    socket.on('message', answered);
    send = () => socket.send(`${++n}\n`, port, host);
  } else {
    const socket = net.connect({ host, port });
    socket.on('data', answered);
    socket.on('error', (e: NodeJS.ErrnoException) => console.log(`error ${e.code}`));
    send = () => { if (socket.writable) socket.write(`${++n}\n`); };
  }
  console.log('started');
  setInterval(send, intervalMs);
  process.once('SIGTERM', () => process.exit(0));
}

if (mode === 'echo' && args.length === 1) {
  echo(Number(args[0]));
} else if (mode === 'talk' && args.length === 4) {
  talk(args[0], args[1], Number(args[2]), Number(args[3]));
} else if (mode === 'serve') {
  const tag = args[1] ? `${args[1]} ` : '';
  net.createServer((s) => s.end(`${tag}peer=${s.remoteAddress}\n`)).listen(Number(args[0]), '0.0.0.0', () => console.log('ready'));
} else if (mode === 'connect') {
  const [host, port, src, ms = '1500'] = args;
  const s = net.connect({ host, port: Number(port), localAddress: src || undefined });
  let answer = '';
  const timer = setTimeout(() => {
    console.log('timeout');
    process.exit(0);
  }, Number(ms));
  s.on('data', (d) => { answer += d; });
  s.on('end', () => {
    clearTimeout(timer);
    console.log(answer.trim());
    process.exit(0);
  });
  s.on('error', (e: NodeJS.ErrnoException) => {
    clearTimeout(timer);
    console.log(`error ${e.code}`);
    process.exit(0);
  });
} else if (mode === 'udp-sink' && args.length) {
  udpSink(args);
} else if (mode === 'udp-stream' && args.length > 2) {
  udpStream(Number(args[0]), Number(args[1]), args.slice(2));
} else {
  console.error('usage: probe serve PORT [TAG] | probe connect HOST PORT [SRC] [MS] | probe udp-sink PORT... | probe udp-stream MS SECONDS HOST:PORT[:SRC]... | probe echo PORT | probe talk tcp|udp HOST PORT MS');
  process.exit(2);
}
