import { App } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import { CONFIG_CONTEXT_KEY, cdkJsonConfig, loadStackConfig, parseStackConfig } from '../../infra/config';
import { cdkJsonContext } from './synth';

const valid = { historyTtlDays: 90, logRetentionDays: 30, archiveRetentionDays: 30, removalPolicy: 'retain' };

describe('stack configuration', () => {
  it("accepts the repository's cdk.json", () => {
    // Prepare
    const app = new App({ context: cdkJsonContext() });

    // Act
    const config = loadStackConfig(app);

    // Assess
    expect(config).toMatchObject({ removalPolicy: expect.stringMatching(/^(retain|destroy)$/) });
  });

  it('accepts the context given as JSON text on the command line', () => {
    // Prepare
    const app = new App({
      context: { [CONFIG_CONTEXT_KEY]: JSON.stringify({ ...valid, removalPolicy: 'destroy' }) },
    });

    // Act + Assess
    expect(loadStackConfig(app).removalPolicy).toBe('destroy');
  });

  it.each([
    ['an unknown removal policy', { ...valid, removalPolicy: 'delete' }, /removalPolicy/],
    ['a retention CloudWatch Logs does not offer', { ...valid, logRetentionDays: 31 }, /logRetentionDays/],
    ['a misspelt key', { ...valid, historyTTLDays: 30 }, /historyTTLDays/],
    [
      'two alarm topics',
      { ...valid, alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops', alarmTopicName: 'x' },
      /alarmTopicName/,
    ],
    [
      'a public base URL that is not https',
      { ...valid, publicBaseUrl: 'http://hooks.example.com' },
      /publicBaseUrl/,
    ],
    [
      'an archive kept as long as erased sessions keep their tombstone',
      { ...valid, archiveRetentionDays: 400, sessionRetentionDays: 400 },
      /must be shorter than sessionRetentionDays[\s\S]*at archiveRetentionDays/,
    ],
    [
      'a decider that is not a Lambda function',
      { ...valid, deciderFunctionArns: ['arn:aws:sns:eu-west-1:123456789012:topic'] },
      /deciderFunctionArns/,
    ],
  ])('rejects %s, naming the field', (_case, raw, field) => {
    // Act + Assess
    expect(() => parseStackConfig(raw)).toThrow(field);
  });

  it('takes the default for every setting a partial context leaves out', () => {
    // Prepare: what `-c callhooks='{"removalPolicy":"destroy"}'` gives.
    const app = new App({ context: { [CONFIG_CONTEXT_KEY]: JSON.stringify({ removalPolicy: 'destroy' }) } });

    // Act
    const config = loadStackConfig(app);

    // Assess
    expect(config).toMatchObject({
      removalPolicy: 'destroy',
      historyTtlDays: 90,
      sessionRetentionDays: 400,
      rawRequestRetentionDays: 30,
      archiveRetentionDays: 30,
      logRetentionDays: 30,
    });
  });

  it('merges a partial context from the command line over cdk.json, nested objects key by key', () => {
    // Prepare: cdk.json as a team might have changed it, and `-c callhooks='{…}'` naming two settings.
    const cdkJson = {
      alarmEmail: 'ops@example.com',
      sweepIntervalMinutes: 10,
      analytics: { hashPhoneNumbers: false, exportRetentionDays: 60 },
    };
    const app = new App({
      context: {
        [CONFIG_CONTEXT_KEY]: JSON.stringify({
          removalPolicy: 'destroy',
          analytics: { exportSchedule: 'rate(6 hours)' },
        }),
      },
    });

    // Act
    const config = loadStackConfig(app, cdkJson);

    // Assess
    expect(config).toMatchObject({
      removalPolicy: 'destroy',
      alarmEmail: 'ops@example.com',
      sweepIntervalMinutes: 10,
      historyTtlDays: 90,
      analytics: {
        exportSchedule: 'rate(6 hours)',
        hashPhoneNumbers: false,
        exportRetentionDays: 60,
        rawExportRetentionDays: 3,
      },
    });
  });

  it("reads the repository's cdk.json as the base a command-line context merges over", () => {
    // Act
    const base = cdkJsonConfig();

    // Assess
    expect(base).toEqual(cdkJsonContext()[CONFIG_CONTEXT_KEY]);
  });

  it('still names a wrong setting given on the command line', () => {
    // Prepare
    const app = new App({ context: { [CONFIG_CONTEXT_KEY]: '{"sweepIntervalMinutes": 0}' } });

    // Act + Assess
    expect(() => loadStackConfig(app, { removalPolicy: 'retain' })).toThrow(/sweepIntervalMinutes/);
  });

  it('fails with a clear message when the context is missing', () => {
    // Act + Assess
    expect(() => loadStackConfig(new App())).toThrow(/Missing "callhooks" context/);
  });
});
