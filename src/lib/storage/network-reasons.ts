import type { UnreachableReason } from './errors.js';

/** Node's network and TLS error codes → why a store is unreachable; shared by both stores' error mapping. */
export const NETWORK_REASONS: Record<string, UnreachableReason> = {
  ECONNREFUSED: 'connection-refused',
  ENOTFOUND: 'host-not-found',
  EAI_AGAIN: 'host-not-found',
  ETIMEDOUT: 'timeout',
  ECONNRESET: 'other',
  EHOSTUNREACH: 'other',
  ENETUNREACH: 'other',
  EPIPE: 'other',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls',
  CERT_HAS_EXPIRED: 'tls',
  ERR_TLS_CERT_ALTNAME_INVALID: 'tls',
  EPROTO: 'tls',
};

/** The message of an error, looking inside Node's AggregateError (happy-eyeballs connects) when it has none. */
export function errorMessage(error: unknown): string {
  const e = error as { message?: unknown; errors?: unknown } | undefined;
  if (e && typeof e.message === 'string' && e.message) return e.message;
  if (e && Array.isArray(e.errors) && e.errors.length > 0) return errorMessage(e.errors[0]);
  return String(error);
}
