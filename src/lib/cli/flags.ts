import { Flags } from '@oclif/core';

/** Shared by the db commands: which store to act on. */
export const storeFlag = Flags.string({
  description: 'Act on one store only.',
  options: ['postgres', 'clickhouse', 'all'] as const,
  default: 'all',
});
