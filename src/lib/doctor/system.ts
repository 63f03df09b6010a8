/** The machine itself: OS and architecture, the CPU flags ClickHouse needs, memory. */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { formatBytes } from '../health/format.js';
import { notOk, ok, type CheckOutcome } from '../health/types.js';

/** chDB and the ClickHouse images ship for these (and macOS for chDB). */
const SUPPORTED = new Set(['linux/x64', 'linux/arm64']);

export function osCheck(platform: string = process.platform, arch: string = process.arch): CheckOutcome {
  const value = `${platform}/${arch}, kernel ${os.release()}, Node ${process.versions.node}`;
  const details = { platform, arch, release: os.release(), node: process.versions.node };
  if (SUPPORTED.has(`${platform}/${arch}`)) return ok(value, details);
  if (platform === 'darwin') {
    return notOk('WARNING', value, 'macOS runs the embedded mode; the Docker stack needs Docker Desktop and is not for production', 'analytics start   (embedded mode), or a Linux host for production', details);
  }
  return notOk('CRITICAL', value, `${platform}/${arch} is not supported: ClickHouse runs on Linux x86-64 and ARM64`, 'use a Linux x86-64 or ARM64 host', details);
}

/**
 * ClickHouse's x86-64 builds need SSE 4.2 (they die with "illegal instruction" without it); its ARM
 * builds need ARMv8.2 (the `atomics` and `asimd` features).
 */
export async function cpuCheck(cpuinfoPath = '/proc/cpuinfo', arch: string = process.arch): Promise<CheckOutcome> {
  let cpuinfo: string;
  try {
    cpuinfo = await readFile(cpuinfoPath, 'utf8');
  } catch (error) {
    return notOk('UNKNOWN', 'not measured', `Could not read ${cpuinfoPath}: ${(error as Error).message}`, 'check the CPU flags by hand: grep -o sse4_2 /proc/cpuinfo');
  }
  const flagsLine = /^(flags|Features)\s*:\s*(.*)$/m.exec(cpuinfo)?.[2] ?? '';
  const flags = new Set(flagsLine.split(/\s+/).filter(Boolean));
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1]?.trim();
  const cores = (cpuinfo.match(/^processor\s*:/gm) ?? []).length;
  const required = arch === 'arm64' ? ['asimd', 'atomics'] : ['sse4_2'];
  const missing = required.filter((f) => !flags.has(f));
  const value = `${required.map((f) => `${f} ${flags.has(f) ? 'yes' : 'NO'}`).join(', ')}; ${cores} core(s)${model ? `, ${model}` : ''}`;
  const details = { required, missing, cores, ...(model ? { model } : {}) };
  if (missing.length > 0) {
    return notOk('CRITICAL', value, `The CPU lacks ${missing.join(', ')}: ClickHouse will not start on it`, 'use another host (or a VM type that passes these CPU flags through)', details);
  }
  return ok(value, details);
}

/** With the compose stack's low-memory profile ClickHouse lives in about 2 GiB; below 1 GiB it does not. */
export const MEMORY_WARNING_BYTES = 4 * 1024 ** 3;
export const MEMORY_CRITICAL_BYTES = 1024 ** 3;

/** The memory this process can use: MemTotal, or a smaller cgroup (container) limit. */
export async function measureMemory(meminfoPath = '/proc/meminfo', cgroupLimitPath = '/sys/fs/cgroup/memory.max'): Promise<{ totalBytes: number; source: 'os' | 'meminfo' | 'cgroup' }> {
  let totalBytes = os.totalmem();
  let source: 'os' | 'meminfo' | 'cgroup' = 'os';
  try {
    const kb = /^MemTotal:\s+(\d+) kB/m.exec(await readFile(meminfoPath, 'utf8'))?.[1];
    if (kb) {
      totalBytes = Number(kb) * 1024;
      source = 'meminfo';
    }
  } catch {
    // not Linux: os.totalmem() is right
  }
  try {
    const limit = (await readFile(cgroupLimitPath, 'utf8')).trim();
    if (/^\d+$/.test(limit) && Number(limit) < totalBytes) {
      totalBytes = Number(limit);
      source = 'cgroup';
    }
  } catch {
    // no cgroup v2 limit
  }
  return { totalBytes, source };
}

export function classifyMemory(totalBytes: number, source: string): CheckOutcome {
  const value = `${formatBytes(totalBytes)}${source === 'cgroup' ? ' (container limit)' : ''}`;
  const details = { totalBytes, source };
  if (totalBytes < MEMORY_CRITICAL_BYTES) {
    return notOk('CRITICAL', value, `${formatBytes(totalBytes)} is too little for a ClickHouse server`, 'use the embedded mode (analytics setup --embedded, or analytics start), or a host with at least 2 GiB', details);
  }
  if (totalBytes < MEMORY_WARNING_BYTES) {
    return notOk('WARNING', value, `Less than ${formatBytes(MEMORY_WARNING_BYTES)}: ClickHouse needs its low-memory profile here`, 'keep the low-memory ClickHouse profile of the compose stack (clickhouse/low-memory.xml, rendered by analytics setup), or use the embedded mode', details);
  }
  return ok(value, details);
}

export async function memoryCheck(meminfoPath?: string, cgroupLimitPath?: string): Promise<CheckOutcome> {
  const { totalBytes, source } = await measureMemory(meminfoPath, cgroupLimitPath);
  return classifyMemory(totalBytes, source);
}
