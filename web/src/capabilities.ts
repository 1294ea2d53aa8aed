/** Which server features exist, from the OpenAPI document: pages hide what this server does not offer
 * (e.g. a deployment without the documents API) instead of failing requests. */
let paths: Promise<Set<string>> | null = null;

export function serverPaths(): Promise<Set<string>> {
  paths ??= fetch('/api/openapi.json')
    .then((r) => (r.ok ? r.json() : { paths: {} }))
    .then((doc: { paths?: Record<string, unknown> }) => new Set(Object.keys(doc.paths ?? {})))
    .catch(() => new Set<string>());
  return paths;
}

export async function serverHas(path: string): Promise<boolean> {
  return (await serverPaths()).has(path);
}
