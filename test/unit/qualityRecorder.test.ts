import type { Participant } from '../../src/conference/Participant';
import type {
  PeerStats,
  QualitySample,
  QualitySampleRepository,
  TrackStats,
} from '../../src/conference/ports';
import { QualityRecorder } from '../../src/conference/QualityRecorder';

const track = (figures: Partial<TrackStats>): TrackStats => ({
  trackId: 't',
  streamId: 's',
  kind: 'video',
  bitrate: 0,
  packets: 0,
  packetsLost: 0,
  rtt: 0,
  frames: 0,
  ...figures,
});

class MemoryRepository implements QualitySampleRepository {
  samples: QualitySample[] = [];
  deletedBefore: Date[] = [];
  async append(samples: QualitySample[]) {
    this.samples.push(...samples);
  }
  async listForParticipant(id: string, last: number) {
    return this.samples.filter((sample) => sample.participantId === id).slice(-last);
  }
  async deleteBefore(at: Date) {
    this.deletedBefore.push(at);
    const before = this.samples.length;
    this.samples = this.samples.filter((sample) => sample.at >= at);
    return before - this.samples.length;
  }
}

describe('QualityRecorder', () => {
  const ann = { id: 'ann', roomId: 'r', present: true } as unknown as Participant;
  let stats: PeerStats;

  test('turns running packet totals into loss per interval, and sums bitrates both ways', () => {
    const recorder = new QualityRecorder(
      new MemoryRepository(),
      () => [ann],
      () => stats,
      {
        intervalMs: 0,
        retentionMs: 0,
      },
    );
    stats = {
      inbound: [track({ bitrate: 300_000, packets: 900, packetsLost: 100, rtt: 12 })],
      outbound: [track({ bitrate: 50_000, rtt: 30, jitter: 4 })],
    };
    expect(recorder.sample()).toMatchObject([
      {
        participantId: 'ann',
        roomId: 'r',
        bitrateIn: 300_000,
        bitrateOut: 50_000,
        lossIn: 0.1,
        rtt: 30,
        jitter: 4,
      },
    ]);
    // 100 more packets arrived and none was lost since the last sample.
    stats = { inbound: [track({ packets: 1000, packetsLost: 100 })], outbound: [] };
    expect(recorder.sample()[0]!.lossIn).toBe(0);
    stats = { inbound: [track({ packets: 1075, packetsLost: 125 })], outbound: [] };
    expect(recorder.sample()[0]!.lossIn).toBe(0.25);
  });

  test('stores on its timer and deletes samples past retention', async () => {
    const repository = new MemoryRepository();
    stats = { inbound: [track({ bitrate: 1 })], outbound: [] };
    const recorder = new QualityRecorder(
      repository,
      () => [ann],
      () => stats,
      {
        intervalMs: 20,
        retentionMs: 100,
      },
    );
    repository.samples.push({ ...recorder.sample()[0]!, at: new Date(Date.now() - 60_000) });
    recorder.start();
    await new Promise((resolve) => setTimeout(resolve, 250));
    await recorder.stop();
    expect(repository.samples.length).toBeGreaterThanOrEqual(3);
    expect(repository.samples.every((sample) => Date.now() - sample.at.getTime() < 60_000)).toBe(true);
    expect(repository.deletedBefore.length).toBeGreaterThanOrEqual(1);
    const count = repository.samples.length;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(repository.samples).toHaveLength(count);
  });
});
