// The Elastic IPs of a cluster's routers (setting elasticIpForRouters): the cluster's public
// addresses, which outlive the router instances that hold them.
//
// An address is tagged like the row it is attached to (cluster, uid, role, scalarium:instance =
// the row id). When its row is given up because it failed (healing replaced it, the cloud
// terminated its instance, its boot failed) while the role still wants addresses, it is kept:
// disassociated and tagged free for the role (scalarium:free-for-role=router, the row tag removed),
// and the next row of the role adopts it before anything new is allocated — so the cluster's
// public address stays. Addresses are released when their row leaves because the role is scaled
// down or the cluster is destroyed, and whenever the cluster holds more than it wants (the sweep).
// Only addresses carrying this cluster's name *and* uid tags are ever looked at. This file makes
// the EC2 calls (it loads the AWS SDK: cloud.ts only); address-plan.ts decides which to keep.
import {
  AllocateAddressCommand, AssociateAddressCommand, CreateTagsCommand, DeleteTagsCommand, DescribeAddressesCommand,
  DisassociateAddressCommand, ReleaseAddressCommand, type Address, type EC2Client,
} from '@aws-sdk/client-ec2';
import { addressName, type ClusterAddress } from './address-plan.ts';
import { errorCode, isNotFound, isRetryable, type RetryOptions, type RetryPolicy } from './retry.ts';
import { belongsTo, clusterFilters, instanceTags, TAG, tagValue, type ClusterIdentity } from './tags.ts';

export interface AddressRow { id: string; role: string }

type Call = <T>(operation: string, run: (attempt: number) => Promise<T>, options?: RetryOptions) => Promise<T>;

function toClusterAddress(a: Address): ClusterAddress {
  return {
    allocationId: a.AllocationId || undefined,
    publicIp: a.PublicIp || undefined,
    associationId: a.AssociationId || undefined,
    instanceId: a.InstanceId || undefined,
    role: tagValue(a.Tags, TAG.role),
    row: tagValue(a.Tags, TAG.instance) || undefined,
    freeFor: tagValue(a.Tags, TAG.freeForRole) || undefined,
  };
}

export class ElasticIps {
  constructor(
    private readonly client: EC2Client,
    private readonly cluster: ClusterIdentity,
    private readonly policy: RetryPolicy,
    private readonly call: Call,
  ) {}

  private async listRaw(): Promise<ClusterAddress[]> {
    const out = await this.client.send(new DescribeAddressesCommand({ Filters: clusterFilters(this.cluster) }));
    // Filters are a request, not a promise (some EC2-compatible clouds ignore some): check again.
    return (out.Addresses ?? []).filter((a) => belongsTo(a.Tags, this.cluster)).map(toClusterAddress);
  }

  /** Every address tagged as this cluster's. */
  list(): Promise<ClusterAddress[]> {
    return this.call('DescribeAddresses', () => this.listRaw());
  }

  /**
   * The row's address, not yet associated: its own (found again by its tags), else one kept free
   * for its role (adopted: re-tagged as the row's), else a new allocation.
   */
  claim(row: AddressRow): Promise<{ address: ClusterAddress; how: 'own' | 'adopted' | 'allocated' }> {
    return this.call('AllocateAddress', async () => {
      const all = await this.listRaw();
      const own = all.find((a) => a.row === row.id);
      if (own) {
        // An adoption whose second step was lost: finish it.
        if (own.freeFor && own.allocationId) await this.untag(own.allocationId, TAG.freeForRole);
        return { address: own, how: 'own' };
      }
      const free = all.find((a) => !a.row && a.freeFor === row.role && a.allocationId);
      if (free) {
        // The row's tags first, then the free tag off: at no moment is it neither the row's nor free.
        await this.client.send(new CreateTagsCommand({ Resources: [free.allocationId!], Tags: instanceTags(this.cluster, row) }));
        await this.untag(free.allocationId!, TAG.freeForRole);
        return { address: { ...free, row: row.id, freeFor: undefined }, how: 'adopted' };
      }
      const out = await this.client.send(new AllocateAddressCommand({
        Domain: 'vpc', TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: instanceTags(this.cluster, row) }],
      }));
      return { address: { allocationId: out.AllocationId, publicIp: out.PublicIp, role: row.role, row: row.id }, how: 'allocated' };
    });
  }

  /** Associates the address with the instance, retried until the instance can take it or the deadline. */
  async associate(address: ClusterAddress, instanceId: string, deadline: number): Promise<void> {
    if (address.instanceId === instanceId) return;
    await this.call('AssociateAddress', () => this.client.send(new AssociateAddressCommand({
      InstanceId: instanceId,
      // Ours by its tags: taken from whatever instance still holds it (one of ours that is going).
      ...(address.allocationId ? { AllocationId: address.allocationId, AllowReassociation: true } : { PublicIp: address.publicIp }),
    })), {
      // The instance must be running (and known) before an address can be associated with it.
      retryable: (e) => isRetryable(e) || isNotFound(e) || errorCode(e) === 'IncorrectInstanceState', deadline,
      policy: { ...this.policy, attempts: 1_000 },
    });
  }

  /** Kept for the role: disassociated, tagged free for it, its row tag removed (in that order). */
  async makeFree(address: ClusterAddress, role: string): Promise<void> {
    const id = address.allocationId;
    if (!id) throw new Error(`Elastic IP ${addressName(address)} has no allocation id: it cannot be tagged free`);
    await this.disassociate(address);
    await this.call('CreateTags', () => this.client.send(new CreateTagsCommand({
      Resources: [id], Tags: [{ Key: TAG.freeForRole, Value: role }, { Key: 'Name', Value: `${this.cluster.name}-${role}-free` }],
    })));
    if (address.row) await this.call('DeleteTags', () => this.untag(id, TAG.instance));
  }

  /** Disassociated and released. */
  async release(address: ClusterAddress): Promise<void> {
    await this.disassociate(address);
    const id = address.allocationId ? { AllocationId: address.allocationId } : { PublicIp: address.publicIp };
    await this.call('ReleaseAddress', () => this.client.send(new ReleaseAddressCommand(id)).catch((e) => { if (!isNotFound(e)) throw e; }));
  }

  /** Releases the row's addresses; returns their public IPs. */
  async releaseRow(rowId: string): Promise<string[]> {
    return this.releaseEach((await this.list()).filter((a) => a.row === rowId));
  }

  /** Releases every address of the cluster (it is destroyed); returns their public IPs. */
  async releaseAll(): Promise<string[]> {
    return this.releaseEach(await this.list());
  }

  private async releaseEach(addresses: ClusterAddress[]): Promise<string[]> {
    for (const address of addresses) await this.release(address);
    return addresses.map(addressName);
  }

  private async disassociate(address: ClusterAddress): Promise<void> {
    if (!address.associationId) return;
    await this.call('DisassociateAddress', () => this.client.send(new DisassociateAddressCommand({ AssociationId: address.associationId }))
      .catch((e) => { if (!isNotFound(e)) throw e; }));
  }

  private async untag(id: string, key: string): Promise<void> {
    await this.client.send(new DeleteTagsCommand({ Resources: [id], Tags: [{ Key: key }] }));
  }
}
