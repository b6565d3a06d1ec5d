/**
 * The five scenarios. Each runs against one target (ours or the baseline, in its own process) and
 * returns plain numbers; the suite pairs them up.
 */
export type { Log } from './common';
export * from './join';
export * from './fanout';
export * from './capacity';
export * from './api';
export * from './firstFrame';
