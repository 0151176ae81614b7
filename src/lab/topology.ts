// containerlab topology files (*.clab.yml) parsed into what `rackroute lab` needs: nodes with their role, binds
// resolved to host paths, exec commands, and veth links. Everything a run needs is checked here, before anything
// is created, and every error names the node (or link) and the line of the file.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import yaml from 'js-yaml';

/** What runs in a node's namespace, decided by its image. */
export type NodeRole = 'frr' | 'bird' | 'rackroute' | 'host';

export interface Bind {
  readonly host: string; // absolute path on this machine
  readonly container: string; // path inside the container
}

export interface LabNode {
  readonly name: string;
  readonly image: string;
  readonly role: NodeRole;
  readonly binds: readonly Bind[];
  readonly exec: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  readonly line: number;
}

export interface Endpoint {
  readonly node: string;
  readonly iface: string;
}

export interface LabLink {
  readonly a: Endpoint;
  readonly b: Endpoint;
  readonly line: number;
}

export interface Topology {
  readonly name: string;
  readonly file: string;
  readonly dir: string;
  readonly nodes: readonly LabNode[];
  readonly links: readonly LabLink[];
}

export class TopologyError extends Error {
  override readonly name = 'TopologyError';
  constructor(
    readonly file: string,
    readonly line: number,
    readonly where: string,
    readonly detail: string,
  ) {
    super(`${file}:${line}: ${where}: ${detail}`);
  }
}

/** Images are matched by name: FRR and BIRD routers, rackroute servers, plain hosts. */
const IMAGE_ROLES: ReadonlyArray<[RegExp, NodeRole]> = [
  [/(^|\/)frr(:|$)|frrouting/, 'frr'],
  [/(^|\/)bird2?(:|$)/, 'bird'],
  [/(^|\/)rackroute(:|$)/, 'rackroute'],
  [/(^|\/)(alpine|debian|ubuntu|busybox)(:|$)|network-multitool/, 'host'],
];

export function roleOfImage(image: string): NodeRole | undefined {
  return IMAGE_ROLES.find(([re]) => re.test(image))?.[1];
}

/** Files each role needs bound, by container path. */
const REQUIRED_BINDS: Readonly<Record<NodeRole, readonly string[]>> = {
  frr: ['/etc/frr/daemons', '/etc/frr/frr.conf'],
  bird: ['/etc/bird/bird.conf'],
  rackroute: ['/etc/rackroute/site.yaml'],
  host: [],
};

const IFACE_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,14}$/;
const NAME_RE = /^[a-z0-9][a-z0-9-]{0,30}$/;

/** Line numbers (1-based) of the keys under `topology.nodes` and of each entry of `topology.links`. */
function locate(text: string): { nodes: Map<string, number>; links: number[]; name: number } {
  const lines = text.split('\n');
  const nodes = new Map<string, number>();
  const links: number[] = [];
  let section: 'none' | 'nodes' | 'links' = 'none';
  let sectionIndent = -1;
  let childIndent = -1;
  let name = 1;
  lines.forEach((raw, i) => {
    const line = raw.replace(/\s+#.*$/, '');
    if (/^\s*(#.*)?$/.test(line)) return;
    const indent = line.length - line.trimStart().length;
    if (/^name\s*:/.test(line)) name = i + 1;
    const key = /^\s*(nodes|links)\s*:\s*$/.exec(line);
    if (key && indent > 0) {
      section = key[1] as 'nodes' | 'links';
      sectionIndent = indent;
      childIndent = -1;
      return;
    }
    if (section === 'none' || indent <= sectionIndent) {
      if (indent <= sectionIndent) section = 'none';
      return;
    }
    if (childIndent < 0) childIndent = indent;
    if (indent !== childIndent) return;
    if (section === 'nodes') {
      const m = /^\s*"?([^":]+)"?\s*:/.exec(line);
      if (m) nodes.set(m[1].trim(), i + 1);
    } else if (/^\s*-/.test(line)) {
      links.push(i + 1);
    }
  });
  return { nodes, links, name };
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function strings(v: unknown): string[] | undefined {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string')) return undefined;
  return v as string[];
}

/** Parses and checks a topology. Throws TopologyError naming the node/link and line of the first problem. */
export function parseTopology(text: string, file: string): Topology {
  const path = resolve(file);
  const dir = dirname(path);
  let doc: unknown;
  try {
    doc = yaml.load(text, { filename: file });
  } catch (e) {
    const mark = (e as { mark?: { line: number } }).mark;
    throw new TopologyError(file, (mark?.line ?? 0) + 1, 'yaml', (e as Error).message.split('\n')[0]);
  }
  const at = locate(text);
  if (!isObj(doc)) throw new TopologyError(file, 1, 'file', 'expected a mapping with `name` and `topology`');
  const name = doc.name;
  if (typeof name !== 'string' || !NAME_RE.test(name)) {
    throw new TopologyError(file, at.name, 'name', 'expected a lab name of lowercase letters, digits and dashes');
  }
  const topo = doc.topology;
  if (!isObj(topo) || !isObj(topo.nodes)) {
    throw new TopologyError(file, 1, 'topology', 'expected `topology.nodes` (a mapping of node names)');
  }

  const nodes: LabNode[] = [];
  for (const [nodeName, spec] of Object.entries(topo.nodes)) {
    const line = at.nodes.get(nodeName) ?? 1;
    const fail = (detail: string): never => {
      throw new TopologyError(file, line, `node ${nodeName}`, detail);
    };
    if (!NAME_RE.test(nodeName)) fail('node names are lowercase letters, digits and dashes (at most 31)');
    if (!isObj(spec)) fail('expected a mapping with kind, image, binds, exec');
    const s = spec as Obj;
    if (s.kind !== 'linux') fail(`kind ${JSON.stringify(s.kind)} is not supported (only \`linux\`)`);
    if (typeof s.image !== 'string') fail('missing `image`');
    const image = s.image as string;
    const role = roleOfImage(image) ?? fail(`unknown image ${image} (expected an FRR, BIRD, rackroute or plain Linux image)`);
    const bindSpecs = strings(s.binds) ?? fail('`binds` must be a list of "host:container[:ro]" strings');
    const binds = bindSpecs.map((b) => {
      const parts = b.split(':');
      if (parts.length < 2 || parts.length > 3 || !parts[0] || !parts[1]?.startsWith('/')) {
        return fail(`bind ${JSON.stringify(b)} is not "host:container[:ro]"`);
      }
      const host = isAbsolute(parts[0]) ? parts[0] : resolve(dir, parts[0]);
      if (!existsSync(host)) fail(`bind ${JSON.stringify(b)}: ${host} does not exist`);
      return { host, container: parts[1] };
    });
    for (const need of REQUIRED_BINDS[role]) {
      if (!binds.some((b) => b.container === need)) fail(`a ${role} node needs a bind for ${need}`);
    }
    const exec = strings(s.exec) ?? fail('`exec` must be a list of command strings');
    const envSpec = s.env ?? {};
    if (!isObj(envSpec)) fail('`env` must be a mapping');
    const env = Object.fromEntries(Object.entries(envSpec as Obj).map(([k, v]) => [k, String(v)]));
    nodes.push({ name: nodeName, image, role, binds, exec, env, line });
  }

  const linkSpecs = topo.links ?? [];
  if (!Array.isArray(linkSpecs)) throw new TopologyError(file, 1, 'links', 'expected a list');
  const used = new Set<string>();
  const links = linkSpecs.map((l, i): LabLink => {
    const line = at.links[i] ?? 1;
    const fail = (detail: string): never => {
      throw new TopologyError(file, line, `link ${i + 1}`, detail);
    };
    const eps = isObj(l) ? strings(l.endpoints) : undefined;
    if (!eps || eps.length !== 2) return fail('expected `endpoints: ["node:iface", "node:iface"]`');
    const [a, b] = eps.map((ep): Endpoint => {
      const m = /^([^:]+):([^:]+)$/.exec(ep);
      if (!m) return fail(`endpoint ${JSON.stringify(ep)} is not "node:iface"`);
      const [, node, iface] = m;
      if (!nodes.some((n) => n.name === node)) fail(`endpoint ${ep}: no node ${node}`);
      if (!IFACE_RE.test(iface)) fail(`endpoint ${ep}: ${iface} is not a valid interface name (at most 15 characters)`);
      if (iface === 'lo' || iface === 'eth0') fail(`endpoint ${ep}: ${iface} is reserved (lo, and eth0 for management)`);
      if (used.has(ep)) fail(`endpoint ${ep} is used by another link`);
      used.add(ep);
      return { node, iface };
    });
    return { a, b, line };
  });

  return { name, file: path, dir, nodes, links };
}

export function loadTopology(file: string): Topology {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new TopologyError(file, 0, 'file', (e as Error).message);
  }
  return parseTopology(text, file);
}

/** Rewrites container paths of binds in a command to their host paths (exec lines name container paths). */
export function hostCommand(node: LabNode, command: string): string {
  const binds = [...node.binds].sort((x, y) => y.container.length - x.container.length);
  let out = command;
  for (const b of binds) out = out.split(b.container).join(b.host);
  return out;
}

export function bindFor(node: LabNode, container: string): string | undefined {
  return node.binds.find((b) => b.container === container)?.host;
}
