import { defineVendor } from '../meta';
import { messageBirdRenderRules } from './render-rules';

/**
 * MessageBird Voice: `callFlow` answers call-flow fetches (fetchCallFlow steps, Flow Builder's "fetch call
 * flow from URL", record onFinish) while the call waits; `events` takes the voice status webhooks.
 */
export const messageBirdMeta = defineVendor({
  id: 'messagebird',
  displayName: 'MessageBird Voice',
  routes: [
    { name: 'callFlow', methods: ['GET', 'POST'], path: '/call-flow', answersCall: true },
    { name: 'events', methods: ['POST'], path: '/events', answersCall: false },
  ],
  webhookUrls: { callFlow: '/call-flow', events: '/events' },
  timeoutSeconds: 6,
  answerDeadlineMs: 2000,
  // MessageBird reports every leg's end: this long without a word, the call is over.
  staleAfterMinutes: { unanswered: 15, answered: 240 },
  renderRules: messageBirdRenderRules,
});
