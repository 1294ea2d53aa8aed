// Real Yjs clients (stock y-websocket WebsocketProvider) driven by the Python tests over stdin/stdout.
//
// Usage: node yclients.mjs WS_BASE_URL
// stdin: one JSON command per line {id, cmd, ...}; stdout: one JSON line per reply ({id, ok, ...})
// or event ({event, client, ...}). Clients are numbered by the order of their `open` command.
import * as Y from 'yjs'
import { WebsocketProvider } from 'y-websocket'
import WebSocket from 'ws'
import readline from 'node:readline'

const base = process.argv[2]
const clients = []
const out = (obj) => process.stdout.write(JSON.stringify(obj) + '\n')

// y-websocket reports an auth "permission denied" message only through console.warn
const origWarn = console.warn
console.warn = (...args) => {
  const text = args.join(' ')
  if (text.includes('Permission denied')) out({ event: 'denied', text })
  else origWarn(...args)
}

function open ({ doc, token, name }) {
  const ydoc = new Y.Doc()
  const provider = new WebsocketProvider(base, doc, ydoc, {
    params: token ? { token } : {},
    WebSocketPolyfill: WebSocket,
    disableBc: true,
    maxBackoffTime: 500
  })
  const index = clients.length
  const c = { ydoc, provider, received: 0, name: name || `c${index}` }
  clients.push(c)
  provider.awareness.setLocalStateField('user', { name: c.name })
  provider.on('sync', (synced) => { if (synced) out({ event: 'synced', client: index }) })
  provider.on('connection-close', (ev) => out({ event: 'close', client: index, code: ev?.code, reason: ev?.reason?.toString() }))
  ydoc.on('update', (_u, origin) => { if (origin === provider) c.received++ })
  return index
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

async function storm ({ clients: which, edits, interval }) {
  // each client sets keys "<name>:<i>" in the map "m" (no cross-client dependencies)
  await Promise.all(which.map(async (i) => {
    const c = clients[i]
    for (let k = 0; k < edits; k++) {
      c.ydoc.getMap('m').set(`${c.name}:${k}`, k)
      await new Promise((resolve) => setTimeout(resolve, interval))
    }
  }))
}

async function handle (msg) {
  const c = clients[msg.client ?? 0]
  switch (msg.cmd) {
    case 'open': return { client: open(msg) }
    case 'wait_synced':
      await waitFor(() => clients[msg.client].provider.synced, msg.timeout ?? 10000)
      return {}
    case 'insert':
      c.ydoc.getText('t').insert(msg.index ?? c.ydoc.getText('t').length, msg.text)
      return {}
    case 'set': c.ydoc.getMap('m').set(msg.key, msg.value); return {}
    case 'text': return { text: c.ydoc.getText('t').toString() }
    case 'map': return { map: c.ydoc.getMap('m').toJSON() }
    case 'received': return { received: c.received }
    case 'wait_text':
      await waitFor(() => c.ydoc.getText('t').toString() === msg.text, msg.timeout ?? 10000)
      return {}
    case 'wait_text_length':
      await waitFor(() => c.ydoc.getText('t').length >= msg.length, msg.timeout ?? 10000)
      return { text: c.ydoc.getText('t').toString() }
    case 'wait_map_size':
      await waitFor(() => c.ydoc.getMap('m').size >= msg.size, msg.timeout ?? 10000)
      return {}
    case 'awareness_names':
      return { names: [...c.provider.awareness.getStates().values()].map((s) => s.user?.name).filter(Boolean).sort() }
    case 'disconnect': c.provider.disconnect(); return {}
    case 'connect': c.provider.connect(); return {}
    case 'disconnect_all': clients.forEach((x) => x.provider.disconnect()); return {}
    case 'storm': await storm(msg); return {}
    case 'exit':
      clients.forEach((x) => x.provider.destroy())
      setTimeout(() => process.exit(0), 50)
      return {}
    default: throw new Error(`unknown command ${msg.cmd}`)
  }
}

const rl = readline.createInterface({ input: process.stdin })
rl.on('line', (line) => {
  const msg = JSON.parse(line)
  handle(msg).then(
    (res) => out({ id: msg.id, ok: true, ...res }),
    (err) => out({ id: msg.id, ok: false, error: String(err) })
  )
})
rl.on('close', () => process.exit(0))
