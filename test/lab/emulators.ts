import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

/** What the helpers need from a tap test: somewhere to hang the clean-up. */
export interface Teardown {
  teardown(fn: () => unknown): void;
}

const require = createRequire(import.meta.url);

function binOf(pkg: string, name: string): string {
  const manifestPath = require.resolve(`${pkg}/package.json`);
  const manifest = require(manifestPath) as { bin: string | Record<string, string> };
  const bin = typeof manifest.bin === 'string' ? manifest.bin : manifest.bin[name];
  if (!bin) throw new Error(`${pkg} has no bin "${name}"`);
  return path.join(path.dirname(manifestPath), bin);
}

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export async function tempDir(t: Teardown, prefix: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), `drsentinel-${prefix}-`));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

async function waitForPort(port: number, child: ChildProcess, name: string): Promise<void> {
  for (let attempt = 0; attempt < 200; attempt++) {
    if (child.exitCode !== null) throw new Error(`${name} exited with ${child.exitCode}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    await sleep(50);
  }
  throw new Error(`${name} did not listen on ${port}`);
}

async function spawnEmulator(t: Teardown, name: string, bin: string, args: string[], port: number, env: NodeJS.ProcessEnv = {}) {
  const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env } });
  t.teardown(async () => {
    if (child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    await exited;
  });
  await waitForPort(port, child, name);
  return `http://127.0.0.1:${port}`;
}

/** `directory`: where s3rver keeps its files (the S3 front reads listings from it); a temp dir by default. */
export async function startS3rver(t: Teardown, directory?: string): Promise<string> {
  const port = await freePort();
  const dir = directory ?? (await tempDir(t, 's3rver'));
  const args = ['--address', '127.0.0.1', '--port', String(port), '--directory', dir, '--silent'];
  // Without the legacy provider, paged ListObjectsV2 fails (notes/emulators.md).
  return spawnEmulator(t, 's3rver', binOf('s3rver', 's3rver'), args, port, { NODE_OPTIONS: '--openssl-legacy-provider' });
}

export async function startDynalite(t: Teardown): Promise<string> {
  const port = await freePort();
  const args = ['--host', '127.0.0.1', '--port', String(port), '--createTableMs', '0', '--deleteTableMs', '0', '--updateTableMs', '0'];
  return spawnEmulator(t, 'dynalite', binOf('dynalite', 'dynalite'), args, port);
}

export const LAB_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
