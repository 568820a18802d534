/**
 * The call-control API's decisions, without a table: MessageBird's error codes for zod issues, pages as
 * MessageBird counts them, which vendors a flow plays on through its usages, and what they cannot play.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod';
import { pageOf, withStepIds } from '../../../functions/call-control/api';
import { errorsOfIssues, parameterOf } from '../../../functions/call-control/api-errors';
import { describeUnplayable, unplayable, vendorsOf } from '../../../functions/call-control/playable';
import { liveVendors } from '../../../functions/call-control/vendor-rules';
import { eightByEightMeta } from '../../../functions/vendors/8x8/meta';
import { defineVendor } from '../../../functions/vendors/meta';
import { ringCentralMeta } from '../../../functions/vendors/ringcentral/meta';
import { vendorList } from '../../../functions/vendors/vendors';
import { CallFlowInput, type RenderRules, Steps } from '../../../shared/call-control/steps';
import type { ConnectionSummary } from '../../../shared/connection-store';

function issuesOf(schema: z.ZodType, value: unknown) {
  const result = schema.safeParse(value, { reportInput: true });
  if (result.success) throw new Error('expected issues');
  return result.error.issues;
}

describe('MessageBird-shaped errors', () => {
  it('writes paths as a reader does', () => {
    expect(parameterOf(['steps', 2, 'options', 'payload'])).toBe('steps[2].options.payload');
    expect(parameterOf(['participants', 1])).toBe('participants[1]');
    expect(parameterOf([])).toBe('');
  });

  it('tells a missing parameter (11) from a wrong one (12), and a query’s (18)', () => {
    const errors = errorsOfIssues(
      issuesOf(CallFlowInput, { steps: [{ options: {} }, { action: 'say', options: { payload: 7 } }] }),
    );
    expect(errors).toEqual([
      { code: 11, parameter: 'title', message: 'The `title` parameter is required.' },
      { code: 11, parameter: 'steps[0].action', message: 'The `steps[0].action` parameter is required.' },
      {
        code: 12,
        parameter: 'steps[1].options.payload',
        message:
          'The `steps[1].options.payload` parameter is invalid: Invalid input: expected string, received number.',
      },
    ]);
    const query = z.object({ page: z.coerce.number().int().min(1) }).strict();
    expect(errorsOfIssues(issuesOf(query, { page: '0', sort: 'x' }), { query: true })).toEqual([
      expect.objectContaining({ code: 18, parameter: 'page' }),
      expect.objectContaining({ code: 18, parameter: 'sort' }),
    ]);
  });

  it('names every parameter that is not taken, under its prefix', () => {
    const errors = errorsOfIssues(issuesOf(z.object({ a: z.string() }).strict(), { a: 'x', b: 1, c: 2 }), {
      prefix: 'decider',
    });
    expect(errors.map((error) => [error.code, error.parameter])).toEqual([
      [12, 'decider.b'],
      [12, 'decider.c'],
    ]);
  });
});

describe('pages', () => {
  const items = ['a', 'b', 'c', 'd', 'e'];

  it('counts from 1, the last page partial, beyond it empty', () => {
    expect(pageOf(items, { page: 1, perPage: 2 })).toEqual({
      items: ['a', 'b'],
      pagination: { currentPage: 1, pageCount: 3, perPage: 2, totalCount: 5 },
    });
    expect(pageOf(items, { page: 3, perPage: 2 }).items).toEqual(['e']);
    expect(pageOf(items, { page: 4, perPage: 2 }).items).toEqual([]);
    expect(pageOf([], { page: 1, perPage: 10 }).pagination).toEqual({
      currentPage: 1,
      pageCount: 1,
      perPage: 10,
      totalCount: 0,
    });
  });
});

describe('step ids', () => {
  it('keeps the ids given and gives the others new ones', () => {
    let next = 0;
    const steps = withStepIds(
      Steps.parse([{ id: 'keep', action: 'hangup' }, { action: 'hangup' }]),
      () => `new-${++next}`,
    );
    expect(steps.map((step) => step.id)).toEqual(['keep', 'new-1']);
  });
});

describe('where a flow plays, and whether it can', () => {
  const noPause: RenderRules = {
    vendor: '8x8',
    cannot: (s) => (s.action === 'pause' ? 'no pause' : undefined),
  };
  const twoAtMost: RenderRules = {
    vendor: 'messagebird',
    cannot: () => undefined,
    cannotTogether: (steps) => (steps.length > 2 ? 'at most two steps' : undefined),
  };
  const live = new Map([
    ['8x8', noPause],
    ['messagebird', twoAtMost],
    ['huawei-odfs', undefined],
  ] as const);
  const connections: ConnectionSummary[] = [
    { id: 'c-8x8', vendor: '8x8', tenantId: 't' },
    { id: 'c-mb', vendor: 'messagebird', tenantId: 't' },
    { id: 'c-hw', vendor: 'huawei-odfs', tenantId: 't' },
    { id: 'c-rc', vendor: 'ringcentral', tenantId: 't' },
  ];
  const steps = Steps.parse([
    { id: 'hi', action: 'say', options: { payload: 'Hi' } },
    { id: 'wait', action: 'pause', options: { length: 1 } },
    { action: 'hangup' },
  ]);

  it('plays a number of one connection on its vendor, of every connection on every vendor that answers calls', () => {
    expect([
      ...vendorsOf([{ kind: 'number', number: '+31', connectionId: 'c-mb' }], connections, live).keys(),
    ]).toEqual(['messagebird']);
    expect([...vendorsOf([{ kind: 'number', number: '+31' }], connections, live).keys()]).toEqual([
      '8x8',
      'messagebird',
      'huawei-odfs',
    ]);
    expect([...vendorsOf([{ kind: 'default' }], connections, live).keys()]).toEqual([
      '8x8',
      'messagebird',
      'huawei-odfs',
    ]);
    expect([...vendorsOf([{ kind: 'connection', connectionId: 'c-rc' }], connections, live).keys()]).toEqual(
      [],
    );
    expect([...vendorsOf([], connections, live).keys()]).toEqual([]);
  });

  it('names the step, the vendor, why, and the usage that takes the flow there', () => {
    const vendors = vendorsOf(
      [
        { kind: 'connection', connectionId: 'c-8x8' },
        { kind: 'number', number: '+3120', connectionId: 'c-mb' },
      ],
      connections,
      live,
    );

    const problems = unplayable(steps, vendors, live);

    expect(problems.map(describeUnplayable)).toEqual([
      "8x8 cannot play step wait (pause): no pause. The flow would play on 8x8 as connection c-8x8's call control.",
      'messagebird cannot play step 0 (say): at most two steps. The flow would play on messagebird as number +3120 on connection c-mb.',
    ]);
    expect(problems.map((problem) => problem.issue.index)).toEqual([1, 0]);
  });

  it('lets a vendor without rules play anything', () => {
    const vendors = vendorsOf([{ kind: 'connection', connectionId: 'c-hw' }], connections, live);
    expect(unplayable(steps, vendors, live)).toEqual([]);
  });
});

describe('live vendors', () => {
  it('are the vendors with a route that answers calls, with their own render rules', () => {
    const rules: RenderRules = { vendor: '8x8', cannot: () => 'never' };
    const withRules = defineVendor({ ...eightByEightMeta, renderRules: rules });

    const live = liveVendors([withRules, ringCentralMeta]);

    expect([...live.keys()]).toEqual(['8x8']);
    expect(live.get('8x8')).toBe(rules);
  });

  it('read from the vendor list by default: RingCentral and FocalScope only listen', () => {
    const live = liveVendors();
    expect(live.has('messagebird')).toBe(true);
    expect(live.has('ringcentral')).toBe(false);
    expect(live.has('focalscope')).toBe(false);
    expect(live.size).toBe(
      vendorList.filter(({ meta }) => meta.routes.some((route) => route.answersCall)).length,
    );
  });
});
