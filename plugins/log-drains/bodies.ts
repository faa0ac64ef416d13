// POST /api/apps/:app/drains and /api/clusters/:cluster/drains: { "url": "syslog+tls://…", "format": "json" }.
// The URL's scheme, host and parts are checked by parseDrainUrl (drain-url.ts), its address by vet.ts.
import { z } from 'zod';
import { OBJECT_BODY } from '../../server/plugin-api.ts';

const URL_TEXT = 'url must be the drain URL, e.g. syslog+tls://logs.example.org:6514 or https://logs.example.org/drain';
const FORMAT = 'format must be logplex or json (https drains), or rfc5424 (syslog drains)';

export const drainBody = z.object({
  url: z.string({ error: URL_TEXT }).trim().min(1, { error: URL_TEXT }),
  format: z.enum(['logplex', 'json', 'rfc5424'], { error: FORMAT }).optional(),
}, OBJECT_BODY);
