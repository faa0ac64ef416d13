// Makes the EC2 client for a cluster: its region, an endpoint for EC2-compatible private clouds
// (Eucalyptus, OpenStack's EC2 API), and credentials stored with the cluster or, when there are
// none, the standard AWS chain (environment, shared config and credentials files, SSO, instance
// or container roles). The SDK's own retries are off: retry.ts is the one retry layer.
import { EC2Client } from '@aws-sdk/client-ec2';
import type { Ec2Settings } from './settings.ts';

/**
 * The SDK warns once per process that its versions from 2027 on need Node 22. That is noise in the
 * server log (and in test output) on the Node 20 this project supports; the operator can still
 * opt in by setting the variable to anything else.
 */
function quietSdkVersionWarning(): void {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
}

export function endpointUrl(endpoint: string): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`cluster endpoint "${endpoint}" is not a URL (expected e.g. https://ec2.my-cloud.example:8773)`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error(`cluster endpoint "${endpoint}" must be http(s)`);
  if (url.username || url.password) throw new Error('cluster endpoint must not carry credentials: store them as cluster credentials');
  return url.href.replace(/\/$/, '');
}

export interface ClientOptions {
  /** Per-request socket timeout (default 30 s): a hung request becomes a retryable network error. */
  requestTimeoutMs?: number;
}

export function createEc2Client(settings: Pick<Ec2Settings, 'region' | 'endpoint' | 'credentials'>, options: ClientOptions = {}): EC2Client {
  quietSdkVersionWarning();
  const credentials = settings.credentials;
  if (credentials && (!credentials.accessKeyId || !credentials.secretAccessKey)) {
    throw new Error('cluster credentials need both accessKeyId and secretAccessKey');
  }
  return new EC2Client({
    ...(settings.region ? { region: settings.region } : {}),
    ...(settings.endpoint ? { endpoint: endpointUrl(settings.endpoint) } : {}),
    ...(credentials ? { credentials: { accessKeyId: credentials.accessKeyId, secretAccessKey: credentials.secretAccessKey, ...(credentials.sessionToken ? { sessionToken: credentials.sessionToken } : {}) } } : {}),
    maxAttempts: 1,
    requestHandler: { requestTimeout: options.requestTimeoutMs ?? 30_000, connectionTimeout: 5_000 },
  });
}
