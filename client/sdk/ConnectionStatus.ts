/**
 * The client's connection state (ConnectionState), from what its parts say: the peer connection's
 * state and whether the signalling socket is up or dropped. Says `connectionState` on each change,
 * and `error` MEDIA_FAILED when the media connection fails.
 */
import { ConferenceError } from './errors';
import type { Emit } from './RoomState';
import type { ConnectionState } from './types';

export class ConnectionStatus {
  #state: ConnectionState = 'idle';

  constructor(private readonly emit: Emit) {}

  get state(): ConnectionState {
    return this.#state;
  }

  get closed(): boolean {
    return this.#state === 'closed';
  }

  set(state: ConnectionState): void {
    if (state === this.#state) return;
    const previous = this.#state;
    this.#state = state;
    this.emit('connectionState', state, previous);
  }

  /** Once joining and until closed: `media` is the peer connection's state. */
  update(media: RTCPeerConnectionState, signaling: { up: boolean; dropped: boolean } | undefined): void {
    if (this.#state === 'closed' || this.#state === 'idle') return;
    if (media === 'failed') {
      this.set('failed');
      this.emit('error', new ConferenceError('MEDIA_FAILED', 'The media connection failed.'));
    } else if (media === 'connected' && signaling?.up) this.set('connected');
    else if (media === 'disconnected' || signaling?.dropped) this.set('reconnecting');
  }
}
