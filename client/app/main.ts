/**
 * The conference page: the join form (joinForm.ts), then the room (session.ts) with its tiles and
 * layouts (tiles.ts, layout.ts), controls (controls.ts), people (people.ts), call quality
 * (quality.ts) and moderation (moderation.ts). Uses the SDK in client/sdk. Bundled by
 * scripts/build-client.mjs with esbuild; loads nothing from outside its own origin.
 */
import './main.css';
import { setupChat } from './chat';
import { setupControls } from './controls';
import { setupRecording } from './recording';
import { startCues } from './cues';
import { $ } from './dom';
import { readInvitation } from './invitation';
import { setupJoinForm } from './joinForm';
import { current, layout, startSession } from './session';
import { installTestHooks } from './testHooks';

declare const __TEST_HOOKS__: boolean;

const invitation = readInvitation(new URLSearchParams(location.search).get('token'));

setupJoinForm({ invitation, onJoin: (request) => startSession(request, invitation) });
setupControls();
setupChat(() => current.session?.client);
setupRecording(() => current.session?.client);
startCues();

// Tiles are sized for the grid's box: again when it changes (window, people panel).
new ResizeObserver(() => layout.apply()).observe($('grid'));

window.addEventListener('pagehide', () => {
  if (current.session) void current.session.client.leave();
});

// Defined by scripts/build-client.mjs: true only in test builds (--test-hooks).
if (__TEST_HOOKS__) installTestHooks();
