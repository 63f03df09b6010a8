/**
 * Keeps chDB's merge threads at a lower priority when ClickHouse cannot. ClickHouse applies
 * `os_threads_nice_value_merge_mutate` only with CAP_SYS_NICE, which an unprivileged server (the Docker
 * image's `node` user, the systemd unit's `User=`) does not have: its merges then run at nice 0 and take
 * cores from request handling. Raising the nice value of one's own threads needs no privilege, so the
 * server does it: every few seconds it looks for ClickHouse's merge threads (named `MergeMutate`) in
 * /proc/self/task and renices those that are not there yet. Merge threads do nothing else, so they keep
 * the value. (The spool inserts' `os_thread_priority` cannot be done this way: the insert runs on one of
 * libuv's threads, whose priority an unprivileged process could not lower back afterwards.)
 */
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

const MERGE_THREAD_NAME = 'MergeMutate';
const SCAN_INTERVAL_MS = 2_000;

/** Renices this process's threads named `name` to at least `nice`; returns how many it changed. Linux only. */
export function reniceThreads(name: string, nice: number): number {
  let tasks: string[];
  try {
    tasks = readdirSync('/proc/self/task');
  } catch {
    return 0; // not Linux
  }
  let changed = 0;
  for (const tid of tasks) {
    try {
      if (readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trimEnd() !== name) continue;
      if (os.getPriority(Number(tid)) >= nice) continue;
      os.setPriority(Number(tid), nice);
      changed++;
    } catch {
      // The thread ended between the listing and the read: nothing to do.
    }
  }
  return changed;
}

/** Starts the periodic renicing of merge threads; the timer does not keep the process alive. */
export function keepMergeThreadsNiced(nice: number): { stop(): void } {
  reniceThreads(MERGE_THREAD_NAME, nice);
  const timer = setInterval(() => reniceThreads(MERGE_THREAD_NAME, nice), SCAN_INTERVAL_MS);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
