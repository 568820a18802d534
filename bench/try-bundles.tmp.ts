import { lambdaFunctions } from '../infra/lambda-defaults';
import { measureBundles } from './bundles';

const r = await measureBundles(lambdaFunctions(), Number(process.argv[2] ?? 9));
for (const x of r)
  console.log(
    x.name.padEnd(24),
    String(x.bytes).padStart(8),
    x.initMs.toFixed(1).padStart(7),
    x.floorInitMs.toFixed(1).padStart(7),
    x.initRatio.toFixed(2),
    x.extraClients.join(','),
  );
