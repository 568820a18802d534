import { describe, expect, it } from 'vitest';
import { fold } from '../../../../functions/state/fold';
import { dispositionOf, normalise } from '../../../../functions/vendors/ringcentral/normalise';
import { legIdFor, sessionIdFor } from '../../../../shared/ids';
import { fixtureFolder } from '../../../support/fixtures';
import {
  CONNECTION_ID,
  eventsOf,
  fixtureBody,
  fixtureObject,
  parsed,
  telephonyNotification,
  VENDOR,
} from './support';

describe('RingCentral telephony session notifications (published samples)', () => {
  it('reads the push-style sample, whose event and body sit inside pn_apns, as the party ringing', () => {
    const events = eventsOf(fixtureBody('telephony-proceeding-pn-apns.json'));

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'leg.ringing',
      state: 'ringing',
      vendorSessionId: 'Y3MxNzE4NDE5MDM0MzQwMTgzODRAMTAuNjIuMjUuMTEx',
      vendorLegId: 'cs171841903434018384-2',
      sequence: 5,
      occurredAt: '2018-06-05T00:14:50.147Z',
      direction: 'inbound',
      from: { raw: '103', name: 'TheCat Jerry', extension: '400144457008' },
      to: { raw: '102', name: 'Tom Sawyer', extension: '400144455008' },
      dedupeKey: 'Y3MxNzE4NDE5MDM0MzQwMTgzODRAMTAuNjIuMjUuMTEx:cs171841903434018384-2:5:Proceeding',
      vendorEventType: 'telephony/sessions',
      vendorStatus: 'Proceeding',
    });
    // Extension numbers are not phone numbers we can place.
    expect(events[0]?.from?.e164).toBeUndefined();
  });

  it('reads the guide’s copy of that sample, with its elided event path, the same way', () => {
    const [event] = eventsOf(fixtureBody('telephony-proceeding-guide.json'));

    expect(event).toMatchObject({ type: 'leg.ringing', vendorLegId: 'cs171841903434018384-2', sequence: 5 });
  });

  it('reads the inbound PSTN Setup sample as a created leg with E.164 parties', () => {
    const events = eventsOf(fixtureBody('telephony-setup-inbound-pstn.json'));

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'leg.created',
      state: 'created',
      vendorSessionId: 's-a6abd24ca6774373a8120a3390d3cbe8',
      sessionId: sessionIdFor(CONNECTION_ID, 's-a6abd24ca6774373a8120a3390d3cbe8'),
      vendorLegId: 'p-a6abd24ca6774373a8120a3390d3cbe8-2',
      legId: legIdFor(
        CONNECTION_ID,
        's-a6abd24ca6774373a8120a3390d3cbe8',
        'p-a6abd24ca6774373a8120a3390d3cbe8-2',
      ),
      sequence: 3,
      occurredAt: '2020-06-14T19:27:18.340Z',
      direction: 'inbound',
      from: { raw: '+14083388064', e164: '+14083388064' },
      to: { raw: '+19043014558', e164: '+19043014558', name: 'TESTER Babji', extension: '809646016' },
    });
  });
});

describe('RingCentral telephony session notifications (constructed)', () => {
  it.each([
    ['constructed-telephony-answered.json', 'leg.answered', 'answered', 'Answered'],
    ['constructed-telephony-hold.json', 'leg.held', 'held', 'Hold'],
  ])('reads %s as %s', (name, type, state, vendorStatus) => {
    const events = eventsOf(fixtureBody(name));

    expect(events.map((e) => [e.type, e.state, e.vendorStatus])).toEqual([[type, state, vendorStatus]]);
  });

  it('reads Gone as a transfer to the peer party in the other session, which also ends the leg here', () => {
    const events = eventsOf(fixtureBody('constructed-telephony-gone.json'));
    const peerLeg = legIdFor(
      CONNECTION_ID,
      's-9f1c0e4d2b7a4c55a1d3e8f7b6a5c4d3',
      'p-9f1c0e4d2b7a4c55a1d3e8f7b6a5c4d3-4',
    );

    expect(events.map((e) => e.type)).toEqual(['leg.transferred', 'leg.ended']);
    for (const event of events) {
      expect(event).toMatchObject({
        vendorLegId: 'p-a6abd24ca6774373a8120a3390d3cbe8-3',
        relatedVendorLegId: 'p-9f1c0e4d2b7a4c55a1d3e8f7b6a5c4d3-4',
        relatedLegId: peerLeg,
        sequence: 10,
        vendorStatus: 'Gone/AttendedTransfer',
      });
    }
    expect(events[1]).toMatchObject({ state: 'ended', disposition: 'transferred' });
    // Not a leg of this session: the peer lives in the session it was transferred to.
    expect(peerLeg).not.toBe(
      legIdFor(CONNECTION_ID, 's-a6abd24ca6774373a8120a3390d3cbe8', 'p-9f1c0e4d2b7a4c55a1d3e8f7b6a5c4d3-4'),
    );
  });

  it('keeps the peer in the same session when Gone names no other session', () => {
    const events = eventsOf(
      telephonyNotification({
        uuid: 'u-1',
        sequence: 9,
        eventTime: '2026-01-01T10:00:00.000Z',
        telephonySessionId: 's-1',
        partyId: 'p-1-2',
        code: 'Gone',
        peer: { telephonySessionId: '', partyId: 'p-1-3' },
      }),
    );

    expect(events[0]?.relatedLegId).toBe(legIdFor(CONNECTION_ID, 's-1', 'p-1-3'));
  });

  it.each([
    ['constructed-telephony-disconnected-call-finished.json', 'completed', 'Disconnected/CallFinished'],
    ['constructed-telephony-disconnected-missed.json', 'missed', 'Disconnected/Cancelled'],
    ['constructed-telephony-disconnected-target-busy.json', 'busy', 'Disconnected/TargetBusy'],
  ])('reads %s as an ended leg, disposition %s', (name, disposition, vendorStatus) => {
    const events = eventsOf(fixtureBody(name));

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({ type: 'leg.ended', state: 'ended', disposition, vendorStatus });
  });

  it.each([
    ['VoiceMail', 'leg.voicemail'],
    ['VoiceMailScreening', 'leg.voicemail'],
    ['FaxReceive', 'leg.voicemail'],
    ['Parked', 'leg.parked'],
    ['Setup', 'leg.created'],
    ['Tds', 'vendor.unmapped'],
    ['SomethingNew', 'vendor.unmapped'],
    ['constructor', 'vendor.unmapped'],
  ])('reads status %s as %s', (code, type) => {
    const events = eventsOf(
      telephonyNotification({
        uuid: 'u-2',
        sequence: 4,
        eventTime: '2026-01-01T10:00:00.000Z',
        telephonySessionId: 's-2',
        partyId: 'p-2-2',
        code,
      }),
    );

    expect(events.map((e) => e.type)).toEqual([type]);
    expect(events[0]?.vendorStatus).toBe(code);
  });

  it('gives one event per party of an account-level notification, and one for a party listed twice', () => {
    const body = fixtureObject('telephony-setup-inbound-pstn.json');
    const notification = parsed(fixtureBody('telephony-setup-inbound-pstn.json'));
    if (notification.kind !== 'telephony') throw new Error('expected telephony');
    const [party] = notification.body.parties;
    const other = { ...party, id: 'p-a6abd24ca6774373a8120a3390d3cbe8-1', direction: 'Outbound' };
    body.body = { ...notification.body, parties: [party, other, party] };

    const events = eventsOf(Buffer.from(JSON.stringify(body)));

    expect(events.map((e) => [e.vendorLegId, e.direction])).toEqual([
      ['p-a6abd24ca6774373a8120a3390d3cbe8-2', 'inbound'],
      ['p-a6abd24ca6774373a8120a3390d3cbe8-1', 'outbound'],
    ]);
  });

  it('gives a redelivery the same event ids, whenever it is received', () => {
    const body = fixtureBody('constructed-telephony-hold.json');

    const first = eventsOf(body, new Date('2026-01-01T00:00:00Z'));
    const again = eventsOf(body, new Date('2026-01-01T00:05:00Z'));

    expect(again.map((e) => e.eventId)).toEqual(first.map((e) => e.eventId));
  });

  it('collapses the same change reported by two subscriptions (different uuid) into one event id', () => {
    const extensionLevel = fixtureObject('constructed-telephony-hold.json');
    const accountLevel = {
      ...extensionLevel,
      uuid: '77777',
      event: '/restapi/v1.0/account/809646016/telephony/sessions',
    };

    const a = eventsOf(Buffer.from(JSON.stringify(extensionLevel)));
    const b = eventsOf(Buffer.from(JSON.stringify(accountLevel)));

    expect(b.map((e) => e.eventId)).toEqual(a.map((e) => e.eventId));
  });

  it('falls back to the envelope timestamp when the body has no eventTime', () => {
    const body = fixtureObject('constructed-telephony-answered.json');
    const notification = parsed(fixtureBody('constructed-telephony-answered.json'));
    if (notification.kind !== 'telephony') throw new Error('expected telephony');
    const { eventTime: _dropped, ...rest } = notification.body;
    body.body = rest;

    const [event] = eventsOf(Buffer.from(JSON.stringify(body)));

    expect(event?.occurredAt).toBe(new Date(String(body.timestamp)).toISOString());
  });
});

describe('RingCentral disconnect reasons', () => {
  it.each([
    ['NoAnswer', 'no_answer'],
    ['Timeout', 'no_answer'],
    ['TargetBusy', 'busy'],
    ['Rejected', 'rejected'],
    ['Cancelled', 'canceled'],
    ['InternalError', 'failed'],
    ['InvalidNumber', 'failed'],
    ['InternationalDisabled', 'failed'],
    ['DestinationBlocked', 'failed'],
    ['NotEnoughFunds', 'failed'],
    ['NoSuchUser', 'failed'],
    ['Voicemail', 'voicemail'],
    ['Pickup', 'transferred'],
    ['BlindTransfer', 'transferred'],
    ['AttendedTransfer', 'transferred'],
    ['RccTransfer', 'transferred'],
    ['CallPark', 'transferred'],
    ['AgentAnswered', 'transferred'],
    ['CallFinished', 'completed'],
    ['CallDropped', 'completed'],
    [undefined, 'completed'],
    ['constructor', 'completed'],
  ])('maps %s to %s', (reason, disposition) => {
    expect(dispositionOf(reason, false)).toBe(disposition);
  });

  it('calls a missed call missed, whatever the reason', () => {
    expect(dispositionOf('NoAnswer', true)).toBe('missed');
    expect(dispositionOf(undefined, true)).toBe('missed');
  });
});

describe('RingCentral presence notifications', () => {
  it('keeps each active call of the detailed presence sample as vendor.unmapped in that call’s session, with no leg', () => {
    const events = eventsOf(fixtureBody('presence-detailed.json'));

    expect(events).toHaveLength(2);
    expect(events.map((e) => [e.type, e.vendorSessionId, e.vendorStatus])).toEqual([
      ['vendor.unmapped', 'Y3MxNjk4ODA5MTYxMzUyOTU5OUAxMC4zMi40NS44NA', 'CallConnected'],
      ['vendor.unmapped', 'Y3MxNjytruODA5MTYxMzUyOTU5OUAxMC4zMi40NS44NA', 'NoCall'],
    ]);
    for (const event of events) {
      expect(event).toMatchObject({ vendorEventType: 'presence', occurredAt: '2016-02-18T09:37:24.597Z' });
      // Nothing the fold could apply to a leg: no leg, no state, no sequence from presence's own counter.
      expect(event.legId).toBeUndefined();
      expect(event.state).toBeUndefined();
      expect(event.sequence).toBeUndefined();
    }
    expect(events[0]?.from).toMatchObject({ e164: '+18775380038', name: 'John Wang' });
  });

  it('reads the cleaned copy of the guide’s presence sample (numeric extensionId) the same way', () => {
    const events = eventsOf(fixtureBody('presence-ringing.json'));

    expect(events.map((e) => [e.vendorSessionId, e.vendorStatus])).toEqual([
      ['Y3MxNjk4ODA5MTYxMzUyOTU5OUAxMC4zMi40NS44NA', 'Ringing'],
    ]);
  });

  it('yields nothing for presence that names no call (availability, do-not-disturb)', () => {
    const body = fixtureObject('presence-detailed.json');
    body.body = {
      extensionId: '6610372004',
      telephonyStatus: 'NoCall',
      presenceStatus: 'Available',
      activeCalls: [],
    };

    expect(normalise(parsed(Buffer.from(JSON.stringify(body))))).toEqual([]);
  });
});

describe('RingCentral notifications of other event filters', () => {
  it('keeps a message-store notification as vendor.unmapped in a session of its own', () => {
    const events = eventsOf(fixtureBody('constructed-message-store.json'));

    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      type: 'vendor.unmapped',
      vendorSessionId: 'notification:5012278946325711362',
      vendorEventType: '/restapi/v1.0/account/809646016/extension/809646016/message-store',
      occurredAt: '2020-06-14T19:30:12.004Z',
    });
  });
});

describe('RingCentral call direction (the data streams RingCentral’s telephony-session guide links to)', () => {
  /** Every notification of a stream, in an order of its own, folded as the state function folds them. */
  function folded(stream: string, order: (files: { name: string; text: string }[]) => typeof files) {
    const events = order(fixtureFolder(VENDOR, stream)).flatMap((file) => eventsOf(Buffer.from(file.text)));
    const result = fold(events);
    if (!result) throw new Error(`${stream} folded into nothing`);
    return result;
  }
  const arrival = (files: { name: string; text: string }[]) => files;
  const reversed = (files: { name: string; text: string }[]) => [...files].reverse();

  it.each([arrival, reversed])(
    'reads a PSTN call into an IVR and on to an agent as inbound, though its caller’s party is Outbound (%#)',
    (order) => {
      const { session, legs } = folded('csn-pstn-to-ringcentral', order);

      expect(session).toMatchObject({
        direction: 'inbound',
        from: { e164: '+14083388064' },
        to: { e164: '+18003151571' },
        status: 'ended',
        legCount: 3,
      });
      expect(legs.map((leg) => [leg.vendorLegId, leg.direction])).toEqual([
        ['p-718107795d564867a6f635fd81e89940-1', 'inbound'],
        ['p-718107795d564867a6f635fd81e89940-2', 'inbound'],
        ['p-718107795d564867a6f635fd81e89940-3', 'inbound'],
      ]);
    },
  );

  it.each([arrival, reversed])(
    'reads a call an extension places to a PSTN number as outbound, though the callee’s party is Inbound (%#)',
    (order) => {
      const { session, legs } = folded('csn-ringcentral-to-pstn', order);

      expect(session).toMatchObject({ direction: 'outbound', to: { e164: '+14083388064' }, status: 'ended' });
      expect(legs.map((leg) => [leg.vendorLegId, leg.direction])).toEqual([
        ['p-c23b203d62db4f6aaee00717bafa99be-1', 'outbound'],
        ['p-c23b203d62db4f6aaee00717bafa99be-2', 'outbound'],
      ]);
    },
  );

  it('keeps an extension’s own direction: a colleague consulted during an inbound call is an outbound leg', () => {
    const { session, legs } = folded('lifecycle', arrival);

    expect(session.direction).toBe('inbound');
    expect(legs.map((leg) => leg.direction)).toEqual(['inbound', 'outbound']);
  });
});
