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
      return {
        name: t.name ?? `term-${i}`,
        test: compileMatch(t.match, lists, `${path}.match`),
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
