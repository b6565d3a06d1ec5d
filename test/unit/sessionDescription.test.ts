import { DomainError } from '../../src/shared/errors';
import { SessionDescription } from '../../src/media/SessionDescription';

const FINGERPRINT = Array.from({ length: 32 }, (_, i) =>
  (i * 7).toString(16).padStart(2, '0').toUpperCase(),
).join(':');

/** A unified-plan offer with one audio and one video section, written by hand. */
function offer(
  options: {
    direction?: string;
    msid?: boolean;
    fingerprint?: boolean;
    audioMid?: string;
    videoMid?: string;
  } = {},
): string {
  const { direction = 'sendrecv', msid = true, fingerprint = true, audioMid = '0', videoMid = '1' } = options;
  const section = (kind: 'audio' | 'video', mid: string, pt: number, codec: string, ssrc: number) => [
    `m=${kind} 9 UDP/TLS/RTP/SAVPF ${pt}`,
    'c=IN IP4 0.0.0.0',
    `a=mid:${mid}`,
    `a=${direction}`,
    ...(msid ? [`a=msid:stream-1 ${kind}-track`] : []),
    'a=rtcp-mux',
    `a=rtpmap:${pt} ${codec}`,
    ...(msid ? [`a=ssrc:${ssrc} cname:test`, `a=ssrc:${ssrc} msid:stream-1 ${kind}-track`] : []),
  ];
  return [
    'v=0',
    'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    `a=group:BUNDLE ${audioMid} ${videoMid}`,
    'a=ice-ufrag:abcd',
    'a=ice-pwd:abcdefghijklmnopqrstuvwx',
    ...(fingerprint ? [`a=fingerprint:sha-256 ${FINGERPRINT}`] : []),
    'a=setup:actpass',
    ...section('audio', audioMid, 111, 'opus/48000/2', 1111),
    ...section('video', videoMid, 96, 'VP8/90000', 2222),
    '',
  ].join('\r\n');
}

const refusal = (sdp: string): DomainError => {
  try {
    SessionDescription.parse(sdp);
  } catch (error) {
    return error as DomainError;
  }
  throw new Error('the SDP was accepted');
};

describe('SessionDescription (an SDP parsed and checked once)', () => {
  test('a sendrecv offer with msids sends media; it keeps the SDP and its mids by kind', () => {
    const sdp = offer();
    const description = SessionDescription.parse(sdp);
    expect(description.sendsMedia).toBe(true);
    expect(description.sdp).toBe(sdp);
    expect([...description.mids]).toEqual([
      ['0', 'audio'],
      ['1', 'video'],
    ]);
  });

  test('recvonly sections, or sending ones without an msid, send nothing', () => {
    expect(SessionDescription.parse(offer({ direction: 'recvonly' })).sendsMedia).toBe(false);
    expect(SessionDescription.parse(offer({ direction: 'inactive' })).sendsMedia).toBe(false);
    expect(SessionDescription.parse(offer({ msid: false })).sendsMedia).toBe(false);
  });

  test('an SDP without a DTLS fingerprint is refused with INVALID_SDP', () => {
    const error = refusal(offer({ fingerprint: false }));
    expect(error).toBeInstanceOf(DomainError);
    expect(error.code).toBe('INVALID_SDP');
    expect(error.message).toBe('The SDP could not be used: it has no valid DTLS fingerprint.');
  });

  test('a mid used twice is refused with INVALID_SDP', () => {
    // Not "0" twice: semantic-sdp reads a=mid:0 as the number 0 and replaces it by the section's index.
    const error = refusal(offer({ audioMid: 'a', videoMid: 'a' }));
    expect(error.code).toBe('INVALID_SDP');
    expect(error.message).toBe('The SDP could not be used: mid "a" is used twice.');
  });

  test('an SDP without media sections is refused', () => {
    expect(refusal('v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n').message).toBe(
      'The SDP could not be used: it has no media section.',
    );
  });

  test("a later description must keep every earlier media section and its kind (the peer's check)", () => {
    const first = SessionDescription.parse(offer());
    expect(() => SessionDescription.parse(offer()).assertKeeps(first.mids)).not.toThrow();
    const renamed = SessionDescription.parse(offer({ videoMid: 'v' }));
    expect(() => renamed.assertKeeps(first.mids)).toThrow(
      'The SDP could not be used: media section "1" (video) of the previous negotiation is missing or changed.',
    );
  });

  test('only values it parsed are taken back', () => {
    const parsed = SessionDescription.parse(offer());
    expect(SessionDescription.of(parsed)).toBe(parsed);
    expect(() => SessionDescription.of({ sdp: offer(), sendsMedia: true, sentTrackCount: 1 })).toThrow(
      TypeError,
    );
  });
});
