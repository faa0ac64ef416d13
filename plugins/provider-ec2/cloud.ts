// The cloud operations the provider needs, each one retried as a whole by retry.ts (the only retry
// layer; the SDK itself makes one attempt). Every operation is safe to repeat: launches look for
// the instance by its tags before (re)launching, terminations and releases of unknown ids are
// retried for a while (NotFound right after a launch means "not yet known"), never assumed done.
import {
  DescribeInstancesCommand, ModifyInstanceMetadataOptionsCommand, RunInstancesCommand, TerminateInstancesCommand,
  type EC2Client, type Filter, type Instance as Ec2Instance, type RunInstancesCommandInput, type Tag,
} from '@aws-sdk/client-ec2';
import { ElasticIps } from './elastic-ips.ts';
import { errorCode, isNotFound, isRetryable, retry, type RetryOptions, type RetryPolicy } from './retry.ts';
import { ALIVE_STATES, belongsTo, clusterFilters, instanceTags, TAG, tagValue, type ClusterIdentity } from './tags.ts';

export interface CloudInstance {
  id: string;
  /** pending | running | shutting-down | terminated | stopping | stopped */
  state: string;
  tags: Tag[];
  /** Why the cloud stopped or terminated it, when it says. */
  stateReason?: string;
  privateIp?: string;
  publicIp?: string;
  launchTime?: Date;
}

export interface LaunchSpec {
  image: string;
  instanceType: string;
  userData: string;
  subnet?: string;
  keyPair?: string;
  securityGroupIds?: string[];
  spot?: boolean;
}

export interface RowRef { id: string; role: string }

function toCloudInstance(i: Ec2Instance): CloudInstance {
  return {
    id: i.InstanceId!,
    state: i.State?.Name ?? 'pending',
    tags: i.Tags ?? [],
    stateReason: i.StateReason?.Message ?? i.StateTransitionReason ?? undefined,
    privateIp: i.PrivateIpAddress || undefined,
    publicIp: i.PublicIpAddress || undefined,
    launchTime: i.LaunchTime,
  };
}

function describeError(operation: string, error: unknown): Error {
  const message = (error as Error)?.message ?? String(error);
  const wrapped = new Error(`${operation}: ${errorCode(error)}: ${message}`);
  (wrapped as Error & { cause?: unknown }).cause = error;
  return wrapped;
}

export class Ec2Cloud {
  /** The cluster's Elastic IPs (elastic-ips.ts), through the same retry layer. */
  readonly addresses: ElasticIps;

  constructor(
    private readonly client: EC2Client,
    readonly cluster: ClusterIdentity,
    private readonly policy: RetryPolicy,
    private readonly log: (line: string) => void,
  ) {
    this.addresses = new ElasticIps(client, cluster, policy, (operation, run, options) => this.call(operation, run, options));
  }

  /** One retried operation. */
  private async call<T>(operation: string, run: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
    try {
      return await retry(run, {
        policy: this.policy,
        onRetry: (error, n, delay) => this.log(`cluster ${this.cluster.name}: ${operation} failed (${errorCode(error)}), retry ${n} in ${delay} ms`),
        ...options,
      });
    } catch (error) {
      throw describeError(operation, error);
    }
  }

  private async describeRaw(filters: Filter[], instanceIds?: string[]): Promise<CloudInstance[]> {
    const found: CloudInstance[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.client.send(new DescribeInstancesCommand({
        ...(filters.length ? { Filters: filters } : {}), ...(instanceIds ? { InstanceIds: instanceIds } : {}), NextToken: nextToken,
      }));
      for (const reservation of page.Reservations ?? []) for (const i of reservation.Instances ?? []) if (i.InstanceId) found.push(toCloudInstance(i));
      nextToken = page.NextToken || undefined;
    } while (nextToken);
    return found;
  }

  /** Alive instances tagged as this row's (more than one only if a cloud ignored our ClientToken). */
  private async findRowRaw(rowId: string): Promise<CloudInstance[]> {
    const found = await this.describeRaw([
      ...clusterFilters(this.cluster),
      { Name: `tag:${TAG.instance}`, Values: [rowId] },
      { Name: 'instance-state-name', Values: ALIVE_STATES },
    ]);
    // Filters are a request, not a promise (some EC2-compatible clouds ignore some): check again.
    return found.filter((i) => belongsTo(i.tags, this.cluster) && tagValue(i.tags, TAG.instance) === rowId && ALIVE_STATES.includes(i.state))
      .sort((a, b) => (a.launchTime?.getTime() ?? 0) - (b.launchTime?.getTime() ?? 0) || a.id.localeCompare(b.id));
  }

  /** Every instance tagged as this cluster's, in any state the cloud still reports. */
  describeCluster(): Promise<CloudInstance[]> {
    return this.call('DescribeInstances', async () => (await this.describeRaw(clusterFilters(this.cluster))).filter((i) => belongsTo(i.tags, this.cluster)));
  }

  findRow(rowId: string): Promise<CloudInstance[]> {
    return this.call('DescribeInstances', () => this.findRowRaw(rowId));
  }

  /**
   * Adopts the row's instance if the cloud has one, launches it otherwise. Every attempt looks
   * first, so a launch whose answer was lost (or whose database write never happened because the
   * server died) is found by its tags instead of launched twice; the ClientToken (the row id)
   * covers a cloud whose describe lags behind its launches. `lookedFirst`: the caller has just
   * looked, so the first attempt goes straight to RunInstances.
   */
  launch(row: RowRef, spec: LaunchSpec, options: { lookedFirst?: boolean } = {}): Promise<{ instance: CloudInstance; adopted: boolean }> {
    return this.call('RunInstances', async (attempt) => {
      if (attempt > 0 || !options.lookedFirst) {
        const existing = await this.findRowRaw(row.id);
        if (existing.length) return { instance: existing[0]!, adopted: true };
      }
      if (attempt > 0) this.log(`cluster ${this.cluster.name}: no instance tagged ${row.id} yet, launching it again with the same ClientToken`);
      const input: RunInstancesCommandInput = {
        ClientToken: row.id,
        MinCount: 1,
        MaxCount: 1,
        ImageId: spec.image,
        InstanceType: spec.instanceType as RunInstancesCommandInput['InstanceType'],
        UserData: Buffer.from(spec.userData).toString('base64'),
        // IMDSv2 only, one hop: a token must be asked for with a PUT from the instance itself, so a
        // server-side request forgery or a container on the host cannot read the instance's role keys.
        MetadataOptions: { HttpEndpoint: 'enabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
        TagSpecifications: [{ ResourceType: 'instance', Tags: instanceTags(this.cluster, row) }],
        ...(spec.subnet ? { SubnetId: spec.subnet } : {}),
        ...(spec.keyPair ? { KeyName: spec.keyPair } : {}),
        ...(spec.securityGroupIds?.length ? { SecurityGroupIds: spec.securityGroupIds } : {}),
        ...(spec.spot ? { InstanceMarketOptions: { MarketType: 'spot', SpotOptions: { SpotInstanceType: 'one-time', InstanceInterruptionBehavior: 'terminate' } } } : {}),
      };
      const out = await this.client.send(new RunInstancesCommand(input));
      const launched = out.Instances?.[0];
      if (!launched?.InstanceId) throw new Error('RunInstances answered without an instance');
      return { instance: toCloudInstance(launched), adopted: false };
    });
  }

  /** The instance as the cloud reports it; undefined if it is still unknown at the deadline. */
  async waitUntilKnown(id: string, deadline: number): Promise<CloudInstance | undefined> {
    try {
      return await this.call('DescribeInstances', async () => {
        const [found] = await this.describeRaw([], [id]);
        if (!found) throw Object.assign(new Error(`instance ${id} is not known yet`), { name: 'InvalidInstanceID.NotFound' });
        return found;
      }, { retryable: (e) => isRetryable(e) || isNotFound(e), deadline, policy: { ...this.policy, attempts: 1_000 } });
    } catch (error) {
      if (isNotFound((error as { cause?: unknown }).cause)) return undefined;
      throw error;
    }
  }

  /**
   * Terminates instances — only ones carrying this cluster's tags, whatever the caller passes.
   * Unknown ids are retried until the deadline (they may be too new to be known); returns the ids
   * it asked the cloud to terminate.
   */
  async terminate(instances: CloudInstance[], deadline = Date.now() + 60_000): Promise<string[]> {
    const ours = instances.filter((i) => belongsTo(i.tags, this.cluster));
    for (const other of instances.filter((i) => !ours.includes(i))) {
      this.log(`cluster ${this.cluster.name}: not terminating ${other.id}: it does not carry this cluster's tags`);
    }
    const ids = ours.filter((i) => i.state !== 'terminated').map((i) => i.id);
    if (!ids.length) return [];
    await this.call('TerminateInstances', () => this.client.send(new TerminateInstancesCommand({ InstanceIds: ids })), {
      retryable: (e) => isRetryable(e) || isNotFound(e), deadline, policy: { ...this.policy, attempts: Math.max(this.policy.attempts, 20) },
    });
    return ids;
  }

  /**
   * Turns the instance metadata service off once the instance has booted (its user-data read it):
   * nothing on the instance — least of all an app — can then take the instance's role credentials.
   */
  async closeMetadata(instanceId: string): Promise<void> {
    await this.call('ModifyInstanceMetadataOptions', () => this.client.send(new ModifyInstanceMetadataOptionsCommand({
      // Every option named: some EC2-compatible clouds reset the ones a call leaves out.
      InstanceId: instanceId, HttpEndpoint: 'disabled', HttpTokens: 'required', HttpPutResponseHopLimit: 1,
    })));
  }
}
