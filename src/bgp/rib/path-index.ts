// (prefix, path id) -> int32 value for one peer and family: the pre-policy Adj-RIB-In and the set of rejected
// prefixes. Without ADD-PATH the path id is always 0 and the compact prefix index is used.

import type { KeyIndex } from './key-index.js';
import { newKeyIndex } from './key-index.js';
import type { Family, PrefixKey } from './prefix.js';

export class PathIndex {
  private readonly plain: KeyIndex<PrefixKey> | undefined;
  private readonly withIds: Map<string, number> | undefined;

  constructor(readonly family: Family, readonly addPath: boolean) {
    if (addPath) this.withIds = new Map();
    else this.plain = newKeyIndex(family);
  }

  get size(): number {
    return this.plain !== undefined ? this.plain.size : this.withIds!.size;
  }

  private static compose(key: PrefixKey, pathId: number): string {
    return `${pathId}#${key}`;
  }

  private decompose(s: string): [PrefixKey, number] {
    const at = s.indexOf('#');
    const rest = s.slice(at + 1);
    return [this.family === 'ipv4' ? Number(rest) : rest, Number(s.slice(0, at))];
  }

  get(key: PrefixKey, pathId: number): number {
    if (this.plain !== undefined) return this.plain.get(key);
    return this.withIds!.get(PathIndex.compose(key, pathId)) ?? -1;
  }

  set(key: PrefixKey, pathId: number, value: number): void {
    if (this.plain !== undefined) this.plain.set(key, value);
    else this.withIds!.set(PathIndex.compose(key, pathId), value);
  }

  delete(key: PrefixKey, pathId: number): boolean {
    if (this.plain !== undefined) return this.plain.delete(key);
    return this.withIds!.delete(PathIndex.compose(key, pathId));
  }

  forEach(fn: (key: PrefixKey, pathId: number, value: number) => void): void {
    if (this.plain !== undefined) this.plain.forEach((k, v) => fn(k, 0, v));
    else this.withIds!.forEach((v, s) => { const [k, p] = this.decompose(s); fn(k, p, v); });
  }

  clear(): void {
    if (this.plain !== undefined) this.plain.clear();
    else this.withIds!.clear();
  }
}
