/**
 * The whitelist between Stats API property names and table columns. Nothing a request says reaches
 * SQL as text except through this map (column names) or as a bound parameter (values).
 */

/** Visit attributes stored on both tables: every event carries its visit's source, device, country... */
const VISIT_COLUMNS = {
  'visit:source': 'referrer_source',
  'visit:referrer': 'referrer',
  'visit:utm_medium': 'utm_medium',
  'visit:utm_source': 'utm_source',
  'visit:utm_campaign': 'utm_campaign',
  'visit:utm_content': 'utm_content',
  'visit:utm_term': 'utm_term',
  'visit:country': 'country_code',
  'visit:device': 'device',
  'visit:browser': 'browser',
  'visit:browser_version': 'browser_version',
  'visit:os': 'os',
  'visit:os_version': 'os_version',
} as const;

/** Only the sessions table knows where a visit entered and left. */
const SESSION_ONLY_COLUMNS = {
  'visit:entry_page': 'entry_page',
  'visit:exit_page': 'exit_page',
} as const;

const EVENT_COLUMNS = {
  'event:page': 'pathname',
  'event:name': 'name',
  'event:hostname': 'hostname',
} as const;

export type VisitProperty = keyof typeof VISIT_COLUMNS;
export type SessionOnlyProperty = keyof typeof SESSION_ONLY_COLUMNS;
export type EventColumnProperty = keyof typeof EVENT_COLUMNS;

/** Where a property lives, and the column (or custom-prop key) that holds it. */
export type PropertyRef =
  | { kind: 'visit'; property: VisitProperty; column: string }
  | { kind: 'session'; property: SessionOnlyProperty; column: string }
  | { kind: 'event'; property: EventColumnProperty; column: string }
  | { kind: 'prop'; property: `event:props:${string}`; key: string }
  | { kind: 'goal'; property: 'event:goal' };

const PROP_PREFIX = 'event:props:';

export function resolveProperty(property: string): PropertyRef | undefined {
  if (Object.hasOwn(VISIT_COLUMNS, property)) {
    return { kind: 'visit', property: property as VisitProperty, column: VISIT_COLUMNS[property as VisitProperty] };
  }
  if (Object.hasOwn(SESSION_ONLY_COLUMNS, property)) {
    const p = property as SessionOnlyProperty;
    return { kind: 'session', property: p, column: SESSION_ONLY_COLUMNS[p] };
  }
  if (Object.hasOwn(EVENT_COLUMNS, property)) {
    const p = property as EventColumnProperty;
    return { kind: 'event', property: p, column: EVENT_COLUMNS[p] };
  }
  if (property === 'event:goal') return { kind: 'goal', property: 'event:goal' };
  if (property.startsWith(PROP_PREFIX) && property.length > PROP_PREFIX.length) {
    return { kind: 'prop', property: property as `event:props:${string}`, key: property.slice(PROP_PREFIX.length) };
  }
  return undefined;
}

/** Event-only properties: a session metric cannot be split or filtered by them (Plausible's rule). */
export const isEventOnly = (ref: PropertyRef): boolean => ref.kind === 'goal' || ref.kind === 'prop' || ref.property === 'event:name';

/** The key of a property in breakdown results: `visit:utm_source` → `utm_source`, `event:props:plan` → `plan`. */
export const resultKey = (property: string): string => property.slice(property.lastIndexOf(':') + 1);

/** The blank value's label in results and filters: Plausible shows no referrer as "Direct / None". */
export function blankLabel(ref: PropertyRef): string | undefined {
  if (ref.kind !== 'visit') return undefined;
  if (ref.property === 'visit:source' || ref.property === 'visit:referrer') return 'Direct / None';
  if (ref.property === 'visit:country') return undefined;
  return '(not set)';
}
