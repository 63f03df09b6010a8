/**
 * Admin operations: everything `sites`, `users` and `api-keys` commands do, as named functions over
 * the opened stores. The CLI runs them itself, or — when the server owns the embedded DATA_DIR — asks
 * the server to run them over its admin socket; either way the same code runs on the same input.
 */
import { z } from 'zod';
import { generateStrongPassword } from '../accounts/password.js';
import {
  createUser,
  findFirstAdmin,
  listUsers,
  requireUserByEmail,
  setUserPassword,
  type User,
} from '../accounts/users.js';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKey, type RevokedApiKey } from '../api-keys/keys.js';
import { createBackup, type BackupCreateResult } from '../backup/create.js';
import { readIdentityFiles, restoreBackup, type RestoreResult } from '../backup/restore.js';
import { UsageError, UserError } from '../cli/errors.js';
import { requireMigrated } from '../db/migrations.js';
import { seedDemoSite, type SeedResult } from '../seed/seed.js';
import { createSite, listSites, removeSite, type RemovedSite, type Site } from '../sites/sites.js';
import { addGoal, listGoals, removeGoal, type Goal } from '../goals/goals.js';
import type { OpenedStores } from '../storage/open.js';

/** What the server offers operations beyond its stores (absent when the CLI runs an operation itself). */
export interface AdminContext {
  /** Flushes the ingest spool and keeps ClickHouse unwritten while fn runs (backup, restore). */
  holdIngest?: <T>(fn: () => Promise<T>) => Promise<T>;
}

export interface AdminOperation<Schema extends z.ZodType, Result> {
  name: string;
  /** Validates input that may come from another process (the socket) and fills defaults. */
  input: Schema;
  run(stores: OpenedStores, input: z.output<Schema>, context: AdminContext): Promise<Result>;
}

function operation<Schema extends z.ZodType, Result>(
  name: string,
  input: Schema,
  run: (stores: OpenedStores, input: z.output<Schema>, context: AdminContext) => Promise<Result>,
): AdminOperation<Schema, Result> {
  return { name, input, run };
}

export interface UserWithPassword {
  user: User;
  /** Only when generated: shown once, stored only as a scrypt hash. */
  generatedPassword?: string;
}

export interface CreatedApiKeyResult {
  apiKey: ApiKey;
  /** The key itself; it cannot be shown again. */
  key: string;
}

const text = z.string().trim().min(1);
const noInput = z.object({}).strict().optional().transform(() => ({}));

function withPassword(password: string | undefined): { password: string; generated?: string } {
  if (password !== undefined) return { password };
  const generated = generateStrongPassword();
  return { password: generated, generated };
}

export const adminOperations = {
  'sites.add': operation(
    'sites.add',
    z.object({ domain: text, timezone: text.optional() }).strict(),
    async (stores, input): Promise<{ site: Site }> => ({ site: await createSite(stores.postgres, input) }),
  ),
  'sites.list': operation('sites.list', noInput, async (stores): Promise<{ sites: Site[] }> => ({
    sites: await listSites(stores.postgres),
  })),
  'sites.remove': operation(
    'sites.remove',
    z.object({ domain: text }).strict(),
    (stores, input): Promise<RemovedSite> => removeSite(stores, input.domain),
  ),
  'users.add': operation(
    'users.add',
    z.object({ email: text, name: text, password: z.string().optional(), isAdmin: z.boolean().default(false) }).strict(),
    async (stores, input): Promise<UserWithPassword> => {
      const { password, generated } = withPassword(input.password);
      const user = await createUser(stores.postgres, { ...input, password });
      return { user, ...(generated ? { generatedPassword: generated } : {}) };
    },
  ),
  'users.list': operation('users.list', noInput, async (stores): Promise<{ users: User[] }> => ({
    users: await listUsers(stores.postgres),
  })),
  'users.password': operation(
    'users.password',
    z.object({ email: text, password: z.string().optional() }).strict(),
    async (stores, input): Promise<UserWithPassword> => {
      const { password, generated } = withPassword(input.password);
      const user = await setUserPassword(stores.postgres, input.email, password);
      return { user, ...(generated ? { generatedPassword: generated } : {}) };
    },
  ),
  'api-keys.create': operation(
    'api-keys.create',
    z.object({ name: text, userEmail: text.optional() }).strict(),
    async (stores, input): Promise<CreatedApiKeyResult> => {
      const user = input.userEmail
        ? await requireUserByEmail(stores.postgres, input.userEmail)
        : await findFirstAdmin(stores.postgres);
      if (!user) {
        throw new UserError('There is no admin account to own the key', {
          code: 'NO_ADMIN',
          actions: ['analytics db init-admin --email you@example.com', 'or pass --user EMAIL'],
        });
      }
      const { apiKey, key } = await createApiKey(stores.postgres, { userId: user.id, name: input.name });
      return { apiKey, key };
    },
  ),
  'api-keys.list': operation('api-keys.list', noInput, async (stores): Promise<{ apiKeys: ApiKey[] }> => ({
    apiKeys: await listApiKeys(stores.postgres),
  })),
  'api-keys.revoke': operation(
    'api-keys.revoke',
    z.object({ idOrPrefix: text }).strict(),
    (stores, input): Promise<RevokedApiKey> => revokeApiKey(stores.postgres, input.idOrPrefix),
  ),
  'backup.create': operation(
    'backup.create',
    z.object({ dir: text, recipient: text.optional(), compression: z.enum(['zstd', 'gzip']).optional() }).strict(),
    async (stores, input, context): Promise<BackupCreateResult> => ({
      ...(await createBackup(stores, { ...input, holdIngest: context.holdIngest })),
      viaServer: true,
    }),
  ),
  restore: operation(
    'restore',
    z.object({ archive: text, identityFiles: z.array(text).default([]), force: z.boolean().default(false) }).strict(),
    async (stores, input, context): Promise<RestoreResult> => ({
      ...(await restoreBackup(stores, input.archive, {
        identities: readIdentityFiles(input.identityFiles),
        force: input.force,
        holdIngest: context.holdIngest,
      })),
      viaServer: true,
    }),
  ),
  'db.seed': operation(
    'db.seed',
    z
      .object({
        domain: text,
        events: z.number().int().min(1),
        days: z.number().int().min(1).max(3650),
        seed: z.number().int().min(0),
        replace: z.boolean().default(false),
      })
      .strict(),
    (stores, input): Promise<SeedResult> => seedDemoSite(stores.postgres, stores.clickhouse, input),
  ),
  'goals.add': operation(
    'goals.add',
    z.union([
      z.object({ domain: text, event: text }).strict(),
      z.object({ domain: text, page: text }).strict(),
    ]),
    async (stores, input): Promise<{ goal: Goal }> => ({ goal: await addGoal(stores.postgres, input) }),
  ),
  'goals.list': operation('goals.list', z.object({ domain: text }).strict(), async (stores, input): Promise<{ goals: Goal[] }> => ({
    goals: await listGoals(stores.postgres, input.domain),
  })),
  'goals.remove': operation(
    'goals.remove',
    z.object({ domain: text, goal: text }).strict(),
    async (stores, input): Promise<{ goal: Goal }> => ({ goal: await removeGoal(stores.postgres, input) }),
  ),
} as const;

export type AdminOperations = typeof adminOperations;
export type AdminOperationName = keyof AdminOperations;
/** What a caller passes (defaults may be left out). */
export type AdminInput<N extends AdminOperationName> = z.input<AdminOperations[N]['input']>;
export type AdminResult<N extends AdminOperationName> = Awaited<ReturnType<AdminOperations[N]['run']>>;

/** One finished operation, discriminated by name: `if (done.name === 'sites.remove') done.result.site.domain`. */
export type CompletedAdminOperation = { [N in AdminOperationName]: { name: N; result: AdminResult<N> } }[AdminOperationName];

export function isAdminOperationName(name: string): name is AdminOperationName {
  return Object.hasOwn(adminOperations, name);
}

/**
 * Validates the input, checks that the schema is migrated (exit 4 with `analytics db migrate`
 * otherwise, instead of "relation does not exist"), and runs the operation.
 */
export async function executeAdminOperation(
  stores: OpenedStores,
  name: string,
  rawInput: unknown,
  context: AdminContext = {},
): Promise<unknown> {
  if (!isAdminOperationName(name)) {
    throw new UsageError(`There is no admin operation ${name}`, {
      code: 'UNKNOWN_OPERATION',
      details: { known: Object.keys(adminOperations) },
    });
  }
  const op = adminOperations[name] as AdminOperation<z.ZodType, unknown>;
  const parsed = op.input.safeParse(rawInput);
  if (!parsed.success) {
    throw new UsageError(`Invalid input for ${name}:\n${z.prettifyError(parsed.error)}`, { code: 'INVALID_INPUT' });
  }
  await requireMigrated(stores);
  return op.run(stores, parsed.data, context);
}
