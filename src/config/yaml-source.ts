// YAML text -> plain data plus a map from data paths back to file positions.
// js-yaml (v4) does not expose node positions, but its `listener` option reports every node it composes
// ('open' before reading, 'close' after). We rebuild the node tree from those events: the children of a
// mapping node are its keys and values in turn, those of a sequence its items. Collections are also
// indexed by identity, so an alias (`*tors`) or a merge key (`<<: *base`) resolves to where the anchored
// data was written.
import yaml from 'js-yaml';

/** A place in the source: 1-based line and column (UTF-16 code units, as editors count). */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
}

/** One segment of a path into the data: a mapping key or a sequence index. */
export type PathSegment = string | number;

/** YAML 1.2 core (no timestamps, so `2024-01-01` stays a string) plus merge keys (`<<: *anchor`). */
const SITE_SCHEMA = yaml.CORE_SCHEMA.extend({
  implicit: [(yaml as unknown as { types: { merge: yaml.Type } }).types.merge], // not in @types/js-yaml
});

interface YamlNode {
  readonly open: number;
  end: number;
  result: unknown;
  readonly children: YamlNode[];
}

/** A YAML syntax error with its position (js-yaml's own message, without the code snippet). */
export class YamlSyntaxError extends Error {
  override readonly name = 'YamlSyntaxError';
  constructor(message: string, readonly position: SourcePosition, options?: { cause?: unknown }) {
    super(message, options);
  }
}

export class YamlSource {
  private readonly lineStarts: number[];

  private constructor(
    readonly text: string,
    readonly data: unknown,
    private readonly root: YamlNode | undefined,
    private readonly byObject: WeakMap<object, YamlNode>,
  ) {
    this.lineStarts = [0];
    for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 0x0a) this.lineStarts.push(i + 1);
  }

  /** Parses one YAML document (YAML 1.2 core schema and merge keys; no custom tags). Throws YamlSyntaxError. */
  static parse(input: string): YamlSource {
    const text = input.charCodeAt(0) === 0xfeff ? input.slice(1) : input;
    const stack: YamlNode[] = [];
    const top: YamlNode[] = [];
    const byObject = new WeakMap<object, YamlNode>();
    let data: unknown;
    try {
      data = yaml.load(text, {
        schema: SITE_SCHEMA,
        listener(event, state) {
          if (event === 'open') {
            stack.push({ open: state.position, end: state.position, result: undefined, children: [] });
            return;
          }
          const node = stack.pop();
          if (!node) return;
          node.end = state.position;
          node.result = state.result as unknown;
          if (typeof node.result === 'object' && node.result !== null && node.children.length > 0
            && !byObject.has(node.result)) {
            byObject.set(node.result, node);
          }
          (stack.length > 0 ? stack[stack.length - 1]!.children : top).push(node);
        },
      });
    } catch (err) {
      if (err instanceof yaml.YAMLException) {
        const mark = (err as yaml.YAMLException & { mark?: { line: number; column: number } }).mark;
        const position = mark ? { line: mark.line + 1, column: mark.column + 1 } : { line: 1, column: 1 };
        throw new YamlSyntaxError(err.reason || err.message, position, { cause: err });
      }
      throw err;
    }
    return new YamlSource(text, data, top[top.length - 1], byObject);
  }

  /** The position of an offset in the text. */
  positionAt(offset: number): SourcePosition {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - this.lineStarts[lo]! + 1 };
  }

  /**
   * Where the value at `path` was written; with `at: 'key'`, where its key was written (for unknown or
   * missing keys). When the path cannot be followed to the end (a missing key), the deepest node found.
   * An empty value (`key:` and nothing) is reported at its key.
   */
  locate(path: readonly PathSegment[], at: 'value' | 'key' = 'value'): SourcePosition {
    let node = this.root;
    if (!node) return { line: 1, column: 1 };
    let key: YamlNode | undefined;
    for (let i = 0; i < path.length; i++) {
      const found = this.child(node, path[i]!);
      if (!found) break;
      key = found.key;
      node = found.value;
      if (i === path.length - 1 && at === 'key' && key) return this.positionAt(this.contentStart(key));
    }
    const start = this.contentStart(node);
    if (start >= node.end && key) return this.positionAt(this.contentStart(key));
    return this.positionAt(start);
  }

  private canonical(node: YamlNode): YamlNode {
    const r = node.result;
    if (typeof r === 'object' && r !== null) return this.byObject.get(r) ?? node;
    return node;
  }

  private child(parent: YamlNode, segment: PathSegment): { key?: YamlNode; value: YamlNode } | undefined {
    const node = this.canonical(parent);
    const r = node.result;
    if (Array.isArray(r)) {
      if (typeof segment !== 'number' || node.children.length !== r.length) return undefined;
      const value = node.children[segment];
      return value ? { value } : undefined;
    }
    if (typeof r !== 'object' || r === null) return undefined;
    const kids = node.children;
    const merges: YamlNode[] = [];
    for (let i = 0; i + 1 < kids.length; i += 2) {
      const k = kids[i]!;
      if (String(k.result) === String(segment)) return { key: k, value: kids[i + 1]! };
      if (k.result === '<<') merges.push(kids[i + 1]!);
    }
    // A key brought in by a merge (`<<: *base` or `<<: [*a, *b]`): find it where it was written.
    for (const m of merges) {
      const target = this.canonical(m);
      const sources = Array.isArray(target.result) ? target.children : [target];
      for (const s of sources) {
        const found = this.child(s, segment);
        if (found) return found;
      }
    }
    return undefined;
  }

  /** The first offset of a node's content: past the spaces, line breaks and comments before it. */
  private contentStart(node: YamlNode): number {
    const t = this.text;
    let i = node.open;
    while (i < node.end) {
      const c = t.charCodeAt(i);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) i++;
      else if (c === 0x23 /* # */) {
        while (i < t.length && t.charCodeAt(i) !== 0x0a) i++;
      } else break;
    }
    return i;
  }
}
