import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

/** The Docker CLI from Debian's docker.io (matches its daemon), else whatever `docker` is on PATH. */
export const DOCKER_CLI = existsSync('/usr/bin/docker') ? '/usr/bin/docker' : 'docker';

export interface DockerEngine {
  host: string;
  root: string;
  env: Record<string, string>;
  stop(): Promise<void>;
}

export function dockerdAvailable(): boolean {
  return ['/usr/bin/dockerd', '/usr/sbin/dockerd'].some((p) => existsSync(p));
}

/**
 * A private dockerd (ENVIRONMENT.md): its own socket, data and exec roots in a temp dir, no bridge, no iptables.
 * Containers must use host networking. stop() ends it by its pid and unmounts what it left.
 */
export async function startDockerEngine(): Promise<DockerEngine> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'e2e-dockerd-'));
  const host = `unix://${root}/docker.sock`;
  const log = openSync(path.join(root, 'dockerd.log'), 'a');
  const child: ChildProcess = spawn(
    'dockerd',
    ['--host', host, '--data-root', `${root}/data`, '--exec-root', `${root}/exec`, '--pidfile', `${root}/dockerd.pid`,
      '--iptables=false', '--ip6tables=false', '--ip-forward=false', '--ip-masq=false', '--bridge=none', '--storage-driver=overlay2'],
    { stdio: ['ignore', log, log] },
  );
  const env = { DOCKER_HOST: host };
  const deadline = Date.now() + 30_000;
  for (;;) {
    const ping = await execa(DOCKER_CLI, ['version', '--format', '{{.Server.Version}}'], { env, reject: false });
    if (ping.exitCode === 0) break;
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error(`dockerd did not start:\n${readFileSync(path.join(root, 'dockerd.log'), 'utf8').slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  return {
    host,
    root,
    env,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((r) => setTimeout(r, 20_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      // dockerd can leave network-namespace and overlay mounts behind; unmount them before deleting the tree.
      const mounts = readFileSync('/proc/self/mounts', 'utf8')
        .split('\n')
        .map((line) => line.split(' ')[1] ?? '')
        .filter((m) => m.startsWith(root))
        .sort((a, b) => b.length - a.length);
      for (const mount of mounts) await execa('umount', ['-l', mount], { reject: false });
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Where slow-to-make test artefacts (the Debian rootfs) are kept between runs on one machine. */
export function testCacheDir(): string {
  const dir = process.env.ANALYTICS_TEST_CACHE ?? path.join(os.homedir(), '.cache', 'analytics-test');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * A Debian bookworm rootfs (minbase + PostgreSQL 15 + the C++ runtime Node needs) as a tarball, made once with
 * debootstrap from Debian's mirror and cached: the base of every image the e2e test builds, since no registry
 * can be reached.
 */
export async function debianRootfsTarball(): Promise<string> {
  const tarball = path.join(testCacheDir(), 'debian-bookworm-postgresql15-rootfs.tar');
  if (existsSync(tarball)) return tarball;
  const work = await mkdtemp(path.join(os.tmpdir(), 'e2e-rootfs-'));
  try {
    await execa('debootstrap', ['--variant=minbase', '--include=postgresql-15,postgresql-client-15,ca-certificates,libstdc++6',
      'bookworm', `${work}/rootfs`, 'http://deb.debian.org/debian'], { timeout: 15 * 60_000 });
    await execa('tar', ['-C', `${work}/rootfs`, '-cf', `${tarball}.tmp`, '.'], { timeout: 5 * 60_000 });
    renameSync(`${tarball}.tmp`, tarball);
    return tarball;
  } finally {
    // debootstrap mounts /proc and /sys inside the rootfs only while it runs; unmount anything left all the same.
    for (const sub of ['proc', 'sys', 'dev/pts']) await execa('umount', ['-l', `${work}/rootfs/${sub}`], { reject: false });
    rmSync(work, { recursive: true, force: true });
  }
}

export function listDir(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir) : [];
}
