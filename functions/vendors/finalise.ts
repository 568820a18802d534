/**
 * Turns a normaliser's drafts into canonical events: deterministic ids, the connection and tenant, the
 * receive time, and validation against the one schema, so nothing malformed is ever published.
 */
import { CallEvent, type CallEventDraft, SCHEMA_VERSION, type VendorId } from '../../shared/events';
import { eventIdFor, legIdFor, sessionIdFor } from '../../shared/ids';

export interface Origin {
  readonly vendor: VendorId;
  readonly connectionId: string;
  readonly tenantId: string;
  readonly receivedAt: Date;
  /** The kept raw request the events come from. */
  readonly requestId?: string;
  /** Set on a renormalisation: the copy with the higher revision is the one folded. */
  readonly revision?: number;
}

/** Where a related leg lives in another vendor session (a RingCentral transfer to another call). */
export type DraftWithPeer = CallEventDraft & { readonly relatedVendorSessionId?: string | undefined };

export function finaliseEvents(drafts: readonly DraftWithPeer[], origin: Origin): CallEvent[] {
  const receivedAt = origin.receivedAt.toISOString();
  const seen = new Set<string>();
  return drafts.map((draft) => {
    if (seen.has(draft.dedupeKey)) {
      // Two drafts with one key would collapse into one event downstream: a normaliser bug, not bad input.
      throw new Error(`normaliser produced dedupeKey ${draft.dedupeKey} twice in one webhook`);
    }
    seen.add(draft.dedupeKey);
    const { relatedVendorSessionId, occurredAt, ...rest } = draft;
    const { connectionId } = origin;
    const event = {
      ...rest,
      schemaVersion: SCHEMA_VERSION,
      eventId: eventIdFor(connectionId, origin.vendor, draft.dedupeKey),
      vendor: origin.vendor,
      connectionId,
      tenantId: origin.tenantId,
      sessionId: sessionIdFor(connectionId, draft.vendorSessionId),
      ...(draft.vendorLegId
        ? { legId: legIdFor(connectionId, draft.vendorSessionId, draft.vendorLegId) }
        : {}),
      ...(draft.relatedVendorLegId
        ? {
            relatedLegId: legIdFor(
              connectionId,
              relatedVendorSessionId ?? draft.vendorSessionId,
              draft.relatedVendorLegId,
            ),
          }
        : {}),
      // One spelling of every time (toISOString), so times compare as strings wherever they are kept.
      occurredAt: new Date(occurredAt ?? receivedAt).toISOString(),
      receivedAt,
      ...(origin.requestId ? { requestId: origin.requestId } : {}),
      ...(origin.revision !== undefined ? { revision: origin.revision } : {}),
    };
    return CallEvent.parse(event);
  });
}
