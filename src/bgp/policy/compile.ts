// PolicyDef -> RoutePolicy: predicates and rewrites built once, evaluated first-match.

import type { AttrSet, PathAttributes } from '../rib/attrs.js';
import type { PrefixKey } from '../rib/prefix.js';
import type { PolicyContext, RoutePolicy } from '../rib/route-policy.js';
import type { Rewrite } from './actions.js';
import { compileActions } from './actions.js';
import type { Predicate } from './match.js';
import { compileMatch } from './match.js';
import type { PolicyDef } from './types.js';
import { PolicyError } from './types.js';

interface CompiledTerm {
  readonly name: string;
  readonly test: Predicate;
  readonly prefixTest: (prefix: PrefixKey) => boolean;
  readonly usesAttributes: boolean;
  readonly rewrite: Rewrite | undefined;
  readonly accept: boolean;
}

export class CompiledPolicy implements RoutePolicy {
  private readonly terms: readonly CompiledTerm[];
  private readonly defaultAccept: boolean;
  private readonly defaultRewrite: Rewrite | undefined;

  constructor(readonly def: PolicyDef) {
    if (def.default !== 'accept' && def.default !== 'reject') throw new PolicyError('default', 'must be accept or reject');
    const lists = def.prefixLists ?? {};
    this.terms = def.terms.map((t, i) => {
      const path = `terms[${i}]`;
      if (t.result !== 'accept' && t.result !== 'reject') throw new PolicyError(`${path}.result`, 'must be accept or reject');
      const m = compileMatch(t.match, lists, `${path}.match`);
      return {
        name: t.name ?? `term-${i}`,
        test: m.test,
        prefixTest: m.prefixTest,
        usesAttributes: m.usesAttributes,
        rewrite: compileActions(t.actions, `${path}.actions`),
        accept: t.result === 'accept',
      };
    });
    this.defaultAccept = def.default === 'accept';
    this.defaultRewrite = compileActions(def.defaultActions, 'defaultActions');
  }

  get termCount(): number {
    return this.terms.length;
  }

  termName(i: number): string {
    return i < 0 ? 'default' : this.terms[i]?.name ?? `term-${i}`;
  }

  match(prefix: PrefixKey, attrs: PathAttributes): number {
    const terms = this.terms;
    for (let i = 0; i < terms.length; i++) if (terms[i]!.test(prefix, attrs)) return i;
    return -1;
  }

  apply(term: number, attrs: AttrSet, ctx: PolicyContext): PathAttributes | null {
    return this.run(term, attrs, ctx);
  }

  /**
   * True when every route for `prefix` is rejected, whatever its attributes: walking the terms in order, no
   * accepting term can match the prefix before a rejecting term that matches on the prefix alone (or the reject
   * default). With the default export policy (own prefixes only) this is true for every other prefix.
   */
  rejectsPrefix(prefix: PrefixKey): boolean {
    for (const t of this.terms) {
      if (!t.prefixTest(prefix)) continue;
      if (t.accept) return false;
      if (!t.usesAttributes) return true;
    }
    return !this.defaultAccept;
  }

  /** Both steps at once (for tests and one-off use). */
  evaluate(prefix: PrefixKey, attrs: PathAttributes, ctx: PolicyContext): PathAttributes | null {
    return this.run(this.match(prefix, attrs), attrs, ctx);
  }

  private run(term: number, attrs: PathAttributes, ctx: PolicyContext): PathAttributes | null {
    if (term < 0) {
      if (!this.defaultAccept) return null;
      return this.defaultRewrite === undefined ? attrs : this.defaultRewrite(attrs, ctx);
    }
    const t = this.terms[term]!;
    if (!t.accept) return null;
    return t.rewrite === undefined ? attrs : t.rewrite(attrs, ctx);
  }
}

export function compilePolicy(def: PolicyDef): CompiledPolicy {
  return new CompiledPolicy(def);
}
