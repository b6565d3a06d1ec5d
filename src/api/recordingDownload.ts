import path from 'node:path';
import type { Request, RequestHandler, Response } from 'express';
import type { ConferenceService } from '../conference/ConferenceService';
import { ErrorCode, isDomainError } from '../shared/errors';
import { logger } from '../shared/logger';
import type { Access } from './access';
import { bearerToken } from './context';

const STATUS: Partial<Record<string, number>> = {
  [ErrorCode.UNAUTHENTICATED]: 401,
  [ErrorCode.INVALID_TOKEN]: 401,
  [ErrorCode.TOKEN_EXPIRED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.BANNED]: 403,
  [ErrorCode.RECORDING_NOT_FOUND]: 404,
  [ErrorCode.RECORDING_IN_PROGRESS]: 409,
};

const FILE_NAME = /^([\w-]{1,64})\.mp4$/;

/**
 * GET /recordings/<recording id>/<file id>.mp4: streams a finalized recording file (with range
 * requests, so players can seek). Who may: whoever may moderate the room (an admin token, or a
 * roomAdmin join or participant token of the room, as `Authorization: Bearer` or, for links,
 * `?access_token=`); in open mode anyone the origin rules let in. A file still being written is
 * 409 RECORDING_IN_PROGRESS (its MP4 index is written when it is finalized).
 */
export function recordingDownload(options: {
  conference: ConferenceService;
  recordingsDir: string;
  access: (token: string | undefined, address: string | undefined) => Access;
}): RequestHandler {
  const root = path.resolve(options.recordingsDir);
  return (req: Request, res: Response) => {
    void (async () => {
      const token =
        bearerToken(req.headers.authorization) ??
        (typeof req.query.access_token === 'string' ? req.query.access_token : undefined);
      const access = options.access(token, req.socket.remoteAddress);
      const name = FILE_NAME.exec(String(req.params.file ?? ''));
      access.requireModerator();
      if (!name) throw Object.assign(new Error('not a recording file'), { status: 404 });
      const { roomId, state, file } = await options.conference.recordings.file(
        String(req.params.recording),
        name[1]!,
      );
      await access.requireRoomAdmin(roomId);
      // A FAILED recording's files are served as the dead process left them (no MP4 index).
      if (file.endedAt === null && state === 'RECORDING') {
        res.status(409).json(refusal(ErrorCode.RECORDING_IN_PROGRESS, 'This file is still being recorded.'));
        return;
      }
      const target = path.resolve(root, file.path);
      if (!target.startsWith(root + path.sep)) throw new Error(`recording path outside ${root}`);
      res.sendFile(
        target,
        { headers: { 'Content-Type': 'video/mp4', 'Cache-Control': 'private, no-store' } },
        (error?: Error & { status?: number }) => {
          if (!error || res.headersSent) return;
          res
            .status(error.status === 404 ? 404 : 500)
            .json(refusal(ErrorCode.RECORDING_NOT_FOUND, 'The file is not on this server.'));
        },
      );
    })().catch((error: unknown) => {
      if (res.headersSent) return;
      if (isDomainError(error)) {
        res.status(STATUS[error.code] ?? 400).json(refusal(error.code, error.message));
        return;
      }
      if ((error as { status?: number }).status === 404) {
        res.status(404).json(refusal(ErrorCode.RECORDING_NOT_FOUND, 'No such recording file.'));
        return;
      }
      logger.error({ err: error }, 'serving a recording failed');
      res.status(500).json(refusal(ErrorCode.INTERNAL_SERVER_ERROR, 'Internal server error'));
    });
  };
}

const refusal = (code: string, message: string) => ({ errors: [{ message, extensions: { code } }] });
