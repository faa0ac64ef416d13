// The errors of log drains people can meet, each with what to do (pluginError: a stable code, a
// status, a message and a hint). Every URL in them is redacted (redact.ts) before it gets here.
import { pluginError } from '../../server/plugin-api.ts';

const PLUGIN = 'log-drains';
const SCHEMES = 'syslog://HOST:PORT (TCP), syslog+tls://HOST:PORT (TLS) or https://HOST/PATH';

export const unsupportedScheme = pluginError(PLUGIN, 'unsupported_scheme', {
  status: 400,
  message: (p) => `${p.url} is not a drain URL Scalarium can send to: ${p.reason}.`,
  hint: () => `Use ${SCHEMES}.`,
});

export const refusedAddress = pluginError(PLUGIN, 'refused_address', {
  status: 400,
  message: (p) => `Refused to drain to ${p.url}: ${p.reason}.`,
  hint: () => 'A drain must be a host on the internet (or one the operator allows with SCALARIUM_OUTBOUND_ALLOW), never this server itself.',
});

export const drainExists = pluginError(PLUGIN, 'drain_exists', {
  status: 409,
  message: (p) => `The ${p.owner} already drains to ${p.url}.`,
  hint: (p) => `\`scalarium drains ${p.flag}\` lists its drains.`,
});

export const tooManyDrains = pluginError(PLUGIN, 'too_many_drains', {
  status: 409,
  message: (p) => `The ${p.owner} has ${p.max} drains already, the most it may have.`,
  hint: (p) => `Remove one first: \`scalarium drains:remove TOKEN ${p.flag}\`.`,
});

export const drainNotFound = pluginError(PLUGIN, 'drain_not_found', {
  status: 404,
  message: (p) => `The ${p.owner} has no drain ${p.drain}.`,
  hint: (p) => `\`scalarium drains ${p.flag}\` lists its drains with their tokens.`,
});
