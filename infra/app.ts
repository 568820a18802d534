/**
 * The CDK app (cdk.json runs it with tsx): one callhooks stack, configured from the `callhooks` context and
 * checked by cdk-nag's AWS Solutions rules, which fail synth on any error not acknowledged with a reason.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { loadStackConfig } from './config';
import { CallhooksStack, STACK_ID } from './stack';

const app = new App();
new CallhooksStack(app, STACK_ID, {
  config: loadStackConfig(app),
  description: 'callhooks: telephony vendor webhooks to canonical call events and call state',
});
// cdk-nag 3 is a policy-validation plugin, not an Aspect: violations fail synth and land in the
// cloud assembly's policy-validation-report.json.
Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
