import { RoomEventType } from './events';
import type { Participant } from './Participant';
import type { MediaPeerFactory, SpeakerDetector } from './ports';
import type { NewRoomEvent } from './RoomEventLog';
import type { RoomSeats } from './RoomSeats';

/**
 * Who speaks now in a room: a speaker detector follows its members' audio, and each change to
 * another member is recorded (ACTIVE_SPEAKER_CHANGED).
 */
export class ActiveSpeaker {
  readonly #detector: SpeakerDetector;
  #current: Participant | null = null;

  constructor(
    media: Pick<MediaPeerFactory, 'createSpeakerDetector'>,
    private readonly seats: RoomSeats,
    private readonly record: (event: NewRoomEvent) => void,
  ) {
    this.#detector = media.createSpeakerDetector((peer) => {
      const speaker = this.seats.members.find((member) => member.hasPeer && member.peer === peer);
      if (speaker) this.#set(speaker);
    });
  }

  get current(): Participant | null {
    return this.#current;
  }

  /** Follows the audio the member publishes now (call again when it changes). */
  follow(member: Participant): void {
    this.#detector.follow(member.peer);
  }

  forget(member: Participant): void {
    this.#detector.forget(member.peer);
    if (this.#current === member) this.#current = null;
  }

  stop(): void {
    this.#detector.stop();
    this.#current = null;
  }

  /** Records who speaks now (ACTIVE_SPEAKER_CHANGED), when it is someone else in the room. */
  #set(speaker: Participant): void {
    if (speaker === this.#current || !this.seats.has(speaker.id)) return;
    this.#current = speaker;
    this.record({
      type: RoomEventType.ACTIVE_SPEAKER_CHANGED,
      participantId: speaker.id,
      participantName: speaker.name,
    });
  }
}
