/**
 * A TCP probe that runs inside instance namespaces (the machine has no ping or nc):
 *   probe serve PORT [TAG]               answers "[TAG ]peer=<source address>" to every connection
 *   probe connect HOST PORT [SRC] [MS]   prints the answer, or "timeout" / "error <code>"
 */
import net from 'node:net';

const [mode, ...args] = process.argv.slice(2);
if (mode === 'serve') {
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
} else {
  console.error('usage: probe serve PORT [TAG] | probe connect HOST PORT [SRC] [MS]');
  process.exit(2);
}
