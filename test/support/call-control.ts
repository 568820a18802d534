/**
 * Call control for route tests that do not configure any: every call gets the vendor's own default, as a
 * connection without call flows, numbers or deciders does.
 */
import type { CallControl } from '../../functions/vendors/adapter';

export const nativeCallControl: CallControl = {
  decide: async () => ({
    source: 'default',
    program: { kind: 'native' },
    turn: undefined,
    continuation: undefined,
  }),
};
