import { defineVendor } from '../meta';
import { huaweiOdfsRenderRules } from './render-rules';

/**
 * Huawei CEC ODFS dialog interface: we play the ODFS, the Huawei IVR calls us once per dialog turn. The IVR
 * is given one base URL and appends Huawei's own paths to it: the token endpoint and the dialog endpoint
 * (V1, and V2 with the vdnId gray-routing segment, which runs the same logic).
 */
export const huaweiOdfsMeta = defineVendor({
  id: 'huawei-odfs',
  displayName: 'Huawei CEC ODFS dialog interface',
  routes: [
    { name: 'gettoken', methods: ['POST'], path: '/oifde/rest/api/gettoken', answersCall: false },
    { name: 'process', methods: ['POST'], path: '/oifde/rest/crs/process', answersCall: true },
    { name: 'processV2', methods: ['POST'], path: '/oifde/rest/v2/crs/process/{vdnId}', answersCall: true },
  ],
  webhookUrls: { odfsBase: '' },
  timeoutSeconds: 6,
  answerDeadlineMs: 2000,
  // A call is answered from its first dialog turn (inaction 8). Before that (only a recording start) the
  // IVR asks again within seconds: half an hour without a word, the call is over. After it, a call handed
  // to an agent is silent until the caller hangs up: four hours, as for any answered call.
  staleAfterMinutes: { unanswered: 30, answered: 240 },
  renderRules: huaweiOdfsRenderRules,
});
