/**
 * Signed, multi-vendor call traffic with ground truth: plan calls from a seed, create the connections,
 * play the calls at callhooks as the vendors would, and check what the read API shows afterwards.
 */
export { checkAnswer } from './answers';
export { type Authenticator, authenticatorFor, messageBirdToken, urlOf } from './auth';
export { type Connection, type Connections, createConnection, createConnections } from './connections';
export { ApiError, type SignedRequest, type Transport } from './http';
export { isAcked, type Ledger, type LedgerEntry, tally, tallyByVendor } from './ledger';
export type {
  AsyncWebhook,
  CallPlan,
  ExpectedAnswer,
  ExpectedCall,
  ExpectedLeg,
  LiveReply,
  LiveScript,
  LiveStep,
  WireRequest,
} from './plan';
export { type PlanOptions, planCalls } from './planner';
export type { Seed } from './random';
export {
  type Delivery,
  type Progress,
  type RunCall,
  type RunOptions,
  type RunResult,
  runTraffic,
} from './run';
export type { VendorSecrets } from './vendor';
export { vendorTraffic } from './vendors';
export {
  type CallVerdict,
  compareCall,
  type ObservedCall,
  type VerifiableCall,
  type Verification,
  type VerifyOptions,
  verifyCalls,
} from './verify';
