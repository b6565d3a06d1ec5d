/**
 * A tiny ISO BMFF (MP4) reader for tests: the box tree, the movie's duration (moov/mvhd) and each
 * track's kind (hdlr), codec (stsd), duration (mdhd) and sample count (stsz).
 */
export interface Box {
  type: string;
  start: number;
  size: number;
  /** Where its content starts (after the header). */
  body: number;
}

const CONTAINERS = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'edts', 'dinf']);

export function boxes(data: Buffer, start = 0, end = data.length): Box[] {
  const found: Box[] = [];
  let at = start;
  while (at + 8 <= end) {
    let size = data.readUInt32BE(at);
    const type = data.toString('latin1', at + 4, at + 8);
    let header = 8;
    if (size === 1) {
      size = Number(data.readBigUInt64BE(at + 8));
      header = 16;
    } else if (size === 0) {
      size = end - at;
    }
    if (size < header || at + size > end) break;
    found.push({ type, start: at, size, body: at + header });
    at += size;
  }
  return found;
}

function child(data: Buffer, parent: Box, type: string): Box | undefined {
  return boxes(data, parent.body, parent.start + parent.size).find((box) => box.type === type);
}

function path(data: Buffer, parent: Box, ...types: string[]): Box | undefined {
  let box: Box | undefined = parent;
  for (const type of types) {
    if (!box) return undefined;
    box = child(data, box, type);
  }
  return box;
}

/** version 0: 32-bit times; version 1: 64-bit. Returns [timescale, duration]. */
function timing(data: Buffer, box: Box): [number, number] {
  const version = data[box.body]!;
  if (version === 1) {
    return [data.readUInt32BE(box.body + 20), Number(data.readBigUInt64BE(box.body + 24))];
  }
  return [data.readUInt32BE(box.body + 12), data.readUInt32BE(box.body + 16)];
}

export interface Mp4Track {
  kind: 'audio' | 'video' | string;
  /** The sample entry's four-character code (Opus, vp08, vp09, avc1). */
  codec: string;
  durationSeconds: number;
  samples: number;
}

export interface Mp4Summary {
  /** Top-level box types in order (ftyp first in a valid file). */
  topLevel: string[];
  majorBrand: string;
  durationSeconds: number;
  tracks: Mp4Track[];
}

export function readMp4(data: Buffer): Mp4Summary {
  const top = boxes(data);
  const ftyp = top.find((box) => box.type === 'ftyp');
  const moov = top.find((box) => box.type === 'moov');
  if (!moov) throw new Error(`no moov box (top level: ${top.map((box) => box.type).join(', ')})`);
  const mvhd = child(data, moov, 'mvhd');
  if (!mvhd) throw new Error('no mvhd box');
  const [timescale, duration] = timing(data, mvhd);
  const tracks = boxes(data, moov.body, moov.start + moov.size)
    .filter((box) => box.type === 'trak' && CONTAINERS.has('trak'))
    .map((trak) => {
      const hdlr = path(data, trak, 'mdia', 'hdlr');
      const handler = hdlr ? data.toString('latin1', hdlr.body + 8, hdlr.body + 12) : '????';
      const mdhd = path(data, trak, 'mdia', 'mdhd');
      const [scale, length] = mdhd ? timing(data, mdhd) : [1, 0];
      const stsd = path(data, trak, 'mdia', 'minf', 'stbl', 'stsd');
      const codec = stsd ? data.toString('latin1', stsd.body + 12, stsd.body + 16) : '????';
      const stsz = path(data, trak, 'mdia', 'minf', 'stbl', 'stsz');
      const samples = stsz ? data.readUInt32BE(stsz.body + 8) : 0;
      return {
        kind: handler === 'soun' ? 'audio' : handler === 'vide' ? 'video' : handler,
        codec,
        durationSeconds: scale > 0 ? length / scale : 0,
        samples,
      };
    });
  return {
    topLevel: top.map((box) => box.type),
    majorBrand: ftyp ? data.toString('latin1', ftyp.body, ftyp.body + 4) : '',
    durationSeconds: timescale > 0 ? duration / timescale : 0,
    tracks,
  };
}
