// The locale keys the web client looks up: every call of i18n.ts's t() and has() in web/src, read with the
// TypeScript compiler (its type checker tells i18n's t from any other function named t). A literal key is
// listed as is; a template literal (`tool.${name}`) as a pattern; a const initialised with either is followed;
// anything else is listed as unresolved. Also runs i18n.ts itself on a few counts, to show its plural forms.
//
// Usage: node locale_keys.cjs WEB_DIR — prints {keys, patterns, unresolved, categories, samples} as JSON.
const { createRequire, Module } = require('node:module')
const path = require('node:path')
const fs = require('node:fs')

const web = path.resolve(process.argv[2])
const ts = createRequire(path.join(web, 'package.json'))('typescript')
const src = path.join(web, 'src')
const i18n = path.join(src, 'i18n.ts')

const files = fs.readdirSync(src, { recursive: true }).filter((f) => f.endsWith('.ts')).map((f) => path.join(src, f))
const program = ts.createProgram(files, { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler, resolveJsonModule: true, noEmit: true, types: [] })
const checker = program.getTypeChecker()
const out = { keys: [], patterns: [], unresolved: [] }

function fromI18n (callee) {
  let sym = checker.getSymbolAtLocation(callee)
  if (sym && sym.flags & ts.SymbolFlags.Alias) sym = checker.getAliasedSymbol(sym)
  const decl = sym?.declarations?.[0]
  return decl !== undefined && path.resolve(decl.getSourceFile().fileName) === i18n
}

function collect (expr, where, withN) {
  if (ts.isParenthesizedExpression(expr)) return collect(expr.expression, where, withN)
  if (ts.isStringLiteral(expr) || ts.isNoSubstitutionTemplateLiteral(expr)) {
    return out.keys.push({ key: expr.text, where, n: withN })
  }
  if (ts.isTemplateExpression(expr)) {
    const esc = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
    const re = esc(expr.head.text) + expr.templateSpans.map((s) => '.+' + esc(s.literal.text)).join('')
    return out.patterns.push({ pattern: `^${re}$`, where })
  }
  if (ts.isConditionalExpression(expr)) {
    collect(expr.whenTrue, where, withN)
    return collect(expr.whenFalse, where, withN)
  }
  if (ts.isIdentifier(expr)) {
    const decl = checker.getSymbolAtLocation(expr)?.valueDeclaration
    if (decl && ts.isVariableDeclaration(decl) && decl.initializer &&
        ts.getCombinedNodeFlags(decl) & ts.NodeFlags.Const) return collect(decl.initializer, where, withN)
  }
  out.unresolved.push({ text: expr.getText(), where })
}

for (const file of program.getSourceFiles()) {
  if (!file.fileName.startsWith(src)) continue
  const visit = (node) => {
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && ['t', 'has'].includes(node.expression.text) &&
        node.arguments.length > 0 && fromI18n(node.expression)) {
      const { line } = file.getLineAndCharacterOfPosition(node.getStart())
      const where = `${path.relative(web, file.fileName)}:${line + 1}`
      const vars = node.arguments[1]
      const withN = vars !== undefined && ts.isObjectLiteralExpression(vars) &&
        vars.properties.some((p) => p.name && p.name.getText() === 'n')
      // i18n.ts's own t(key) passes its caller's key along: the callers are what is checked
      if (!(path.resolve(file.fileName) === i18n && ts.isIdentifier(node.arguments[0]) && node.arguments[0].text === 'key')) {
        collect(node.arguments[0], where, withN)
      }
    }
    ts.forEachChild(node, visit)
  }
  visit(file)
}

out.categories = Object.fromEntries(['zh-CN', 'en'].map((l) => [l, new Intl.PluralRules(l).resolvedOptions().pluralCategories]))

// i18n.ts itself, compiled to CommonJS, with the little of the browser it touches at start-up
const js = ts.transpileModule(fs.readFileSync(i18n, 'utf8'), { compilerOptions: { module: ts.ModuleKind.CommonJS,
  target: ts.ScriptTarget.ES2022, esModuleInterop: true, resolveJsonModule: true } }).outputText
globalThis.localStorage = { getItem: () => null, setItem: () => undefined }
globalThis.document = { documentElement: {} }
const mod = new Module(i18n)
mod.filename = i18n
mod.paths = Module._nodeModulePaths(src)
mod._compile(js, i18n)
const { t, setLocale } = mod.exports
out.samples = {}
for (const l of ['en', 'zh-CN']) {
  setLocale(l)
  out.samples[l] = Object.fromEntries([0, 1, 2, 5].map((n) => [n, t('eval.count', { n })]))
}
process.stdout.write(JSON.stringify(out) + '\n')
