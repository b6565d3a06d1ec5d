import { EventEmitter } from 'node:events';
import { logger } from './logger';

/**
 * An EventEmitter whose event names and payloads are checked by the compiler.
 * A listener that throws is logged and skipped: one broken subscriber must never
 * corrupt the state of the object that emits (or of the other listeners).
 */
export class TypedEmitter<Events extends { [K in keyof Events]: unknown[] }> {
  readonly #emitter = new EventEmitter({ captureRejections: false });

  constructor() {
    this.#emitter.setMaxListeners(0);
  }

  on<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): () => void {
    this.#emitter.on(event, listener as (...args: unknown[]) => void);
    return () => this.off(event, listener);
  }

  off<K extends keyof Events & string>(event: K, listener: (...args: Events[K]) => void): void {
    this.#emitter.off(event, listener as (...args: unknown[]) => void);
  }

  protected emit<K extends keyof Events & string>(event: K, ...args: Events[K]): void {
    for (const listener of this.#emitter.listeners(event)) {
      try {
        (listener as (...a: Events[K]) => void)(...args);
      } catch (error) {
        logger.error({ err: error, event }, 'event listener threw');
      }
    }
  }

  protected removeAllListeners(): void {
    this.#emitter.removeAllListeners();
  }
}
