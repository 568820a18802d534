/**
 * The verifier's judgement, as a person reads it: legs match as a multiset whatever order the API lists
 * them in, and every way a call can differ from its ground truth is named field by field, leg by leg.
 */
import { describe, expect, it } from 'vitest';
import { compareCall, type ExpectedCall, type ObservedCall } from '../../../tools/traffic';

const expected: ExpectedCall = {
  status: 'ended',
  disposition: 'completed',
  direction: 'inbound',
  legs: [
    { state: 'ended', disposition: 'completed' },
    { state: 'ended', disposition: 'canceled' },
  ],
  recordings: 1,
};
const actual: ObservedCall = {
  status: 'ended',
  disposition: 'completed',
  direction: 'inbound',
  legs: [
    { state: 'ended', disposition: 'canceled' },
    { state: 'ended', disposition: 'completed' },
  ],
  recordings: [{ status: 'available' }],
};

describe('compareCall', () => {
  it('matches legs in any order', () => {
    expect(compareCall(expected, actual)).toEqual([]);
  });

  it('names each field that differs, and the legs missing and unexpected', () => {
    const diff = compareCall(expected, {
      status: 'active',
      disposition: undefined,
      direction: 'outbound',
      legs: [{ state: 'answered' }, { state: 'ended', disposition: 'completed' }],
      recordings: [{ status: 'failed' }],
    });

    expect(diff).toEqual([
      'status: expected ended, got active',
      'disposition: expected completed, got (none)',
      'direction: expected inbound, got outbound',
      'legs: expected [ended/canceled, ended/completed], got [answered/-, ended/completed]',
      '  missing: ended/canceled',
      '  unexpected: answered/-',
      'recordings: expected 1 available, got 0',
    ]);
  });

  it('says when a call that must be answered is not, or one that must not be is', () => {
    expect(compareCall({ ...expected, answered: true }, actual)).toEqual([
      'answered: expected an answered call, got no answeredAt',
    ]);
    expect(
      compareCall({ ...expected, answered: false }, { ...actual, answeredAt: '2026-03-01T08:00:00.000Z' }),
    ).toEqual(['answered: expected an unanswered call, got answeredAt 2026-03-01T08:00:00.000Z']);
    expect(
      compareCall({ ...expected, answered: true }, { ...actual, answeredAt: '2026-03-01T08:00:00.000Z' }),
    ).toEqual([]);
  });

  it('counts a leg as often as it is there', () => {
    const twice = {
      ...actual,
      legs: [...actual.legs, { state: 'ended' as const, disposition: 'completed' as const }],
    };

    expect(compareCall(expected, twice)).toEqual([
      'legs: expected [ended/canceled, ended/completed], got [ended/canceled, ended/completed ×2]',
      '  unexpected: ended/completed',
    ]);
  });

  it('says so when there is no session at all', () => {
    expect(compareCall(expected, undefined)).toEqual([
      'session: not found (GET /v1/calls/{sessionId} answered 404)',
    ]);
  });
});
