// The BGP decision process (RFC 4271 §9.1.2), one comparator per step, each labelled with its clause.
// A comparator returns < 0 when `a` is preferred, > 0 when `b` is, 0 when the step cannot separate them.
// Selection runs the steps as RFC 4271 §9.1.2.2 describes them: each step removes from the candidate set every
// path some other remaining path beats at that step (this keeps the MED step right even though MED is only
// comparable within one neighbouring AS, so it is not a total order). The best path's reason is the step at which
// it became the only one left.

import type { PathAttributes } from './attrs.js';
import { asPathEqual, asPathLength, neighborAs } from './attrs.js';

export type PeerKind = 'local' | 'ebgp' | 'ibgp';

/** What the decision needs to know about where a path came from. */
export interface PathSource {
  readonly kind: PeerKind;
  /** The peer's AS (ours for local and iBGP). */
  readonly asn: number;
  /** The peer's BGP Identifier from its OPEN, as a uint32 (0 for local routes). */
  readonly routerId: number;
  /** addressSortKey(peer address); '' for local routes. */
  readonly addressKey: string;
}

export interface Candidate {
  readonly attrs: PathAttributes;
  readonly src: PathSource;
  /** ADD-PATH path identifier as received (0 without ADD-PATH). */
  readonly pathId: number;
}

export type BestReason =
  | 'only-path'
  | 'local-pref'
  | 'local-origin'
  | 'as-path-length'
  | 'origin'
  | 'med'
  | 'ebgp-over-ibgp'
  | 'igp-metric'
  | 'router-id'
  | 'cluster-list-length'
  | 'peer-address'
  | 'path-id';

export const BEST_REASONS: readonly BestReason[] = [
  'only-path', 'local-pref', 'local-origin', 'as-path-length', 'origin', 'med', 'ebgp-over-ibgp', 'igp-metric',
  'router-id', 'cluster-list-length', 'peer-address', 'path-id',
];

export interface DecisionOptions {
  /** Our AS: the neighbouring AS of a path with an empty AS_PATH. */
  readonly localAsn: number;
  /** LOCAL_PREF assumed when a path carries none (100, as in most implementations). */
  readonly defaultLocalPref: number;
  /** Compare MED between paths from different neighbouring ASes too. */
  readonly alwaysCompareMed: boolean;
  /** A missing MED is the worst (2^32-1) rather than 0 (RFC 4271 says 0). */
  readonly medMissingAsWorst: boolean;
  /** Cost to a next hop; when absent the step treats all next hops as equal. */
  readonly igpMetric?: ((nextHop: string) => number) | undefined;
}

export interface MultipathOptions {
  /** Most next hops installed together (1 = no multipath). */
  readonly maxPaths: number;
  /** Accept paths whose AS_PATH differs (same length) instead of requiring it identical. */
  readonly relaxAsPath: boolean;
}

export const DEFAULT_DECISION: DecisionOptions = {
  localAsn: 0,
  defaultLocalPref: 100,
  alwaysCompareMed: false,
  medMissingAsWorst: false,
};

export interface DecisionStep {
  readonly reason: Exclude<BestReason, 'only-path'>;
  /** Where the rule comes from. */
  readonly clause: string;
  /** Steps up to and including the last of these must tie for two paths to be used together (ECMP). */
  readonly multipath: boolean;
  compare(a: Candidate, b: Candidate, o: DecisionOptions): number;
}

const KIND_RANK_EXTERNAL: Record<PeerKind, number> = { local: 0, ebgp: 0, ibgp: 1 };

function medOf(a: PathAttributes, o: DecisionOptions): number {
  return a.med ?? (o.medMissingAsWorst ? 0xffffffff : 0);
}

export const STEPS: readonly DecisionStep[] = [
  {
    reason: 'local-pref',
    clause: 'RFC 4271 §9.1.1 / §9.1.2.1: highest degree of preference (LOCAL_PREF)',
    multipath: true,
    compare: (a, b, o) => (b.attrs.localPref ?? o.defaultLocalPref) - (a.attrs.localPref ?? o.defaultLocalPref),
  },
  {
    reason: 'local-origin',
    clause: 'locally originated routes preferred (common practice, ahead of RFC 4271 §9.1.2.2)',
    multipath: true,
    compare: (a, b) => (a.src.kind === 'local' ? 0 : 1) - (b.src.kind === 'local' ? 0 : 1),
  },
  {
    reason: 'as-path-length',
    clause: 'RFC 4271 §9.1.2.2 (a): fewest AS numbers in AS_PATH (AS_SET counts 1; RFC 5065: confed segments 0)',
    multipath: true,
    compare: (a, b) => asPathLength(a.attrs.asPath) - asPathLength(b.attrs.asPath),
  },
  {
    reason: 'origin',
    clause: 'RFC 4271 §9.1.2.2 (b): lowest ORIGIN (IGP < EGP < INCOMPLETE)',
    multipath: true,
    compare: (a, b) => a.attrs.origin - b.attrs.origin,
  },
  {
    reason: 'med',
    clause: 'RFC 4271 §9.1.2.2 (c): lowest MULTI_EXIT_DISC among paths from the same neighbouring AS',
    multipath: true,
    compare: (a, b, o) => {
      if (!o.alwaysCompareMed) {
        const na = neighborAs(a.attrs.asPath) ?? o.localAsn;
        const nb = neighborAs(b.attrs.asPath) ?? o.localAsn;
        if (na !== nb) return 0;
      }
      return medOf(a.attrs, o) - medOf(b.attrs, o);
    },
  },
  {
    reason: 'ebgp-over-ibgp',
    clause: 'RFC 4271 §9.1.2.2 (d): paths learned by eBGP over paths learned by iBGP',
    multipath: true,
    compare: (a, b) => KIND_RANK_EXTERNAL[a.src.kind] - KIND_RANK_EXTERNAL[b.src.kind],
  },
  {
    reason: 'igp-metric',
    clause: 'RFC 4271 §9.1.2.2 (e): lowest interior cost to the NEXT_HOP (skipped when no metric is known)',
    multipath: true,
    compare: (a, b, o) => (o.igpMetric === undefined ? 0 : o.igpMetric(a.attrs.nextHop) - o.igpMetric(b.attrs.nextHop)),
  },
  {
    reason: 'router-id',
    clause: 'RFC 4271 §9.1.2.2 (f): lowest BGP Identifier (RFC 4456 §9: ORIGINATOR_ID when present)',
    multipath: false,
    compare: (a, b) => (a.attrs.originatorId ?? a.src.routerId) - (b.attrs.originatorId ?? b.src.routerId),
  },
  {
    reason: 'cluster-list-length',
    clause: 'RFC 4456 §9: shortest CLUSTER_LIST (between steps f and g)',
    multipath: false,
    compare: (a, b) => a.attrs.clusterList.length - b.attrs.clusterList.length,
  },
  {
    reason: 'peer-address',
    clause: 'RFC 4271 §9.1.2.2 (g): lowest peer address',
    multipath: false,
    compare: (a, b) => (a.src.addressKey < b.src.addressKey ? -1 : a.src.addressKey > b.src.addressKey ? 1 : 0),
  },
  {
    reason: 'path-id',
    clause: 'deterministic last resort for ADD-PATH paths from one peer: lowest path identifier',
    multipath: false,
    compare: (a, b) => a.pathId - b.pathId,
  },
];

const LAST_MULTIPATH_STEP = STEPS.reduce((last, s, i) => (s.multipath ? i : last), -1);

export interface Comparison {
  readonly winner: 'a' | 'b' | 'tie';
  readonly reason: BestReason | 'tie';
  readonly clause: string;
}

/** Pairwise: which of two paths wins, and at which step. */
export function comparePaths(a: Candidate, b: Candidate, o: DecisionOptions = DEFAULT_DECISION): Comparison {
  for (const step of STEPS) {
    const c = step.compare(a, b, o);
    if (c !== 0) return { winner: c < 0 ? 'a' : 'b', reason: step.reason, clause: step.clause };
  }
  return { winner: 'tie', reason: 'tie', clause: 'all steps equal' };
}

function compareFrom(first: number, a: Candidate, b: Candidate, o: DecisionOptions): number {
  for (let i = first; i < STEPS.length; i++) {
    const c = STEPS[i]!.compare(a, b, o);
    if (c !== 0) return c;
  }
  return 0;
}

export interface Selection {
  /** Index of the best candidate. */
  readonly best: number;
  readonly reason: BestReason;
  /** Indexes of the paths installed together, best first (length 1 without multipath). */
  readonly multipath: readonly number[];
}

/** Runs the decision over a candidate set (non-empty). */
export function selectBest(c: readonly Candidate[], o: DecisionOptions, mp?: MultipathOptions): Selection {
  const n = c.length;
  if (n === 1) return { best: 0, reason: 'only-path', multipath: [0] };
  let alive: number[] = [];
  for (let i = 0; i < n; i++) alive.push(i);
  let reason: BestReason = 'path-id';
  let mpSet: number[] = alive;
  for (let s = 0; s < STEPS.length; s++) {
    if (alive.length > 1) {
      const step = STEPS[s]!;
      const kept: number[] = [];
      for (const i of alive) {
        let beaten = false;
        for (const j of alive) {
          if (j !== i && step.compare(c[j]!, c[i]!, o) < 0) { beaten = true; break; }
        }
        if (!beaten) kept.push(i);
      }
      if (kept.length === 1) reason = step.reason;
      alive = kept;
    }
    if (s === LAST_MULTIPATH_STEP) mpSet = alive;
  }
  const best = alive[0]!;
  if (mp === undefined || mp.maxPaths <= 1 || mpSet.length === 1) return { best, reason, multipath: [best] };
  const bestPath = c[best]!.attrs.asPath;
  const others = mpSet.filter((i) => i !== best && (mp.relaxAsPath || asPathEqual(c[i]!.attrs.asPath, bestPath)));
  others.sort((x, y) => compareFrom(LAST_MULTIPATH_STEP + 1, c[x]!, c[y]!, o));
  const multipath = [best, ...others].slice(0, mp.maxPaths);
  return { best, reason, multipath };
}
