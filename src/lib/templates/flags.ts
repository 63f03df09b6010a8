import { Flags } from '@oclif/core';

/** Answers the templates need, shared by `templates render`, `setup` and `upgrade`. */
export const templateFlags = {
  clickhouse: Flags.string({
    description: 'server: a ClickHouse container; embedded: chDB inside the analytics container (small hosts).',
    options: ['server', 'embedded'],
    default: 'server',
  }),
  network: Flags.string({
    description: 'bridge: the stack’s own network, port published on loopback; host: host networking (no Docker network).',
    options: ['bridge', 'host'],
    default: 'bridge',
  }),
  image: Flags.string({ description: 'Tag of the analytics server image (built locally from this package).' }),
  'postgres-image': Flags.string({ description: 'PostgreSQL image.' }),
  'clickhouse-image': Flags.string({ description: 'ClickHouse server image.' }),
  'caddy-image': Flags.string({ description: 'Caddy image (automatic TLS profile).' }),
};
