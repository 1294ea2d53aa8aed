// Real Yjs clients for lesson-plan tests: the XmlFragment "default" (TipTap/y-prosemirror structure),
// the comments map and Yjs relative positions. Offline docs (no provider) and y-websocket clients.
//
// Usage: node lessonplan.mjs [WS_BASE_URL]; stdin: one JSON command per line {id, cmd, ...};
// stdout: one JSON reply per line {id, ok, ...}.
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import readline from 'node:readline'

const base = process.argv[2]
const clients = []
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')
const b64 = (u8) => Buffer.from(u8).toString('base64')
const unb64 = (s) => new Uint8Array(Buffer.from(s, 'base64'))

function open ({ doc, token }) {
  const ydoc = new Y.Doc()
  const c = { ydoc, provider: null }
  if (doc) {
    c.provider = new WebsocketProvider(base, doc, ydoc, {
      params: { token }, WebSocketPolyfill: WebSocket, disableBc: true, maxBackoffTime: 500
    })
  }
  clients.push(c)
  return clients.length - 1
}

function nodeJSON (node) {
  if (node instanceof Y.XmlText) return { text: node.toDelta() }
  const children = node.toArray().map(nodeJSON)
  if (node instanceof Y.XmlElement) return { type: node.nodeName, attrs: node.getAttributes(), content: children }
  return { content: children }
}

function at (ydoc, path) {
  let node = ydoc.getXmlFragment('default')
  for (const i of path) node = node.get(i)
  return node
}

function pathOf (ydoc, type) {
  const walk = (node, path) => {
    if (node === type) return path
    if (node instanceof Y.XmlText) return null
    const kids = node.toArray()
    for (let i = 0; i < kids.length; i++) {
      const found = walk(kids[i], [...path, i])
      if (found) return found
    }
    return null
  }
  return walk(ydoc.getXmlFragment('default'), [])
}

function plain (node) {
  if (node instanceof Y.XmlText) return node.toDelta().map((d) => typeof d.insert === 'string' ? d.insert : '').join('')
  return node.toArray().map(plain).join(node instanceof Y.XmlFragment ? '\n' : '')
}

function waitFor (pred, timeoutMs) {
  return new Promise((resolve, reject) => {
    const started = Date.now()
    const tick = () => {
      if (pred()) return resolve()
      if (Date.now() - started > timeoutMs) return reject(new Error('timeout'))
      setTimeout(tick, 10)
    }
    tick()
  })
}

async function handle (msg) {
  const c = clients[msg.client ?? 0]
  switch (msg.cmd) {
    case 'open': return { client: open(msg) }
    case 'wait_synced':
      await waitFor(() => c.provider.synced, msg.timeout ?? 10000)
      return {}
    case 'apply': Y.applyUpdate(c.ydoc, unb64(msg.update)); return {}
    case 'state': return { update: b64(Y.encodeStateAsUpdate(c.ydoc)) }
    case 'fragment': return { fragment: nodeJSON(c.ydoc.getXmlFragment('default')) }
    case 'plain': return { text: plain(c.ydoc.getXmlFragment('default')) }
    case 'wait_plain':
      await waitFor(() => plain(c.ydoc.getXmlFragment('default')).includes(msg.contains) !== (msg.absent === true), msg.timeout ?? 10000)
      return {}
    case 'insert': { // into the XmlText at `path` (UTF-16 index), optional formatting
      at(c.ydoc, msg.path).insert(msg.index, msg.text, msg.attrs ?? undefined)
      return {}
    }
    case 'delete': at(c.ydoc, msg.path).delete(msg.index, msg.length); return {}
    case 'relpos': {
      const rp = Y.createRelativePositionFromTypeIndex(at(c.ydoc, msg.path), msg.index, msg.assoc ?? 0)
      return { relpos: b64(Y.encodeRelativePosition(rp)) }
    }
    case 'resolve': {
      const abs = Y.createAbsolutePositionFromRelativePosition(Y.decodeRelativePosition(unb64(msg.relpos)), c.ydoc)
      if (!abs) return { position: null }
      return { position: { path: pathOf(c.ydoc, abs.type), index: abs.index, assoc: abs.assoc } }
    }
    case 'comments': return { comments: c.ydoc.getMap('comments').toJSON() }
    case 'set_comment': c.ydoc.getMap('comments').set(msg.key, msg.value); return {}
    case 'wait_comment':
      await waitFor(() => c.ydoc.getMap('comments').has(msg.key), msg.timeout ?? 10000)
      return {}
    case 'close': c.provider?.destroy(); return {}
    default: throw new Error(`unknown command ${msg.cmd}`)
  }
}

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', async (line) => {
  let msg
  try { msg = JSON.parse(line) } catch { return }
  try {
    out({ id: msg.id, ok: true, ...(await handle(msg)) })
  } catch (err) {
    out({ id: msg.id, ok: false, error: String(err?.stack || err) })
  }
})
rl.on('close', () => process.exit(0))
