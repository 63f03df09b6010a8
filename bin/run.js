#!/usr/bin/env -S node --v8-pool-size=1
// --v8-pool-size=1: one V8 helper thread instead of four. On the 1–2 core machines this runs on, a
// major collection's four helpers filled every core for ~70 ms and the spool's disk writes (on
// libuv's threads) waited behind them: half-load p99 ~31 ms against ~16 ms with one helper, with no
// change in maximum throughput (docs/decisions.md "V8 helper threads"). Every way the server is started
// passes it (Dockerfile, systemd unit, tests); test/server/launch-flags.test.ts keeps them in step.
import { execute } from '@oclif/core';

await execute({ dir: import.meta.url });
