import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { ConferenceService } from '../conference/ConferenceService';

/** The Prometheus metrics served at GET /metrics (prom-client, text exposition format). */
export class Metrics {
  readonly registry = new Registry();
  readonly #errors: Counter<'code'>;

  constructor(conference: ConferenceService) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry, prefix: 'sfu_' });
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers,
        collect() {
          this.set(read());
        },
      });
    gauge('sfu_rooms_open', 'Rooms with live state on this node.', () => conference.stats().rooms);
    gauge('sfu_participants', 'Participants in rooms on this node.', () => conference.stats().participants);
    gauge(
      'sfu_streams_published',
      'Streams participants publish.',
      () => conference.stats().publishedStreams,
    );
    gauge(
      'sfu_streams_forwarded',
      'Streams forwarded to subscribers.',
      () => conference.stats().forwardedStreams,
    );
    gauge('sfu_recordings_active', 'Rooms being recorded on this node.', () => conference.recordings.active);
    gauge(
      'sfu_recording_files_open',
      'Recording files being written (one per participant stream recorded).',
      () => conference.recordings.openFiles,
    );
    // One reading of every peer's statistics per scrape serves both directions.
    new Gauge({
      name: 'sfu_bitrate_bps',
      help: 'Media bits per second over the last second, all tracks: received from publishers, forwarded to subscribers.',
      labelNames: ['direction'],
      registers,
      collect() {
        const { received, forwarded } = conference.bitrates();
        this.set({ direction: 'received' }, received);
        this.set({ direction: 'forwarded' }, forwarded);
      },
    });
    gauge(
      'sfu_background_writes_pending',
      'Room events, session records and quality samples waiting for the database (retried until stored).',
      () => conference.backgroundWrites().pending,
    );
    gauge(
      'sfu_background_writes_dropped',
      'Background writes refused since start because the database was away too long (each one logged).',
      () => conference.backgroundWrites().dropped,
    );
    gauge(
      'sfu_background_writes_failing',
      '1 while the database refuses background writes (they are being retried), else 0.',
      () => (conference.backgroundWrites().failingSince ? 1 : 0),
    );
    const joins = new Counter({
      name: 'sfu_joins_total',
      help: 'Participants admitted to a room.',
      registers,
    });
    const leaves = new Counter({
      name: 'sfu_leaves_total',
      help: 'Participants gone, by reason.',
      labelNames: ['reason'],
      registers,
    });
    const negotiation = new Histogram({
      name: 'sfu_negotiation_seconds',
      help: 'From an offer to its applied answer (server offers), or processing time (client offers).',
      labelNames: ['offered_by'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    });
    this.#errors = new Counter({
      name: 'sfu_graphql_errors_total',
      help: 'GraphQL errors returned to clients, by extensions.code.',
      labelNames: ['code'],
      registers,
    });
    conference.observer.on('participantJoined', () => joins.inc());
    conference.observer.on('participantLeft', (_roomId, reason) => leaves.inc({ reason }));
    conference.observer.on('negotiationCompleted', (seconds, offeredBy) =>
      negotiation.observe({ offered_by: offeredBy }, seconds),
    );
  }

  /** GraphQL POSTs answered by PreparedOperations (graphql-jit), and those left to Apollo. */
  watchGraphQLExecutors(read: () => { prepared: number; apollo: number }): void {
    new Gauge({
      name: 'sfu_graphql_http_requests',
      help: 'GraphQL POSTs since start, by who answered: prepared (a known document, graphql-jit) or apollo.',
      labelNames: ['executor'],
      registers: [this.registry],
      collect() {
        const { prepared, apollo } = read();
        this.set({ executor: 'prepared' }, prepared);
        this.set({ executor: 'apollo' }, apollo);
      },
    });
  }

  countError(code: unknown): void {
    this.#errors.inc({ code: typeof code === 'string' ? code : 'UNKNOWN' });
  }
}
