/** Starts `portsec serve` as a child process on a free loopback port, and stops it by PID. */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CLI = join(ROOT, 'dist/src/cli/main.js');
export const SYSTEM_PYTHON = '/usr/bin/python3';

/** Runs a program; a non-zero exit is an answer (its code and output), not a failure. */
export async function runProgram(file: string, args: string[], cwd?: string, env?: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(file, args, { cwd, env, maxBuffer: 64 * 1024 * 1024 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, stdout: x.stdout, stderr: x.stderr };
  }
}

/** Runs the built CLI, as runProgram. */
export const portsec = (...args: string[]) => runProgram(process.execPath, [CLI, ...args]);

export interface RunningServer {
  url: string;
  db: string;
  child: ChildProcess;
  /** what it printed on stdout so far */
  stdout(): string;
  stop(): Promise<void>;
}

/** `cli`: the built main.js to run (another install's, for the pack test) */
export async function startServer(args: string[], dir = mkdtempSync(join(tmpdir(), 'portsec-test-')), cli = CLI): Promise<RunningServer> {
  const db = join(dir, 'portsec.db');
  // agents build namespaces: only the tests that check them turn them on (and remove what they built)
  const agents = args.includes('--agents') ? [] : ['--agents', 'off'];
  const child = spawn(process.execPath, [cli, 'serve', '--listen', '127.0.0.1:0', '--db', db, ...agents, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  let out = '';
  child.stderr!.on('data', (d) => { err += d; });
  const url = await new Promise<string>((ok, fail) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /serving Neutron at (http:\/\/[^/\s]+)\//.exec(out);
      if (m) ok(m[1]);
    });
    child.once('exit', (code) => fail(new Error(`portsec serve exited with ${code}: ${err}`)));
  });
  return {
    url,
    db,
    child,
    stdout: () => out,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The console line `serve --example` prints, once it has printed it: the URL and the admin's password. */
export async function exampleLogin(server: RunningServer): Promise<{ consoleUrl: string; password: string }> {
  for (let i = 0; i < 50 && !/^console: .*\n/m.test(server.stdout()); i++) await new Promise((r) => setTimeout(r, 100));
  const m = /^console: (\S+) \(log in as admin, password (\S+)\)$/m.exec(server.stdout());
  if (!m) throw new Error(`no console line with a login in:\n${server.stdout()}`);
  return { consoleUrl: m[1], password: m[2] };
}

/** Headers for the trusted-headers auth mode. */
export function as(project: string, roles = 'member'): Record<string, string> {
  return { 'X-User-Id': `user-${project}`, 'X-Project-Id': project, 'X-Roles': roles, 'Content-Type': 'application/json' };
}

export async function api(url: string, method: string, path: string, headers: Record<string, string>, body?: unknown) {
  const res = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

export interface RunningConsole {
  /** the URL `portsec console` printed, its token in the fragment */
  url: string;
  /** the server's origin */
  origin: string;
  token: string;
  stop(): Promise<void>;
}

/** Starts `portsec console ARGS` on a free loopback port; stops it by PID. */
export async function startConsole(args: string[]): Promise<RunningConsole> {
  const child = spawn(process.execPath, [CLI, 'console', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.on('data', (d) => { err += d; });
  const url = await new Promise<string>((ok, fail) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /^open (http:\/\/\S+)$/m.exec(out);
      if (m) ok(m[1]);
    });
    child.once('exit', (code) => fail(new Error(`portsec console exited with ${code}: ${err}`)));
  });
  const parsed = new URL(url);
  return {
    url,
    origin: parsed.origin,
    token: new URLSearchParams(parsed.hash.slice(1)).get('token')!,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
