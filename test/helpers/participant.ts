import type { Client } from 'graphql-ws';
import type { GraphQLEndpoint } from './server';
import { TestPeer, type TestPeerOptions } from './weriftPeer';

const JOIN = `mutation ($input: JoinInput!) { join(input: $input) { answer token participant { id name streams { id } } } }`;
const ANSWER = `mutation ($input: AnswerInput!) { answer(input: $input) }`;

/**
 * A participant as a third-party client would write it: a real WebRTC peer (werift) signalling
 * through the public GraphQL API only (join, the negotiation subscription, answer, leave).
 */
export class TestParticipant {
  readonly offers: number[] = [];
  readonly errors: unknown[] = [];
  #chain: Promise<void> = Promise.resolve();
  #unsubscribe: () => void = () => undefined;
  #ws: Client | undefined;

  private constructor(
    readonly server: GraphQLEndpoint,
    readonly peer: TestPeer,
    readonly id: string,
    readonly name: string,
    readonly token: string,
  ) {}

  static async join(
    server: GraphQLEndpoint,
    roomId: string,
    name: string,
    options?: TestPeerOptions & { /** A join token (secured servers). */ joinToken?: string },
  ): Promise<TestParticipant> {
    const peer = new TestPeer(options);
    const offer = await peer.createOffer();
    const response = await server.gql<{
      join: { answer: string; token: string; participant: { id: string } };
    }>(
      JOIN,
      { input: { roomId, name, offer } },
      options?.joinToken ? { authorization: `Bearer ${options.joinToken}` } : undefined,
    );
    if (!response.data?.join) {
      await peer.close();
      throw Object.assign(new Error(`join failed: ${JSON.stringify(response.errors)}`), {
        errors: response.errors,
      });
    }
    const { answer, token, participant } = response.data.join;
    await peer.acceptAnswer(answer);
    const joined = new TestParticipant(server, peer, participant.id, name, token);
    joined.subscribe();
    return joined;
  }

  get auth(): Record<string, string> {
    return { authorization: `Bearer ${this.token}` };
  }

  /** Opens the negotiation subscription and answers every server offer, one at a time. */
  subscribe(): void {
    this.#ws = this.server.ws(this.auth);
    this.#unsubscribe = this.#ws.subscribe<{ negotiation: { revision: number; sdp: string } }>(
      {
        query: `subscription ($id: ID!) { negotiation(participantId: $id) { revision sdp } }`,
        variables: { id: this.id },
      },
      {
        next: (value) => {
          const offer = value.data?.negotiation;
          if (!offer) {
            this.errors.push(value.errors);
            return;
          }
          this.#chain = this.#chain
            .then(() => this.#answer(offer.revision, offer.sdp))
            .catch((error) => {
              this.errors.push(error);
            });
        },
        error: (error) => this.errors.push(error),
        complete: () => undefined,
      },
    );
  }

  /** Closes its graphql-ws connection, as a network drop would (`subscribe()` again to resume). */
  async dropSignaling(): Promise<void> {
    this.#unsubscribe();
    const ws = this.#ws;
    this.#ws = undefined;
    await ws?.dispose();
  }

  /** Drops the negotiation subscription (the socket stays). */
  unsubscribe(): void {
    this.#unsubscribe();
  }

  async #answer(revision: number, sdp: string): Promise<void> {
    const answer = await this.peer.acceptOffer(sdp);
    const response = await this.server.gql(
      ANSWER,
      { input: { participantId: this.id, revision, sdp: answer } },
      this.auth,
    );
    if (response.errors)
      throw Object.assign(new Error(`answer ${revision} failed`), { errors: response.errors });
    this.offers.push(revision);
  }

  /** Resolves once every offer received so far is answered. */
  settled(): Promise<void> {
    return this.#chain;
  }

  async leave(): Promise<void> {
    const response = await this.server.gql(
      `mutation ($id: ID!) { leave(participantId: $id) }`,
      { id: this.id },
      this.auth,
    );
    if (response.errors) throw new Error(`leave failed: ${JSON.stringify(response.errors)}`);
    await this.close();
  }

  async close(): Promise<void> {
    this.#unsubscribe();
    await this.#ws?.dispose();
    await this.peer.close();
  }

  /** Waits until this participant receives audio and video RTP from every one of `others`. */
  async waitForMediaFrom(others: TestParticipant[], timeoutMs = 10_000): Promise<void> {
    await this.peer.waitFor(
      () =>
        others.every((other) => {
          const counts = this.peer.received(other.peer.streamId);
          return counts.audio > 5 && counts.video > 2;
        }),
      timeoutMs,
      `${this.name} receiving audio and video from ${others.map((other) => other.name).join(', ')}`,
    );
  }
}
