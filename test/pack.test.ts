/**
 * `npm pack` gives a tarball that installs and runs on a machine with no checkout: it holds the
 * built dist (an install has no TypeScript or Vite to build with) and labs/, no tests or sources;
 * `npm install` of it builds better-sqlite3 and nothing else. Installed, it serves the example,
 * snapshots it as a cloud of clouds.yaml and audits the file: the README's commands, from the tarball.
 * Dependencies come from the npm cache when it holds them (--prefer-offline), else the registry; an
 * install that cannot get them fails the test with npm's own message.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exampleLogin, ROOT, runProgram as run, type RunningServer, startServer } from './support/server.js';

const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };

describe('npm pack', () => {
  const dir = mkdtempSync(join(tmpdir(), 'portsec-pack-'));
  const app = join(dir, 'app');
  const bin = join(app, 'node_modules/.bin/portsec');
  let files: string[];

  beforeAll(async () => {
    for (const built of ['dist/src/cli/main.js', 'dist/ui/index.html']) {
      if (!existsSync(join(ROOT, built))) throw new Error(`${built} is missing: npm run build first (the tarball holds the build)`);
    }
    // the build is there already: pack must not rebuild it under a running suite (prepare)
    const pack = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', dir], ROOT);
    if (pack.code !== 0) throw new Error(`npm pack failed: ${pack.stderr}`);
    const [info] = JSON.parse(pack.stdout) as { filename: string; size: number; unpackedSize: number; files: { path: string }[] }[];
    files = info.files.map((f) => f.path);
    mkdirSync(app);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'portsec-pack-test', private: true, allowScripts: { 'better-sqlite3': true } }));
    const start = Date.now();
    const install = await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, info.filename)], app);
    if (install.code !== 0) throw new Error(`npm install of the tarball failed (exit ${install.code}):\n${install.stderr.slice(-3000)}`);
    process.stdout.write(`pack: ${info.filename} ${info.size} bytes (${info.unpackedSize} unpacked, ${files.length} files); npm install ${((Date.now() - start) / 1000).toFixed(1)} s\n`);
  }, 900_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('holds the build, the labs and the README, and no tests, sources or source maps', () => {
    for (const f of ['package.json', 'README.md', 'dist/src/cli/main.js', 'dist/ui/index.html', 'labs/seed.yaml', 'labs/vip.yaml']) expect(files).toContain(f);
    expect(files.filter((f) => /^(src|test|bench|scripts|ui|dist\/test|dist\/bench)\//.test(f) || /\.(ts|map)$/.test(f))).toEqual([]);
  });

  it('installs without building: no devDependency in the install', () => {
    for (const dev of ['typescript', 'vite', 'vitest']) expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
  });

  it('runs `portsec --version`', async () => {
    const r = await run(bin, ['--version'], app);
    expect(r.code).toBe(0);
    expect(r.stdout.trim().split(' ').pop()).toBe(version);
  });

  describe('the README\'s commands from the install', () => {
    let server: RunningServer;

    beforeAll(async () => {
      // better-sqlite3 as the install built it, the labs and the console as packed
      server = await startServer(['--example', 'seed'], mkdtempSync(join(dir, 'serve-')), join(app, 'node_modules/portsec/dist/src/cli/main.js'));
    });
    afterAll(() => server?.stop());

    it('serves the example and its console', async () => {
      const { consoleUrl, password } = await exampleLogin(server);
      expect((await fetch(consoleUrl)).status).toBe(200);
      writeFileSync(join(app, 'clouds.yaml'), JSON.stringify({
        clouds: { example: { auth: { auth_url: `${server.url}/identity/v3`, username: 'admin', password, project_name: 'admin', user_domain_name: 'Default', project_domain_name: 'Default' } } },
      }));
    });

    it('snapshots it by --os-cloud and audits the file', async () => {
      const snap = await run(bin, ['snapshot', '--os-cloud', 'example', '-o', 'cloud.json'], app);
      expect(snap.stderr).toMatch(/^portsec: wrote cloud\.json: /);
      const audit = await run(bin, ['audit', '--files', 'cloud.json', '-f', 'json'], app);
      expect(audit.code).toBe(0);
      expect(audit.stdout).toContain('"wide-pair-in-remote-group"');
      expect((await run(bin, ['audit', '--files', 'cloud.json', '--fail-on', 'high'], app)).code).toBe(1);
    });
  });
});
