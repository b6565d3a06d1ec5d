import type { QualityRecorderOptions } from './QualityRecorder';
import type { Participant } from './Participant';
import type {
  QualitySampleRepository,
  RecordingRepository,
  RoomEventRepository,
  RoomOwnership,
  RoomRepository,
  SessionRepository,
} from './ports';
import type { RetryPolicy } from './RetryingWriter';
import type { RoomEventStream } from './RoomEventStream';

export interface ConferenceOptions {
  /** Whether joining an unknown room id creates it (the embedded default does). */
  autoCreateRooms: boolean;
  defaultMaxParticipants: number;
  /** Open rooms this server keeps at most (TOO_MANY_ROOMS past it). */
  maxRooms: number;
  /** An open room nobody is in closes after this long (0: never). */
  emptyRoomTimeoutMs: number;
  /** How long a participant may be silent (signaling and media) before it counts as gone (0: never). */
  participantTimeoutMs: number;
  /** Tracks one participant may send (TOO_MANY_TRACKS past it; default 16). */
  maxTracksPerParticipant?: number;
  /** Call quality sampling (off when absent). */
  quality?: QualityRecorderOptions;
  /** How background writes retry while the database is away. */
  retryPolicy?: RetryPolicy;
  /** This process alone creates and closes rooms in its database (the embedded one): see RoomRegistryOptions. */
  soleWriter?: boolean;
  /**
   * Cluster: rooms are held through leases (see RoomOwnership). Start-up then leaves other nodes'
   * stays alone, and a room taken over from a node that died ends that node's stays (NODE_FAILURE).
   */
  ownership?: RoomOwnership;
  /** Cluster: the events of a room another node holds (see RoomRegistryOptions.remoteEvents). */
  remoteEvents?: (roomId: string, after: number | null) => Promise<RoomEventStream>;
}

export interface Repositories {
  rooms: RoomRepository;
  sessions: SessionRepository;
  events: RoomEventRepository;
  quality: QualitySampleRepository;
  /** Where recordings are stored (recording is unavailable without it and RecordingMedia). */
  recordings?: RecordingRepository;
}

export interface JoinResult {
  participant: Participant;
  answer: string;
}
