import type { ConferenceService } from '../conference/ConferenceService';

/** What every resolver gets: the use cases, never the database or medooze. */
export interface ApiContext {
  conference: ConferenceService;
}
