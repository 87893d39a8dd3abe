/**
 * `deno task lint:layers`: checks every import against the rank table of style.md §2 (§3.15)
 * and exits 1 listing each offending import as `file → imported file: rule`.
 *
 * The import graph comes from one `deno info --json` over a synthetic root that imports every
 * `.ts` file under `src/`, `ffi/` and `tests/` plus `main.ts`, so entry points that main.ts
 * does not reach (src/virtual/cli.ts, test helpers) are covered too. It includes literal
 * dynamic `import("…")`; a computed dynamic import in product code is reported, because no
 * tool can see where it goes.
 *
 * Rules (product code = every non-test file under `src/`, `ffi/`, and `main.ts`):
 * 1. A file imports from its own folder and from what its row in {@linkcode LAYERS} allows.
 * 2. Cross-folder imports go through the target folder's `mod.ts`, unless the table names the
 *    file (`src/iso7816/sw.ts` for src/virtual) or the folder has no facade (`src/util/`).
 * 3. Files starting with `_` are private to their folder (its layer, for src/ and ffi/).
 * 4. src/virtual never imports src/openpgp, directly or through another folder.
 * 5. Product code never imports test code.
 * 6. Every product file is reached from a product entry point ({@linkcode ENTRY_POINTS}):
 *    a file only tests use is test support, which lives under `tests/support/` (or beside
 *    the tests that use it), never in a product folder.
 * Test files (`*_test.ts`, everything under `tests/`) are exempt from 1, 2 and 5; rule 4
 * binds the virtual card's own tests too (they must not lean on the host side), while tests
 * elsewhere may import both.
 * @module
 */

import { Buffer } from "node:buffer";
import { EXCEPTIONS, type Layer, LAYERS } from "./lint_layers_table.ts";

export { EXCEPTIONS, type Layer, type LayerException, LAYERS } from "./lint_layers_table.ts";

/** One import: project-relative paths. */
export interface ImportEdge {
  from: string;
  to: string;
  /** Only `import type`/`export type` (erased at run time). */
  typeOnly?: boolean;
  dynamic?: boolean;
}

/** A broken rule; `to` is empty for a problem with the file itself. */
export interface Violation {
  from: string;
  to: string;
  rule: string;
}

/** True for `*_test.ts` and everything under `tests/`. */
export function isTestFile(path: string): boolean {
  return path.startsWith("tests/") || path.endsWith("_test.ts");
}

function covers(entry: string, path: string): boolean {
  return entry.endsWith("/") ? path.startsWith(entry) : path === entry;
}

/** The row of {@linkcode LAYERS} a path belongs to (longest match), if any. */
export function layerOf(path: string): Layer | undefined {
  let best: Layer | undefined;
  for (const layer of LAYERS) {
    if (covers(layer.path, path) && (!best || layer.path.length > best.path.length)) {
      best = layer;
    }
  }
  return best;
}

function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The folder a `_private.ts` file is private to: its layer, else its directory. */
function privateOwner(path: string): string {
  const layer = layerOf(path);
  if (layer?.path.endsWith("/")) return layer.path;
  return path.slice(0, path.lastIndexOf("/") + 1);
}

function describe(layer: Layer | undefined, path: string): string {
  return layer ? `${layer.path} (rank ${layer.rank})` : `${path} (outside the rank table)`;
}

const VIRTUAL = "src/virtual/";
const OPENPGP = "src/openpgp/";
const NEVER_OPENPGP = "src/virtual must never import src/openpgp";

/** Rules 1–5 for one edge (rule 4 only directly). */
export function checkEdge(edge: ImportEdge): string[] {
  const { from, to } = edge;
  if (from === to) return [];
  const rules: string[] = [];
  if (basename(to).startsWith("_") && !from.startsWith(privateOwner(to))) {
    rules.push(`${basename(to)} is private to ${privateOwner(to)}`);
  }
  if (from.startsWith(VIRTUAL) && to.startsWith(OPENPGP)) return [NEVER_OPENPGP, ...rules];
  if (isTestFile(from)) return rules;
  if (isTestFile(to)) return [...rules, "product code must not import test code"];
  const source = layerOf(from);
  const target = layerOf(to);
  if (!source || source === target) return rules;
  if (source.path === OPENPGP && to.startsWith("ffi/")) {
    rules.push("src/openpgp must not import ffi/");
  } else {
    const allowed = source.mayImport === "anything" ||
      source.mayImport.some((entry) => covers(entry, to)) ||
      EXCEPTIONS.some((e) => covers(e.from, from) && e.to === to);
    const asType = source.typeOnly?.includes(to) ?? false;
    if (asType && !edge.typeOnly) {
      rules.push(`${to} may be imported as a type only (import type)`);
    } else if (!allowed && !asType) {
      rules.push(`${describe(source, from)} may not import ${describe(target, to)}`);
    }
  }
  const named = source.mayImport !== "anything" && source.mayImport.includes(to) ||
    (source.typeOnly?.includes(to) ?? false);
  if (target?.path.endsWith("/") && target.facade !== false && !named) {
    const facade = `${target.path}mod.ts`;
    if (to !== facade) rules.push(`cross-folder import must go through ${facade}`);
  }
  return rules;
}

/** Rule 4 transitively: the first path from `start` into src/openpgp, if any. */
function pathToOpenpgp(start: string, next: Map<string, string[]>): string[] | undefined {
  const parent = new Map<string, string>([[start, ""]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    if (file.startsWith(OPENPGP)) {
      const path = [file];
      for (let p = parent.get(file); p; p = parent.get(p)) path.unshift(p);
      return path;
    }
    for (const to of next.get(file) ?? []) {
      if (!parent.has(to)) {
        parent.set(to, file);
        queue.push(to);
      }
    }
  }
  return undefined;
}

/** The product's entry points: the program and the virtual card's own command (`deno task vcard`). */
export const ENTRY_POINTS: readonly string[] = ["main.ts", "src/virtual/cli.ts"];

/** Options for {@linkcode checkLayers}. */
export interface CheckOptions {
  /** Every file analysed (also those that import nothing), to find files outside the table. */
  files?: readonly string[];
  /** Entry points for rule 6; without them rule 6 is not checked. */
  entries?: readonly string[];
}

function isProduct(file: string): boolean {
  return !isTestFile(file) && (file.startsWith("src/") || file.startsWith("ffi/"));
}

/** Rule 6: product files no entry point reaches through product imports. */
function unreached(
  edges: readonly ImportEdge[],
  files: ReadonlySet<string>,
  entries: readonly string[],
): string[] {
  const next = new Map<string, string[]>();
  for (const e of edges) {
    if (!isTestFile(e.from)) next.set(e.from, [...(next.get(e.from) ?? []), e.to]);
  }
  const seen = new Set(entries);
  const queue = [...entries];
  while (queue.length > 0) {
    for (const to of next.get(queue.pop()!) ?? []) {
      if (!seen.has(to)) {
        seen.add(to);
        queue.push(to);
      }
    }
  }
  return [...files].filter((f) => isProduct(f) && !seen.has(f));
}

/** All violations in an import graph, sorted by file. */
export function checkLayers(edges: readonly ImportEdge[], options: CheckOptions = {}): Violation[] {
  const out: Violation[] = [];
  const files = new Set([...(options.files ?? []), ...edges.map((e) => e.from)]);
  for (const file of files) {
    if (isProduct(file) && !layerOf(file)) {
      out.push({ from: file, to: "", rule: "file is in no row of the rank table (LAYERS)" });
    }
  }
  if (options.entries) {
    for (const file of unreached(edges, files, options.entries)) {
      out.push({
        from: file,
        to: "",
        rule: "no entry point reaches this product file: test support goes under tests/support/",
      });
    }
  }
  const next = new Map<string, string[]>();
  for (const edge of edges) {
    next.set(edge.from, [...(next.get(edge.from) ?? []), edge.to]);
    for (const rule of checkEdge(edge)) out.push({ from: edge.from, to: edge.to, rule });
  }
  // rule 4 through other folders: report the edge where product code leaves src/virtual
  for (const edge of edges) {
    if (!edge.from.startsWith(VIRTUAL) || isTestFile(edge.from)) continue;
    if (edge.to.startsWith(VIRTUAL) || edge.to.startsWith(OPENPGP)) continue;
    const path = pathToOpenpgp(edge.to, next);
    if (path) {
      out.push({
        from: edge.from,
        to: edge.to,
        rule: `${NEVER_OPENPGP} (via ${path.join(" → ")})`,
      });
    }
  }
  return out.sort((a, b) => a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
}

/** `file → imported file: rule` */
export function formatViolation(v: Violation): string {
  return v.to === "" ? `${v.from}: ${v.rule}` : `${v.from} → ${v.to}: ${v.rule}`;
}

interface InfoDependency {
  code?: { specifier?: string; error?: string };
  type?: { specifier?: string; error?: string };
  isDynamic?: boolean;
}
interface InfoModule {
  specifier: string;
  error?: string;
  dependencies?: InfoDependency[];
}

/**
 * Project edges from `deno info --json` output; `root` is the project's `file://` URL with a
 * trailing slash. Problems deno reports (unresolvable imports) come back as violations.
 */
export function edgesFromDenoInfo(
  info: { modules: InfoModule[] },
  root: string,
): { edges: ImportEdge[]; problems: Violation[] } {
  const edges: ImportEdge[] = [];
  const problems: Violation[] = [];
  const local = (url: string | undefined) =>
    url?.startsWith(root) ? decodeURIComponent(url.slice(root.length)) : undefined;
  for (const module of info.modules) {
    const from = local(module.specifier);
    if (from === undefined) continue;
    if (module.error) problems.push({ from, to: "", rule: `cannot analyse: ${module.error}` });
    for (const dep of module.dependencies ?? []) {
      const error = dep.code?.error ?? dep.type?.error;
      if (error) problems.push({ from, to: "", rule: `cannot resolve an import: ${error}` });
      const to = local(dep.code?.specifier ?? dep.type?.specifier);
      if (to === undefined) continue;
      edges.push({ from, to, typeOnly: !dep.code?.specifier, dynamic: dep.isDynamic ?? false });
    }
  }
  return { edges, problems };
}

/**
 * `import(` (as deno fmt writes it) whose argument is not a plain string literal; comment
 * lines are ignored.
 */
export function hasComputedImport(source: string): boolean {
  return source.split("\n").some((line) =>
    !/^\s*(\/\/|\*|\/\*)/.test(line) &&
    /(^|[^\w.$])import\((?!\s*(["'][^"'`]*["']|`[^`$]*`)\s*[,)])/.test(line)
  );
}

async function walk(dir: string, out: string[]): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) await walk(path, out);
    else if (entry.isFile && entry.name.endsWith(".ts")) out.push(path);
  }
}

async function main(): Promise<number> {
  const rootUrl = new URL("../", import.meta.url);
  const rootDir = rootUrl.pathname.replace(/\/$/, "");
  const files = ["main.ts"];
  for (const dir of ["src", "ffi", "tests"]) await walk(`${rootDir}/${dir}`, files);
  const relative = files.map((f) => f.startsWith(rootDir) ? f.slice(rootDir.length + 1) : f)
    .sort();
  // one deno info over a root that imports every file: the whole graph in a single run
  const rootSource = relative.map((f) => `import "${new URL(f, rootUrl).href}";`).join("\n");
  const dataUrl = `data:application/typescript;base64,${
    Buffer.from(rootSource).toString("base64")
  }`;
  const result = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", dataUrl],
    cwd: rootDir, // so deno.json's import map applies
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!result.success) {
    console.error(`Cannot run deno info: ${new TextDecoder().decode(result.stderr).trim()}`);
    return 2;
  }
  const info = JSON.parse(new TextDecoder().decode(result.stdout));
  const { edges, problems } = edgesFromDenoInfo(info, rootUrl.href);
  const violations = [
    ...problems,
    ...checkLayers(edges, { files: relative, entries: ENTRY_POINTS }),
  ];
  for (const file of relative) {
    if (isTestFile(file)) continue;
    if (hasComputedImport(await Deno.readTextFile(`${rootDir}/${file}`))) {
      violations.push({ from: file, to: "", rule: "computed dynamic import() cannot be checked" });
    }
  }
  for (const v of violations) console.log(formatViolation(v));
  const verdict = violations.length === 0 ? "ok" : `${violations.length} violations`;
  console.log(`lint:layers: ${relative.length} files, ${edges.length} imports, ${verdict}`);
  return violations.length === 0 ? 0 : 1;
}

if (import.meta.main) {
  Deno.exit(await main());
}
