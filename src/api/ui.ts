/**
 * The web console at /ui: the bundle Vite builds into dist/ui (`npm run build`),
 * read once at start and answered from memory. Vite names every asset by its
 * content hash, so assets are cached for good and only index.html is revalidated.
 * The console needs no auth to load; everything it shows comes from the APIs,
 * which check its token.
 */
import { type FastifyInstance, type FastifyReply } from 'fastify';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, sep } from 'node:path';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

// cytoscape styles its canvases through style attributes; pair chips set colours the same way
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; connect-src 'self'; base-uri 'none'; frame-ancestors 'none'";

interface Asset {
  body: Buffer;
  type: string;
}

/** dist/ui of the package this file belongs to, whether it runs from src/ or dist/src/. */
function defaultBundle(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return join(dir, 'dist', 'ui');
}

function readBundle(root: string): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  if (!existsSync(join(root, 'index.html'))) return assets;
  for (const rel of readdirSync(root, { recursive: true, encoding: 'utf8' })) {
    const file = join(root, rel);
    if (!statSync(file).isFile()) continue;
    assets.set(rel.split(sep).join('/'), { body: readFileSync(file), type: TYPES[extname(rel)] ?? 'application/octet-stream' });
  }
  return assets;
}

export function registerUi(app: FastifyInstance, bundle = defaultBundle()): void {
  const assets = readBundle(bundle);
  const send = (reply: FastifyReply, path: string) => {
    const asset = assets.get(path);
    if (!asset) {
      const text = assets.size ? 'Not found\n' : `The console is not built (no ${bundle}/index.html): run npm run build\n`;
      return reply.code(404).type('text/plain; charset=utf-8').send(text);
    }
    const immutable = path.startsWith('assets/');
    return reply
      .type(asset.type)
      .header('Cache-Control', immutable ? 'public, max-age=31536000, immutable' : 'no-cache')
      .header('X-Content-Type-Options', 'nosniff')
      .header('Content-Security-Policy', CSP)
      .send(asset.body);
  };
  app.get('/ui', (_req, reply) => send(reply, 'index.html'));
  app.get<{ Params: { '*': string } }>('/ui/*', (req, reply) => send(reply, req.params['*'] || 'index.html'));
}
