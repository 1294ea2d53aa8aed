/** Preparation page (网络集体备课): at /rooms/{id}/prep the screen with the call panel beside the plan
 * (prep_call.ts); the lesson plan co-edited live with TipTap on Yjs (stock y-websocket
 * provider), collaborative cursors, comments anchored to text, versions (save / compare / restore), export,
 * read-only for observers, and a visible connection state. Lazy-loaded: the editor is the heaviest chunk. */
import { Editor } from '@tiptap/core';
import Collaboration from '@tiptap/extension-collaboration';
import CollaborationCaret from '@tiptap/extension-collaboration-caret';
import { TableKit } from '@tiptap/extension-table';
import StarterKit from '@tiptap/starter-kit';
// The same y-tiptap instance the Collaboration extension builds its sync plugin from: the plugin key and the
// binding's position mapping below must be that plugin's, not a separately installed y-prosemirror's.
import { absolutePositionToRelativePosition, relativePositionToAbsolutePosition, ySyncPluginKey } from '@tiptap/y-tiptap';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { api, downloadBlob, errorText, fetchBlob, Notice } from '../api';
import { clear, h } from '../dom';
import { formatTime, locale, roleName, t } from '../i18n';
import { navigate } from '../router';
import { LiveRoom } from '../roomstate';
import { canComment, canEdit, getRoom, listOf, type Room, roleOf } from '../rooms';
import { getSession, token } from '../session';
import { busy, errorBox, loading, toast, withLoading } from '../ui';
import { colorFor } from './colors';
import { callPanel, type EditorAt } from './prep_call';

interface Doc {
  id: string;
  room_id?: string;
  title: string;
  template?: string;
}

interface Version {
  id: string;
  number: number;
  name: string;
  created_by: number;
  created_at: number;
  restored_from?: string | null;
}

/** One entry of the document's "comments" Y.Map (README: Lesson-plan document structure). */
interface CommentEntry {
  id: string;
  thread: string | null;
  author: { id: number; name: string };
  text: string;
  created_at: number;
  anchor: { start: string; end: string } | null;
  quote?: string | null;
  section?: string | null;
  resolved?: boolean;
  replies?: CommentEntry[];
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
}

export function wsBase(): string {
  return (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host;
}

/** /rooms/{id}/prep opens the room's lesson plan (creating it from the template for editors). */
async function openPlan(room: Room): Promise<Doc | null> {
  const docs = listOf<Doc>(await api('GET', `/api/rooms/${room.id}/docs`), 'docs');
  const plan = docs[0];
  if (plan) return plan;
  if (!canEdit(roleOf(room))) return null;
  return api<Doc>('POST', `/api/rooms/${room.id}/docs`, { title: `${room.title} · ${t('doc.plan')}`, template: 'lesson_plan' });
}

function chineseNumber(n: number): string {
  const digits = '零一二三四五六七八九';
  if (n < 10) return digits[n];
  if (n < 20) return '十' + (n % 10 ? digits[n % 10] : '');
  if (n < 100) return digits[Math.floor(n / 10)] + '十' + (n % 10 ? digits[n % 10] : '');
  return String(n);
}

export function draftLabel(n: number): string {
  return locale() === 'zh-CN' ? `第${chineseNumber(n)}稿` : t('version.draft', { n });
}

export async function prepPage(root: HTMLElement, params: Record<string, string>): Promise<() => void> {
  if (!getSession()) {
    navigate(`/login?next=${encodeURIComponent(location.pathname)}`, true);
    return () => undefined;
  }
  root.append(loading());
  let room: Room;
  let doc: Doc | null;
  try {
    room = await getRoom(params.roomId);
    doc = params.docId ? await api<Doc>('GET', `/api/docs/${params.docId}`) : await openPlan(room);
  } catch (err) {
    root.replaceChildren(errorBox(err, () => navigate(location.pathname, true)));
    return () => undefined;
  }
  if (!doc) {
    root.replaceChildren(h('p', { class: 'muted' }, t('doc.none_yet')));
    return () => undefined;
  }
  // /rooms/{id}/prep is the 网络集体备课 screen: the plan with the call panel beside it
  return mountEditor(root, room, doc, !params.docId);
}

function mountEditor(root: HTMLElement, room: Room, doc: Doc, withCall: boolean): () => void {
  const me = getSession()!.user;
  const role = roleOf(room);
  const writable = canEdit(role);
  const ydoc = new Y.Doc();
  const provider = new WebsocketProvider(`${wsBase()}/collab`, doc.id, ydoc, { params: { token: token() } });
  const color = colorFor(me.id);

  // Connection state: connected / connecting (reconnecting) / offline, and edits not yet sent.
  const conn = h('span', { class: 'conn', role: 'status', 'aria-live': 'polite', 'data-testid': 'conn' });
  let pending = false;
  let closeReason = '';
  const showConn = (): void => {
    const st = provider.wsconnected ? (provider.synced ? 'connected' : 'syncing') : provider.wsconnecting ? 'reconnecting' : 'offline';
    conn.dataset.state = st;
    conn.dataset.pending = String(pending);
    conn.textContent = t(`conn.${st}`) + (pending ? ` · ${t('conn.pending')}` : '') + (closeReason && st !== 'connected' ? ` · ${closeReason}` : '');
  };
  provider.on('status', () => showConn());
  provider.on('sync', (synced: boolean) => {
    if (synced) {
      pending = false;
      closeReason = '';
    }
    showConn();
  });
  provider.on('connection-close', (ev: CloseEvent | null) => {
    if (ev && ev.code >= 4000) closeReason = ev.reason || String(ev.code);
    showConn();
  });
  ydoc.on('update', (_u: Uint8Array, origin: unknown) => {
    if (origin !== provider && !(provider.wsconnected && provider.synced)) {
      pending = true;
      showConn();
    }
  });
  // When the browser knows it is offline, stop trying and keep editing locally; reconnect (and sync the
  // edits made meanwhile) as soon as it is back online.
  const onOffline = (): void => {
    provider.disconnect();
    showConn();
  };
  const onOnline = (): void => {
    provider.connect();
    showConn();
  };
  window.addEventListener('offline', onOffline);
  window.addEventListener('online', onOnline);
  showConn();

  const editorEl = h('div', { class: 'editor', 'data-testid': 'editor' });
  const editor = new Editor({
    element: editorEl,
    editable: writable,
    extensions: [
      // Undo/redo come from Collaboration (Yjs' own undo manager, one user's edits only). No links (the
      // schema and the server's readers know none) and no automatic trailing paragraph: every client
      // adding one when it opens a shared document would be an edit nobody made.
      StarterKit.configure({ undoRedo: false, link: false, trailingNode: false }),
      TableKit.configure({ table: { resizable: false } }),
      Collaboration.configure({ document: ydoc, field: 'default' }),
      CollaborationCaret.configure({ provider, user: { name: me.display_name, color, id: me.id } }),
    ],
    editorProps: { attributes: { 'aria-label': t('doc.editor_label'), 'aria-readonly': String(!writable) } },
  });

  const toolbar = buildToolbar(editor);
  toolbar.hidden = !writable;
  const readonlyNote = h('p', { class: 'banner readonly', role: 'note', 'data-testid': 'readonly', hidden: writable }, t('doc.readonly'));

  // The room's live channel: follow role changes made by the host while the page is open (the editor
  // turns read-only or writable, and the document connection is made again so the server applies the new
  // role too), and on the preparation screen the call panel beside the plan.
  const roomLive = new LiveRoom(room.id);
  const screen = h('div', { class: withCall ? 'prep prep-screen' : 'prep' });
  const callBox = withCall ? callPanel(room.id, (collapsed) => screen.classList.toggle('call-collapsed', collapsed)) : null;
  const followRole = (): void => roomLive.on('member', () => {
    const nowWritable = canEdit(roomLive.state.me.role);
    if (nowWritable === editor.isEditable) return;
    editor.setEditable(nowWritable);
    editor.view.dom.setAttribute('aria-readonly', String(!nowWritable));
    toolbar.hidden = !nowWritable;
    readonlyNote.hidden = nowWritable;
    toast(t('doc.role_changed', { role: roleName(roomLive.state.me.role) }));
    provider.disconnect();
    provider.connect();
  });
  const joinRoom = (): void => {
    roomLive.join().then(() => {
      followRole();
      callBox?.mount(roomLive);
    }).catch((err: unknown) => callBox?.failed(err, () => {
      roomLive.leave();
      joinRoom();
    })); // without the live channel the editor still works; it just won't follow (nor call)
  };
  joinRoom();
  const stopEditing = callBox ? editingWhere(editor, ydoc, provider, callBox.showEditors) : () => undefined;
  const comments = buildComments(editor, ydoc, doc, canComment(role));
  const versions = buildVersions(doc, room, writable, role);
  const exporter = buildExport(doc);

  const tabs: [string, HTMLElement][] = [
    ['comments', comments.el],
    ['versions', versions],
    ['export', exporter],
  ];
  const tabBody = h('div', { class: 'tab-body' });
  const tabButtons = tabs.map(([name, el], i) => {
    const b = h('button', { type: 'button', role: 'tab', id: `tab-${name}`, 'aria-selected': String(i === 0) }, t(`doc.tab_${name}`));
    b.onclick = () => {
      tabButtons.forEach((x) => x.setAttribute('aria-selected', String(x === b)));
      tabBody.replaceChildren(el);
    };
    return b;
  });
  tabBody.append(comments.el);

  clear(screen,
    h('div', { class: 'doc-col' }, toolbar, editorEl),
    h('aside', { class: 'side', 'aria-label': t('doc.side') }, h('div', { role: 'tablist', class: 'tabs' }, tabButtons), tabBody),
    callBox?.el);
  clear(root,
    h('div', { class: 'page-head' },
      h('a', { href: `/rooms/${room.id}`, 'data-link': true }, `← ${room.title}`),
      h('h1', {}, doc.title),
      conn),
    readonlyNote,
    screen,
  );

  return () => {
    stopEditing();
    callBox?.stop();
    roomLive.leave();
    window.removeEventListener('offline', onOffline);
    window.removeEventListener('online', onOnline);
    comments.destroy();
    editor.destroy();
    provider.destroy();
    ydoc.destroy();
  };
}

function buildToolbar(editor: Editor): HTMLElement {
  type Cmd = [string, string, () => boolean, (() => boolean) | null];
  const c = () => editor.chain().focus();
  const cmds: Cmd[] = [
    ['bold', 'B', () => c().toggleBold().run(), () => editor.isActive('bold')],
    ['italic', 'I', () => c().toggleItalic().run(), () => editor.isActive('italic')],
    ['underline', 'U', () => c().toggleUnderline().run(), () => editor.isActive('underline')],
    ['h2', 'H2', () => c().toggleHeading({ level: 2 }).run(), () => editor.isActive('heading', { level: 2 })],
    ['h3', 'H3', () => c().toggleHeading({ level: 3 }).run(), () => editor.isActive('heading', { level: 3 })],
    ['bullet', '•', () => c().toggleBulletList().run(), () => editor.isActive('bulletList')],
    ['ordered', '1.', () => c().toggleOrderedList().run(), () => editor.isActive('orderedList')],
    ['table', '▦', () => c().insertTable({ rows: 3, cols: 3, withHeaderRow: true }).run(), null],
    ['add_row', '+行', () => c().addRowAfter().run(), null],
    ['add_col', '+列', () => c().addColumnAfter().run(), null],
    ['del_table', '−▦', () => c().deleteTable().run(), null],
    ['undo', '↶', () => c().undo().run(), null],
    ['redo', '↷', () => c().redo().run(), null],
  ];
  const buttons = cmds.map(([name, label, run, active]) => {
    const b = h('button', { type: 'button', class: 'tool', title: t(`tool.${name}`), 'aria-label': t(`tool.${name}`), 'data-tool': name }, label);
    b.onmousedown = (e) => e.preventDefault();
    b.onclick = () => void run();
    return { b, active };
  });
  const refresh = (): void => {
    for (const { b, active } of buttons) if (active) b.setAttribute('aria-pressed', String(active()));
  };
  editor.on('selectionUpdate', refresh);
  editor.on('transaction', refresh);
  return h('div', { class: 'toolbar', role: 'toolbar', 'aria-label': t('tool.label') }, buttons.map((x) => x.b));
}

/** Comment threads: read live from the document's "comments" Y.Map, written through the REST API. */
function buildComments(editor: Editor, ydoc: Y.Doc, doc: Doc, writable: boolean): { el: HTMLElement; destroy: () => void } {
  const map = ydoc.getMap('comments');
  const list = h('div', { class: 'threads', 'data-testid': 'comments' });
  const status = h('p', { class: 'status' });

  const binding = () => ySyncPluginKey.getState(editor.state)?.binding;
  const fragment = ydoc.getXmlFragment('default');

  function anchorRange(c: CommentEntry): [number, number] | null {
    const a = c.anchor;
    const b = binding();
    if (!a || !b) return null;
    try {
      const start = Y.decodeRelativePosition(fromBase64(a.start));
      const end = Y.decodeRelativePosition(fromBase64(a.end));
      const from = relativePositionToAbsolutePosition(ydoc, fragment, start, b.mapping);
      const to = relativePositionToAbsolutePosition(ydoc, fragment, end, b.mapping);
      return from !== null && to !== null ? [from, to + 1] : null;
    } catch {
      return null;
    }
  }

  function threads(): CommentEntry[] {
    const all = [...map.values()].map((v) => ({ ...((v instanceof Y.Map ? v.toJSON() : v) as object) }) as CommentEntry);
    const roots = all.filter((c) => !c.thread);
    for (const r of roots) r.replies = all.filter((c) => c.thread === r.id).sort((x, y) => x.created_at - y.created_at);
    // open threads first, then by time
    return roots.sort((x, y) => Number(!!x.resolved) - Number(!!y.resolved) || x.created_at - y.created_at);
  }

  function draw(): void {
    const items = threads();
    if (!items.length) {
      list.replaceChildren(h('p', { class: 'muted' }, t('comment.none')));
      return;
    }
    list.replaceChildren(...items.map((c) => {
      const reply = h('input', { 'aria-label': t('comment.reply'), placeholder: t('comment.reply') });
      const send = h('button', { type: 'submit', class: 'small' }, t('comment.send'));
      return h('article', { class: `thread${c.resolved ? ' resolved' : ''}`, 'data-comment-id': c.id },
        c.section && !c.quote ? h('p', { class: 'muted' }, `【${c.section}】`) : null,
        c.quote ? h('blockquote', {
          tabindex: 0,
          title: t('comment.show_in_text'),
          onclick: () => select(c),
          onkeydown: (e: KeyboardEvent) => e.key === 'Enter' && select(c),
        }, c.quote) : null,
        [c, ...(c.replies ?? [])].map((m) => h('div', { class: 'comment' },
          h('strong', {}, m.author?.name ?? ''), h('span', { class: 'muted' }, ` ${formatTime(m.created_at)}`),
          h('p', {}, m.text))),
        writable && h('form', { class: 'row', onsubmit: (e: Event) => {
          e.preventDefault();
          if (!reply.value.trim()) return;
          void busy(send, async () => {
            await api('POST', `/api/docs/${doc.id}/comments`, { text: reply.value.trim(), thread: c.id });
            reply.value = '';
          }, status);
        } }, reply, send),
        writable && h('button', { type: 'button', class: 'small link', onclick: (e: Event) => void busy(e.currentTarget as HTMLButtonElement, async () => {
          await api('PATCH', `/api/docs/${doc.id}/comments/${c.id}`, { resolved: !c.resolved });
        }, status) }, c.resolved ? t('comment.reopen') : t('comment.resolve')));
    }));
  }

  function select(c: CommentEntry): void {
    const r = anchorRange(c);
    if (r) editor.chain().focus().setTextSelection({ from: r[0], to: r[1] }).scrollIntoView().run();
  }

  const text = h('textarea', { rows: 3, 'aria-label': t('comment.new'), placeholder: t('comment.new_hint') });
  const add = h('button', { type: 'submit', class: 'primary' }, t('comment.add'));
  const form = writable && h('form', { class: 'new-comment', onsubmit: (e: Event) => {
    e.preventDefault();
    if (!text.value.trim()) return;
    void busy(add, async () => {
      const { from, to } = editor.state.selection;
      const b = binding();
      const body: Record<string, unknown> = { text: text.value.trim() };
      if (from !== to && b) {
        body.quote = editor.state.doc.textBetween(from, to, ' ');
        body.anchor = {
          // the start is the range's first character, the end its last one (README: comments anchor format)
          start: toBase64(Y.encodeRelativePosition(characterAt(from, fragment, b.mapping))),
          end: toBase64(Y.encodeRelativePosition(characterAt(to - 1, fragment, b.mapping))),
        };
      } else {
        // nothing selected: the comment belongs to the section the cursor is in (the server anchors it
        // to that section's heading)
        const section = sectionAt(editor, from);
        if (!section) throw new Notice(t('comment.new_hint'));
        body.section = section;
      }
      await api('POST', `/api/docs/${doc.id}/comments`, body);
      text.value = '';
    }, status);
  } }, h('p', { class: 'hint' }, t('comment.select_hint')), text, add);

  map.observeDeep(draw);
  draw();
  return { el: h('div', {}, form, status, list), destroy: () => map.unobserveDeep(draw) };
}

/** A Yjs relative position naming the character that starts at editor position `pos`, with assoc 0 (the
 * anchors TipTap 2's y-prosemirror wrote, which the server and `anchorRange` read). y-tiptap's helper makes
 * positions with assoc -1, naming the character *before* the position (and, at a text's start, no character
 * at all), so ask it for the position after that character and make the result name the character itself. */
function characterAt(pos: number, fragment: Y.XmlFragment, mapping: Parameters<typeof absolutePositionToRelativePosition>[2]): Y.RelativePosition {
  const after = absolutePositionToRelativePosition(pos + 1, fragment, mapping);
  return new Y.RelativePosition(after.type, after.tname, after.item, 0);
}

/** "Who is editing where" from the document's awareness: each person's name and colour (set by the
 * caret extension) and the section their cursor is in. Returns the unsubscribe function. */
function editingWhere(editor: Editor, ydoc: Y.Doc, provider: WebsocketProvider, show: (people: EditorAt[]) => void): () => void {
  const fragment = ydoc.getXmlFragment('default');
  const sectionOf = (cursor: unknown): string | null => {
    const head = (cursor as { head?: unknown } | null)?.head;
    const b = ySyncPluginKey.getState(editor.state)?.binding;
    if (!head || !b) return null;
    try {
      const pos = relativePositionToAbsolutePosition(ydoc, fragment, Y.createRelativePositionFromJSON(head), b.mapping);
      return pos === null ? null : sectionAt(editor, pos);
    } catch {
      return null;
    }
  };
  const draw = (): void => {
    const people: EditorAt[] = [];
    provider.awareness.getStates().forEach((state, clientId) => {
      const user = state.user as { name?: string; color?: string } | undefined;
      if (!user?.name) return;
      people.push({ clientId, name: user.name, color: user.color ?? '#888', section: sectionOf(state.cursor), me: clientId === ydoc.clientID });
    });
    show(people.sort((a, b) => Number(b.me) - Number(a.me) || a.name.localeCompare(b.name, 'zh-CN')));
  };
  // A cursor may arrive before the text it points into: redraw after document updates too (batched).
  let timer: ReturnType<typeof setTimeout> | null = null;
  const soon = (): void => {
    timer ??= setTimeout(() => {
      timer = null;
      draw();
    }, 150);
  };
  provider.awareness.on('change', soon);
  ydoc.on('update', soon);
  draw();
  return () => {
    if (timer) clearTimeout(timer);
    provider.awareness.off('change', soon);
    ydoc.off('update', soon);
  };
}

/** The title of the section (a level 1–2 heading, as the server counts them) that holds position `pos`. */
function sectionAt(editor: Editor, pos: number): string {
  let title = '';
  editor.state.doc.forEach((node, offset) => {
    if (offset <= pos && node.type.name === 'heading' && Number(node.attrs.level) <= 2) title = node.textContent.trim();
  });
  return title;
}

function buildVersions(doc: Doc, room: Room, writable: boolean, role: string | null): HTMLElement {
  const names = new Map<number, string>();
  const list = h('div', { 'data-testid': 'versions' });
  const diff = h('div', { class: 'diff', 'aria-live': 'polite', 'data-testid': 'diff' });
  const status = h('p', { class: 'status' });
  const from = h('select', { 'aria-label': t('version.from'), id: 'diff-from' });
  const to = h('select', { 'aria-label': t('version.to'), id: 'diff-to' });
  const mayRestore = writable || role === 'host' || role === 'moderator';

  const label = (v: Version): string => v.name || draftLabel(v.number);

  const reload = (): void => void withLoading(list, async () => {
    const [vs, members] = await Promise.all([
      api('GET', `/api/docs/${doc.id}/versions`).then((d) => listOf<Version>(d, 'versions')),
      names.size ? Promise.resolve([]) : api('GET', `/api/rooms/${room.id}/members`).then((d) => listOf<{ user_id: number; display_name: string }>(d, 'members')),
    ]);
    for (const m of members) names.set(m.user_id, m.display_name);
    return vs;
  }, (vs) => {
    const opts = (sel: HTMLSelectElement, withCurrent: boolean, pick: number): void => {
      clear(
        sel,
        vs.map((v, i) => h('option', { value: v.id, selected: i === pick }, label(v))),
        withCurrent ? h('option', { value: 'current', selected: pick < 0 }, t('version.current')) : null,
      );
    };
    opts(from, false, vs.length - 1);
    opts(to, true, -1);
    if (!vs.length) return h('p', { class: 'muted' }, t('version.none'));
    return h('ol', { class: 'versions' }, vs.map((v) => h('li', { class: 'row', 'data-version-id': v.id },
      h('strong', {}, label(v)),
      h('span', { class: 'muted' }, `${formatTime(v.created_at)} ${names.get(v.created_by) ?? ''}`),
      mayRestore && h('button', { type: 'button', class: 'small', 'data-restore': v.id, onclick: (e: Event) => {
        if (!confirm(t('version.restore_confirm', { label: label(v) }))) return;
        void busy(e.currentTarget as HTMLButtonElement, async () => {
          await api('POST', `/api/docs/${doc.id}/versions/${v.id}/restore`);
          toast(t('version.restored', { label: label(v) }));
          reload();
        }, status);
      } }, t('version.restore')))));
  });

  const save = h('button', { type: 'button', class: 'primary', id: 'save-version' }, t('version.save'));
  save.onclick = () => void busy(save, async () => {
    const v = await api<Version>('POST', `/api/docs/${doc.id}/versions`, {});
    toast(t('version.saved', { label: label(v) }));
    reload();
  }, status);

  const compare = h('button', { type: 'button', id: 'compare' }, t('version.compare'));
  compare.onclick = () => void busy(compare, async () => {
    diff.replaceChildren(loading());
    try {
      const res = await api<{ sections: DiffSection[] }>('GET', `/api/docs/${doc.id}/diff?from=${encodeURIComponent(from.value)}&to=${encodeURIComponent(to.value)}`);
      diff.replaceChildren(renderDiff(res));
    } catch (err) {
      diff.replaceChildren(h('p', { class: 'error-text', role: 'alert' }, errorText(err)));
    }
  });

  reload();
  return h('div', {},
    writable && save,
    status,
    list,
    h('h3', {}, t('version.compare_title')),
    h('div', { class: 'row' }, from, h('span', {}, '→'), to, compare),
    diff);
}

interface DiffSection {
  section: string;
  status: 'changed' | 'added' | 'removed';
  changes: { before: string; removed: string; added: string }[];
}

/** The server's per-section diff, with removals struck through in red and additions in green. */
export function renderDiff(res: { sections: DiffSection[] }): HTMLElement {
  if (!res.sections.length) return h('p', { class: 'muted' }, t('version.no_changes'));
  return h('div', { class: 'diff-sections' }, res.sections.map((s) => h('section', { class: `diff-section ${s.status}` },
    h('h4', {}, `【${s.section || t('version.top')}】`, h('span', { class: 'muted' }, t(`version.status_${s.status}`))),
    s.changes.map((c) => h('p', { class: 'change' },
      c.before ? h('span', { class: 'muted' }, `…${c.before}`) : null,
      c.removed ? h('del', { title: t('version.removed') }, c.removed) : null,
      c.added ? h('ins', { title: t('version.added') }, c.added) : null)))));
}

function buildExport(doc: Doc): HTMLElement {
  const status = h('p', { class: 'status' });
  const withComments = h('input', { type: 'checkbox', id: 'export-comments' });
  const formats: [string, string][] = [['docx', t('export.word')], ['md', t('export.markdown')], ['html', t('export.html')]];
  return h('div', { class: 'export' },
    h('p', {}, t('export.explain')),
    h('label', { class: 'inline' }, withComments, ' ', t('export.with_comments')),
    h('div', { class: 'row' }, formats.map(([fmt, name]) => h('button', { type: 'button', 'data-format': fmt, onclick: (e: Event) =>
      void busy(e.currentTarget as HTMLButtonElement, async () => {
        const blob = await fetchBlob(`/api/docs/${doc.id}/export?format=${fmt}${withComments.checked ? '&comments=1' : ''}`);
        downloadBlob(blob, `${doc.title}.${fmt}`);
      }, status) }, name))),
    status);
}
