import { randomBytes } from 'node:crypto';

/** 64 random bytes, base64url: 86 characters, comfortably over the 64-byte minimum. */
export function generateSecretKeyBase(): string {
  return randomBytes(64).toString('base64url');
}

/** A database or account password: 24 random bytes, URL-safe so it can sit inside a URL. */
export function generatePassword(): string {
  return randomBytes(24).toString('base64url');
}
