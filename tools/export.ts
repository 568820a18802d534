/**
 * `npm run export`: writes an export of the local calls table — the running `npm start`'s — in DynamoDB's
 * own export layout under .local/exports/, curated as the AWS deployment curates its exports: only the
 * exported attributes, and phone numbers as keyed hashes unless --keep-numbers.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/dynamodb';
import { LOCAL_DATA_DIR, runningRuntime } from '../local/runtime-file';
import { localHashKey } from './analytics/hash-key';
import { exportLocalTable } from './analytics/local-export';
import { CommandError, commandLine, main } from './cli';

const USAGE = `usage: npm run export [-- --keep-numbers | --raw] [--endpoint URL --table NAME] [--dir DIR]

  (no flags)       export the running npm start's calls table, phone numbers hashed
  --keep-numbers   keep phone numbers as they are (a deployment with hashPhoneNumbers: false)
  --raw            every attribute of every item, as DynamoDB's own export writes them (no curation)
  --endpoint, --table   another DynamoDB (Local) and table than the running npm start's
  --dir            where exports go (default .local/exports)`;

main('export', USAGE, async () => {
  const { values } = commandLine({
    options: {
      'keep-numbers': { type: 'boolean' },
      raw: { type: 'boolean' },
      endpoint: { type: 'string' },
      table: { type: 'string' },
      dir: { type: 'string' },
    },
    allowPositionals: false,
  });
  const discovery = runningRuntime();
  const endpoint = values.endpoint ?? discovery?.dynamodbEndpoint;
  const tableName = values.table ?? discovery?.tables.calls;
  if (!endpoint || !tableName) {
    throw new CommandError(
      'callhooks is not running here: start it with `npm start` (or give --endpoint and --table)',
    );
  }
  const dir = values.dir ?? `${LOCAL_DATA_DIR}/exports`;
  const hashKey =
    values['keep-numbers'] || values.raw
      ? undefined
      : localHashKey(`${LOCAL_DATA_DIR}/analytics/number-hash-key`, process.env.CALLHOOKS_NUMBER_HASH_KEY);
  const client = new DynamoDBClient({ endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS });
  try {
    const exported = await exportLocalTable({ client, tableName, dir, hashKey, raw: values.raw === true });
    const numbers = values.raw ? 'raw items' : hashKey ? 'phone numbers hashed' : 'phone numbers kept';
    console.log(
      `export ${exported.exportId}: ${exported.summary.itemCount} items of ${tableName} (${numbers})`,
    );
    console.log(`  ${exported.root}`);
    console.log('query it: npm run analytics -- --list');
    return 0;
  } finally {
    client.destroy();
  }
});
