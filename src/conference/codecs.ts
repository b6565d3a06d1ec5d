/** The video codec a room forwards; every participant of the room sends and receives it. */
export const VideoCodec = { VP8: 'VP8', VP9: 'VP9', H264: 'H264' } as const;
export type VideoCodec = (typeof VideoCodec)[keyof typeof VideoCodec];

export const isVideoCodec = (value: string): value is VideoCodec => value in VideoCodec;
