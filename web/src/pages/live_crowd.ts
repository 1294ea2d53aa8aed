/** The live page in a crowd: presence as counts per school with a search once more than CROWD people are
 * online (a showcase has hundreds: a line each would be a 500-line list), and the chat modes a moderator
 * switches on (slow mode, moderator-only) with the note everyone sees. The counts are derived here from the
 * presence lines, which carry the school (see rooms/presence.py for why the server sends no counts). */
import { h } from '../dom';
import { roleName, t } from '../i18n';
import { call } from '../realtime';
import { type LiveRoom, type Person, personName } from '../roomstate';
import { canManage } from '../rooms';
import { busy } from '../ui';

/** Above this many people online the list becomes counts per school. */
export const CROWD = 30;
/** People shown under an opened school (the search narrows further). */
const SHOWN = 100;
const SLOW_CHOICES = [0, 5, 10, 30, 60, 120];

interface School {
  name: string;
  people: Person[];
}

/** The online people grouped by school, biggest first (then by name). */
export function bySchool(online: Person[]): School[] {
  const groups = new Map<string, Person[]>();
  for (const p of online) {
    const key = (p.school ?? '').trim();
    const list = groups.get(key);
    if (list) list.push(p);
    else groups.set(key, [p]);
  }
  return [...groups].map(([name, people]) => ({ name, people }))
    .sort((a, b) => b.people.length - a.people.length || a.name.localeCompare(b.name, 'zh-CN'));
}

function personLine(live: LiveRoom, p: Person): HTMLElement {
  return h('li', {},
    h('span', { class: 'dot on', 'aria-hidden': 'true' }),
    h('strong', {}, personName(p)),
    p.role && h('span', { class: 'tag muted' }, roleName(p.role)),
    p.venue_id && h('span', { class: 'muted' }, ` @${live.venue(p.venue_id)?.name ?? ''}`),
    p.school && h('span', { class: 'muted' }, ` ${p.school}`),
    p.mic ? h('span', { class: 'tag' }, t('live.mic_on')) : null,
    p.camera ? h('span', { class: 'tag' }, t('live.camera_on')) : null);
}

/** Who is online: a list in a small room, counts per school with a search in a crowd. Redraws itself on
 * every presence delta; an opened school and the search text survive the redraw. */
export function presencePanel(live: LiveRoom): HTMLElement {
  const list = h('ul', { class: 'presence' });
  const total = h('p', { class: 'crowd-total', 'data-testid': 'presence-total', 'aria-live': 'polite' });
  const search = h('input', { type: 'search', id: 'presence-search', 'aria-label': t('presence.search'),
    placeholder: t('presence.search'), autocomplete: 'off' });
  const schools = h('ul', { class: 'schools', 'data-testid': 'schools' });
  const none = h('p', { class: 'muted', hidden: true }, t('presence.no_match'));
  const crowd = h('div', { class: 'crowd' }, total, search, schools, none);
  const opened = new Set<string>();

  // One row per school, kept between redraws (a delta comes every 0.25 s in a crowd: rebuilding the rows
  // would take the focus from a keyboard user's summary); only the counts, the people and the order change.
  interface Row { li: HTMLLIElement; details: HTMLDetailsElement; name: HTMLElement; count: HTMLElement; people: HTMLUListElement; shown: Person[] }
  const rows = new Map<string, Row>();
  const fill = (row: Row): void => {
    const names = [...row.shown].sort((a, b) => personName(a).localeCompare(personName(b), 'zh-CN'));
    row.people.replaceChildren(...names.slice(0, SHOWN).map((p) => personLine(live, p)),
      names.length > SHOWN ? h('li', { class: 'muted' }, t('presence.more', { n: names.length - SHOWN })) : '');
  };
  const rowFor = (school: string): Row => {
    const known = rows.get(school);
    if (known) return known;
    const name = h('span', { class: 'school-name' });
    const count = h('span', { class: 'count', 'data-testid': 'school-count' });
    const people = h('ul', { class: 'presence' });
    const details = h('details', {}, h('summary', {}, name, count), people);
    const made: Row = { li: h('li', { 'data-school': school }, details), details, name, count, people, shown: [] };
    details.addEventListener('toggle', () => {
      if (details.open) fill(made); // only opened schools draw their people: a crowd draws a line per school
      else made.people.replaceChildren();
      if (!search.value.trim()) {
        if (details.open) opened.add(school);
        else opened.delete(school);
      }
    });
    rows.set(school, made);
    return made;
  };

  const drawSchools = (): void => {
    const online = live.state.online;
    const groups = bySchool(online);
    total.textContent = t('presence.total', { n: online.length, schools: groups.length });
    const q = search.value.trim().toLowerCase();
    const shown: HTMLElement[] = [];
    for (const g of groups) {
      const label = g.name || t('presence.no_school');
      const byName = q ? g.people.filter((p) => personName(p).toLowerCase().includes(q)) : [];
      const bySchoolName = !q || label.toLowerCase().includes(q);
      if (!bySchoolName && !byName.length) continue;
      const row = rowFor(g.name);
      row.name.textContent = label;
      row.count.textContent = t('presence.count', { n: g.people.length });
      row.shown = bySchoolName ? g.people : byName;
      const open = bySchoolName ? opened.has(g.name) : true; // found by a teacher's name: open on her
      if (row.details.open !== open) row.details.open = open;
      if (open) fill(row);
      shown.push(row.li);
    }
    for (const [school, row] of rows) if (!shown.includes(row.li) && !groups.some((g) => g.name === school)) rows.delete(school);
    const same = shown.length === schools.children.length && shown.every((li, i) => schools.children[i] === li);
    if (!same) schools.replaceChildren(...shown);
    none.hidden = shown.length > 0;
  };

  const draw = (): void => {
    const online = live.state.online;
    const isCrowd = online.length > CROWD;
    crowd.hidden = !isCrowd;
    list.hidden = isCrowd;
    if (isCrowd) drawSchools();
    else list.replaceChildren(...online.map((p) => personLine(live, p)));
  };
  search.addEventListener('input', drawSchools);
  live.on('presence', draw);
  draw();
  return h('div', { 'data-testid': 'presence', class: 'presence-panel' }, list, crowd);
}

/** The chat's mode: a note for everyone while a mode is on, and for moderators the switches. `gate` is
 * called with whether this user may write now (moderator-only mode closes the input for the others). */
export function chatModeBar(live: LiveRoom, roomId: string, status: HTMLElement, gate: (open: boolean) => void): HTMLElement {
  const note = h('p', { class: 'chat-mode-note', 'data-testid': 'chat-mode', role: 'status' });
  const slow = h('select', { id: 'chat-slow', 'aria-label': t('chat.slow_mode') },
    SLOW_CHOICES.map((s) => h('option', { value: s }, s ? t('chat.slow_every', { n: s }) : t('chat.slow_off'))));
  const only = h('button', { type: 'button', id: 'chat-moderated', 'aria-pressed': 'false' }, t('chat.moderated_on'));
  const set = (change: { slow_seconds?: number; moderated?: boolean }, el: HTMLButtonElement | HTMLSelectElement): void =>
    void busy(el, async () => {
      await call('chat:set_mode', { room_id: roomId, ...change });
    }, status);
  slow.onchange = () => set({ slow_seconds: Number(slow.value) }, slow);
  only.onclick = () => set({ moderated: !live.state.chatMode.moderated }, only);
  const controls = h('div', { class: 'row chat-mode', role: 'group', 'aria-label': t('chat.modes') },
    h('label', { class: 'inline' }, h('span', {}, t('chat.slow_mode')), slow), only);

  const draw = (): void => {
    const mode = live.state.chatMode;
    const moderator = canManage(live.state.me.role);
    const parts: string[] = [];
    if (mode.moderated) parts.push(t('chat.moderated_note'));
    if (mode.slow_seconds) parts.push(t('chat.slow_note', { n: mode.slow_seconds }));
    note.textContent = parts.join(' · ');
    note.hidden = parts.length === 0;
    controls.hidden = !moderator;
    if (!SLOW_CHOICES.includes(mode.slow_seconds)) slow.append(h('option', { value: mode.slow_seconds }, t('chat.slow_every', { n: mode.slow_seconds })));
    slow.value = String(mode.slow_seconds);
    only.setAttribute('aria-pressed', String(mode.moderated));
    only.textContent = mode.moderated ? t('chat.moderated_off') : t('chat.moderated_on');
    gate(moderator || !mode.moderated);
  };
  live.on('chatmode', draw);
  live.on('member', draw);
  draw();
  return h('div', { class: 'chat-modes' }, note, controls);
}
