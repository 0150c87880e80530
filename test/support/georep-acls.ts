// The ACLs georep's principal needs, as data: test/integration/acls.test.ts grants exactly these (and nothing
// more) to a deny-by-default cluster, and docs/acls.md shows them as a table that test/unit/docs-acls.test.ts
// keeps equal to this list. Change one, and the other must follow.
//
// Operations that Kafka implies are not listed again: Read and Write imply Describe, AlterConfigs implies
// DescribeConfigs. DescribeConfigs is still listed beside AlterConfigs, because a cluster that does not let
// georep follow config changes still needs it (see its reason).

export type AclSide = 'origin' | 'destination';
export type AclDelivery = 'at-least-once' | 'exactly-once';
export type AclResourceType = 'Topic' | 'Group' | 'TransactionalId';
export type AclOperationName = 'Read' | 'Write' | 'Create' | 'DescribeConfigs' | 'AlterConfigs';

/** Which resources an ACL names, resolved by whoever grants it. */
export type AclResource =
  /** Each mirrored origin topic (literal names, or a prefix covering them). */
  | 'mirrored topics'
  /** Each destination topic georep writes (literal names, or a prefix covering them). */
  | 'destination topics'
  /** Every name starting with `<groupIdPrefix>.` (PREFIXED): flow groups, exactly-once ids. */
  | '<groupIdPrefix>.';

export interface GeorepAcl {
  readonly side: AclSide;
  /** The deliveries that need it: both, or exactly-once only. */
  readonly deliveries: readonly AclDelivery[];
  readonly resourceType: AclResourceType;
  readonly resource: AclResource;
  readonly operations: readonly AclOperationName[];
  readonly why: string;
}

const BOTH: readonly AclDelivery[] = ['at-least-once', 'exactly-once'];
const EXACTLY_ONCE: readonly AclDelivery[] = ['exactly-once'];

export const GEOREP_ACLS: readonly GeorepAcl[] = [
  {
    side: 'origin',
    deliveries: BOTH,
    resourceType: 'Topic',
    resource: 'mirrored topics',
    operations: ['Read', 'DescribeConfigs'],
    why: 'fetch records and offsets; read the configs the destination topic copies',
  },
  {
    side: 'origin',
    deliveries: BOTH,
    resourceType: 'Group',
    resource: '<groupIdPrefix>.',
    operations: ['Read'],
    why:
      "each lane's consumer group: join it, store and read progress; a flow's group from before lanes: read its " +
      'progress; its lineage group `<flow group>.lineage`',
  },
  {
    side: 'destination',
    deliveries: BOTH,
    resourceType: 'Topic',
    resource: 'destination topics',
    operations: ['Create', 'Write', 'DescribeConfigs', 'AlterConfigs'],
    why:
      'create the topic before the first record, write records; compare configs at every start ' +
      '(without DescribeConfigs only the first start works) and follow config changes',
  },
  {
    side: 'destination',
    deliveries: BOTH,
    resourceType: 'Topic',
    resource: 'destination topics',
    operations: ['Read'],
    why:
      "the flow's topic lineage (docs/recreated-topics.md) and exactly-once progress are committed as offsets " +
      'of the destination topic',
  },
  {
    side: 'destination',
    deliveries: BOTH,
    resourceType: 'Group',
    resource: '<groupIdPrefix>.',
    operations: ['Read'],
    why:
      'the lineage group `<flow group>.lineage`: store and read it at start; exactly-once: the progress group ' +
      '`<lane group>.eos`, committed in the transaction, read at start (and `<flow group>.eos` from before lanes)',
  },
  {
    side: 'destination',
    deliveries: EXACTLY_ONCE,
    resourceType: 'TransactionalId',
    resource: '<groupIdPrefix>.',
    operations: ['Write'],
    why: 'transactional ids `<flow group>.eos.<partition>`: one transaction per destination partition',
  },
];

/** The ACLs a replication with this delivery needs on one side. */
export function aclsFor(side: AclSide, delivery: AclDelivery): GeorepAcl[] {
  return GEOREP_ACLS.filter((acl) => acl.side === side && acl.deliveries.includes(delivery));
}

/** The table of docs/acls.md, as markdown rows (header included). */
export function aclTableMarkdown(): string {
  const rows = GEOREP_ACLS.map((acl) =>
    [
      acl.side,
      acl.deliveries.length === 2 ? 'both' : acl.deliveries.join(', '),
      acl.resourceType,
      acl.resource === '<groupIdPrefix>.' ? '`<groupIdPrefix>.` (prefixed)' : acl.resource,
      acl.operations.join(', '),
      acl.why,
    ].join(' | '),
  );
  return [
    '| side | delivery | resource type | resource | operations | why |',
    '|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row} |`),
  ].join('\n');
}
