/**
 * Applies one canonical event to its session: add it to the history, fold the whole history again and
 * write the result, retrying when a concurrent fold of the same session wrote first.
 */
import type { Logger } from '@aws-lambda-powertools/logger';
import type { CallEvent } from '../../shared/events';
import { fold } from './fold';
import { type CallStateStore, historyRev } from './store';

const MAX_ATTEMPTS = 8;

export type FoldOutcome = 'written' | 'unchanged' | 'history-expired' | 'no-call-events';

export async function foldEvent(
  store: CallStateStore,
  event: CallEvent,
  now: () => Date,
  logger: Pick<Logger, 'warn'>,
): Promise<FoldOutcome> {
  await store.record(event);
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const partition = await store.read(event.sessionId, now());
    if (partition.expired > 0 || (partition.eventCount ?? 0) > partition.history.length) {
      // Part of the history has aged out: refolding would forget it, so the stored state is kept as it is.
      logger.warn('session history partly expired; state left as it was', {
        sessionId: event.sessionId,
        eventId: event.eventId,
      });
      return 'history-expired';
    }
    const rev = historyRev(partition.history);
    if (partition.rev === rev) return 'unchanged';
    const folded = fold(partition.history);
    if (!folded) return 'no-call-events';
    if (await store.write(folded, rev, partition.rev)) return 'written';
    // Another fold of this session won the race: read again after a short, jittered pause.
    await new Promise((resolve) => setTimeout(resolve, Math.random() * 20 * attempt));
  }
  throw new Error(`session ${event.sessionId}: fold lost ${MAX_ATTEMPTS} races in a row; retrying the event`);
}
