import { expect } from 'vitest';
import { openTempChdb } from '../../helpers/embedded.js';
import { describeClickHouseStoreContract } from './clickhouse-store-contract.js';

describeClickHouseStoreContract('ClickHouseStore on chDB', async () => {
  const embedded = await openTempChdb();
  expect(embedded.store.kind).toBe('chdb');
  expect(embedded.store.database).toBe('analytics');
  return embedded;
});
