import { defineVendor } from '../meta';

/**
 * RingCentral: one WebHook subscription address per connection takes telephony session, presence and any
 * other notification. RingCentral waits at most 3,000 ms for the 200 (handshake and deliveries alike), so the
 * Lambda's own timeout sits at that deadline: an answer later than that is a failure to RingCentral anyway.
 */
export const ringCentralMeta = defineVendor({
  id: 'ringcentral',
  displayName: 'RingCentral',
  routes: [{ name: 'webhook', methods: ['POST'], path: '', answersCall: false }],
  webhookUrls: { webhook: '' },
  timeoutSeconds: 3,
  answerDeadlineMs: 2500,
  // RingCentral reports every party's Disconnected: this long without a word, the call is over.
  staleAfterMinutes: { unanswered: 15, answered: 240 },
});
