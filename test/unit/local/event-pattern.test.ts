/**
 * EventBridge content filtering. Example cases come from the AWS EventBridge User Guide ("Content filtering
 * in Amazon EventBridge event patterns", "Comparison operators for use in event patterns", "Arrays in
 * Amazon EventBridge event patterns", "Matching null values and empty strings") and the aws/event-ruler
 * README, cited per case; property tests check the operators against independent oracles.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InvalidEventPatternError, matchesPattern, validatePattern } from '../../../local/event-pattern';

/** The sample event of the event-ruler README ("Ruler by Example"). */
const rulerEvent = {
  version: '0',
  id: 'ddddd4-aaaa-7777-4444-345dd43cc333',
  'detail-type': 'EC2 Instance State-change Notification',
  source: 'aws.ec2',
  account: '012345679012',
  time: '2017-10-02T16:24:49Z',
  region: 'us-east-1',
  resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
  detail: {
    'c-count': 5,
    'd-count': 3,
    'x-limit': 301.8,
    'source-ip': '10.0.0.33',
    'instance-id': 'i-000000aaaaaa00000',
    state: 'running',
  },
};

const withDetail = (detail: Record<string, unknown>) => ({ ...rulerEvent, detail });
const field = (name: string, matcher: unknown) => ({ detail: { [name]: [matcher] } });

function invalidReason(pattern: unknown): string {
  try {
    validatePattern(pattern);
  } catch (error) {
    if (error instanceof InvalidEventPatternError) return error.reason;
    throw error;
  }
  throw new Error(`pattern was accepted: ${JSON.stringify(pattern)}`);
}

describe('exact matching', () => {
  // event-ruler README, "Simple matching".
  it('matches listed values and ignores event fields the pattern does not name', () => {
    const pattern = {
      'detail-type': ['EC2 Instance State-change Notification'],
      resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-000000aaaaaa00000'],
      detail: { state: ['initializing', 'running'] },
    };
    expect(matchesPattern(pattern, rulerEvent)).toBe(true);
    expect(matchesPattern(pattern, withDetail({ state: 'initializing' }))).toBe(true);
    expect(matchesPattern(pattern, withDetail({ state: 'stopped' }))).toBe(false);
  });

  it('requires every named field (AND) and does not match a missing one', () => {
    const pattern = { source: ['aws.ec2'], detail: { state: ['running'], missing: ['x'] } };
    expect(matchesPattern(pattern, rulerEvent)).toBe(false);
    expect(matchesPattern({ source: ['aws.ec2'], detail: { state: ['running'] } }, rulerEvent)).toBe(true);
  });

  // Comparison operators table, "And": "Location": [ "New York" ], "Day": ["Monday"].
  it('ANDs sibling fields', () => {
    const pattern = { Location: ['New York'], Day: ['Monday'] };
    expect(matchesPattern(pattern, { Location: 'New York', Day: 'Monday' })).toBe(true);
    expect(matchesPattern(pattern, { Location: 'New York', Day: 'Tuesday' })).toBe(false);
    expect(matchesPattern(pattern, { Location: 'New York' })).toBe(false);
  });

  // "Arrays in Amazon EventBridge event patterns": matches when pattern array and event array intersect.
  it('matches an event array when any element matches', () => {
    const pattern = {
      resources: [
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:111122223333:instance/i-b188560f',
        'arn:aws:ec2:us-east-1:444455556666:instance/i-b188560f',
      ],
    };
    const event = {
      resources: [
        'arn:aws:autoscaling:us-east-1:123456789012:autoScalingGroup:eb56d16b-bbf0-401d-b893-d5978ed4a025:autoScalingGroupName/ASGTerminate',
        'arn:aws:ec2:us-east-1:123456789012:instance/i-b188560f',
      ],
    };
    expect(matchesPattern(pattern, event)).toBe(true);
    expect(matchesPattern(pattern, { resources: ['arn:aws:ec2:us-east-1:999999999999:instance/i-x'] })).toBe(
      false,
    );
    expect(matchesPattern(pattern, { resources: [] })).toBe(false);
  });

  // "Matching null values and empty strings": [""] matches "", [null] matches null, and they are not
  // interchangeable.
  it('matches null and the empty string separately', () => {
    const event = { detail: { eventVersion: '', responseElements: null } };
    expect(matchesPattern({ detail: { eventVersion: [''] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { responseElements: [null] } }, event)).toBe(true);
    expect(matchesPattern({ detail: { eventVersion: [null] } }, event)).toBe(false);
    expect(matchesPattern({ detail: { responseElements: [''] } }, event)).toBe(false);
  });

  it('compares numbers numerically and never across types', () => {
    expect(matchesPattern({ n: [5] }, { n: 5.0 })).toBe(true);
    expect(matchesPattern({ n: [3.018e2] }, { n: 301.8 })).toBe(true);
    expect(matchesPattern({ n: [5] }, { n: '5' })).toBe(false);
    expect(matchesPattern({ n: ['5'] }, { n: 5 })).toBe(false);
    expect(matchesPattern({ b: [true] }, { b: 'true' })).toBe(false);
    expect(matchesPattern({ b: [true] }, { b: true })).toBe(true);
    expect(matchesPattern({ b: [false] }, { b: 0 })).toBe(false);
    expect(matchesPattern({ z: [null] }, { z: 'null' })).toBe(false);
  });

  it('matches nested objects by path, and a leaf pattern never matches an object', () => {
    expect(matchesPattern({ a: { b: { c: ['x'] } } }, { a: { b: { c: 'x' } } })).toBe(true);
    expect(matchesPattern({ a: { b: ['x'] } }, { a: { b: { c: 'x' } } })).toBe(false);
    expect(matchesPattern({ a: { b: { c: ['x'] } } }, { a: { b: 'x' } })).toBe(false);
  });

  it('treats an IP literal as the address, as event-ruler does', () => {
    expect(matchesPattern({ ip: ['::1'] }, { ip: '0:0:0:0:0:0:0:1' })).toBe(true);
    expect(matchesPattern({ ip: ['10.0.0.1'] }, { ip: '10.0.0.2' })).toBe(false);
    // event-ruler CIDRTest.testInvalidIPMatchedByIPv6Regex: not an address, so a plain string match.
    expect(matchesPattern({ a: ['08:23'] }, { a: '08:23' })).toBe(true);
  });

  it('does not match non-object events', () => {
    expect(matchesPattern({ a: [{ exists: false }] }, 'text')).toBe(false);
    expect(matchesPattern({ a: [{ exists: false }] }, [1, 2])).toBe(false);
    expect(matchesPattern({ a: [{ exists: false }] }, {})).toBe(true);
  });
});

describe('prefix, suffix and equals-ignore-case', () => {
  // Content filtering, "Prefix matching".
  it('prefix', () => {
    const pattern = { time: [{ prefix: '2017-10-02' }] };
    expect(matchesPattern(pattern, { time: '2017-10-02T18:43:48Z' })).toBe(true);
    expect(matchesPattern(pattern, { time: '2017-10-03T18:43:48Z' })).toBe(false);
    expect(matchesPattern({ n: [{ prefix: '5' }] }, { n: 55 })).toBe(false);
  });

  it('an empty prefix or suffix matches any string and nothing else', () => {
    expect(matchesPattern({ a: [{ prefix: '' }] }, { a: '' })).toBe(true);
    expect(matchesPattern({ a: [{ prefix: '' }] }, { a: 0 })).toBe(false);
    expect(matchesPattern({ a: [{ suffix: '' }] }, { a: 'x' })).toBe(true);
    expect(matchesPattern({ a: [{ suffix: '' }] }, { a: null })).toBe(false);
  });

  // Content filtering, "Prefix matching while ignoring case".
  it('prefix with equals-ignore-case', () => {
    const pattern = { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } };
    for (const service of ['EventBridge', 'EVENTBRIDGE', 'eventbridge', 'eVeNtB']) {
      expect(matchesPattern(pattern, { detail: { service } })).toBe(true);
    }
    expect(matchesPattern(pattern, { detail: { service: 'Event-Bridge' } })).toBe(false);
    expect(matchesPattern(pattern, { detail: { service: 'Even' } })).toBe(false);
  });

  // Content filtering, "Suffix matching".
  it('suffix', () => {
    const pattern = { FileName: [{ suffix: '.png' }] };
    expect(matchesPattern(pattern, { FileName: 'image.png' })).toBe(true);
    expect(matchesPattern(pattern, { FileName: 'image.PNG' })).toBe(false);
    expect(matchesPattern(pattern, { FileName: 'image.png.gz' })).toBe(false);
  });

  // Content filtering, "Suffix matching while ignoring case".
  it('suffix with equals-ignore-case', () => {
    const pattern = { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } };
    expect(matchesPattern(pattern, { detail: { FileName: 'a.PNG' } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { FileName: 'a.pNg' } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { FileName: 'a.jpg' } })).toBe(false);
  });

  // Comparison operators table, "Equals (ignore case)": "Name": [ { "equals-ignore-case": "alice" } ].
  it('equals-ignore-case', () => {
    const pattern = { Name: [{ 'equals-ignore-case': 'alice' }] };
    expect(matchesPattern(pattern, { Name: 'Alice' })).toBe(true);
    expect(matchesPattern(pattern, { Name: 'ALICE' })).toBe(true);
    expect(matchesPattern(pattern, { Name: 'Alice2' })).toBe(false);
    expect(matchesPattern(pattern, { Name: 'Alic' })).toBe(false);
  });

  it('equals-ignore-case accepts each operand character in either case, including length-changing ones', () => {
    expect(matchesPattern({ a: [{ 'equals-ignore-case': 'straße' }] }, { a: 'STRASSE' })).toBe(true);
    expect(matchesPattern({ a: [{ 'equals-ignore-case': 'ÉTÉ' }] }, { a: 'été' })).toBe(true);
  });
});

describe('wildcard', () => {
  // event-ruler README, "Wildcard matching".
  it('* matches any run of characters, including none', () => {
    const pattern = { source: [{ wildcard: 'Simple*Service' }] };
    expect(matchesPattern(pattern, { source: 'SimpleQueueService' })).toBe(true);
    expect(matchesPattern(pattern, { source: 'SimpleService' })).toBe(true);
    expect(matchesPattern(pattern, { source: 'SimpleQueueServices' })).toBe(false);
    expect(matchesPattern(pattern, { source: 'simpleQueueService' })).toBe(false);
  });

  // Comparison operators table, "Wildcard": "EventBusArn": [ { "wildcard": "arn:aws:events:us-east-1:*:event-bus/*" } ].
  it('matches ARNs with several wildcards', () => {
    const pattern = { EventBusArn: [{ wildcard: 'arn:aws:events:us-east-1:*:event-bus/*' }] };
    expect(
      matchesPattern(pattern, { EventBusArn: 'arn:aws:events:us-east-1:123456789012:event-bus/default' }),
    ).toBe(true);
    expect(
      matchesPattern(pattern, { EventBusArn: 'arn:aws:events:us-west-2:123456789012:event-bus/default' }),
    ).toBe(false);
  });

  it('does not let a segment overlap the suffix', () => {
    expect(matchesPattern({ a: [{ wildcard: 'ab*ba' }] }, { a: 'aba' })).toBe(false);
    expect(matchesPattern({ a: [{ wildcard: 'ab*ba' }] }, { a: 'abba' })).toBe(true);
    expect(matchesPattern({ a: [{ wildcard: 'a*b*a' }] }, { a: 'aba' })).toBe(true);
    expect(matchesPattern({ a: [{ wildcard: 'a*bb*a' }] }, { a: 'abba' })).toBe(true);
    expect(matchesPattern({ a: [{ wildcard: 'a*bb*a' }] }, { a: 'aba' })).toBe(false);
    expect(matchesPattern({ a: [{ wildcard: 'x*ab*b' }] }, { a: 'xab' })).toBe(false);
    expect(matchesPattern({ a: [{ wildcard: 'x*ab*b' }] }, { a: 'xabb' })).toBe(true);
  });

  it('a lone * matches any string but not other types', () => {
    expect(matchesPattern({ a: [{ wildcard: '*' }] }, { a: '' })).toBe(true);
    expect(matchesPattern({ a: [{ wildcard: '*' }] }, { a: 5 })).toBe(false);
  });

  // event-ruler README: "\*" is a literal asterisk and "\\" a literal backslash.
  it('honours \\* and \\\\ escapes', () => {
    expect(matchesPattern({ a: [{ wildcard: 'a\\*b' }] }, { a: 'a*b' })).toBe(true);
    expect(matchesPattern({ a: [{ wildcard: 'a\\*b' }] }, { a: 'axb' })).toBe(false);
    expect(matchesPattern({ a: [{ wildcard: 'a\\\\*' }] }, { a: 'a\\anything' })).toBe(true);
    expect(matchesPattern({ a: [{ wildcard: 'a\\\\*' }] }, { a: 'a-anything' })).toBe(false);
    expect(matchesPattern({ a: [{ wildcard: '\\**' }] }, { a: '*star' })).toBe(true);
  });

  it('treats regex metacharacters literally', () => {
    expect(matchesPattern({ a: [{ wildcard: 'a.c*' }] }, { a: 'abc' })).toBe(false);
    expect(matchesPattern({ a: [{ wildcard: 'a.c*' }] }, { a: 'a.cd' })).toBe(true);
    expect(matchesPattern({ a: [{ wildcard: '(x)?*' }] }, { a: '(x)?y' })).toBe(true);
  });
});

describe('anything-but', () => {
  // Content filtering, "Anything-but matching" (single string and single number).
  it('excludes a single string or number', () => {
    const byState = { detail: { state: [{ 'anything-but': 'initializing' }] } };
    expect(matchesPattern(byState, withDetail({ state: 'running' }))).toBe(true);
    expect(matchesPattern(byState, withDetail({ state: 'initializing' }))).toBe(false);
    const byLimit = { detail: { 'x-limit': [{ 'anything-but': 123 }] } };
    expect(matchesPattern(byLimit, withDetail({ 'x-limit': 123.0 }))).toBe(false);
    expect(matchesPattern(byLimit, withDetail({ 'x-limit': 301.8 }))).toBe(true);
  });

  // Content filtering, "Anything-but matching" (lists of strings and of numbers).
  it('excludes a list', () => {
    const byState = { detail: { state: [{ 'anything-but': ['stopped', 'overloaded'] }] } };
    expect(matchesPattern(byState, withDetail({ state: 'stopped' }))).toBe(false);
    expect(matchesPattern(byState, withDetail({ state: 'overloaded' }))).toBe(false);
    expect(matchesPattern(byState, withDetail({ state: 'running' }))).toBe(true);
    const byLimit = { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } };
    expect(matchesPattern(byLimit, withDetail({ 'x-limit': 200 }))).toBe(false);
    expect(matchesPattern(byLimit, withDetail({ 'x-limit': 201 }))).toBe(true);
  });

  // Content filtering, "Anything-but matching" with prefix ("init").
  it('anything-but prefix', () => {
    const pattern = { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } };
    expect(matchesPattern(pattern, withDetail({ state: 'initializing' }))).toBe(false);
    expect(matchesPattern(pattern, withDetail({ state: 'running' }))).toBe(true);
  });

  // Comparison operators table, "Anything-but (ends with)": FileName does not end with .png.
  it('anything-but suffix', () => {
    const pattern = { FileName: [{ 'anything-but': { suffix: '.png' } }] };
    expect(matchesPattern(pattern, { FileName: 'a.png' })).toBe(false);
    expect(matchesPattern(pattern, { FileName: 'a.jpg' })).toBe(true);
  });

  // Comparison operators table, "Anything-but (ignore case)".
  it('anything-but equals-ignore-case, single and list', () => {
    const pattern = { state: [{ 'anything-but': { 'equals-ignore-case': 'initializing' } }] };
    expect(matchesPattern(pattern, { state: 'INITIALIZING' })).toBe(false);
    expect(matchesPattern(pattern, { state: 'Initializing' })).toBe(false);
    expect(matchesPattern(pattern, { state: 'running' })).toBe(true);
    const list = { state: [{ 'anything-but': { 'equals-ignore-case': ['Stopped', 'OVERLOADED'] } }] };
    expect(matchesPattern(list, { state: 'stopped' })).toBe(false);
    expect(matchesPattern(list, { state: 'overloaded' })).toBe(false);
    expect(matchesPattern(list, { state: 'running' })).toBe(true);
  });

  // Comparison operators table, "Anything-but using a wildcard": FilePath does not include /lib/.
  it('anything-but wildcard', () => {
    const pattern = { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] };
    expect(matchesPattern(pattern, { FilePath: '/usr/lib/x.so' })).toBe(false);
    expect(matchesPattern(pattern, { FilePath: '/usr/bin/x' })).toBe(true);
    const list = { FilePath: [{ 'anything-but': { wildcard: ['*/lib/*', '*.tmp'] } }] };
    expect(matchesPattern(list, { FilePath: '/a/b.tmp' })).toBe(false);
    expect(matchesPattern(list, { FilePath: '/a/b.txt' })).toBe(true);
  });

  it('anything-but prefix/suffix lists', () => {
    const pattern = { Region: [{ 'anything-but': { prefix: ['us-', 'eu-'] } }] };
    expect(matchesPattern(pattern, { Region: 'us-east-1' })).toBe(false);
    expect(matchesPattern(pattern, { Region: 'eu-west-1' })).toBe(false);
    expect(matchesPattern(pattern, { Region: 'ap-south-1' })).toBe(true);
  });

  it('does not match a missing field', () => {
    expect(matchesPattern({ state: [{ 'anything-but': 'x' }] }, {})).toBe(false);
    expect(matchesPattern({ state: [{ 'anything-but': { prefix: 'x' } }] }, { other: 1 })).toBe(false);
    expect(matchesPattern({ state: [{ 'anything-but': 'x' }] }, { state: {} })).toBe(false);
    expect(matchesPattern({ state: [{ 'anything-but': 'x' }] }, { state: [] })).toBe(false);
  });

  it('matches leaf values of another type (event-ruler only excludes what it lists)', () => {
    expect(matchesPattern({ a: [{ 'anything-but': '5' }] }, { a: 5 })).toBe(true);
    expect(matchesPattern({ a: [{ 'anything-but': 5 }] }, { a: '5' })).toBe(true);
    expect(matchesPattern({ a: [{ 'anything-but': 'x' }] }, { a: null })).toBe(true);
    expect(matchesPattern({ a: [{ 'anything-but': { prefix: 'x' } }] }, { a: true })).toBe(true);
  });

  it('matches an event array if any element is not excluded', () => {
    const pattern = { a: [{ 'anything-but': ['x', 'y'] }] };
    expect(matchesPattern(pattern, { a: ['x', 'y'] })).toBe(false);
    expect(matchesPattern(pattern, { a: ['x', 'z'] })).toBe(true);
  });
});

describe('numeric', () => {
  // Content filtering, "Numeric matching" (and the README sample event).
  it('matches the documented ranges against the sample event', () => {
    const pattern = {
      detail: {
        'c-count': [{ numeric: ['>', 0, '<=', 5] }],
        'd-count': [{ numeric: ['<', 10] }],
        'x-limit': [{ numeric: ['=', 3.018e2] }],
      },
    };
    expect(matchesPattern(pattern, rulerEvent)).toBe(true);
    expect(matchesPattern(pattern, withDetail({ ...rulerEvent.detail, 'c-count': 6 }))).toBe(false);
    expect(matchesPattern(pattern, withDetail({ ...rulerEvent.detail, 'c-count': 0 }))).toBe(false);
    expect(matchesPattern(pattern, withDetail({ ...rulerEvent.detail, 'd-count': 10 }))).toBe(false);
    expect(matchesPattern(pattern, withDetail({ ...rulerEvent.detail, 'x-limit': 301.9 }))).toBe(false);
  });

  it('honours open and closed bounds', () => {
    const at = (op: string, bound: number, value: number) =>
      matchesPattern(field('n', { numeric: [op, bound] }), { detail: { n: value } });
    expect([at('>', 1, 1), at('>=', 1, 1), at('<', 1, 1), at('<=', 1, 1), at('=', 1, 1)]).toEqual([
      false,
      true,
      false,
      true,
      true,
    ]);
    expect(matchesPattern(field('n', { numeric: ['>=', 0, '<', 5] }), { detail: { n: 5 } })).toBe(false);
    expect(matchesPattern(field('n', { numeric: ['>=', 0, '<', 5] }), { detail: { n: 0 } })).toBe(true);
  });

  it('does not match numbers in strings', () => {
    expect(matchesPattern(field('n', { numeric: ['>', 0] }), { detail: { n: '5' } })).toBe(false);
    expect(matchesPattern(field('n', { numeric: ['=', 5] }), { detail: { n: '5' } })).toBe(false);
  });

  // event-ruler README: numeric matching is limited to -5.0e9..+5.0e9.
  it('does not match event numbers outside the representable range', () => {
    expect(matchesPattern(field('n', { numeric: ['>', 0] }), { detail: { n: 5e9 } })).toBe(true);
    expect(matchesPattern(field('n', { numeric: ['>', 0] }), { detail: { n: 5.000001e9 } })).toBe(false);
    // Exact number matching is a literal comparison, so large account-like numbers still match.
    expect(matchesPattern({ n: [123456789012] }, { n: 123456789012 })).toBe(true);
  });
});

describe('cidr', () => {
  // Content filtering, "IP address matching".
  it('matches IPv4 addresses in the block', () => {
    const pattern = { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } };
    expect(matchesPattern(pattern, { detail: { sourceIPAddress: '10.0.0.33' } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { sourceIPAddress: '10.0.0.255' } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { sourceIPAddress: '10.0.1.0' } })).toBe(false);
    expect(matchesPattern(pattern, { detail: { sourceIPAddress: 'not an ip' } })).toBe(false);
    expect(matchesPattern(pattern, { detail: { sourceIPAddress: 167772161 } })).toBe(false);
  });

  // event-ruler CIDRTest.TestCorrectRanges: host bits in the operand are floored away.
  it('floors host bits in the operand', () => {
    const pattern = { ip: [{ cidr: '54.240.196.171/24' }] };
    expect(matchesPattern(pattern, { ip: '54.240.196.0' })).toBe(true);
    expect(matchesPattern(pattern, { ip: '54.240.197.0' })).toBe(false);
  });

  it('matches IPv6 addresses, in any spelling, and never across families', () => {
    const pattern = { ip: [{ cidr: '2001:db8::/32' }] };
    expect(matchesPattern(pattern, { ip: '2001:db8::1' })).toBe(true);
    expect(matchesPattern(pattern, { ip: '2001:0DB8:ffff:0:0:0:0:1' })).toBe(true);
    expect(matchesPattern(pattern, { ip: '2001:db9::1' })).toBe(false);
    expect(matchesPattern({ ip: [{ cidr: '0.0.0.0/0' }] }, { ip: '::1' })).toBe(false);
    expect(matchesPattern({ ip: [{ cidr: '0.0.0.0/0' }] }, { ip: '1.2.3.4' })).toBe(true);
  });
});

describe('exists', () => {
  // Content filtering, "Exists matching": exists true matches an event with detail.state.
  it('exists: true matches a present leaf', () => {
    const pattern = { detail: { state: [{ exists: true }] } };
    expect(
      matchesPattern(pattern, {
        version: '0',
        id: '7bf73129-1428-4cd3-a780-95db273d1602',
        'detail-type': 'EC2 Instance State-change Notification',
        source: 'aws.ec2',
        account: '123456789012',
        time: '2015-11-11T21:29:54Z',
        region: 'us-east-1',
        resources: ['arn:aws:ec2:us-east-1:123456789012:instance/i-abcd1111'],
        detail: { 'instance-id': 'i-abcd1111', state: 'pending' },
      }),
    ).toBe(true);
    // ... and not one without it.
    expect(matchesPattern(pattern, { detail: { 'c-count': { c1: 100 } } })).toBe(false);
  });

  // Content filtering, "Exists matching": exists false matches when c-count is absent, and also when it is
  // an object, because exists only looks at leaf nodes.
  it('exists: false matches an absent field or an intermediate node', () => {
    const pattern = { detail: { 'c-count': [{ exists: false }] } };
    expect(matchesPattern(pattern, { detail: { state: 'running' } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { state: 'running', 'c-count': { c1: 100 } } })).toBe(true);
    expect(matchesPattern(pattern, { detail: { 'c-count': 5 } })).toBe(false);
    expect(matchesPattern(pattern, {})).toBe(true);
  });

  it('null is a leaf; empty arrays and objects are not', () => {
    expect(matchesPattern({ a: [{ exists: true }] }, { a: null })).toBe(true);
    expect(matchesPattern({ a: [{ exists: true }] }, { a: [] })).toBe(false);
    expect(matchesPattern({ a: [{ exists: true }] }, { a: {} })).toBe(false);
    expect(matchesPattern({ a: [{ exists: false }] }, { a: [] })).toBe(true);
    expect(matchesPattern({ a: [{ exists: true }] }, { a: [1] })).toBe(true);
  });

  it('combines with values in the same list', () => {
    const pattern = { a: ['x', { exists: false }] };
    expect(matchesPattern(pattern, {})).toBe(true);
    expect(matchesPattern(pattern, { a: 'x' })).toBe(true);
    expect(matchesPattern(pattern, { a: 'y' })).toBe(false);
  });
});

describe('arrays of objects', () => {
  // event-ruler README, "JSON Array Matching".
  const employees = {
    employees: [
      { firstName: 'John', lastName: 'Doe' },
      { firstName: 'Anna', lastName: 'Smith' },
      { firstName: 'Peter', lastName: 'Jones' },
    ],
  };

  it('treats contained objects as values of the parent field', () => {
    expect(matchesPattern({ employees: { firstName: ['Anna'] } }, employees)).toBe(true);
    expect(matchesPattern({ employees: { firstName: ['Anna'], lastName: ['Smith'] } }, employees)).toBe(true);
  });

  it('never combines fields from different elements of the same array', () => {
    expect(matchesPattern({ employees: { firstName: ['Anna'], lastName: ['Jones'] } }, employees)).toBe(
      false,
    );
  });

  it('keeps looking when the first element that satisfies one path fails the next', () => {
    // "category" sorts before "qty" and both elements satisfy it; in one of the two orders the element
    // tried first fails "qty".
    for (const items of [
      [
        { category: 'a', qty: 1 },
        { category: 'a', qty: 2 },
      ],
      [
        { category: 'a', qty: 2 },
        { category: 'a', qty: 1 },
      ],
    ]) {
      expect(matchesPattern({ items: { category: ['a'], qty: [2] } }, { items })).toBe(true);
      expect(matchesPattern({ items: { category: ['a'], qty: [1] } }, { items })).toBe(true);
      expect(matchesPattern({ items: { category: ['a'], qty: [3] } }, { items })).toBe(false);
    }
  });

  it('works for multi-level arrays', () => {
    const nested = {
      employees: [
        [
          { firstName: 'John', lastName: 'Doe' },
          { firstName: 'Anna', lastName: 'Smith' },
        ],
        [{ firstName: 'Peter', lastName: 'Jones' }],
      ],
    };
    expect(matchesPattern({ employees: { firstName: ['Peter'], lastName: ['Jones'] } }, nested)).toBe(true);
    expect(matchesPattern({ employees: { firstName: ['John'], lastName: ['Jones'] } }, nested)).toBe(false);
  });

  it('checks exists: false against the array elements already chosen', () => {
    const event = { items: [{ sku: 'a', gift: true }, { sku: 'b' }] };
    expect(matchesPattern({ items: { sku: ['b'], zz: [{ exists: false }] } }, event)).toBe(true);
    // "zz" sorts after "sku": by then element 1 is chosen, and the "zz" in element 0 does not count.
    const other = { items: [{ sku: 'a', zz: 1 }, { sku: 'b' }] };
    expect(matchesPattern({ items: { sku: ['b'], zz: [{ exists: false }] } }, other)).toBe(true);
    expect(matchesPattern({ items: { sku: ['a'], zz: [{ exists: false }] } }, other)).toBe(false);
    // "gift" sorts before "sku": event-ruler checks its absence before any element is chosen, and element
    // 0 has it, so the pattern does not match.
    expect(matchesPattern({ items: { sku: ['b'], gift: [{ exists: false }] } }, event)).toBe(false);
  });

  it('stays fast when many paths run through independent arrays and the last one fails', () => {
    const event = Object.fromEntries(
      ['a', 'b', 'c', 'd', 'e', 'f'].map((key) => [key, Array.from({ length: 100 }, (_, i) => i + 1)]),
    );
    const pattern = {
      a: [{ numeric: ['>', 0] }],
      b: [{ numeric: ['>', 0] }],
      c: [{ numeric: ['>', 0] }],
      d: [{ numeric: ['>', 0] }],
      e: [{ numeric: ['>', 0] }],
      f: [{ numeric: ['>', 1000] }],
    };
    const started = performance.now();
    expect(matchesPattern(pattern, event)).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });

  // event-ruler README caveat "Compiled rules and JSON keys with dots".
  it('joins paths with dots, as event-ruler does', () => {
    expect(
      matchesPattern(
        { detail: { 'state.status': ['running'] } },
        { detail: { state: { status: 'running' } } },
      ),
    ).toBe(true);
  });
});

describe('$or', () => {
  // event-ruler README, "Normal Or": source && (metricName || namespace).
  it('ORs the branches and ANDs them with the rest of the object', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
    };
    expect(matchesPattern(pattern, { source: 'aws.cloudwatch', metricName: 'ReadLatency' })).toBe(true);
    expect(matchesPattern(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/ES' })).toBe(true);
    expect(matchesPattern(pattern, { source: 'aws.cloudwatch', namespace: 'AWS/S3' })).toBe(false);
    expect(matchesPattern(pattern, { source: 'aws.ec2', metricName: 'ReadLatency' })).toBe(false);
  });

  // event-ruler README, "Parallel Or" (a $or at top level and one inside detail).
  it('supports $or at several levels at once', () => {
    const pattern = {
      $or: [{ metricName: ['CPUUtilization', 'ReadLatency'] }, { namespace: ['AWS/EC2', 'AWS/ES'] }],
      detail: {
        $or: [{ source: ['aws.cloudwatch'] }, { 'detail-type': ['CloudWatch Alarm State Change'] }],
      },
    };
    expect(
      matchesPattern(pattern, {
        namespace: 'AWS/EC2',
        detail: { 'detail-type': 'CloudWatch Alarm State Change' },
      }),
    ).toBe(true);
    expect(matchesPattern(pattern, { metricName: 'ReadLatency', detail: { source: 'aws.cloudwatch' } })).toBe(
      true,
    );
    expect(matchesPattern(pattern, { metricName: 'ReadLatency', detail: { source: 'aws.ec2' } })).toBe(false);
    expect(matchesPattern(pattern, { detail: { source: 'aws.cloudwatch' } })).toBe(false);
  });

  // event-ruler README, "Nested Or and And".
  it('supports nested $or with AND inside a branch', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: [
        { metricName: ['CPUUtilization', 'ReadLatency'] },
        {
          metricType: ['MetricType'],
          namespace: ['AWS/EC2', 'AWS/ES'],
          $or: [{ metricId: [1234] }, { spaceId: [1000] }],
        },
        { scope: ['Service'] },
      ],
    };
    const base = { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/EC2' };
    expect(matchesPattern(pattern, { ...base, spaceId: 1000 })).toBe(true);
    expect(matchesPattern(pattern, { ...base, metricId: 1234 })).toBe(true);
    expect(matchesPattern(pattern, base)).toBe(false);
    expect(matchesPattern(pattern, { source: 'aws.cloudwatch', spaceId: 1000 })).toBe(false);
    expect(matchesPattern(pattern, { source: 'aws.cloudwatch', scope: 'Service' })).toBe(true);
  });

  it('lets a later write to the same path override an earlier one, as event-ruler compiles it', () => {
    const pattern = { a: ['1'], $or: [{ a: ['2'] }, { b: ['3'] }] };
    expect(matchesPattern(pattern, { a: '2' })).toBe(true);
    expect(matchesPattern(pattern, { a: '1' })).toBe(false);
    expect(matchesPattern(pattern, { a: '1', b: '3' })).toBe(true);
  });

  // event-ruler README, "The backward compatibility of using "$or" as field name in the rule".
  it('treats a $or that is not the operator as a field name', () => {
    const pattern = {
      source: ['aws.cloudwatch'],
      $or: { metricType: ['MetricType'], namespace: ['AWS/EC2', 'AWS/ES'] },
    };
    expect(
      matchesPattern(pattern, {
        source: 'aws.cloudwatch',
        $or: { metricType: 'MetricType', namespace: 'AWS/ES' },
      }),
    ).toBe(true);
    expect(
      matchesPattern(pattern, { source: 'aws.cloudwatch', metricType: 'MetricType', namespace: 'AWS/ES' }),
    ).toBe(false);
    // Reserved names inside the branches make it a field whose matchers are those expressions.
    const reserved = { $or: [{ prefix: 'abc' }, { suffix: 'xyz' }] };
    expect(matchesPattern(reserved, { $or: 'abcd' })).toBe(true);
    expect(matchesPattern(reserved, { prefix: 'abc' })).toBe(false);
  });
});

// Content filtering, "Complex example with multiple matching" (README variant with cidr).
it('matches the documented complex example', () => {
  const pattern = {
    time: [{ prefix: '2017-10-02' }],
    detail: {
      state: [{ 'anything-but': 'initializing' }],
      'c-count': [{ numeric: ['>', 0, '<=', 5] }],
      'd-count': [{ numeric: ['<', 10] }],
      'x-limit': [{ 'anything-but': [100, 200, 300] }],
      'source-ip': [{ cidr: '10.0.0.0/8' }],
    },
  };
  expect(matchesPattern(pattern, rulerEvent)).toBe(true);
  expect(matchesPattern(pattern, withDetail({ ...rulerEvent.detail, 'x-limit': 200 }))).toBe(false);
  expect(matchesPattern(pattern, withDetail({ ...rulerEvent.detail, 'source-ip': '11.0.0.1' }))).toBe(false);
  expect(matchesPattern(pattern, { ...rulerEvent, time: '2017-10-03T00:00:00Z' })).toBe(false);
});

describe('validatePattern', () => {
  it('accepts every documented pattern', () => {
    const patterns: unknown[] = [
      { time: [{ prefix: '2017-10-02' }] },
      { detail: { service: [{ prefix: { 'equals-ignore-case': 'EventB' } }] } },
      { detail: { FileName: [{ suffix: { 'equals-ignore-case': '.png' } }] } },
      { detail: { state: [{ 'anything-but': { prefix: 'init' } }] } },
      { detail: { 'x-limit': [{ 'anything-but': [100, 200, 300] }] } },
      { FilePath: [{ 'anything-but': { wildcard: '*/lib/*' } }] },
      { detail: { 'c-count': [{ numeric: ['>', 0, '<=', 5] }] } },
      { detail: { sourceIPAddress: [{ cidr: '10.0.0.0/24' }] } },
      { detail: { 'c-count': [{ exists: false }] } },
      { LastName: [''] },
      { a: [{ exactly: 'x' }] },
    ];
    for (const pattern of patterns) expect(() => validatePattern(pattern)).not.toThrow();
  });

  it.each([
    ['not an object', [{ a: ['x'] }], 'Filter is not an object'],
    ['null', null, 'Filter is not an object'],
    ['empty object', {}, 'Empty objects are not allowed'],
    ['empty nested object', { detail: {} }, 'Empty objects are not allowed'],
    ['scalar leaf', { source: 'aws.ec2' }, '"source" must be an object or an array'],
    ['empty array', { source: [] }, 'Empty arrays are not allowed'],
    ['nested array value', { source: [['x']] }, 'Match value must be String, number, true, false, or null'],
    ['unknown operator', { a: [{ contains: 'x' }] }, 'Unrecognized match type contains'],
    ['empty match expression', { a: [{}] }, 'Match expression name not found'],
    ['two operators', { a: [{ prefix: 'a', suffix: 'b' }] }, 'Only one key allowed in match expression'],
    ['prefix not a string', { a: [{ prefix: 5 }] }, 'prefix match pattern must be a string'],
    ['prefix unknown nested', { a: [{ prefix: { wildcard: 'x' } }] }, 'Unsupported prefix pattern: wildcard'],
    [
      'suffix nested number',
      { a: [{ suffix: { 'equals-ignore-case': 1 } }] },
      'equals-ignore-case match pattern must be a string',
    ],
    ['exists not boolean', { a: [{ exists: 'true' }] }, 'exists match pattern must be either true or false.'],
    ['numeric not array', { a: [{ numeric: 5 }] }, 'Value of numeric must be an array.'],
    ['numeric empty', { a: [{ numeric: [] }] }, 'Invalid member in numeric match: ]'],
    ['numeric bad operator', { a: [{ numeric: ['!=', 1] }] }, 'Unrecognized numeric range operator: !='],
    [
      'numeric prototype name',
      { a: [{ numeric: ['toString', 1] }] },
      'Unrecognized numeric range operator: toString',
    ],
    ['numeric string operand', { a: [{ numeric: ['>', '5'] }] }, 'Value of > must be numeric'],
    ['numeric missing operand', { a: [{ numeric: ['='] }] }, 'Value of equals must be numeric'],
    [
      'numeric upper bound first',
      { a: [{ numeric: ['<', 5, '>', 0] }] },
      'Too many elements in numeric expression',
    ],
    ['numeric two lower bounds', { a: [{ numeric: ['>', 0, '>=', 5] }] }, 'Bad numeric range operator: >='],
    ['numeric inverted range', { a: [{ numeric: ['>', 5, '<', 0] }] }, 'Bottom must be less than top'],
    ['numeric empty range', { a: [{ numeric: ['>=', 5, '<=', 5] }] }, 'Bottom must be less than top'],
    [
      'numeric too many terms',
      { a: [{ numeric: ['>', 0, '<', 5, 6] }] },
      'Too many terms in numeric range expression',
    ],
    [
      'numeric out of range',
      { a: [{ numeric: ['>', 6e9] }] },
      'Value must be between -5000000000 and 5000000000, inclusive',
    ],
    ['cidr without mask', { a: [{ cidr: '10.0.0.0' }] }, "Malformed CIDR, one '/' required"],
    ['cidr two slashes', { a: [{ cidr: 'foo/bar/baz' }] }, "Malformed CIDR, one '/' required"],
    ['cidr bad mask', { a: [{ cidr: '192.168.0.1/foo' }] }, 'Malformed CIDR, mask bits must be an integer'],
    [
      'cidr negative mask',
      { a: [{ cidr: '192.168.0.1/-3424' }] },
      'Malformed CIDR, mask bits must not be negative',
    ],
    [
      'cidr mask beyond an int',
      { a: [{ cidr: '10.0.0.0/4294967296' }] },
      'Malformed CIDR, mask bits must be an integer',
    ],
    ['cidr mask too wide', { a: [{ cidr: '192.168.0.1/33' }] }, 'IPv4 mask bits must be < 32'],
    ['cidr single v4 host', { a: [{ cidr: '10.0.0.1/32' }] }, 'IPv4 mask bits must be < 32'],
    ['cidr single v6 host', { a: [{ cidr: '2001:db8::1/128' }] }, 'IPv6 mask bits must be < 128'],
    [
      'cidr v6 mask too wide',
      { a: [{ cidr: '2400:6500:FF00::36FB:1F80/222' }] },
      'IPv6 mask bits must be < 128',
    ],
    ['cidr not an address', { a: [{ cidr: 'snorkle/3' }] }, 'Nonstandard IP address: snorkle'],
    ['cidr bad octet', { a: [{ cidr: '700.168.0.1/8' }] }, 'Invalid IP address: 700.168.0.1'],
    ['cidr five octets', { a: [{ cidr: '10.10.10.10.10/3' }] }, 'Nonstandard IP address: 10.10.10.10.10'],
    [
      'cidr bad v6',
      { a: [{ cidr: '2400:6500:3:3:3:3:3:3:3:3FF00::36FB:1F80/122' }] },
      'Invalid IP address: 2400:6500:3:3:3:3:3:3:3:3FF00::36FB:1F80',
    ],
    ['wildcard consecutive *', { a: [{ wildcard: 'a**b' }] }, 'Consecutive wildcard characters at pos 2'],
    ['wildcard bad escape', { a: [{ wildcard: 'a\\b' }] }, 'Invalid escape character at pos 2'],
    ['wildcard trailing backslash', { a: [{ wildcard: 'ab\\' }] }, 'Invalid escape character at pos 3'],
    [
      'anything-but boolean',
      { a: [{ 'anything-but': true }] },
      'Value of anything-but must be an array or single string/number value.',
    ],
    [
      'anything-but mixed list',
      { a: [{ 'anything-but': ['a', 1] }] },
      'Inside anything but list, either all values are number or string, mixed type is not supported',
    ],
    [
      'anything-but empty list',
      { a: [{ 'anything-but': [] }] },
      'Inside anything but list, either all values are number or string, mixed type is not supported',
    ],
    [
      'anything-but null in list',
      { a: [{ 'anything-but': ['a', null] }] },
      'Inside anything but list, start|null|boolean is not supported.',
    ],
    [
      'anything-but unsupported nested',
      { a: [{ 'anything-but': { numeric: ['>', 1] } }] },
      'Unsupported anything-but pattern: numeric',
    ],
    [
      'anything-but empty prefix',
      { a: [{ 'anything-but': { prefix: '' } }] },
      'Null prefix/suffix not allowed',
    ],
    [
      'anything-but numeric prefix',
      { a: [{ 'anything-but': { prefix: 1 } }] },
      'prefix/suffix match pattern must be a string',
    ],
    [
      'anything-but nested empty list',
      { a: [{ 'anything-but': { suffix: [] } }] },
      'Empty arrays are not allowed',
    ],
    [
      'anything-but bad wildcard',
      { a: [{ 'anything-but': { wildcard: '**' } }] },
      'Consecutive wildcard characters at pos 1',
    ],
    [
      'anything-but and another key',
      { a: [{ 'anything-but': 'x', prefix: 'y' }] },
      'Too many elements in numeric expression',
    ],
    [
      '$or with one branch',
      { $or: [{ a: ['x'] }] },
      'There must have at least 2 Objects in $or relationship.',
    ],
    ['$or with empty branch', { $or: [{ a: ['x'] }, {}] }, 'Empty objects are not allowed'],
    ['$or with a scalar', { $or: 'x' }, 'It must be an Array followed with $or.'],
    [
      '$or branch using a reserved name',
      { $or: [{ numeric: ['x'] }, { b: ['y'] }] },
      'numeric is Ruler reserved fieldName which cannot be used inside $or.',
    ],
  ])('refuses %s', (_name, pattern, reason) => {
    expect(invalidReason(pattern)).toBe(reason);
  });

  it('refuses a $or expanding to more than 1000 combinations', () => {
    const branches = (prefix: string) => Array.from({ length: 11 }, (_, i) => ({ [`${prefix}${i}`]: ['x'] }));
    expect(invalidReason({ $or: branches('a'), b: { $or: branches('b') }, c: { $or: branches('c') } })).toBe(
      'Event pattern contains more than 1000 rule combinations',
    );
    expect(() => validatePattern({ $or: branches('a'), b: { $or: branches('b') } })).not.toThrow();
  });

  it('refuses a pattern longer than PutRule accepts', () => {
    expect(invalidReason({ a: ['x'.repeat(5000)] })).toMatch(/limit is 4096/);
  });

  it('matchesPattern throws for an invalid pattern instead of answering', () => {
    expect(() => matchesPattern({ a: [] }, { a: 1 })).toThrow(InvalidEventPatternError);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------------------

const key = fc.stringMatching(/^[a-z][a-z0-9-]{0,5}$/);
const scalar = fc.oneof(
  fc.string(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);
type Json = string | number | boolean | null | Json[] | { [key: string]: Json };
const { event: eventArb } = fc.letrec<{ event: Record<string, Json>; value: Json }>((tie) => ({
  event: fc.dictionary(key, tie('value'), { maxKeys: 4 }),
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    scalar,
    fc.array(scalar, { maxLength: 3 }),
    tie('event'),
    fc.array(tie('event'), { maxLength: 2 }),
  ),
}));

type JsonObject = { [key: string]: Json };

/** The scalars and objects an event array offers, nested arrays flattened, as the matcher sees them. */
function elementsOf(values: readonly Json[], into: { scalars: Json[]; objects: JsonObject[] }) {
  for (const item of values) {
    if (Array.isArray(item)) elementsOf(item, into);
    else if (typeof item === 'object' && item !== null) into.objects.push(item);
    else into.scalars.push(item);
  }
  return into;
}

/** A pattern that names every leaf of `event` with its exact value(s); undefined if it would be empty. */
function exactPatternOf(value: Json): unknown {
  if (Array.isArray(value)) {
    const { scalars, objects } = elementsOf(value, { scalars: [], objects: [] });
    // An array mixing objects and scalars has no single exact pattern: use the first object that yields
    // one, else the scalars.
    for (const object of objects) {
      const pattern = exactPatternOf(object);
      if (pattern !== undefined) return pattern;
    }
    return scalars.length > 0 ? scalars : undefined;
  }
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .map(([k, v]) => [k, exactPatternOf(v)] as const)
      .filter(([, v]) => v !== undefined);
    return entries.length > 0 ? Object.fromEntries(entries) : undefined;
  }
  return [value];
}

/** Small key and value spaces so that generated patterns and events actually meet. */
const smallKey = fc.constantFrom('a', 'b', 'c');
const smallValue = fc.oneof(
  fc.constantFrom('x', 'y', 'xy', 'Y', ''),
  fc.integer({ min: -2, max: 2 }),
  fc.constant(null),
);
const smallMatcher = fc.oneof(
  smallValue,
  fc.record({ prefix: fc.constantFrom('x', 'y', '') }),
  fc.record({ suffix: fc.constantFrom('y', 'x') }),
  fc.record({ 'equals-ignore-case': fc.constantFrom('y', 'XY') }),
  fc.record({ wildcard: fc.constantFrom('*y', 'x*', '*') }),
  fc.record({
    'anything-but': fc.oneof(fc.constantFrom('x', 'y'), fc.constant([0, 1]), fc.constant({ prefix: 'x' })),
  }),
  fc.record({ numeric: fc.constantFrom(['>', 0], ['<=', 1], ['>=', -1, '<', 2], ['=', 0]) }),
  fc.record({ exists: fc.boolean() }),
);
const { pattern: smallPattern } = fc.letrec<{ pattern: Record<string, unknown>; node: unknown }>((tie) => ({
  pattern: fc.dictionary(smallKey, tie('node'), { minKeys: 1, maxKeys: 2 }),
  node: fc.oneof(
    { depthSize: 'small' },
    fc.array(smallMatcher, { minLength: 1, maxLength: 3 }),
    tie('pattern'),
  ),
}));
const { event: smallEvent } = fc.letrec<{ event: Record<string, unknown>; value: unknown }>((tie) => ({
  event: fc.dictionary(smallKey, tie('value'), { maxKeys: 3 }),
  value: fc.oneof(
    { depthSize: 'small' },
    smallValue,
    fc.array(smallValue, { maxLength: 3 }),
    tie('event'),
    fc.array(tie('event'), { maxLength: 2 }),
  ),
}));

describe('properties', () => {
  it('an exact pattern built from an event matches that event', () => {
    fc.assert(
      fc.property(eventArb, (event) => {
        const pattern = exactPatternOf(event);
        fc.pre(pattern !== undefined && JSON.stringify(pattern).length <= 4096);
        expect(matchesPattern(pattern, event)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('an extra field the pattern does not name never changes a match', () => {
    fc.assert(
      fc.property(smallPattern, smallEvent, smallValue, (pattern, event, extra) => {
        const extended = { ...event, 'extra-field': extra, d: { nested: extra } };
        expect(matchesPattern(pattern, extended)).toBe(matchesPattern(pattern, event));
      }),
      { numRuns: 500 },
    );
  });

  it('anything-but of a value never matches that value, and matches any other value of its type', () => {
    const value = fc.oneof(fc.string(), fc.double({ min: -5e9, max: 5e9, noNaN: true }));
    fc.assert(
      fc.property(value, value, fc.integer({ min: 1, max: 3 }), (excluded, other, copies) => {
        const pattern = { f: [{ 'anything-but': excluded }] };
        expect(matchesPattern(pattern, { f: excluded })).toBe(false);
        expect(matchesPattern(pattern, { f: Array<unknown>(copies).fill(excluded) })).toBe(false);
        expect(matchesPattern({ f: [{ 'anything-but': [excluded] }] }, { f: excluded })).toBe(false);
        if (typeof other === typeof excluded) {
          expect(matchesPattern(pattern, { f: other })).toBe(other !== excluded);
        }
      }),
    );
  });

  it('numeric ranges agree with arithmetic', () => {
    const number = fc.oneof(
      fc.integer({ min: -20, max: 20 }),
      fc.double({ min: -5e9, max: 5e9, noNaN: true }),
    );
    const compare: Record<string, (a: number, b: number) => boolean> = {
      '>': (a, b) => a > b,
      '>=': (a, b) => a >= b,
      '<': (a, b) => a < b,
      '<=': (a, b) => a <= b,
      '=': (a, b) => a === b,
    };
    fc.assert(
      fc.property(
        number,
        number,
        number,
        fc.constantFrom('>', '>='),
        fc.constantFrom('<', '<='),
        fc.constantFrom('>', '>=', '<', '<=', '='),
        (a, b, x, lowOp, highOp, singleOp) => {
          const single = { n: [{ numeric: [singleOp, a] }] };
          expect(matchesPattern(single, { n: x })).toBe(compare[singleOp]?.(x, a));
          expect(matchesPattern(single, { n: String(x) })).toBe(false);
          fc.pre(a < b);
          const range = { n: [{ numeric: [lowOp, a, highOp, b] }] };
          const expected = Boolean(compare[lowOp]?.(x, a) && compare[highOp]?.(x, b));
          expect(matchesPattern(range, { n: x })).toBe(expected);
        },
      ),
    );
  });

  it('$or of [A, B] matches iff A or B matches, at top level and nested, ANDed with siblings', () => {
    fc.assert(
      fc.property(
        smallPattern,
        smallPattern,
        smallEvent,
        fc.array(smallMatcher, { minLength: 1, maxLength: 2 }),
        (a, b, event, sibling) => {
          expect(matchesPattern({ $or: [a, b] }, event)).toBe(
            matchesPattern(a, event) || matchesPattern(b, event),
          );
          const nestedEvent = { n: event };
          expect(matchesPattern({ n: { $or: [a, b] } }, nestedEvent)).toBe(
            matchesPattern({ n: a }, nestedEvent) || matchesPattern({ n: b }, nestedEvent),
          );
          // "z" is outside the branches' key space, so the sibling is ANDed with each branch.
          const withSibling = { ...event, z: 'x' };
          expect(matchesPattern({ z: sibling, $or: [a, b] }, withSibling)).toBe(
            matchesPattern({ z: sibling, ...a }, withSibling) ||
              matchesPattern({ z: sibling, ...b }, withSibling),
          );
        },
      ),
      { numRuns: 500 },
    );
  });

  it('wildcard agrees with an anchored regular expression', () => {
    const wildcard = fc
      .array(fc.constantFrom('a', 'b', '*'), { maxLength: 8 })
      .map((chars) => chars.join(''))
      .filter((text) => !text.includes('**'));
    const value = fc.array(fc.constantFrom('a', 'b'), { maxLength: 10 }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(wildcard, value, (operand, text) => {
        const regex = new RegExp(`^${operand.replaceAll('*', '.*')}$`);
        expect(matchesPattern({ f: [{ wildcard: operand }] }, { f: text })).toBe(regex.test(text));
      }),
      { numRuns: 1000 },
    );
  });

  it('prefix, suffix and equals-ignore-case agree with string operations on ASCII', () => {
    const text = fc
      .array(fc.constantFrom('a', 'B', 'c', 'A', 'b'), { maxLength: 6 })
      .map((chars) => chars.join(''));
    fc.assert(
      fc.property(text, text, (operand, value) => {
        const lower = (s: string) => s.toLowerCase();
        expect(matchesPattern({ f: [{ prefix: operand }] }, { f: value })).toBe(value.startsWith(operand));
        expect(matchesPattern({ f: [{ suffix: operand }] }, { f: value })).toBe(value.endsWith(operand));
        expect(matchesPattern({ f: [{ 'equals-ignore-case': operand }] }, { f: value })).toBe(
          lower(value) === lower(operand),
        );
        expect(matchesPattern({ f: [{ prefix: { 'equals-ignore-case': operand } }] }, { f: value })).toBe(
          lower(value).startsWith(lower(operand)),
        );
        expect(matchesPattern({ f: [{ suffix: { 'equals-ignore-case': operand } }] }, { f: value })).toBe(
          lower(value).endsWith(lower(operand)),
        );
      }),
      { numRuns: 500 },
    );
  });

  it('cidr agrees with masking arithmetic for IPv4', () => {
    const octets = fc.tuple(fc.nat(255), fc.nat(255), fc.nat(255), fc.nat(255));
    const toInt = (o: readonly number[]) => o.reduce((acc, part) => acc * 256 + part, 0);
    fc.assert(
      fc.property(octets, octets, fc.integer({ min: 0, max: 31 }), (network, address, mask) => {
        const size = 2 ** (32 - mask);
        const inBlock = Math.floor(toInt(network) / size) === Math.floor(toInt(address) / size);
        const pattern = { ip: [{ cidr: `${network.join('.')}/${mask}` }] };
        expect(matchesPattern(pattern, { ip: address.join('.') })).toBe(inBlock);
      }),
      { numRuns: 500 },
    );
  });

  it('never throws anything but InvalidEventPatternError, and a valid pattern matches any JSON event', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.jsonValue(), (pattern, event) => {
        let valid = true;
        try {
          validatePattern(pattern);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidEventPatternError);
          valid = false;
        }
        if (valid) expect(typeof matchesPattern(pattern, event)).toBe('boolean');
      }),
      { numRuns: 500 },
    );
    fc.assert(
      fc.property(smallPattern, fc.jsonValue(), (pattern, event) => {
        expect(typeof matchesPattern(pattern, event)).toBe('boolean');
      }),
    );
  });
});
