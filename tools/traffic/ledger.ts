/**
 * The delivery ledger: what was sent and what became of it, counted the way a vendor would count it.
 * `sent` is every HTTP request made, `acked` those answered 2xx, `refused` those answered otherwise or not
 * at all, `resent` the sends that followed a refusal of the same delivery.
 */
import type { VendorId } from '../../shared/events';

export interface Ledger {
  sent: number;
  acked: number;
  refused: number;
  resent: number;
}

export interface LedgerEntry {
  readonly vendor: VendorId;
  /** The HTTP status, or undefined when no answer came (network error, timeout). */
  readonly status: number | undefined;
  /** 1 for the first send of a delivery, 2 and more for its resends. */
  readonly attempt: number;
}

export function emptyLedger(): Ledger {
  return { sent: 0, acked: 0, refused: 0, resent: 0 };
}

export function isAcked(status: number | undefined): boolean {
  return status !== undefined && status >= 200 && status < 300;
}

export function count(ledger: Ledger, entry: LedgerEntry): Ledger {
  ledger.sent++;
  if (isAcked(entry.status)) ledger.acked++;
  else ledger.refused++;
  if (entry.attempt > 1) ledger.resent++;
  return ledger;
}

export function tally(entries: Iterable<LedgerEntry>): Ledger {
  const ledger = emptyLedger();
  for (const entry of entries) count(ledger, entry);
  return ledger;
}

export function tallyByVendor(entries: Iterable<LedgerEntry>): Map<VendorId, Ledger> {
  const byVendor = new Map<VendorId, Ledger>();
  for (const entry of entries) {
    let ledger = byVendor.get(entry.vendor);
    if (!ledger) {
      ledger = emptyLedger();
      byVendor.set(entry.vendor, ledger);
    }
    count(ledger, entry);
  }
  return byVendor;
}
