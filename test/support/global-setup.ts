/**
 * Starts one DynamoDB Local (in memory) for the whole test run; tests that need DynamoDB get its endpoint
 * with inject('dynamoEndpoint') and keep out of each other's way with their own connections and tables.
 */
import type { TestProject } from 'vitest/node';
import { type LocalDynamo, startDynamo } from '../../local/dynamodb';

declare module 'vitest' {
  export interface ProvidedContext {
    dynamoEndpoint: string;
  }
}

let dynamo: LocalDynamo | undefined;

export async function setup(project: TestProject) {
  dynamo = await startDynamo({});
  project.provide('dynamoEndpoint', dynamo.endpoint);
}

export async function teardown() {
  await dynamo?.stop();
}
