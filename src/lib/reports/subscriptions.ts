import { randomBytes } from 'node:crypto';
import { UserError } from '../cli/errors.js';
import { findSite, type Site } from '../sites/sites.js';
import type { PostgresQueryable } from '../storage/postgres/index.js';
import type { ReportPeriod } from './periods.js';

export interface ReportSubscription {
  id: number;
  siteId: number;
  domain: string;
  email: string;
  period: ReportPeriod;
  createdAt: string;
}

/** Internal: the token is only for building unsubscribe links, never listed. */
export interface SubscriptionWithToken extends ReportSubscription {
  unsubscribeToken: string;
}

interface Row {
  id: string | number;
  site_id: string | number;
  domain: string;
  email: string;
  period: ReportPeriod;
  unsubscribe_token: string;
  created_at: Date | string;
}

const COLUMNS = 'r.id, r.site_id, s.domain, r.email, r.period, r.unsubscribe_token, r.created_at';

const toSubscription = (r: Row): SubscriptionWithToken => ({
  id: Number(r.id),
  siteId: Number(r.site_id),
  domain: r.domain,
  email: r.email,
  period: r.period,
  unsubscribeToken: r.unsubscribe_token,
  createdAt: new Date(r.created_at).toISOString(),
});

export const withoutToken = ({ unsubscribeToken: _token, ...rest }: SubscriptionWithToken): ReportSubscription => rest;

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

export async function requireSite(db: PostgresQueryable, domain: string): Promise<Site> {
  const site = await findSite(db, domain);
  if (!site) throw new UserError(`There is no site ${domain}`, { code: 'UNKNOWN_SITE', actions: ['analytics sites list'] });
  return site;
}

export interface SubscribeResult {
  subscriptions: ReportSubscription[];
  /** Periods the address was already subscribed to (left as they were). */
  existing: ReportPeriod[];
}

export async function subscribe(
  db: PostgresQueryable,
  input: { domain: string; email: string; periods: ReportPeriod[] },
): Promise<SubscribeResult> {
  const email = input.email.trim();
  if (!EMAIL.test(email)) throw new UserError(`"${email}" is not an email address`, { code: 'INVALID_EMAIL' });
  const site = await requireSite(db, input.domain);
  const existing: ReportPeriod[] = [];
  for (const period of input.periods) {
    const rows = await db.query(
      `INSERT INTO report_subscriptions (site_id, email, period, unsubscribe_token) VALUES ($1, $2, $3, $4)
       ON CONFLICT (site_id, lower(email), period) DO NOTHING RETURNING id`,
      [site.id, email, period, randomBytes(24).toString('base64url')],
    );
    if (rows.length === 0) existing.push(period);
  }
  const all = await listSubscriptions(db, { domain: site.domain });
  return {
    subscriptions: all.filter((s) => s.email.toLowerCase() === email.toLowerCase() && input.periods.includes(s.period)).map(withoutToken),
    existing,
  };
}

export async function unsubscribe(
  db: PostgresQueryable,
  input: { domain: string; email: string; periods: ReportPeriod[] },
): Promise<{ removed: ReportSubscription[] }> {
  const site = await requireSite(db, input.domain);
  const rows = await db.query<Row>(
    `DELETE FROM report_subscriptions r USING sites s
     WHERE s.id = r.site_id AND r.site_id = $1 AND lower(r.email) = lower($2) AND r.period = ANY($3::text[])
     RETURNING ${COLUMNS}`,
    [site.id, input.email.trim(), input.periods],
  );
  if (rows.length === 0) {
    throw new UserError(`${input.email} gets no ${input.periods.join(' or ')} report for ${site.domain}`, {
      code: 'NOT_SUBSCRIBED',
      actions: [`analytics reports list --site ${site.domain}`],
    });
  }
  return { removed: rows.map(toSubscription).map(withoutToken) };
}

/** The unsubscribe link: no login, the token alone decides. Unknown or used tokens return undefined. */
export async function unsubscribeByToken(db: PostgresQueryable, token: string): Promise<ReportSubscription | undefined> {
  const rows = await db.query<Row>(
    `DELETE FROM report_subscriptions r USING sites s WHERE s.id = r.site_id AND r.unsubscribe_token = $1 RETURNING ${COLUMNS}`,
    [token],
  );
  return rows[0] ? withoutToken(toSubscription(rows[0])) : undefined;
}

export async function listSubscriptions(
  db: PostgresQueryable,
  filter: { domain?: string; period?: ReportPeriod } = {},
): Promise<SubscriptionWithToken[]> {
  const rows = await db.query<Row>(
    `SELECT ${COLUMNS} FROM report_subscriptions r JOIN sites s ON s.id = r.site_id
     WHERE ($1::text IS NULL OR lower(s.domain) = lower($1)) AND ($2::text IS NULL OR r.period = $2)
     ORDER BY s.domain, r.period, lower(r.email)`,
    [filter.domain ?? null, filter.period ?? null],
  );
  return rows.map(toSubscription);
}
