/** What a moderator (roomAdmin grant) may do to someone from the people panel: mute, remove, ban. */
import type { ConferenceClient } from '../sdk';
import { h } from './dom';
import { joinErrorMessage } from './messages';
import { showNotice } from './notices';

export function moderationButtons(
  client: ConferenceClient,
  person: { id: string; name: string },
  secured: boolean,
): HTMLElement[] {
  const act = (button: HTMLButtonElement, action: () => Promise<void>) =>
    button.addEventListener('click', () => {
      button.disabled = true;
      action()
        .catch((error: unknown) =>
          showNotice('moderation', `${button.title} failed: ${joinErrorMessage(error)}`, { kind: 'error' }),
        )
        .finally(() => (button.disabled = false));
    });
  const mute = h('button', { type: 'button', class: 'small', 'data-action': 'mute' }, 'Mute');
  mute.title = `Mute ${person.name}'s microphone`;
  act(mute, async () => {
    const audio = client.remoteStreams
      .filter((remote) => remote.participant.id === person.id)
      .flatMap((remote) => remote.stream.getAudioTracks());
    for (const track of audio) await client.muteTrack(track.id);
  });
  const remove = h('button', { type: 'button', class: 'small danger', 'data-action': 'kick' }, 'Remove');
  remove.title = `Remove ${person.name} from the room`;
  act(remove, () => client.kickParticipant(person.id, false));
  const buttons = [mute, remove];
  // Bans need identities, which only invitations (secured mode) have.
  if (secured) {
    const ban = h('button', { type: 'button', class: 'small danger', 'data-action': 'ban' }, 'Ban');
    ban.title = `Remove ${person.name} and keep them out`;
    act(ban, () => client.kickParticipant(person.id, true));
    buttons.push(ban);
  }
  return buttons;
}
