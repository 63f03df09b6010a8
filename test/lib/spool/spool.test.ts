import { appendFile, readdir, readFile, stat, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SpoolClosedError, SpoolFullError, SpoolWriteError } from '../../../src/lib/spool/errors.js';
import { SPOOL_COLUMNS, type SpoolTable } from '../../../src/lib/spool/rows.js';
import { Spool } from '../../../src/lib/spool/spool.js';
import { makeTempDir, type TempDir } from '../../helpers/temp-dir.js';
import { eventRow, recordFor } from './fixtures/rows.js';

let temp: TempDir;
let dir: string;

beforeEach(async () => {
  temp = await makeTempDir('analytics-spool-');
  dir = join(temp.path, 'spool');
});
afterEach(async () => {
  await temp.remove();
});

async function readAll(spool: Spool) {
  const records = [];
  for (const segment of await spool.seal()) records.push(...(await spool.readSegment(segment.name)).records);
  return records;
}

/** A stored row (a JSONCompactEachRow array) as an object keyed by column. */
function storedRow(table: SpoolTable, row: Buffer): Record<string, unknown> {
  const values = JSON.parse(row.toString('utf8')) as unknown[];
  return Object.fromEntries(SPOOL_COLUMNS[table].map((column, index) => [column, values[index]]));
}

async function segmentFiles(): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.endsWith('.seg')).sort();
}

describe('Spool', () => {
  it('group-commits concurrent appends: far fewer fsyncs than appends, every record read back', async () => {
    let fsyncs = 0;
    const spool = await Spool.open({
      dir,
      sync: async (file) => {
        fsyncs += 1;
        await file.datasync();
      },
    });
    await Promise.all(Array.from({ length: 500 }, (_, id) => spool.append(recordFor(id))));

    expect(spool.stats().appended).toBe(500);
    expect(spool.stats().fsyncs).toBe(fsyncs);
    expect(fsyncs).toBeLessThan(50);
    const records = await readAll(spool);
    expect(records.map((record) => record.events[0]?.pathname)).toEqual(
      Array.from({ length: 500 }, (_, id) => `/e/${id}`),
    );
    await spool.close();
  });

  it('round-trips rows exactly: 64-bit ids as bigint, strings with quotes and newlines', async () => {
    const spool = await Spool.open({ dir, now: () => 1_700_000_000_123 });
    await spool.append(recordFor(10));
    const [record] = await readAll(spool);
    expect(record?.appendedAt).toBe(1_700_000_000_123);
    expect(record?.events).toEqual([eventRow(10)]);
    expect(typeof record?.sessions[0]?.user_id).toBe('bigint');
    await spool.close();
  });

  it('ignores a record torn by a crash at the end of a segment and keeps the earlier ones', async () => {
    const first = await Spool.open({ dir });
    for (let id = 0; id < 3; id += 1) await first.append(recordFor(id));
    await first.close();
    const [segment] = await segmentFiles();
    const path = join(dir, segment!);
    const lines = (await readFile(path, 'utf8')).split('\n');
    // Half of a fourth record, as a crash in the middle of a write leaves it.
    const fourth = lines[2]!.replace('/e/2', '/e/3');
    await appendFile(path, fourth.slice(0, fourth.length / 2));

    const reopened = await Spool.open({ dir });
    expect(reopened.stats().pendingRecords).toBe(3);
    const contents = await reopened.readSegment(segment!);
    expect(contents.records.map((record) => record.events[0]?.pathname)).toEqual(['/e/0', '/e/1', '/e/2']);
    expect(contents.tornTailBytes).toBe(Math.floor(fourth.length / 2));
    await reopened.close();
  });

  it('skips a damaged complete line (CRC mismatch) instead of parsing it', async () => {
    const first = await Spool.open({ dir });
    for (let id = 0; id < 3; id += 1) await first.append(recordFor(id));
    await first.close();
    const [segment] = await segmentFiles();
    const path = join(dir, segment!);
    // Flip one digit inside the second record: still valid JSON, wrong checksum.
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.replace('"/e/1"', '"/e/7"'));

    const reopened = await Spool.open({ dir });
    const contents = await reopened.readSegment(segment!);
    expect(contents.records.map((record) => record.events[0]?.pathname)).toEqual(['/e/0', '/e/2']);
    expect(contents.corruptLines).toBe(1);
    await reopened.close();
  });

  it('ignores a zero-filled tail (power loss after the size grew, before the data landed)', async () => {
    const first = await Spool.open({ dir });
    await first.append(recordFor(0));
    await first.close();
    const [segment] = await segmentFiles();
    const path = join(dir, segment!);
    const dataBytes = (await stat(path)).size;
    await truncate(path, dataBytes + 100_000);

    const reopened = await Spool.open({ dir });
    expect(reopened.sealedSegments()).toEqual([{ name: segment, bytes: dataBytes, records: 1 }]);
    const contents = await reopened.readSegment(segment!);
    expect(contents.records).toHaveLength(1);
    expect(contents.tornTailBytes).toBe(0);
    expect(contents.corruptLines).toBe(0);
    await reopened.close();
  });

  it('writes into spare segments filled with zeros beforehand, cuts the padding off on close, and reads them back', async () => {
    const spool = await Spool.open({ dir, segmentBytes: 4096 });
    for (let id = 0; id < 30; id += 1) await spool.append(recordFor(id));
    const open = await segmentFiles();
    expect(open.length).toBeGreaterThan(3);
    // The last file is the spare, zeros only; the one before it was a spare too and holds records, then zeros.
    const spare = await readFile(join(dir, open.at(-1)!));
    expect(spare.length).toBeGreaterThanOrEqual(4096);
    expect(spare.every((byte) => byte === 0)).toBe(true);
    const active = await readFile(join(dir, open.at(-2)!));
    expect(active.length).toBeGreaterThanOrEqual(4096);
    expect(active[0]).not.toBe(0);
    expect(active.at(-1)).toBe(0);
    const activeData = active.subarray(0, active.lastIndexOf(0x0a) + 1);
    await spool.close();

    // Closed: the spare is gone and the active segment ends with its last record.
    expect(await segmentFiles()).toEqual(open.slice(0, -1));
    expect(await readFile(join(dir, open.at(-2)!))).toEqual(activeData);
    const reopened = await Spool.open({ dir });
    const sealed = reopened.sealedSegments();
    expect(sealed.find((segment) => segment.name === open.at(-2))?.bytes).toBe(activeData.length);
    const contents = await Promise.all(sealed.map((segment) => reopened.readSegment(segment.name)));
    expect(contents.flatMap((segment) => segment.records).map((record) => record.events[0]?.pathname)).toEqual(
      Array.from({ length: 30 }, (_, id) => `/e/${id}`),
    );
    expect(contents.map((segment) => segment.tornTailBytes + segment.corruptLines)).toEqual(sealed.map(() => 0));
    await reopened.close();
  });

  it('zero-fills a spare by what recent segments held: nothing while events trickle in, a segment under load', async () => {
    const segmentBytes = 64 * 1024;
    const spool = await Spool.open({ dir, segmentBytes });
    /** The segment being written is the last file but one; the last is the spare made for the next rotation. */
    const activeFile = async () => stat(join(dir, (await segmentFiles()).at(-2)!));

    // A trickle: the flusher seals a record or two every interval. Rotating takes the previous spare, so
    // after two seals the segment being written is a spare made after a small segment.
    let id = 0;
    for (let seal = 0; seal < 3; seal += 1) {
      await spool.append(recordFor(id++));
      await spool.seal();
    }
    await spool.append(recordFor(id++));
    const trickle = await activeFile();
    expect(trickle.size).toBeLessThan(4096); // one record, no zeros after it

    // Under load segments fill up and rotate by size: the spares get a segment's worth of zeros again.
    for (let burst = 0; burst < 4; burst += 1) await Promise.all(Array.from({ length: 150 }, () => spool.append(recordFor(id++))));
    await spool.seal();
    await spool.append(recordFor(id++));
    const busy = await activeFile();
    expect(busy.size).toBe(segmentBytes);

    expect((await readAll(spool)).map((record) => record.events[0]?.pathname)).toEqual(
      Array.from({ length: id }, (_, n) => `/e/${n}`),
    );
    await spool.close();
  });

  it('tells a record torn over the zero padding as a torn tail', async () => {
    const spool = await Spool.open({ dir });
    await spool.append(recordFor(0));
    await spool.close();
    const [segment] = await segmentFiles();
    const path = join(dir, segment!);
    const line = await readFile(path);
    // Power loss while the next record was written: its first 40 bytes landed, then zeros.
    await appendFile(path, Buffer.concat([line.subarray(0, 40), Buffer.alloc(8192)]));

    const reopened = await Spool.open({ dir });
    const contents = await reopened.readSegment(segment!);
    expect(contents.records).toHaveLength(1);
    expect(contents.tornTailBytes).toBe(40);
    await reopened.close();
  });

  it('never appends to a segment left by a previous process, and never reuses a segment number', async () => {
    const first = await Spool.open({ dir });
    await first.append(recordFor(0));
    await first.close();
    expect(await segmentFiles()).toEqual(['000000000001.seg']);

    const second = await Spool.open({ dir });
    expect(second.sealedSegments().map((segment) => segment.name)).toEqual(['000000000001.seg']);
    await second.append(recordFor(1));
    const sealed = await second.seal();
    expect(sealed.map((segment) => segment.name)).toEqual(['000000000001.seg', '000000000002.seg']);
    for (const segment of sealed) await second.removeSegment(segment.name);
    await second.close();

    // Everything was removed except the empty segment being written: the sequence carries on from it.
    const third = await Spool.open({ dir });
    await third.append(recordFor(2));
    expect((await third.seal()).map((segment) => segment.name)).toEqual(['000000000004.seg']);
    // 5 is being written; 6 is the spare made ahead of the next rotation.
    expect(await segmentFiles()).toEqual(['000000000004.seg', '000000000005.seg', '000000000006.seg']);
    expect(third.id).toBe(first.id);
    await third.close();
    // Closing removes the empty spare (5 stays: the open after it will clear it away).
    expect(await segmentFiles()).toEqual(['000000000004.seg', '000000000005.seg']);
  });

  it('rotates segments by size', async () => {
    const spool = await Spool.open({ dir, segmentBytes: 4096 });
    for (let id = 0; id < 40; id += 1) await spool.append(recordFor(id));
    const sealed = await spool.seal();
    expect(sealed.length).toBeGreaterThan(3);
    expect(sealed.reduce((sum, segment) => sum + segment.records, 0)).toBe(40);
    for (const segment of sealed.slice(0, -1)) expect(segment.bytes).toBeLessThan(4096 + 2048);
    expect((await readAll(spool)).map((record) => record.events[0]?.pathname)).toHaveLength(40);
    await spool.close();
  });

  it('rejects with SpoolFullError beyond maxBytes, keeps everything it accepted, and accepts again once drained', async () => {
    const spool = await Spool.open({ dir, maxBytes: 10_000 });
    const results = await Promise.allSettled(Array.from({ length: 40 }, (_, id) => spool.append(recordFor(id))));
    const accepted = results.filter((result) => result.status === 'fulfilled').length;
    const refused = results.filter((result) => result.status === 'rejected');
    expect(accepted).toBeGreaterThan(0);
    expect(refused.length).toBeGreaterThan(0);
    for (const result of refused) expect((result as PromiseRejectedResult).reason).toBeInstanceOf(SpoolFullError);
    const stats = spool.stats();
    expect(stats.pendingBytes).toBeLessThanOrEqual(10_000);
    expect(stats.usedRatio).toBeGreaterThan(0.9);
    expect(stats.pendingRecords).toBe(accepted);

    const sealed = await spool.seal();
    expect((await readAll(spool)).length).toBe(accepted);
    for (const segment of sealed) await spool.removeSegment(segment.name);
    expect(spool.stats().pendingBytes).toBe(0);
    await expect(spool.append(recordFor(99))).resolves.toBeUndefined();
    await spool.close();
  });

  it('cuts a batch whose fsync failed off the segment, so a client retry is not stored twice', async () => {
    let failNext = false;
    const spool = await Spool.open({
      dir,
      sync: async (file) => {
        if (failNext) {
          failNext = false;
          throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
        }
        await file.datasync();
      },
    });
    await spool.append(recordFor(0));
    failNext = true;
    const failed = spool.append(recordFor(1));
    await expect(failed).rejects.toBeInstanceOf(SpoolWriteError);
    await expect(failed).rejects.toMatchObject({ broken: false });
    await spool.append(recordFor(2));
    expect((await readAll(spool)).map((record) => record.events[0]?.pathname)).toEqual(['/e/0', '/e/2']);
    await spool.close();
  });

  it('refuses appends after close but writes what was queued before', async () => {
    const spool = await Spool.open({ dir });
    const queued = Promise.all(Array.from({ length: 20 }, (_, id) => spool.append(recordFor(id))));
    await spool.close();
    await expect(queued).resolves.toHaveLength(20);
    await expect(spool.append(recordFor(20))).rejects.toBeInstanceOf(SpoolClosedError);
    const reopened = await Spool.open({ dir });
    expect(reopened.stats().pendingRecords).toBe(20);
    await reopened.close();
  });

  it('reports the age of the oldest pending record, also for segments recovered at open', async () => {
    const first = await Spool.open({ dir, now: () => 1_000 });
    expect(first.stats().oldestRecordAt).toBeUndefined();
    await first.append(recordFor(0));
    await first.close();
    const reopened = await Spool.open({ dir, now: () => 5_000 });
    await reopened.append(recordFor(1));
    expect(reopened.stats()).toMatchObject({ oldestRecordAt: 1_000, pendingRecords: 2, segments: 2 });
    await reopened.close();
  });

  it('stores each row as one JSONCompactEachRow line for the flusher: tabs and newlines inside values stay escaped', async () => {
    const spool = await Spool.open({ dir });
    const record = recordFor(5);
    record.events[0] = { ...eventRow(5), pathname: '/a\tb\nc', prop_keys: ['k\t'], prop_values: ['v\n\u2028'] };
    await spool.append(record);
    const [segment] = await spool.seal();
    const rows = await spool.readSegmentRows(segment!.name);
    expect(rows.events.count).toBe(1);
    expect(rows.sessions.count).toBe(record.sessions.length);
    const stored = storedRow('events', rows.events.row(0));
    expect(stored).toMatchObject({ pathname: '/a\tb\nc', prop_keys: ['k\t'], prop_values: ['v\n\u2028'], user_id: String(eventRow(5).user_id) });
    expect(rows.events.row(0).includes(0x09) || rows.events.row(0).includes(0x0a)).toBe(false);
    expect((await spool.readSegment(segment!.name)).records[0]?.events[0]?.pathname).toBe('/a\tb\nc');
    await spool.close();
  });

  it('reads back a segment larger than its read buffer, row for row', async () => {
    const spool = await Spool.open({ dir, segmentBytes: 64 * 1024 * 1024 });
    const count = 4_000; // ~2 MiB of records: more than the 1 MiB the spool starts with
    for (let id = 0; id < count; id += 50) await Promise.all(Array.from({ length: 50 }, (_, k) => spool.append(recordFor(id + k))));
    const [segment] = await spool.seal();
    expect(segment!.bytes).toBeGreaterThan(1024 * 1024);
    const rows = await spool.readSegmentRows(segment!.name);
    expect(rows.records).toBe(count);
    expect(Array.from({ length: rows.events.count }, (_, index) => storedRow('events', rows.events.row(index)).pathname)).toEqual(Array.from({ length: count }, (_, id) => `/e/${id}`));
    await spool.close();
  });

  it('hands the flusher the rows it kept while writing, byte for byte what a reread of the file gives', async () => {
    const spool = await Spool.open({ dir });
    const odd = ['/a\tb\nc', 'é', '\u2028', '"quoted"\\', '😀', '\ud800'];
    const bodies = async (from: Spool, name: string) => {
      const rows = await from.readSegmentRows(name);
      return { records: rows.records, events: Buffer.from(rows.events.lines(0, rows.events.count)), sessions: Buffer.from(rows.sessions.lines(0, rows.sessions.count)) };
    };
    const appendSome = (first: number) =>
      Promise.all(Array.from({ length: 300 }, (_, k) => {
        const record = recordFor(first + k);
        record.events[0] = { ...record.events[0]!, pathname: odd[k % odd.length]!, prop_keys: k % 2 ? [] : ['k'], prop_values: k % 2 ? [] : [odd[k % 3]!] };
        return spool.append(k % 7 ? record : { events: [], sessions: record.sessions });
      }));
    await appendSome(0);
    const [first] = await spool.seal();
    // A second sealed segment while the first is still there (ClickHouse down): past the memory cap.
    await appendSome(300);
    const [, second] = await spool.seal();
    const kept = [await bodies(spool, first!.name), await bodies(spool, second!.name)];
    await spool.close();

    const reopened = await Spool.open({ dir });
    const reread = [await bodies(reopened, first!.name), await bodies(reopened, second!.name)];
    expect(kept[0]!.records).toBe(300);
    expect(kept[0]!.events.toString().split('\n')).toHaveLength(300 - 43 + 1);
    for (const [index, body] of kept.entries()) {
      expect(body.records).toBe(reread[index]!.records);
      expect(body.events.equals(reread[index]!.events)).toBe(true);
      expect(body.sessions.equals(reread[index]!.sessions)).toBe(true);
    }
    expect(kept[0]!.events.equals(kept[1]!.events)).toBe(false);
    await reopened.close();
  });

  it('replays a segment written in format 1 (a JSON envelope) by an older build', async () => {
    const { crc32 } = await import('node:zlib');
    const first = await Spool.open({ dir });
    await first.close();
    const envelope = JSON.stringify(
      { v: 1, at: 1_700_000_000_000, events: [eventRow(3)], sessions: recordFor(3).sessions },
      (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
    );
    const line = `${crc32(Buffer.from(envelope)).toString(16).padStart(8, '0')} ${envelope}\n`;
    await writeFile(join(dir, '000000000007.seg'), line);

    const reopened = await Spool.open({ dir });
    expect(reopened.stats()).toMatchObject({ pendingRecords: 1, oldestRecordAt: 1_700_000_000_000 });
    const rows = await reopened.readSegmentRows('000000000007.seg');
    expect(storedRow('events', rows.events.row(0))).toMatchObject({ pathname: '/e/3', user_id: String(eventRow(3).user_id) });
    expect((await reopened.readSegment('000000000007.seg')).records[0]?.events).toEqual([eventRow(3)]);
    await reopened.close();
  });

  it('replays a segment written in format 2 (JSONEachRow objects as rows) by an older build', async () => {
    const { crc32 } = await import('node:zlib');
    const first = await Spool.open({ dir });
    await first.close();
    const asObject = (row: object) => JSON.stringify(row, (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value));
    const sessions = recordFor(4).sessions;
    const payload = [`2 1700000000000 1 ${sessions.length}`, asObject(eventRow(4)), ...sessions.map(asObject)].join('\t');
    await writeFile(join(dir, '000000000008.seg'), `${crc32(Buffer.from(payload)).toString(16).padStart(8, '0')} ${payload}\n`);

    const reopened = await Spool.open({ dir });
    const rows = await reopened.readSegmentRows('000000000008.seg');
    expect(storedRow('events', rows.events.row(0))).toMatchObject({ pathname: '/e/4', user_id: String(eventRow(4).user_id) });
    expect(rows.sessions.count).toBe(sessions.length);
    expect((await reopened.readSegment('000000000008.seg')).records[0]).toMatchObject({ events: [eventRow(4)], sessions });
    await reopened.close();
  });

  it('refuses a record whose row count does not match its header instead of inserting part of it', async () => {
    const { crc32 } = await import('node:zlib');
    const first = await Spool.open({ dir });
    await first.close();
    const payload = `2 1700000000000 2 0\t${JSON.stringify({ pathname: '/only-one' })}`;
    await writeFile(join(dir, '000000000009.seg'), `${crc32(Buffer.from(payload)).toString(16).padStart(8, '0')} ${payload}\n`);
    const reopened = await Spool.open({ dir });
    await expect(reopened.readSegmentRows('000000000009.seg')).rejects.toThrow(/announces 2 rows but holds 1/);
    await reopened.close();
  });
});
