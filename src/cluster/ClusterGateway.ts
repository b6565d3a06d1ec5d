import { tokenDigest } from '../access/ParticipantTokens';
import type { Offer } from '../conference/Participant';
import type { SignalingLink } from '../conference/ports';
import { logger } from '../shared/logger';
import { LEASE_RENEW_MS } from './RoomLeases';
import type { Cluster } from './Cluster';
import type { NodeInfo } from './NodeDirectory';
import type { ParticipantEntry } from './ParticipantDirectory';

const view = ({ startedAt: _startedAt, ...node }: NodeInfo) => node;

/**
 * The cluster as the API sees it (src/api/cluster/gateway.ts's ClusterGateway, matched by shape
 * so this layer needs nothing of the API's).
 */
export function clusterGateway(cluster: Cluster) {
  return {
    nodeId: cluster.nodeId,
    get internalSecret() {
      return cluster.internalSecret;
    },
    self: () => view(cluster.nodes.self()),
    nodes: async () => (await cluster.nodes.list()).map(view),
    node: async (id: string) => {
      const node = await cluster.nodes.get(id);
      return node ? view(node) : undefined;
    },
    // Just after Redis came back, the holders have not taken their leases back yet: wait for that.
    holderOf: async (roomId: string) => {
      await cluster.redis.settled(LEASE_RENEW_MS * 2);
      return cluster.leases.owner(roomId);
    },
    placement: async () => view(await cluster.nodes.leastLoaded()),
    onReconnect: (listener: () => void) => cluster.onReconnect(listener),
    claim: (roomId: string) => cluster.leases.claim(roomId),
    participant: (participantId: string) => cluster.participants.get(participantId),
    participantByToken: (token: string) => cluster.participants.byTokenDigest(tokenDigest(token)),
    participantJoined: (participant: ParticipantEntry, digest: string) =>
      cluster.participants.add(participant, digest),
    participantLeft: (participantId: string) =>
      void cluster.participants
        .remove(participantId)
        .catch((error: unknown) =>
          logger.debug({ err: error, participantId }, 'participant entry left in Redis (it expires)'),
        ),
    relayOffers: (
      holder: string,
      participantId: string,
      token: string,
      link: SignalingLink,
    ): Promise<AsyncIterableIterator<Offer>> => cluster.relay.offers(holder, participantId, token, link),
    origins: () => cluster.nodes.knownUrls(),
    reportSubscriptions: (roomId: string, count: number) => cluster.subscriptions.report(roomId, count),
    subscriptionsElsewhere: (roomId: string) => cluster.subscriptions.elsewhere(roomId),
    announceEnded: (notice: object) =>
      void cluster.redis.publish(cluster.redis.key('ended'), JSON.stringify(notice)),
    onEnded: async <T>(listener: (notice: T) => void) => {
      await cluster.redis.subscribe(cluster.redis.key('ended'), (raw) => listener(JSON.parse(raw) as T));
    },
  };
}
