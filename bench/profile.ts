// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time per function,
// inclusive time per function of our own code, and self time per package.
// Standalone: node bench/profile.ts [--top N] <file.cpuprofile>...

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileEntry {
  readonly name: string;
  readonly ms: number;
  readonly percent: number;
}

export interface ProfileSummary {
  readonly file: string;
  /** Sampled time, idle and module loading excluded, ms. */
  readonly busyMs: number;
  readonly selfByFunction: readonly ProfileEntry[];
  readonly selfByPackage: readonly ProfileEntry[];
  /** Inclusive time of the functions in src/ and gen/ (what our code costs with what it calls). */
  readonly inclusiveOwnCode: readonly ProfileEntry[];
}

/** One summary over several profiles (e.g. one per gateway process of a run). */
export function summarizeProfile(files: string | readonly string[], root: string, top = 25): ProfileSummary {
  const list = typeof files === "string" ? [files] : files;
  const selfFn = new Map<string, number>();
  const selfPkg = new Map<string, number>();
  const inclusive = new Map<string, number>();
  let busyUs = 0;
  for (const file of list) busyUs += accumulate(file, root, selfFn, selfPkg, inclusive);
  const entries = (map: Map<string, number>, count: number): ProfileEntry[] =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, count)
      .map(([name, us]) => ({ name, ms: Math.round(us / 100) / 10, percent: Math.round((us / busyUs) * 1000) / 10 }));
  return {
    file: list.join(", "),
    busyMs: Math.round(busyUs / 1000),
    selfByFunction: entries(selfFn, top),
    selfByPackage: entries(selfPkg, top),
    inclusiveOwnCode: entries(inclusive, top),
  };
}

function accumulate(
  file: string,
  root: string,
  selfFn: Map<string, number>,
  selfPkg: Map<string, number>,
  inclusive: Map<string, number>,
): number {
  const profile = JSON.parse(readFileSync(file, "utf8")) as CpuProfile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);

  // Self time per node from the samples and their time deltas (µs).
  const selfUs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i++) {
    const id = profile.samples[i];
    if (id === undefined) continue;
    // timeDeltas[i] is the time before sample i; attribute the gap after it to it instead.
    const delta = profile.timeDeltas[i + 1] ?? 0;
    selfUs.set(id, (selfUs.get(id) ?? 0) + Math.max(0, delta));
  }

  const label = (frame: CallFrame): string => {
    const where = frame.url === "" ? "" : ` ${shortUrl(frame.url, root)}:${frame.lineNumber + 1}`;
    return `${frame.functionName === "" ? "(anonymous)" : frame.functionName}${where}`;
  };

  // Module loading and compiling at startup is not the serving path: left out.
  const startup = new Map<number, boolean>();
  const isStartup = (id: number): boolean => {
    const known = startup.get(id);
    if (known !== undefined) return known;
    const frame = byId.get(id)?.callFrame;
    const parentId = parent.get(id);
    const value =
      frame !== undefined &&
      (frame.url.startsWith("node:internal/modules/") || frame.url.startsWith("node:internal/main/") || frame.functionName === "compileSourceTextModule")
        ? true
        : parentId === undefined
          ? false
          : isStartup(parentId);
    startup.set(id, value);
    return value;
  };
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    if (node.callFrame.functionName === "(idle)" || isStartup(id)) continue;
    busyUs += us;
    add(selfFn, label(node.callFrame), us);
    add(selfPkg, packageOf(node.callFrame), us);
    // Inclusive: every distinct own-code function on this node's stack gets the time once.
    const seen = new Set<string>();
    for (let cursor: number | undefined = id; cursor !== undefined; cursor = parent.get(cursor)) {
      const frame = byId.get(cursor)?.callFrame;
      if (frame === undefined) break;
      if (!isOwnCode(frame.url, root)) continue;
      const key = label(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      add(inclusive, key, us);
    }
  }
  return busyUs;
}

export function formatProfile(summary: ProfileSummary): string {
  const section = (title: string, entries: readonly ProfileEntry[]) =>
    [title, ...entries.map((e) => `  ${e.percent.toFixed(1).padStart(5)}%  ${e.ms.toFixed(0).padStart(7)} ms  ${e.name}`)].join("\n");
  return [
    `CPU profile ${summary.file} (${summary.busyMs} ms busy)`,
    section("Self time by package:", summary.selfByPackage),
    section("Self time by function:", summary.selfByFunction),
    section("Inclusive time, our code (src/, gen/):", summary.inclusiveOwnCode),
  ].join("\n\n");
}

function add(map: Map<string, number>, key: string, us: number): void {
  map.set(key, (map.get(key) ?? 0) + us);
}

function shortUrl(url: string, root: string): string {
  const path = url.startsWith("file://") ? fileURLToPath(url) : url;
  const nodeModules = path.lastIndexOf("/node_modules/");
  if (nodeModules >= 0) return path.slice(nodeModules + "/node_modules/".length);
  return path.startsWith(root) ? path.slice(root.length).replace(/^\//, "") : path;
}

function isOwnCode(url: string, root: string): boolean {
  if (url === "" || url.includes("/node_modules/")) return false;
  const path = shortUrl(url, root);
  // Also a patched copy elsewhere (--gateway-entry /tmp/copy/src/main.ts).
  return path.startsWith("src/") || path.startsWith("gen/") || /\/(src|gen)\//.test(path);
}

function packageOf(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url === "") return functionName.startsWith("(") ? functionName : "(native)";
  if (url.startsWith("node:")) return `node:${url.slice(5).split("/")[1] ?? url.slice(5)}`;
  const nodeModules = url.lastIndexOf("/node_modules/");
  if (nodeModules >= 0) {
    const parts = url.slice(nodeModules + "/node_modules/".length).split("/");
    return parts[0]?.startsWith("@") ? `${parts[0]}/${parts[1] ?? ""}` : (parts[0] ?? url);
  }
  const own = /\/(src|gen|bench)\/(.*)$/.exec(url);
  if (own !== null) return `${own[1]}/${(own[2] ?? "").split("/")[0] ?? ""}`;
  return url;
}

if (import.meta.main) {
  const args = process.argv.slice(2);
  const topFlag = args.indexOf("--top");
  const top = topFlag >= 0 ? Number(args[topFlag + 1]) : 25;
  const files = args.filter((_, i) => i !== topFlag && i !== topFlag + 1 || topFlag < 0);
  if (files.length === 0) {
    process.stderr.write("usage: node bench/profile.ts [--top N] <file.cpuprofile>...\n");
    process.exit(2);
  }
  const root = fileURLToPath(new URL("..", import.meta.url));
  process.stdout.write(`${formatProfile(summarizeProfile(files, root, top))}\n`);
}
