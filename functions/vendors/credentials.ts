/**
 * A connection's secrets as a vendor function opens them: the current set, and during a rotation's grace
 * the previous one, opened only when the current one did not verify. Each is opened with the connection's
 * own encryption context, so a vendor function opens only its own vendor's (on AWS the key policy's
 * condition says so as well).
 */
import type { ConnectionRecord } from '../../shared/connection-store';
import type { Envelope, SealContext, Sealer } from '../../shared/sealing';
import type { Credentials, VendorAdapter } from './adapter';
import { tokenSeal } from './tokens';

export interface OpenedSecrets<Secrets> {
  readonly current: () => Promise<Credentials<Secrets>>;
  /** Absent when there was no rotation, or its grace is over. */
  readonly previous?: () => Promise<Credentials<Secrets>>;
}

export function sealContextOf(record: Pick<ConnectionRecord, 'id' | 'vendor'>): SealContext {
  return { connectionId: record.id, vendor: record.vendor };
}

/** Whether a rotation's previous secrets still verify at `now`. */
export function inGrace(record: Pick<ConnectionRecord, 'sealed'>, now: Date): boolean {
  const until = record.sealed?.previous?.until;
  return until !== undefined && Date.parse(until) > now.getTime();
}

/** The connection's secrets, to open; undefined for a connection kept before sealing (it verifies nothing). */
export function secretsOf<Secrets, Settings>(
  adapter: VendorAdapter<Secrets, Settings>,
  record: ConnectionRecord,
  sealer: Sealer,
  now: Date,
): OpenedSecrets<Secrets> | undefined {
  const sealed = record.sealed;
  if (!sealed) return undefined;
  const context = sealContextOf(record);
  const tokens = tokenSeal(sealer.keyRing, context);
  const open = async (envelope: Envelope): Promise<Credentials<Secrets>> => {
    const secrets = adapter.connection.secrets.safeParse(await sealer.open(envelope, context));
    if (!secrets.success)
      throw new Error(`stored connection ${record.id} does not match the ${adapter.meta.id} secrets schema`);
    return { secrets: secrets.data, tokens };
  };
  const previous = sealed.previous;
  return {
    current: () => open(sealed.current),
    ...(previous && inGrace(record, now) ? { previous: () => open(previous.envelope) } : {}),
  };
}
