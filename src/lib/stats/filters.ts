/**
 * Stats API v1 filter expressions: `visit:source==Google;event:page==/blog**`. `;` joins filters (all must
 * hold), `==` / `!=` compare, `a|b` lists alternatives (`\|` is a literal pipe), `*` matches within one
 * path segment and `**` across segments.
 */
import { StatsQueryError } from './errors.js';
import { resolveProperty, type PropertyRef } from './properties.js';

export type FilterOperator = 'is' | 'is_not' | 'matches' | 'does_not_match';

export interface StatsFilter {
  property: string;
  ref: PropertyRef;
  op: FilterOperator;
  /** Literal values for is/is_not; glob patterns for matches/does_not_match. */
  values: string[];
}

const UNESCAPED_PIPE = /(?<!\\)\|/;
const unescapePipes = (value: string) => value.replaceAll('\\|', '|');

function splitAlternatives(raw: string): string[] {
  return raw.split(UNESCAPED_PIPE).map(unescapePipes);
}

export const PROPERTIES_DOCS = 'https://plausible.io/docs/stats-api#properties';

/** Parses the `filters` parameter. Blank segments (a trailing `;`) are ignored, as Plausible does. */
export function parseFilters(text: string | undefined): StatsFilter[] {
  if (text === undefined) return [];
  const filters: StatsFilter[] = [];
  for (const segment of text.split(';')) {
    if (segment.trim() === '') continue;
    filters.push(parseFilter(segment.trim()));
  }
  return filters;
}

function parseFilter(segment: string): StatsFilter {
  const match = /^(.*?)(==|!=)(.*)$/s.exec(segment);
  const property = match?.[1]?.trim() ?? '';
  const raw = match?.[3]?.trim() ?? '';
  if (!match || property === '' || raw === '' || /==|!=/.test(raw)) {
    throw new StatsQueryError(
      `Invalid filter expression '${segment}'. Filters look like visit:source==Google;event:page==/blog** (see ${PROPERTIES_DOCS})`,
    );
  }
  const ref = resolveProperty(property);
  if (!ref) {
    throw new StatsQueryError(`Invalid filter property '${property}'. Please provide a valid filter property: ${PROPERTIES_DOCS}`);
  }
  const negated = match[2] === '!=';
  const values = splitAlternatives(raw);
  // Goal names are compared as written: a goal called "Visit /blog*" is not a pattern.
  const wildcard = ref.kind !== 'goal' && raw.includes('*');
  const op: FilterOperator = wildcard ? (negated ? 'does_not_match' : 'matches') : negated ? 'is_not' : 'is';
  if (ref.kind === 'visit' && ref.property === 'visit:country' && !wildcard) {
    const bad = values.find((v) => v.length !== 2);
    if (bad !== undefined) {
      throw new StatsQueryError(`Invalid country code '${bad}' in filter '${segment}'. Use ISO 3166-1 alpha-2 codes such as US or DE.`);
    }
  }
  return { property, ref, op, values };
}

const REGEX_SPECIAL = /[.*+?^${}()|[\]\\/-]/g;

/** A glob from a filter as an anchored regular expression: `**` any characters, `*` any but `/`. */
export function globToRegex(glob: string): string {
  const escaped = glob
    .split('**')
    .map((part) =>
      part
        .split('*')
        .map((literal) => literal.replace(REGEX_SPECIAL, '\\$&'))
        .join('[^/]*'),
    )
    .join('.*');
  return `^${escaped}$`;
}
