// Hashing helpers shared by cache keys, artifact hashes and source trees. Keys are sha256 over a
// canonical JSON text (object keys sorted), so the same inputs give the same key on every machine.
import { createHash } from 'node:crypto';

export function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** A JSON value whose objects are written with sorted keys: the canonical form hashed into keys. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

export function canonicalJson(value: Json): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return '[' + value.map(canonicalJson).join(',') + ']';
  const keys = Object.keys(value).sort();
  return '{' + keys.map((k) => JSON.stringify(k) + ':' + canonicalJson(value[k]!)).join(',') + '}';
}

export function hashJson(value: Json): string {
  return sha256(canonicalJson(value));
}
