import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cpuCheck, memoryCheck, osCheck } from '../../../src/lib/doctor/system.js';
import { tempDir } from '../../helpers/cli.js';

const dir = tempDir();
const file = (name: string, text: string) => {
  const target = path.join(dir, name);
  writeFileSync(target, text);
  return target;
};

describe('doctor: the machine', () => {
  it('OS and architecture: Linux x64/arm64 OK, macOS WARNING, anything else CRITICAL', () => {
    expect(osCheck().status).toBe('OK');
    expect(osCheck('linux', 'arm64').status).toBe('OK');
    expect(osCheck('darwin', 'arm64')).toMatchObject({ status: 'WARNING', next: expect.stringContaining('analytics start') });
    expect(osCheck('win32', 'x64').status).toBe('CRITICAL');
  });

  it('CPU flags: this machine has SSE4.2; a CPU without it is CRITICAL; ARM needs asimd and atomics', async () => {
    const here = await cpuCheck();
    expect(here.status).toBe('OK');
    expect(here.value).toMatch(/^sse4_2 yes; \d+ core/);
    const old = file('cpuinfo-old', 'processor\t: 0\nmodel name\t: Old CPU\nflags\t\t: fpu vme sse sse2 ssse3\n');
    expect(await cpuCheck(old, 'x64')).toMatchObject({ status: 'CRITICAL', details: { missing: ['sse4_2'] } });
    const arm = file('cpuinfo-arm', 'processor\t: 0\nFeatures\t: fp asimd evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp\n');
    expect((await cpuCheck(arm, 'arm64')).status).toBe('OK');
    const oldArm = file('cpuinfo-arm-old', 'processor\t: 0\nFeatures\t: fp asimd evtstrm crc32\n');
    expect((await cpuCheck(oldArm, 'arm64')).status).toBe('CRITICAL');
    expect((await cpuCheck(path.join(dir, 'missing'))).status).toBe('UNKNOWN');
  });

  it('memory: 8 GiB OK, 3 GiB WARNING with the low-memory profile, 512 MiB CRITICAL; a smaller cgroup limit wins', async () => {
    const meminfo = (gib: number) => file(`meminfo-${gib}`, `MemTotal:       ${Math.round(gib * 1024 * 1024)} kB\nMemFree: 1 kB\n`);
    const noLimit = file('memory.max-none', 'max\n');
    expect((await memoryCheck(meminfo(8), noLimit)).status).toBe('OK');
    expect(await memoryCheck(meminfo(3), noLimit)).toMatchObject({ status: 'WARNING', next: expect.stringContaining('low-memory') });
    expect(await memoryCheck(meminfo(0.5), noLimit)).toMatchObject({ status: 'CRITICAL', next: expect.stringContaining('embedded') });
    const limited = await memoryCheck(meminfo(8), file('memory.max-2g', `${2 * 1024 ** 3}\n`));
    expect(limited).toMatchObject({ status: 'WARNING', value: '2.0 GiB (container limit)' });
  });
});
