/**
 * A private Docker engine for a test, as /work/shared/ENVIRONMENT.md starts one: its own socket, data
 * and exec roots, no networking setup (the machine has no bridge). Fails loudly when dockerd is missing.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export interface Dockerd {
  host: string;
  stop(): Promise<void>;
}

export async function startDockerd(timeoutMs = 30_000): Promise<Dockerd> {
  const root = mkdtempSync(path.join(tmpdir(), 'analytics-dockerd-'));
  const socket = path.join(root, 'docker.sock');
  const host = `unix://${socket}`;
  const child: ChildProcess = spawn(
    'dockerd',
    [
      '--host', host, '--data-root', path.join(root, 'data'), '--exec-root', path.join(root, 'exec'),
      '--pidfile', path.join(root, 'dockerd.pid'), '--iptables=false', '--ip6tables=false', '--ip-forward=false',
      '--ip-masq=false', '--bridge=none', '--storage-driver=overlay2',
    ],
    { stdio: 'ignore' },
  );
  const failed = new Promise<never>((_, reject) => {
    child.once('error', (error) => reject(new Error(`dockerd could not start (apt-get install -y docker.io): ${error.message}`)));
  });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ping = await Promise.race([execa('docker', ['-H', host, 'version'], { reject: false }), failed]);
    if (ping.exitCode === 0) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`dockerd did not answer on ${host} within ${timeoutMs} ms: ${ping.stderr}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    host,
    async stop() {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      const netns = path.join(root, 'exec', 'netns');
      if (existsSync(netns)) for (const ns of readdirSync(netns)) await execa('umount', [path.join(netns, ns)], { reject: false });
      rmSync(root, { recursive: true, force: true });
    },
  };
}
