/**
 * Goals: a custom event (`Signup`) or a pageview of a path (`/thank-you`, globs allowed) whose
 * completions the Stats API counts (`event:goal`, `conversion_rate`). Stored in Postgres `goals`.
 */
import { UserError } from '../cli/errors.js';
import { normalizeDomain } from '../sites/sites.js';
import type { PostgresQueryable } from '../storage/postgres/index.js';

export interface Goal {
  id: number;
  siteId: number;
  domain: string;
  /** Set for a custom-event goal. */
  eventName: string | null;
  /** Set for a pageview goal. */
  pagePath: string | null;
  /** How the goal is named in the API and dashboard: the event name, or `Visit /path`. */
  displayName: string;
  createdAt: string;
}

/** What the stats library needs of a goal. */
export type StatsGoal = Pick<Goal, 'id' | 'eventName' | 'pagePath' | 'displayName'>;

interface GoalRow {
  id: string | number;
  site_id: string | number;
  domain: string;
  event_name: string | null;
  page_path: string | null;
  display_name: string;
  created_at: Date | string;
}

const toGoal = (r: GoalRow): Goal => ({
  id: Number(r.id),
  siteId: Number(r.site_id),
  domain: r.domain,
  eventName: r.event_name,
  pagePath: r.page_path,
  displayName: r.display_name,
  createdAt: new Date(r.created_at).toISOString(),
});

const SELECT_GOALS = `
  SELECT g.id, g.site_id, s.domain, g.event_name, g.page_path, g.display_name, g.created_at
  FROM goals g JOIN sites s ON s.id = g.site_id`;

const MAX_EVENT_NAME = 120;
const MAX_PAGE_PATH = 2000;

export type GoalInput = { domain: string } & ({ event: string; page?: undefined } | { page: string; event?: undefined });

export const pageGoalName = (path: string) => `Visit ${path}`;

async function requireSiteId(db: PostgresQueryable, domainInput: string): Promise<{ id: number; domain: string }> {
  const domain = normalizeDomain(domainInput);
  const rows = await db.query<{ id: string | number; domain: string }>('SELECT id, domain FROM sites WHERE lower(domain) = lower($1)', [
    domain,
  ]);
  const row = rows[0];
  if (!row) throw new UserError(`There is no site ${domain}`, { code: 'UNKNOWN_SITE', actions: ['analytics sites list'] });
  return { id: Number(row.id), domain: row.domain };
}

function validateGoal(input: GoalInput): { eventName: string | null; pagePath: string | null; displayName: string } {
  if (input.event !== undefined) {
    const name = input.event.trim();
    if (name === '' || name.length > MAX_EVENT_NAME) {
      throw new UserError(`An event goal needs an event name of 1 to ${MAX_EVENT_NAME} characters`, {
        code: 'INVALID_GOAL',
        actions: ['analytics goals add --site example.com --event Signup'],
      });
    }
    if (name === 'pageview') {
      throw new UserError('"pageview" is not a custom event; count visits to a page with --page', {
        code: 'INVALID_GOAL',
        actions: ['analytics goals add --site example.com --page /thank-you'],
      });
    }
    return { eventName: name, pagePath: null, displayName: name };
  }
  const path = input.page.trim();
  if (!path.startsWith('/') || path.length > MAX_PAGE_PATH) {
    throw new UserError(`A page goal's path starts with / (got "${input.page}")`, {
      code: 'INVALID_GOAL',
      actions: ['analytics goals add --site example.com --page /thank-you', 'or a pattern: --page "/blog/**"'],
    });
  }
  return { eventName: null, pagePath: path, displayName: pageGoalName(path) };
}

export async function addGoal(db: PostgresQueryable, input: GoalInput): Promise<Goal> {
  const site = await requireSiteId(db, input.domain);
  const goal = validateGoal(input);
  const existing = await db.query<{ id: string | number }>(
    'SELECT id FROM goals WHERE site_id = $1 AND (event_name = $2 OR page_path = $3)',
    [site.id, goal.eventName, goal.pagePath],
  );
  if (existing[0]) {
    throw new UserError(`The site ${site.domain} already has the goal "${goal.displayName}"`, {
      code: 'DUPLICATE_GOAL',
      actions: [`analytics goals list --site ${site.domain}`],
    });
  }
  const inserted = await db.query<{ id: string | number }>(
    'INSERT INTO goals (site_id, event_name, page_path, display_name) VALUES ($1, $2, $3, $4) RETURNING id',
    [site.id, goal.eventName, goal.pagePath, goal.displayName],
  );
  const [row] = await db.query<GoalRow>(`${SELECT_GOALS} WHERE g.id = $1`, [Number(inserted[0]?.id)]);
  return toGoal(row as GoalRow);
}

export async function listGoals(db: PostgresQueryable, domainInput: string): Promise<Goal[]> {
  const site = await requireSiteId(db, domainInput);
  const rows = await db.query<GoalRow>(`${SELECT_GOALS} WHERE g.site_id = $1 ORDER BY g.id`, [site.id]);
  return rows.map(toGoal);
}

/** The goals of a site by id, for the stats library (no site check: the caller resolved the site). */
export async function goalsForSite(db: PostgresQueryable, siteId: number): Promise<StatsGoal[]> {
  const rows = await db.query<GoalRow>(`${SELECT_GOALS} WHERE g.site_id = $1 ORDER BY g.id`, [siteId]);
  return rows.map(toGoal).map(({ id, eventName, pagePath, displayName }) => ({ id, eventName, pagePath, displayName }));
}

/**
 * Removes one goal, named by its id, its event name, its path, or its display name (`Visit /path`).
 * Recorded events stay; only the goal's definition goes.
 */
export async function removeGoal(db: PostgresQueryable, input: { domain: string; goal: string }): Promise<Goal> {
  const site = await requireSiteId(db, input.domain);
  const ref = input.goal.trim();
  const rows = await db.query<GoalRow>(
    `${SELECT_GOALS} WHERE g.site_id = $1
       AND (g.id::text = $2 OR g.event_name = $2 OR g.page_path = $2 OR g.display_name = $2)`,
    [site.id, ref],
  );
  const row = rows[0];
  if (!row) {
    throw new UserError(`The site ${site.domain} has no goal "${ref}"`, {
      code: 'UNKNOWN_GOAL',
      actions: [`analytics goals list --site ${site.domain}`],
    });
  }
  if (rows.length > 1) {
    throw new UserError(`"${ref}" names ${rows.length} goals of ${site.domain}; pass the goal's id`, {
      code: 'AMBIGUOUS_GOAL',
      actions: [`analytics goals list --site ${site.domain}`],
    });
  }
  await db.query('DELETE FROM goals WHERE id = $1', [Number(row.id)]);
  return toGoal(row);
}
