import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fold } from '../../../../functions/state/fold';
import { finaliseEvents } from '../../../../functions/vendors/finalise';
import { normalise } from '../../../../functions/vendors/messagebird/normalise';
import { parseWebhook, type Webhook } from '../../../../functions/vendors/messagebird/schema';
import type { CallEvent } from '../../../../shared/events';
import { delivered, fixture, lifecycle } from './support';

const origin = (receivedAt: Date) => ({
  vendor: 'messagebird' as const,
  connectionId: 'con_test',
  tenantId: 'acme',
  receivedAt,
});
const finalised = (webhook: Webhook, receivedAt = new Date('2026-01-01T00:00:00Z')) =>
  finaliseEvents(normalise(webhook), origin(receivedAt));

function parsed(body: unknown): Webhook {
  const result = parseWebhook(body);
  if (!result.ok) throw new Error(result.error.message);
  return result.value;
}

describe('call items', () => {
  it('turns the customer-reported no_answer call into a start and an end at MessageBird’s times', () => {
    const drafts = normalise(parsed(fixture('webhook-call-no-answer.json')));

    expect(drafts).toEqual([
      expect.objectContaining({
        type: 'session.started',
        vendorSessionId: '<redacted>',
        occurredAt: '2020-02-13T20:00:00.000Z',
        from: { raw: '<redacted>' },
      }),
      expect.objectContaining({
        type: 'session.ended',
        disposition: 'no_answer',
        occurredAt: '2020-02-13T20:11:00.000Z',
        vendorEventType: 'callUpdated',
        vendorStatus: 'no_answer',
      }),
    ]);
  });

  it('leaves the outcome of a plainly ended call to its legs', () => {
    const drafts = normalise(delivered('call', fixture('payload-call-ended.json')));
    const ended = drafts.find((draft) => draft.type === 'session.ended');

    expect(ended).toMatchObject({
      vendorSessionId: 'f1aa71c0-8f2a-4fe8-b5ef-9a330454ef58',
      occurredAt: '2017-02-16T10:59:04.000Z',
    });
    expect(ended?.disposition).toBeUndefined();
  });

  it.each([
    ['busy', 'busy'],
    ['failed', 'failed'],
    ['no-answer', 'no_answer'],
  ])('ends a call reported %s with that disposition', (status, disposition) => {
    const drafts = normalise(delivered('call', { id: 'c1', status, createdAt: '2024-01-01T00:00:00Z' }));

    expect(drafts.find((draft) => draft.type === 'session.ended')).toMatchObject({ disposition });
  });

  it('keeps a call status it does not know as vendor.unmapped', () => {
    const drafts = normalise(
      delivered('call', { id: 'c1', status: 'paused', updatedAt: '2024-01-01T00:00:05Z' }),
    );

    expect(drafts.map((draft) => draft.type)).toEqual(['session.started', 'vendor.unmapped']);
    expect(drafts[1]).toMatchObject({
      vendorStatus: 'paused',
      dedupeKey: 'call:c1:paused:2024-01-01T00:00:05Z',
    });
  });
});

describe('leg items', () => {
  it('reads the tutorial’s leg: created, answered and ended at its own times, with E.164 parties', () => {
    const drafts = normalise(delivered('leg', fixture('payload-leg-hangup.json')));

    expect(drafts.map((draft) => [draft.type, draft.occurredAt])).toEqual([
      ['leg.created', '2017-02-16T10:52:00.000Z'],
      ['leg.answered', '2017-02-16T10:52:30.000Z'],
      ['leg.ended', '2017-02-16T10:52:04.000Z'],
    ]);
    expect(drafts[2]).toMatchObject({
      vendorSessionId: 'f1aa71c0-8f2a-4fe8-b5ef-9a330454ef58',
      vendorLegId: 'd4f07ab3-b17c-44a8-bcef-2b351311c28f',
      direction: 'outbound',
      from: { raw: '31644556677', e164: '+31644556677' },
      to: { raw: '31612345678', e164: '+31612345678' },
      state: 'ended',
      disposition: 'completed',
    });
  });

  it('still ends that leg although MessageBird says it ended before it was answered', () => {
    const folded = fold(finalised(delivered('leg', fixture('payload-leg-hangup.json'))));

    expect(folded?.legs).toEqual([
      expect.objectContaining({
        state: 'ended',
        disposition: 'completed',
        answeredAt: '2017-02-16T10:52:30.000Z',
        endedAt: '2017-02-16T10:52:04.000Z',
      }),
    ]);
    expect(folded?.session.status).toBe('ended');
  });

  it.each([
    ['starting', ['leg.created']],
    ['ringing', ['leg.created', 'leg.ringing']],
    ['ongoing', ['leg.created', 'leg.answered']],
    ['busy', ['leg.created', 'leg.ended']],
    ['no_answer', ['leg.created', 'leg.ended']],
    ['failed', ['leg.created', 'leg.ended']],
    ['transferring', ['leg.created', 'vendor.unmapped']],
  ])('maps a leg %s to %j', (status, types) => {
    const drafts = normalise(
      delivered('leg', { id: 'l1', callId: 'c1', status, createdAt: '2024-01-01T00:00:00Z' }),
    );

    expect(drafts.map((draft) => draft.type)).toEqual(types);
  });

  it('ends busy, unanswered and failed legs with those dispositions, and a never-answered hangup as canceled', () => {
    const disposition = (status: string, answeredAt?: string | null) =>
      normalise(delivered('leg', { id: 'l1', callId: 'c1', status, answeredAt })).find(
        (draft) => draft.type === 'leg.ended',
      )?.disposition;

    expect(disposition('busy')).toBe('busy');
    expect(disposition('no_answer')).toBe('no_answer');
    expect(disposition('failed')).toBe('failed');
    expect(disposition('hangup', '2024-01-01T00:00:03Z')).toBe('completed');
    expect(disposition('hangup', null)).toBe('canceled');
  });

  it('reads several items of one delivery, telling each lifecycle moment once', () => {
    const delivery = lifecycle().find((file) => file.name.startsWith('02-'));
    if (!delivery) throw new Error('lifecycle delivery 02 is missing');

    const drafts = normalise(delivery.webhook);

    expect(drafts.map((draft) => draft.type)).toEqual(['leg.created', 'leg.answered']);
    expect(new Set(drafts.map((draft) => draft.dedupeKey)).size).toBe(drafts.length);
  });

  it('keeps an item of an unknown type when it names its call, and drops one that names none', () => {
    const drafts = normalise(
      parsed({
        timestamp: '2024-01-01T00:00:09Z',
        items: [
          {
            type: 'recording',
            event: 'recordingCreated',
            payload: { id: 'r1', callId: 'c1', status: 'done' },
          },
          { type: 'balance', event: 'low', payload: { amount: 1 } },
        ],
      }),
    );

    expect(drafts).toEqual([
      expect.objectContaining({
        type: 'vendor.unmapped',
        vendorSessionId: 'c1',
        vendorEventType: 'recordingCreated',
        occurredAt: '2024-01-01T00:00:09.000Z',
      }),
    ]);
  });
});

describe('a whole call', () => {
  const deliveries = lifecycle();
  const receive = (indexes: readonly number[]): CallEvent[] =>
    indexes.flatMap((index, position) => {
      const delivery = deliveries[index];
      if (!delivery) return [];
      return finalised(delivery.webhook, new Date(Date.UTC(2026, 0, 1, 0, 0, position)));
    });

  it('names the same events whenever a delivery is repeated', () => {
    const first = deliveries.flatMap((delivery) => finalised(delivery.webhook).map((event) => event.eventId));
    const again = deliveries.flatMap((delivery) => finalised(delivery.webhook).map((event) => event.eventId));

    expect(again).toEqual(first);
  });

  it('folds to the same ended call however the deliveries are duplicated and ordered', () => {
    const inOrder = fold(receive(deliveries.map((_, index) => index)));
    expect(inOrder?.session).toMatchObject({ status: 'ended', disposition: 'completed', legCount: 2 });
    expect(
      inOrder?.legs.map((leg) => [leg.vendorLegId, leg.state, leg.disposition, leg.durationSec]),
    ).toEqual([
      ['a1f0e2d3-4c5b-4a69-8e7f-0123456789ab', 'ended', 'completed', 130],
      ['b2e1f3c4-5d6e-4f70-9a8b-123456789abc', 'ended', 'completed', 120],
    ]);

    const order = fc.array(fc.nat({ max: deliveries.length - 1 }), {
      minLength: deliveries.length,
      maxLength: 3 * deliveries.length,
    });
    fc.assert(
      fc.property(
        fc.shuffledSubarray(
          deliveries.map((_, index) => index),
          { minLength: deliveries.length },
        ),
        order,
        (all, extra) => {
          expect(fold(receive([...all, ...extra]))).toEqual(inOrder);
        },
      ),
      { numRuns: 50 },
    );
  });
});
