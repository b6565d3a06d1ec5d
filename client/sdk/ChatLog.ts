/**
 * The chat messages a client may read, oldest first: the room's history (`Room.messages`, read at
 * join and again after a dropped socket) and live MESSAGE events, each message id once (history
 * pages, replayed events and sendMessage's answer overlap). It knows nothing of sockets.
 */
import type { RoomMessagesQuery } from './generated/graphql';
import type { Emit } from './RoomState';
import type { ChatMessage } from './types';

export type MessagePage = RoomMessagesQuery['room']['messages'];

export class ChatLog {
  readonly #messages: ChatMessage[] = [];
  readonly #ids = new Set<string>();

  /** `readPage`: a page of the room's history after a cursor; `closed`: stop reading. */
  constructor(
    private readonly emit: Emit,
    private readonly readPage: (after: string | null) => Promise<MessagePage>,
    private readonly closed: () => boolean,
  ) {}

  get messages(): readonly ChatMessage[] {
    return this.#messages;
  }

  /** A message, once per id: says `message` the first time. */
  add(message: ChatMessage): void {
    if (this.#ids.has(message.id)) return;
    this.#ids.add(message.id);
    this.#messages.push(message);
    this.emit('message', message);
  }

  /** Reads the history (the server leaves out others' private messages), up to 20 pages. */
  async load(): Promise<void> {
    let after: string | null = null;
    for (let page = 0; page < 20; page++) {
      const messages: MessagePage = await this.readPage(after);
      if (this.closed()) return;
      for (const message of messages.nodes) this.add(message);
      if (!messages.pageInfo.hasNextPage || !messages.pageInfo.endCursor) return;
      after = messages.pageInfo.endCursor;
    }
  }
}
