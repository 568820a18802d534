import { defineVendor } from '../meta';

/**
 * FocalScope telephony: one URL per connection, called with HTTP GET by a "Set URL to open" action's URL
 * adapter. FocalScope can send no header and signs nothing, so the URL carries an unguessable token.
 */
export const focalScopeMeta = defineVendor({
  id: 'focalscope',
  displayName: 'FocalScope',
  routes: [
    { name: 'webhook', methods: ['GET'], path: '/{token}', answersCall: false, secretParams: ['token'] },
  ],
  webhookUrls: { webhook: '/{token}' },
  timeoutSeconds: 6,
  answerDeadlineMs: 2000,
  // FocalScope reports hangup: this long without a word, the call is over.
  staleAfterMinutes: { unanswered: 15, answered: 240 },
});
