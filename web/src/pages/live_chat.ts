/** The room's text chat with history and voice notes, shared by the live page and the preparation screen's
 * call panel: messages in order typed, moderators delete (soft) after a confirm step, voice notes
 * (live_voice.ts), slow and moderator-only modes (live_crowd.ts). */
import { api, attachMedia } from '../api';
import { h } from '../dom';
import { formatTime, t } from '../i18n';
import { call } from '../realtime';
import { type ChatMessage, type LiveRoom } from '../roomstate';
import { canManage, listOf } from '../rooms';
import { getSession } from '../session';
import { busy, uid } from '../ui';
import { chatModeBar } from './live_crowd';
import { voiceButton } from './live_voice';

export interface ChatPanel {
  /** the whole chat section (heading, history, list, form, voice button, status) */
  el: HTMLElement;
  /** keep the newest message in view (after the section is in the document) */
  scrollToEnd: () => void;
  stop: () => void;
}

export function chatPanel(live: LiveRoom, roomId: string): ChatPanel {
  const me = getSession()!.user;
  const chatList = h('ol', { class: 'chat', 'data-testid': 'chat', 'aria-live': 'polite' });
  const chatStatus = h('p', { class: 'status' });
  // moderators and hosts delete messages (soft: everyone sees 该消息已被删除), after a confirm step
  let confirming: number | null = null;
  const deleteControls = (m: ChatMessage): HTMLElement | null => {
    if (!canManage(live.state.me.role)) return null;
    const author = m.author_name ?? m.display_name ?? '';
    if (confirming !== m.id) {
      return h('button', { type: 'button', class: 'link small msg-delete', 'aria-label': t('chat.delete_named', { name: author }),
        onclick: () => {
          confirming = m.id;
          drawChat();
          chatList.querySelector<HTMLButtonElement>(`[data-message-id="${m.id}"] .msg-confirm`)?.focus();
        } }, t('chat.delete'));
    }
    const yes = h('button', { type: 'button', class: 'small danger msg-confirm' }, t('chat.delete_confirm'));
    yes.onclick = () => void busy(yes, async () => {
      await call('chat:delete', { room_id: roomId, message_id: m.id });
      confirming = null;
      input.focus(); // the button is gone with the message: keep keyboard users in the chat
    }, chatStatus);
    return h('span', { class: 'row confirm', role: 'group', 'aria-label': t('chat.delete_question') },
      h('span', {}, t('chat.delete_question')), yes,
      h('button', { type: 'button', class: 'small', onclick: () => {
        confirming = null;
        drawChat();
        chatList.querySelector<HTMLButtonElement>(`[data-message-id="${m.id}"] .msg-delete`)?.focus();
      } }, t('common.cancel')));
  };
  const msgEl = (m: ChatMessage): HTMLElement => {
    const mine = m.user_id === me.id;
    if (m.deleted) return h('li', { class: 'msg muted deleted', 'data-message-id': m.id }, t('chat.deleted'));
    const audio = m.voice_id ? voicePlayer(m.voice_id, m.voice_duration) : null;
    return h('li', { class: `msg${mine ? ' mine' : ''}`, 'data-message-id': m.id },
      h('span', { class: 'author' }, m.author_name ?? m.display_name ?? ''),
      h('span', { class: 'muted time' }, formatTime(m.created_at)),
      deleteControls(m),
      m.text ? h('p', {}, m.text) : null,
      audio);
  };
  const drawChat = (): void => {
    const atBottom = chatList.scrollHeight - chatList.scrollTop - chatList.clientHeight < 40;
    chatList.replaceChildren(...live.state.chat.map(msgEl));
    if (atBottom) chatList.scrollTop = chatList.scrollHeight;
  };
  live.on('chat', drawChat);
  // the host may change my role while I read: the moderator tools follow
  live.on('member', drawChat);
  drawChat();
  const older = h('button', { type: 'button', class: 'link small' }, t('chat.older'));
  older.onclick = () => void busy(older, async () => {
    const first = live.state.chat[0];
    const res = await api('GET', `/api/rooms/${roomId}/chat?limit=50${first ? `&before=${encodeURIComponent(first.id)}` : ''}`);
    const more = listOf<ChatMessage>(res, 'messages').filter((m) => !live.state.chat.some((x) => x.id === m.id));
    if (!more.length) older.textContent = t('chat.no_older');
    live.state.chat = [...more, ...live.state.chat].sort((a, b) => (a.created_at ?? 0) - (b.created_at ?? 0));
    drawChat();
  }, chatStatus);
  const input = h('input', { 'aria-label': t('chat.input'), placeholder: t('chat.placeholder'), maxlength: 2000, id: 'chat-input' });
  const send = h('button', { type: 'submit', class: 'primary' }, t('chat.send'));
  // Messages leave one after another in the order typed; the input is free for the next one at once
  // (a disabled send button would also block Enter), and a message that fails comes back into it.
  let outbox: Promise<void> = Promise.resolve();
  const chatForm = h('form', { class: 'chat-form row', onsubmit: (e: Event) => {
    e.preventDefault();
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    const clientId = uid();
    outbox = outbox.then(() => busy(null, async () => {
      let res: Record<string, unknown>;
      try {
        res = await call_retry(() => callChat(roomId, clientId, text));
      } catch (err) {
        if (!input.value) input.value = text;
        throw err;
      }
      const msg = (res.message ?? res) as ChatMessage;
      if (msg.id && !live.state.chat.some((m) => m.id === msg.id)) {
        live.state.chat.push(msg);
        drawChat();
      }
    }, chatStatus));
  } }, input, send);

  // voice notes (live_voice.ts): click to start and stop; on a touch screen, press and hold
  const voice = voiceButton(roomId, chatStatus);
  const rec = voice.button;
  // slow mode and moderator-only mode: the note for everyone, the switches for moderators
  const chatModes = chatModeBar(live, roomId, chatStatus, (open) => {
    input.disabled = !open;
    send.disabled = !open;
    rec.disabled = !open;
    input.placeholder = open ? t('chat.placeholder') : t('chat.moderated_placeholder');
  });

  return {
    el: h('section', { class: 'chat-box' }, h('h2', {}, t('chat.title')), chatModes, older, chatList, chatForm, h('div', { class: 'row' }, rec), chatStatus),
    scrollToEnd: () => (chatList.scrollTop = chatList.scrollHeight),
    stop: voice.stop,
  };
}

function callChat(roomId: string, clientId: string, text: string): Promise<Record<string, unknown>> {
  return call('chat:send', { room_id: roomId, client_id: clientId, text });
}

/** Retry once on a timeout: the same client_id makes the retry return the same stored message. */
async function call_retry<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    if ((err as { code?: string }).code === 'timeout') return fn();
    throw err;
  }
}

/** A voice note: a normal <audio> with a short-lived URL token for its file, loaded when played. */
function voicePlayer(voiceId: string, seconds: number | null | undefined): HTMLElement {
  const audio = h('audio', { controls: true, preload: 'none', 'data-voice-id': voiceId, 'aria-label': t('voice.play') });
  attachMedia(audio, `/api/voice/${encodeURIComponent(voiceId)}`);
  return h('div', { class: 'voice' },
    audio,
    seconds ? h('span', { class: 'muted' }, ` ${seconds.toFixed(1)}″`) : null);
}
