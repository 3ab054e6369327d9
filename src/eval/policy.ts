// A small evaluator for VPC endpoint policies, of our own and honest about its limits: it decides
// what it can know from where the agent runs and says `undecidable`, naming the key or element,
// for the rest. It never throws on what DescribeVpcEndpoints returns, however hostile: input is
// validated once here (size, JSON, shape), and every match is paid for from a bounded budget.
//
// IAM's logic (IAM User Guide, "Policy evaluation logic"): an explicit Deny wins; else any Allow;
// else the request is implicitly denied. A statement whose applicability cannot be decided makes
// the result undecidable only when it could change it (a possible Deny beside an Allow, or a
// possible Allow where nothing else allows).
//
// Sources: IAM JSON policy element reference (Action, NotAction, Resource, Principal, Condition,
// condition operators, ...IfExists, ForAnyValue/ForAllValues, policy variables), and the VPC
// PrivateLink guide "Control access to VPC endpoints using endpoint policies" (20,480 characters
// at most, a Principal element is required, on gateway endpoints an account principal means only
// the account's root user).

/** AWS rejects endpoint policies longer than this (characters, white space included). */
export const MAX_POLICY_CHARS = 20_480;
/** More statements than 20,480 characters can hold: a larger count is not from AWS. */
const MAX_STATEMENTS = 1_200;
/** Pattern-matching steps one evaluation may spend; past it the policy is refused, not half-read. */
const WORK_BUDGET = 3_000_000;

const VERSIONS = new Set(['2012-10-17', '2008-10-17']);
const STATEMENT_KEYS = new Set([
  'Sid',
  'Effect',
  'Principal',
  'NotPrincipal',
  'Action',
  'NotAction',
  'Resource',
  'NotResource',
  'Condition',
]);
const PRINCIPAL_KINDS = new Set(['AWS', 'Service', 'Federated', 'CanonicalUser']);
const ACCOUNT_ID = /^\d{12}$/;

export interface StatementRef {
  /** Position in the Statement array (0 for a single statement object). */
  index: number;
  sid?: string;
}

/** `Sid "AllowTeamBucket"` or `Statement[2]`: how a person finds the statement in the document. */
export function statementLabel(ref: StatementRef): string {
  return ref.sid ? `Sid "${ref.sid}"` : `Statement[${ref.index}]`;
}

interface PatternList {
  negated: boolean;
  patterns: string[];
}

interface PrincipalEntry {
  kind: string;
  value: string;
}

type PrincipalSpec =
  | { negated: boolean; any: true }
  | { negated: boolean; any: false; entries: PrincipalEntry[] };

interface ConditionClause {
  /** As written: ForAnyValue:StringLikeIfExists */
  operator: string;
  key: string;
  values: string[];
}

interface Statement {
  ref: StatementRef;
  effect: 'Allow' | 'Deny';
  action: PatternList;
  /** Absent when the statement names neither Resource nor NotResource. */
  resource?: PatternList;
  principal: PrincipalSpec;
  conditions: ConditionClause[];
}

export interface ParsedPolicy {
  version: string;
  statements: Statement[];
}

export type ParseResult = { ok: true; policy: ParsedPolicy } | { ok: false; reason: string };

/** What the workload will ask for through the endpoint. */
export interface PolicyRequest {
  /** `s3:GetObject`; may itself hold `*` or `?` (a family of calls). */
  action: string;
  /**
   * `*` for an action without a resource (ecr:GetAuthorizationToken), else an ARN; wildcards in an
   * ARN stand for what is not known (an account, an object key): the call is one of those.
   */
  resource: string;
  principal?: { arn?: string; account?: string };
  /**
   * Condition keys (any case) whose values are known: a string, or null for a key known to be
   * absent from the request. A key not listed is unknown.
   */
  context: Readonly<Record<string, string | null>>;
  /** On a gateway endpoint an account principal grants only the account's root user. */
  gateway?: boolean;
}

export type PolicyDecision =
  | { decision: 'allow'; statements: StatementRef[] }
  | { decision: 'explicit-deny'; statement: StatementRef }
  | { decision: 'implicit-deny' }
  | { decision: 'undecidable'; statement: StatementRef; element: string; key?: string; detail: string }
  | { decision: 'malformed'; reason: string };

class Malformed extends Error {
  override name = 'Malformed';
}

class BudgetExceeded extends Error {
  override name = 'BudgetExceeded';
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function clip(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** A string or a non-empty array of strings, as IAM writes Action, Resource and principal ids. */
function stringList(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new Malformed(`${where} is an empty list`);
  return list.map((item, i) => {
    if (typeof item !== 'string' || item === '')
      throw new Malformed(
        `${where}${Array.isArray(value) ? `[${i}]` : ''} is ${describeType(item)}, not a string`,
      );
    return item;
  });
}

function parsePrincipal(value: unknown, negated: boolean, where: string): PrincipalSpec {
  if (value === '*') return { negated, any: true };
  if (!isPlainObject(value)) throw new Malformed(`${where} is ${describeType(value)}: "*" or an object`);
  const entries: PrincipalEntry[] = [];
  for (const [kind, ids] of Object.entries(value)) {
    if (!PRINCIPAL_KINDS.has(kind))
      throw new Malformed(`${where} has "${clip(kind)}": only AWS, Service, Federated, CanonicalUser`);
    for (const id of stringList(ids, `${where}.${kind}`)) {
      if (kind === 'AWS' && id === '*') return { negated, any: true };
      entries.push({ kind, value: id });
    }
  }
  if (entries.length === 0) throw new Malformed(`${where} names no principal`);
  return { negated, any: false, entries };
}

function conditionValues(value: unknown, where: string): string[] {
  const list = Array.isArray(value) ? value : [value];
  if (list.length === 0) throw new Malformed(`${where} is an empty list`);
  return list.map((item, i) => {
    if (typeof item === 'string') return item;
    if (typeof item === 'boolean' || (typeof item === 'number' && Number.isFinite(item))) return String(item);
    throw new Malformed(`${where}${Array.isArray(value) ? `[${i}]` : ''} is ${describeType(item)}`);
  });
}

function parseConditions(value: unknown, where: string): ConditionClause[] {
  if (!isPlainObject(value)) throw new Malformed(`${where} is ${describeType(value)}, not an object`);
  const clauses: ConditionClause[] = [];
  for (const [operator, block] of Object.entries(value)) {
    if (!isPlainObject(block)) throw new Malformed(`${where}.${clip(operator)} is ${describeType(block)}`);
    for (const [key, values] of Object.entries(block)) {
      clauses.push({
        operator,
        key,
        values: conditionValues(values, `${where}.${clip(operator)}.${clip(key)}`),
      });
    }
  }
  return clauses;
}

function parseStatement(value: unknown, index: number): Statement {
  const where = `Statement[${index}]`;
  if (!isPlainObject(value)) throw new Malformed(`${where} is ${describeType(value)}, not an object`);
  for (const key of Object.keys(value)) {
    if (!STATEMENT_KEYS.has(key)) throw new Malformed(`${where} has an unknown element "${clip(key)}"`);
  }
  const sid = value['Sid'];
  if (sid !== undefined && typeof sid !== 'string')
    throw new Malformed(`${where}.Sid is ${describeType(sid)}`);
  const ref: StatementRef = sid ? { index, sid } : { index };
  const effect = value['Effect'];
  if (effect !== 'Allow' && effect !== 'Deny')
    throw new Malformed(
      `${where}.Effect is ${typeof effect === 'string' ? `"${clip(effect)}"` : describeType(effect)}: Allow or Deny`,
    );

  const pair = (positive: string, negative: string, required: boolean): PatternList | undefined => {
    const has = value[positive] !== undefined;
    const hasNot = value[negative] !== undefined;
    if (has && hasNot) throw new Malformed(`${where} has both ${positive} and ${negative}`);
    if (!has && !hasNot) {
      if (required) throw new Malformed(`${where} has neither ${positive} nor ${negative}`);
      return undefined;
    }
    const name = has ? positive : negative;
    return { negated: !has, patterns: stringList(value[name], `${where}.${name}`) };
  };
  const action = pair('Action', 'NotAction', true)!;
  const resource = pair('Resource', 'NotResource', false);

  const principalValue = value['Principal'];
  const notPrincipalValue = value['NotPrincipal'];
  if (principalValue !== undefined && notPrincipalValue !== undefined)
    throw new Malformed(`${where} has both Principal and NotPrincipal`);
  if (principalValue === undefined && notPrincipalValue === undefined)
    throw new Malformed(`${where} has no Principal (an endpoint policy must name one)`);
  const principal =
    principalValue !== undefined
      ? parsePrincipal(principalValue, false, `${where}.Principal`)
      : parsePrincipal(notPrincipalValue, true, `${where}.NotPrincipal`);
  const conditions =
    value['Condition'] === undefined ? [] : parseConditions(value['Condition'], `${where}.Condition`);
  return { ref, effect, action, ...(resource ? { resource } : {}), principal, conditions };
}

/** Validates a PolicyDocument as DescribeVpcEndpoints returns it (a JSON string). Never throws. */
export function parsePolicy(document: unknown): ParseResult {
  if (typeof document !== 'string')
    return { ok: false, reason: `the policy is ${describeType(document)}, not a JSON string` };
  if (document.length > MAX_POLICY_CHARS)
    return {
      ok: false,
      reason: `the policy is ${document.length} characters, over AWS's limit of ${MAX_POLICY_CHARS} for an endpoint policy`,
    };
  let json: unknown;
  try {
    json = JSON.parse(document);
  } catch (error) {
    return {
      ok: false,
      reason: `the policy is not valid JSON: ${clip(String((error as Error).message), 120)}`,
    };
  }
  try {
    if (!isPlainObject(json)) throw new Malformed(`the policy is ${describeType(json)}, not an object`);
    for (const key of Object.keys(json)) {
      if (key !== 'Version' && key !== 'Id' && key !== 'Statement')
        throw new Malformed(`the policy has an unknown element "${clip(key)}"`);
    }
    const version = json['Version'] ?? '2008-10-17';
    if (typeof version !== 'string' || !VERSIONS.has(version))
      throw new Malformed(
        `Version is ${typeof version === 'string' ? `"${clip(version)}"` : describeType(version)}: 2012-10-17 or 2008-10-17`,
      );
    const raw = json['Statement'];
    if (raw === undefined) throw new Malformed('the policy has no Statement');
    const list = Array.isArray(raw) ? raw : [raw];
    if (list.length === 0) throw new Malformed('Statement is an empty list');
    if (list.length > MAX_STATEMENTS)
      throw new Malformed(`${list.length} statements (more than ${MAX_STATEMENTS})`);
    return { ok: true, policy: { version, statements: list.map(parseStatement) } };
  } catch (error) {
    if (error instanceof Malformed) return { ok: false, reason: error.message };
    return { ok: false, reason: `the policy could not be read: ${clip(String(error), 120)}` };
  }
}

// ---- Matching -----------------------------------------------------------------------------

class Budget {
  constructor(private left: number) {}
  spend(steps: number): void {
    this.left -= steps;
    if (this.left < 0) throw new BudgetExceeded();
  }
}

const lower = (text: string, caseless: boolean) => (caseless ? text.toLowerCase() : text);

/**
 * Does every string `need` stands for match `pattern`? IAM wildcards: `*` any run, `?` one
 * character. A wildcard in `need` is an unknown part, so only a `*` in the pattern (or a `?` for
 * a `?`) may absorb it. Greedy with one backtrack point: linear in practice, bounded by the budget.
 */
function covers(pattern: string, need: string, caseless: boolean, budget: Budget): boolean {
  const p = lower(pattern, caseless);
  const n = lower(need, caseless);
  let i = 0;
  let j = 0;
  let star = -1;
  let mark = 0;
  const fits = (pc: string, nc: string) => (pc === '?' ? nc !== '*' : pc === nc && nc !== '*' && nc !== '?');
  while (j < n.length) {
    budget.spend(1);
    if (i < p.length && p[i] !== '*' && fits(p[i]!, n[j]!)) {
      i++;
      j++;
    } else if (i < p.length && p[i] === '*') {
      star = i++;
      mark = j;
    } else if (star !== -1) {
      i = star + 1;
      j = ++mark;
    } else {
      return false;
    }
  }
  while (i < p.length && p[i] === '*') i++;
  return i === p.length;
}

/** Is there a string both patterns match? Reachability over (position in a, position in b). */
function intersects(a: string, b: string, caseless: boolean, budget: Budget): boolean {
  const x = lower(a, caseless);
  const y = lower(b, caseless);
  const width = y.length + 1;
  const size = (x.length + 1) * width;
  // The table of visited pairs costs memory before any step: charge it up front.
  budget.spend(Math.ceil(size / 64));
  const seen = new Uint8Array(size);
  const stack = [0];
  seen[0] = 1;
  const push = (i: number, j: number) => {
    const at = i * width + j;
    if (!seen[at]) {
      seen[at] = 1;
      stack.push(at);
    }
  };
  while (stack.length > 0) {
    budget.spend(1);
    const at = stack.pop()!;
    const i = Math.floor(at / width);
    const j = at % width;
    if (i === x.length && j === y.length) return true;
    const xc = x[i];
    const yc = y[j];
    if (xc === '*') push(i + 1, j);
    if (yc === '*') push(i, j + 1);
    if (xc !== undefined && yc !== undefined) {
      // Both produce one character: equal literals, or a wildcard on either side.
      const wild = xc === '*' || xc === '?' || yc === '*' || yc === '?';
      if (wild || xc === yc) push(xc === '*' ? i : i + 1, yc === '*' ? j : j + 1);
    }
  }
  return false;
}

/** all: every call in `need` matches; none: no call does; some: only some (undecidable). */
type Coverage = 'all' | 'some' | 'none';

function coverage(pattern: string, need: string, caseless: boolean, budget: Budget): Coverage {
  if (covers(pattern, need, caseless, budget)) return 'all';
  return intersects(pattern, need, caseless, budget) ? 'some' : 'none';
}

/** arn:partition:service:region:account:resource — the resource keeps any further colons. */
function arnSegments(arn: string): string[] | undefined {
  const parts = arn.split(':');
  if (parts.length < 6 || parts[0] !== 'arn') return undefined;
  return [...parts.slice(0, 5), parts.slice(5).join(':')];
}

/** IAM matches an ARN segment by segment: a wildcard never spans a colon between segments. */
function arnCoverage(pattern: string, need: string, budget: Budget): Coverage | 'not-arn' {
  // `*` as the request's resource is an action without one: only a pattern of stars matches it.
  if (need === '*') return /^\*+$/.test(pattern) ? 'all' : 'none';
  if (/^\*+$/.test(pattern)) return 'all';
  const p = arnSegments(pattern);
  const n = arnSegments(need);
  if (!p || !n) return 'not-arn';
  let result: Coverage = 'all';
  for (let k = 0; k < 6; k++) {
    const c = coverage(p[k]!, n[k]!, false, budget);
    if (c === 'none') return 'none';
    if (c === 'some') result = 'some';
  }
  return result;
}

/** A three-valued answer, with why when it is unknown. */
type Tri =
  | { value: true }
  | { value: false }
  | { value: undefined; element: string; key?: string; detail: string };

const TRUE: Tri = { value: true };
const FALSE: Tri = { value: false };

function not(t: Tri): Tri {
  return t.value === undefined ? t : t.value ? FALSE : TRUE;
}

/** Any of the list, over coverage of one need: all if one pattern covers, none if none touches. */
function listCoverage(
  patterns: string[],
  one: (pattern: string) => Coverage | 'not-arn',
): Coverage | { notArn: string } {
  let result: Coverage = 'none';
  for (const pattern of patterns) {
    const c = one(pattern);
    if (c === 'not-arn') return { notArn: pattern };
    if (c === 'all') return 'all';
    if (c === 'some') result = 'some';
  }
  return result;
}

function elementTri(
  list: PatternList,
  name: string,
  need: string,
  one: (pattern: string) => Coverage | 'not-arn',
): Tri {
  const c = listCoverage(list.patterns, one);
  const element = list.negated ? `Not${name}` : name;
  if (typeof c === 'object')
    return {
      value: undefined,
      element,
      detail: `${element} "${clip(c.notArn)}" is not an ARN of six segments`,
    };
  if (c === 'some')
    return {
      value: undefined,
      element,
      detail: `${element} matches some of what ${clip(need)} stands for, not all of it`,
    };
  const matched = c === 'all';
  return matched !== list.negated ? TRUE : FALSE;
}

const POLICY_VARIABLE = /\$\{[^}]*\}/;

function resourceTri(statement: Statement, request: PolicyRequest, version: string, budget: Budget): Tri {
  const list = statement.resource;
  if (!list)
    return {
      value: undefined,
      element: 'Resource',
      detail:
        'the statement names neither Resource nor NotResource; what AWS applies it to is not documented for endpoint policies',
    };
  if (version === '2012-10-17') {
    const variable = list.patterns.find((p) => POLICY_VARIABLE.test(p));
    if (variable)
      return {
        value: undefined,
        element: list.negated ? 'NotResource' : 'Resource',
        key: POLICY_VARIABLE.exec(variable)![0],
        detail: `"${clip(variable)}" holds a policy variable whose value is the caller's`,
      };
  }
  return elementTri(list, 'Resource', request.resource, (p) => arnCoverage(p, request.resource, budget));
}

/** The principal ARN as policies name it: a role session is its role. */
function principalArns(arn: string): string[] {
  const session = /^arn:([^:]+):sts::(\d{12}):assumed-role\/([^/]+)\/.+$/.exec(arn);
  return session ? [arn, `arn:${session[1]}:iam::${session[2]}:role/${session[3]}`] : [arn];
}

function accountOf(request: PolicyRequest): string | undefined {
  return request.principal?.account ?? arnSegments(request.principal?.arn ?? '')?.[4] ?? undefined;
}

function principalEntryTri(entry: PrincipalEntry, request: PolicyRequest): Tri {
  const arn = request.principal?.arn;
  const account = accountOf(request) || undefined;
  const unknown = (detail: string): Tri => ({ value: undefined, element: 'Principal', detail });
  if (entry.kind !== 'AWS') {
    // The workload calls with IAM credentials; a service or federated principal is not one.
    if (arn || account) return FALSE;
    return unknown(
      `${entry.kind} principal "${clip(entry.value)}" against a workload principal that is not known`,
    );
  }
  const root = /^arn:[^:]+:iam::(\d{12}):root$/.exec(entry.value);
  const accountId = ACCOUNT_ID.test(entry.value) ? entry.value : root?.[1];
  if (accountId) {
    if (request.gateway) {
      // On a gateway endpoint an account principal admits only that account's root user.
      if (arn) return /:root$/.test(arn) && accountOf(request) === accountId ? TRUE : FALSE;
      if (account && account !== accountId) return FALSE;
      return unknown(
        `"${entry.value}" admits only the root user of ${accountId} on a gateway endpoint; the workload's principal is not known`,
      );
    }
    if (account) return account === accountId ? TRUE : FALSE;
    return unknown(
      `"${entry.value}" admits principals of account ${accountId}; the workload's account is not known`,
    );
  }
  if (arn) return principalArns(arn).includes(entry.value) ? TRUE : FALSE;
  const entryAccount = arnSegments(entry.value)?.[4];
  if (account && entryAccount && entryAccount !== account) return FALSE;
  return unknown(
    `"${clip(entry.value)}" is admitted; the workload's principal is not known (set it with services[].actions[].principal)`,
  );
}

function principalTri(spec: PrincipalSpec, request: PolicyRequest): Tri {
  let result: Tri = FALSE;
  if (spec.any) result = TRUE;
  else {
    for (const entry of spec.entries) {
      const t = principalEntryTri(entry, request);
      if (t.value === true) {
        result = TRUE;
        break;
      }
      if (t.value === undefined && result.value === false) result = t;
    }
  }
  if (spec.negated && result.value === undefined) return { ...result, element: 'NotPrincipal' };
  return spec.negated ? not(result) : result;
}

// ---- Conditions -----------------------------------------------------------------------------

type Comparison = (policyValue: string, requestValue: string, budget: Budget) => boolean | undefined;

const arnLike: Comparison = (p, r, budget) => {
  const c = arnCoverage(p, r, budget);
  if (c === 'not-arn') return undefined;
  return c === 'all' ? true : c === 'none' ? false : undefined;
};

/** Base operators: how a policy value compares with the request's, and whether the operator is negated. */
const OPERATORS: Readonly<Record<string, { compare: Comparison; negated: boolean }>> = {
  StringEquals: { compare: (p, r) => p === r, negated: false },
  StringNotEquals: { compare: (p, r) => p === r, negated: true },
  StringEqualsIgnoreCase: { compare: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
  StringNotEqualsIgnoreCase: { compare: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: true },
  StringLike: { compare: (p, r, b) => covers(p, r, false, b), negated: false },
  StringNotLike: { compare: (p, r, b) => covers(p, r, false, b), negated: true },
  ArnEquals: { compare: arnLike, negated: false },
  ArnLike: { compare: arnLike, negated: false },
  ArnNotEquals: { compare: arnLike, negated: true },
  ArnNotLike: { compare: arnLike, negated: true },
  Bool: { compare: (p, r) => p.toLowerCase() === r.toLowerCase(), negated: false },
};

function knownValue(
  request: PolicyRequest,
  key: string,
): { known: false } | { known: true; value: string | null } {
  const wanted = key.toLowerCase();
  for (const [name, value] of Object.entries(request.context)) {
    if (name.toLowerCase() === wanted) return { known: true, value };
  }
  return { known: false };
}

function conditionTri(clause: ConditionClause, request: PolicyRequest, version: string, budget: Budget): Tri {
  const unknown = (detail: string): Tri => ({
    value: undefined,
    element: 'Condition',
    key: clause.key,
    detail,
  });
  const known = knownValue(request, clause.key);
  if (!known.known)
    return unknown(
      `${clause.operator} on ${clause.key}, a key vpce-doctor cannot know from inside the subnet`,
    );
  const set = /^(ForAnyValue|ForAllValues):/.exec(clause.operator)?.[1];
  let operator = set ? clause.operator.slice(set.length + 1) : clause.operator;
  const ifExists = operator.endsWith('IfExists');
  if (ifExists) operator = operator.slice(0, -'IfExists'.length);
  if (version === '2012-10-17') {
    const variable = clause.values.find((v) => POLICY_VARIABLE.test(v));
    if (variable) return unknown(`"${clip(variable)}" holds a policy variable`);
  }
  const requestValue = known.value;
  if (operator === 'Null') {
    if (set || ifExists) return unknown(`${clause.operator} is not an operator vpce-doctor evaluates`);
    // Null: "true" asks that the key be absent, "false" that it be present.
    return clause.values.some((v) => (v.toLowerCase() === 'true') === (requestValue === null)) ? TRUE : FALSE;
  }
  const base = Object.hasOwn(OPERATORS, operator) ? OPERATORS[operator] : undefined;
  if (!base) return unknown(`${clause.operator} is not an operator vpce-doctor evaluates`);
  if (requestValue === null) {
    // The keys known here are single-valued: an absent key makes ForAllValues true (nothing to
    // test), ForAnyValue false; otherwise IfExists and negated operators are true, the rest false.
    if (set === 'ForAllValues') return TRUE;
    if (set === 'ForAnyValue') return FALSE;
    return ifExists || base.negated ? TRUE : FALSE;
  }
  let matched: boolean | undefined = false;
  for (const value of clause.values) {
    const m = base.compare(value, requestValue, budget);
    if (m === true) {
      matched = true;
      break;
    }
    if (m === undefined) matched = undefined;
  }
  if (matched === undefined)
    return unknown(`${clause.operator} compares ${clause.key} with a value that is not a six-segment ARN`);
  // With one request value, ForAnyValue and ForAllValues reduce to the operator itself.
  return matched !== base.negated ? TRUE : FALSE;
}

// ---- Statements and the policy ----------------------------------------------------------------

function and(parts: Array<() => Tri>): Tri {
  let firstUnknown: Tri | undefined;
  for (const part of parts) {
    const t = part();
    if (t.value === false) return FALSE;
    if (t.value === undefined) firstUnknown ??= t;
  }
  return firstUnknown ?? TRUE;
}

function statementApplies(
  statement: Statement,
  request: PolicyRequest,
  version: string,
  budget: Budget,
): Tri {
  return and([
    () =>
      elementTri(statement.action, 'Action', request.action, (p) =>
        coverage(p, request.action, true, budget),
      ),
    () => resourceTri(statement, request, version, budget),
    () => principalTri(statement.principal, request),
    ...statement.conditions.map((clause) => () => conditionTri(clause, request, version, budget)),
  ]);
}

function undecidable(statement: Statement, t: Tri): PolicyDecision {
  if (t.value !== undefined) throw new Error('undecidable() needs an unknown');
  return {
    decision: 'undecidable',
    statement: statement.ref,
    element: t.element,
    ...(t.key ? { key: t.key } : {}),
    detail: t.detail,
  };
}

/** IAM's decision for one request over a parsed policy. Never throws. */
export function evaluatePolicy(policy: ParsedPolicy, request: PolicyRequest): PolicyDecision {
  const budget = new Budget(WORK_BUDGET);
  const context = withPrincipalKeys(request);
  try {
    const judged = policy.statements.map((statement) => ({
      statement,
      applies: statementApplies(statement, context, policy.version, budget),
    }));
    const deny = judged.find((j) => j.statement.effect === 'Deny' && j.applies.value === true);
    if (deny) return { decision: 'explicit-deny', statement: deny.statement.ref };
    const allows = judged.filter((j) => j.statement.effect === 'Allow' && j.applies.value === true);
    const maybeAllows = judged.filter((j) => j.statement.effect === 'Allow' && j.applies.value === undefined);
    // Nothing can allow it: refused, whatever an undecided Deny would say.
    if (allows.length === 0 && maybeAllows.length === 0) return { decision: 'implicit-deny' };
    const maybeDeny = judged.find((j) => j.statement.effect === 'Deny' && j.applies.value === undefined);
    if (maybeDeny) return undecidable(maybeDeny.statement, maybeDeny.applies);
    if (allows.length > 0) return { decision: 'allow', statements: allows.map((j) => j.statement.ref) };
    return undecidable(maybeAllows[0]!.statement, maybeAllows[0]!.applies);
  } catch (error) {
    if (error instanceof BudgetExceeded)
      return { decision: 'malformed', reason: `evaluating it takes more than ${WORK_BUDGET} matching steps` };
    throw error;
  }
}

/** aws:PrincipalArn and aws:PrincipalAccount follow from a known principal. */
function withPrincipalKeys(request: PolicyRequest): PolicyRequest {
  const extra: Record<string, string> = {};
  const account = accountOf(request);
  if (request.principal?.arn) extra['aws:principalarn'] = request.principal.arn;
  if (account) extra['aws:principalaccount'] = account;
  if (Object.keys(extra).length === 0) return request;
  return { ...request, context: { ...extra, ...request.context } };
}

/** Parse and evaluate in one step: a document that cannot be read is `malformed` with the reason. */
export function evaluatePolicyDocument(document: unknown, request: PolicyRequest): PolicyDecision {
  const parsed = parsePolicy(document);
  return parsed.ok
    ? evaluatePolicy(parsed.policy, request)
    : { decision: 'malformed', reason: parsed.reason };
}

function allStars(patterns: string[]): boolean {
  return patterns.some((p) => /^\*+$/.test(p));
}

/** An unconditional statement on every action, every resource and every principal. */
function coversEverything(s: ParsedPolicy['statements'][number]): boolean {
  return (
    s.conditions.length === 0 &&
    !s.action.negated &&
    allStars(s.action.patterns) &&
    s.resource !== undefined &&
    !s.resource.negated &&
    allStars(s.resource.patterns) &&
    s.principal.any &&
    !s.principal.negated
  );
}

/**
 * A policy through which no call can pass, whoever makes it: no Allow statement can apply to
 * anything (NotAction "*", NotResource "*", NotPrincipal "*"), or a Deny without conditions covers
 * every action, resource and principal. The statement that decides it, when one does.
 */
export function allowsNothing(
  policy: ParsedPolicy,
): { nothing: false } | { nothing: true; statement?: StatementRef } {
  const denyAll = policy.statements.find((s) => s.effect === 'Deny' && coversEverything(s));
  if (denyAll) return { nothing: true, statement: denyAll.ref };
  const canAllow = policy.statements.some(
    (s) =>
      s.effect === 'Allow' &&
      !(s.action.negated && allStars(s.action.patterns)) &&
      !(s.resource?.negated && allStars(s.resource.patterns)) &&
      !(s.principal.negated && s.principal.any),
  );
  return canAllow ? { nothing: false } : { nothing: true };
}

/** The policy AWS attaches when none is given: one unconditional Allow of everything to everyone. */
export function isFullAccess(policy: ParsedPolicy): boolean {
  return (
    policy.statements.length === 1 &&
    policy.statements.every((s) => s.effect === 'Allow' && coversEverything(s))
  );
}
