import { defineVendor } from '../meta';
import { eightByEightRenderRules } from './render-rules';

/** 8x8 CPaaS Voice: one URL per connection takes VCA, VCS, VSS and VRU webhooks alike. */
export const eightByEightMeta = defineVendor({
  id: '8x8',
  displayName: '8x8 CPaaS Voice',
  routes: [{ name: 'webhook', methods: ['POST'], path: '', answersCall: true }],
  webhookUrls: { webhook: '' },
  timeoutSeconds: 6,
  answerDeadlineMs: 2000,
  // 8x8 sends a session summary within a minute of the end: this long without a word, the call is over.
  staleAfterMinutes: { unanswered: 15, answered: 240 },
  renderRules: eightByEightRenderRules,
});
