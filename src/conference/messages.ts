import { randomUUID } from 'node:crypto';
import { DomainError, ErrorCode } from '../shared/errors';
import { type ChatMessage, type RoomEvent, RoomEventType } from './events';

export const MAX_MESSAGE_LENGTH = 4000;
export const MAX_RECIPIENTS = 50;

/** Who reads a room's events: everything (the application), or one person (a participant or a join token). */
export type Viewer =
  | { kind: 'everything' }
  | { kind: 'person'; participantIds: ReadonlySet<string>; identity: string | null }
  | { kind: 'anonymous' };

export const EVERYTHING: Viewer = Object.freeze({ kind: 'everything' });

/** Whether the viewer may see the event: private messages reach only their sender and recipients. */
export function visibleTo(viewer: Viewer, event: RoomEvent): boolean {
  const message = event.type === RoomEventType.MESSAGE ? event.message : undefined;
  if (!message?.to) return true;
  if (viewer.kind === 'everything') return true;
  if (viewer.kind === 'anonymous') return false;
  if (event.participantId && viewer.participantIds.has(event.participantId)) return true;
  if (message.to.some((id) => viewer.participantIds.has(id))) return true;
  if (viewer.identity === null) return false;
  return message.fromIdentity === viewer.identity || (message.toIdentities ?? []).includes(viewer.identity);
}

/** Message text: 1 to 4000 characters of well-formed text (line breaks and tabs allowed). */
export function validateMessageText(text: string): string {
  if (text.trim().length === 0 || text.length > MAX_MESSAGE_LENGTH) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, `A message is 1 to ${MAX_MESSAGE_LENGTH} characters.`, {
      field: 'text',
    });
  }
  const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
  // eslint-disable-next-line no-control-regex
  if (LONE_SURROGATE.test(text) || /[\u0000-\u0008\u000b-\u001f\u007f]/.test(text)) {
    throw new DomainError(ErrorCode.BAD_USER_INPUT, 'A message must be well-formed text.', { field: 'text' });
  }
  return text;
}

interface Member {
  id: string;
  identity: string | null;
}

/**
 * A message from `from`, to everyone or privately to `to` (participant ids, found with `member`).
 * PARTICIPANT_NOT_FOUND for a recipient who is not in the room; BAD_USER_INPUT for bad text or
 * too many recipients.
 */
export function composeMessage(
  from: Member,
  text: string,
  to: string[] | null,
  member: (id: string) => Member | undefined,
): ChatMessage {
  const valid = validateMessageText(text);
  let recipients: Member[] | null = null;
  if (to) {
    const ids = [...new Set(to)];
    if (ids.length === 0 || ids.length > MAX_RECIPIENTS) {
      throw new DomainError(
        ErrorCode.BAD_USER_INPUT,
        `A private message has 1 to ${MAX_RECIPIENTS} recipients.`,
        {
          field: 'to',
        },
      );
    }
    recipients = ids.map((id) => {
      const recipient = member(id);
      if (!recipient)
        throw new DomainError(ErrorCode.PARTICIPANT_NOT_FOUND, `No participant "${id}" is in the room.`);
      return recipient;
    });
  }
  return {
    id: randomUUID(),
    text: valid,
    to: recipients?.map((recipient) => recipient.id) ?? null,
    fromIdentity: from.identity,
    toIdentities: recipients?.map((recipient) => recipient.identity) ?? null,
  };
}
