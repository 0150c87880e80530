// Leaving a consumer group while the member's JoinGroup still waits at the coordinator (lane-membership.ts): the
// join waits until every member rejoined or was expired, up to a killed member's session timeout. A broker answers
// the requests of one connection in order, and the library's leaveGroup() goes over the connection of the pending
// join, so it would wait as long. Sent over a connection of its own, the LeaveGroup removes the member at once; the
// coordinator then answers its pending JoinGroup with UNKNOWN_MEMBER_ID (Kafka's classic group coordinator, 3.x
// and 4.x alike), and the library's own LeaveGroup behind it gets UNKNOWN_MEMBER_ID too, which it takes as left.
import {
  type API,
  type BaseOptions,
  ConnectionPool,
  type Consumer,
  kGetApi,
  type leaveGroupV5,
} from '@platformatic/kafka';

type LeaveGroupApi = API<
  [groupId: string, members: leaveGroupV5.LeaveGroupRequestMember[]],
  leaveGroupV5.LeaveGroupResponse
>;

/**
 * Sends LeaveGroup for `memberId` of the consumer's group to the group's coordinator over a connection opened for
 * it (with `options`, the consumer's), at the LeaveGroup version the library's own leave uses. Rejects with the
 * library's error, or when the consumer does not know its coordinator (it found one before any join got a
 * member id).
 */
export async function leaveOverNewConnection(
  consumer: Consumer,
  memberId: string,
  options: BaseOptions,
  reason: string,
): Promise<void> {
  const coordinatorId = consumer.coordinatorId;
  const coordinator =
    coordinatorId === null ? undefined : consumer.currentMetadata?.brokers.get(coordinatorId);
  if (coordinator === undefined) throw new Error(`the coordinator of group ${consumer.groupId} is not known`);
  const connections = new ConnectionPool(`${options.clientId}-leave`, options);
  try {
    const [api, connection] = await Promise.all([leaveGroupApi(consumer), connections.get(coordinator)]);
    await api.async(connection, consumer.groupId, [{ memberId, groupInstanceId: null, reason }]);
  } finally {
    await connections.close().catch(() => undefined);
  }
}

function leaveGroupApi(consumer: Consumer): Promise<LeaveGroupApi> {
  return new Promise((resolve, reject) => {
    consumer[kGetApi]<[string, leaveGroupV5.LeaveGroupRequestMember[]], leaveGroupV5.LeaveGroupResponse>(
      'LeaveGroup',
      (error, api) => (error ? reject(error) : resolve(api as LeaveGroupApi)),
    );
  });
}
