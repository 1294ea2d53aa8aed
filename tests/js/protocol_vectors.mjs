// Prints y-websocket messages encoded by the real y-protocols/lib0 code, as JSON {name: hex}.
// The Python protocol module must decode and re-encode them byte for byte.
import * as Y from 'yjs'
import * as encoding from 'lib0/encoding'
import * as syncProtocol from 'y-protocols/sync'
import * as awarenessProtocol from 'y-protocols/awareness'
import * as authProtocol from 'y-protocols/auth'

const hex = (u8) => Buffer.from(u8).toString('hex')
const doc = new Y.Doc()
doc.clientID = 123456789
doc.getText('t').insert(0, '课题：《秋天的雨》')
const out = {}

let e = encoding.createEncoder()
encoding.writeVarUint(e, 0)
syncProtocol.writeSyncStep1(e, doc)
out.step1 = hex(encoding.toUint8Array(e))

e = encoding.createEncoder()
encoding.writeVarUint(e, 0)
syncProtocol.writeSyncStep2(e, doc)
out.step2 = hex(encoding.toUint8Array(e))

e = encoding.createEncoder()
encoding.writeVarUint(e, 0)
syncProtocol.writeUpdate(e, Y.encodeStateAsUpdate(doc))
out.update = hex(encoding.toUint8Array(e))
out.update_payload = hex(Y.encodeStateAsUpdate(doc))
out.state_vector = hex(Y.encodeStateVector(doc))

const aw = new awarenessProtocol.Awareness(doc)
aw.setLocalStateField('user', { name: '王老师', color: '#f00' })
e = encoding.createEncoder()
encoding.writeVarUint(e, 1)
encoding.writeVarUint8Array(e, awarenessProtocol.encodeAwarenessUpdate(aw, [doc.clientID]))
out.awareness = hex(encoding.toUint8Array(e))
out.awareness_state = JSON.stringify(aw.getLocalState())
aw.destroy()

e = encoding.createEncoder()
encoding.writeVarUint(e, 2)
authProtocol.writePermissionDenied(e, '只读：观课教师不能编辑')
out.auth = hex(encoding.toUint8Array(e))

e = encoding.createEncoder()
encoding.writeVarUint(e, 3)
out.query = hex(encoding.toUint8Array(e))

// a long update (> 127 bytes: multi-byte length varuint)
doc.getText('t').insert(0, '教学目标'.repeat(40))
out.big_update_payload = hex(Y.encodeStateAsUpdate(doc))
e = encoding.createEncoder()
encoding.writeVarUint(e, 0)
syncProtocol.writeUpdate(e, Y.encodeStateAsUpdate(doc))
out.big_update = hex(encoding.toUint8Array(e))

process.stdout.write(JSON.stringify(out))
