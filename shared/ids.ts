/**
 * Deterministic identifiers. Sessions, legs and events are named by a digest of the connection and the
 * vendor's own identifiers, so a redelivery names the same thing and two tenants can never collide.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { VendorId } from './events';

const SEPARATOR = '\u001f';

function digest(parts: readonly string[]): string {
  return createHash('sha256').update(parts.join(SEPARATOR)).digest('base64url').slice(0, 22);
}

export function sessionIdFor(connectionId: string, vendorSessionId: string): string {
  return `cs_${digest(['session', connectionId, vendorSessionId])}`;
}

export function legIdFor(connectionId: string, vendorSessionId: string, vendorLegId: string): string {
  return `cl_${digest(['leg', connectionId, vendorSessionId, vendorLegId])}`;
}

export function eventIdFor(connectionId: string, vendor: VendorId, dedupeKey: string): string {
  return `ev_${digest(['event', connectionId, vendor, dedupeKey])}`;
}

/** A new random identifier with a readable prefix (connections, tokens). */
export function randomId(prefix: string, bytes = 16): string {
  return `${prefix}_${randomBytes(bytes).toString('base64url')}`;
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}
