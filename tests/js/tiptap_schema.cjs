// Checks that a Yjs update (base64 on stdin) shows in TipTap exactly as meant: @tiptap/y-tiptap (the
// y-prosemirror fork TipTap 3's Collaboration uses) turns the XmlFragment "default" into a ProseMirror doc
// under the web editor's TipTap schema (StarterKit and TableKit, configured as web/src/pages/prep.ts does),
// which throws on any node, attribute or mark the schema does not know; prints the doc as JSON.
//
// Usage: node tiptap_schema.cjs WEB_DIR < update.b64 — modules come from WEB_DIR/node_modules, so the
// Y.Doc is built with the same yjs instance y-tiptap uses.
const { createRequire } = require('node:module')
const path = require('node:path')
const fs = require('node:fs')

const req = createRequire(path.join(path.resolve(process.argv[2]), 'package.json'))
const Y = req('yjs')
const { getSchema } = req('@tiptap/core')
const StarterKit = req('@tiptap/starter-kit').default
const { TableKit } = req('@tiptap/extension-table')
const { yXmlFragmentToProseMirrorRootNode } = req('@tiptap/y-tiptap')

const schema = getSchema([
  StarterKit.configure({ undoRedo: false, link: false, trailingNode: false }),
  TableKit.configure({ table: { resizable: false } }),
])
const update = Buffer.from(fs.readFileSync(0, 'utf8').trim(), 'base64')
const ydoc = new Y.Doc()
Y.applyUpdate(ydoc, new Uint8Array(update))
const node = yXmlFragmentToProseMirrorRootNode(ydoc.getXmlFragment('default'), schema)
node.check() // content expressions and attributes are valid for the schema
process.stdout.write(JSON.stringify(node.toJSON()) + '\n')
