// deploy/terraform/ cannot be planned here (no terraform binary): every file is parsed with
// @cdktf/hcl2json, HashiCorp's HCL parser compiled to WebAssembly, and the module's variables,
// outputs, examples and policy are checked against each other, the README and the code.
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { parse } from '@cdktf/hcl2json';
import { EMF_NAMESPACE, STATUS_VALUE } from '../../src/render/emf.js';

const ROOT = new URL('../../', import.meta.url).pathname;
const TERRAFORM = join(ROOT, 'deploy/terraform');
const MODULE = join(TERRAFORM, 'modules/vpce-doctor');
const EXAMPLES = join(TERRAFORM, 'examples');

/** A parsed file: blocks by type, each labelled block a list of bodies (hcl2json's shape). */
type Hcl = Record<string, unknown>;
type Block = Record<string, unknown>;

/** Arguments of a `module` block that are Terraform's, not the module's variables. */
const META_ARGUMENTS = new Set(['source', 'version', 'providers', 'depends_on', 'count', 'for_each']);

function tfFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? tfFiles(path) : path.endsWith('.tf') ? [path] : [];
  });
}

/** An expression as hcl2json writes it: `${EXPRESSION}`. */
function interpolation(expression: string): string {
  return `\${${expression}}`;
}

/** The module's locals, merged across its `locals` blocks. */
function moduleLocals(): Block {
  return Object.assign({}, ...module.flatMap((m) => (m['locals'] ?? []) as Block[]));
}

/** The module's `resource` blocks, by type then name. */
function resources(type: string): Map<string, Block> {
  return blocks(
    module.map((m) => (m['resource'] ?? {}) as Hcl),
    type,
  );
}

/** Every string in a parsed value: expressions come out of hcl2json as "${...}" strings. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.values(value).flatMap(strings);
  return [];
}

/** The names `var.NAME` refers to in a parsed value. */
function variableReferences(value: unknown): Set<string> {
  const names = new Set<string>();
  for (const s of strings(value)) for (const m of s.matchAll(/\bvar\.([A-Za-z_][\w-]*)/g)) names.add(m[1]!);
  return names;
}

function blocks(parsed: Hcl[], type: string): Map<string, Block> {
  const out = new Map<string, Block>();
  for (const file of parsed) {
    for (const [name, bodies] of Object.entries((file[type] ?? {}) as Record<string, Block[]>)) {
      out.set(name, bodies[0]!);
    }
  }
  return out;
}

/** The first column of the Markdown table rows in a section of the README: `name` cells. */
function tableNames(markdown: string, from: string, to: string): Set<string> {
  const start = markdown.indexOf(from);
  const end = to ? markdown.indexOf(to, start + 1) : markdown.length;
  assert.ok(start >= 0 && end > start, `README has the sections ${from} and ${to}`);
  const names = new Set<string>();
  for (const m of markdown.slice(start, end).matchAll(/^\| `([^`]+)` \|/gm)) names.add(m[1]!);
  return names;
}

/** The README's cells of one table row: name, type, default, description. */
function readmeRow(markdown: string, name: string): string[] {
  const line = markdown.split('\n').find((l) => l.startsWith(`| \`${name}\` |`));
  assert.ok(line, `README has a row for ${name}`);
  return line.split(' | ').map((c) => c.replace(/^\| |\|$/g, '').trim());
}

const files = tfFiles(TERRAFORM);
const parsedByFile = new Map<string, Hcl>();
const parseErrors = new Map<string, string>();
let module: Hcl[] = [];
let variables = new Map<string, Block>();
let outputs = new Map<string, Block>();
const readme = readFileSync(join(TERRAFORM, 'README.md'), 'utf8');

before(async () => {
  for (const file of files) {
    try {
      parsedByFile.set(file, await parse(relative(ROOT, file), readFileSync(file, 'utf8')));
    } catch (error) {
      parseErrors.set(relative(ROOT, file), String(error));
    }
  }
  module = files.filter((f) => dirname(f) === MODULE).map((f) => parsedByFile.get(f)!);
  variables = blocks(module, 'variable');
  outputs = blocks(module, 'output');
});

describe('deploy/terraform', () => {
  it('has the module files and one example per deployment shape', () => {
    const names = files.map((f) => relative(TERRAFORM, f)).sort();
    for (const expected of [
      'examples/lambda/main.tf',
      'examples/sidecar/main.tf',
      'modules/vpce-doctor/main.tf',
      'modules/vpce-doctor/outputs.tf',
      'modules/vpce-doctor/variables.tf',
      'modules/vpce-doctor/versions.tf',
    ]) {
      assert.ok(names.includes(expected), `${expected} exists`);
    }
  });

  it('parses every .tf file', () => {
    assert.deepEqual(Object.fromEntries(parseErrors), {}, 'files that do not parse');
    assert.equal(parsedByFile.size, files.length);
    for (const [file, parsed] of parsedByFile) {
      assert.ok(Object.keys(parsed).length > 0, `${relative(ROOT, file)} declares something`);
    }
  });

  it('rejects malformed HCL, so a parse that succeeds means something', async () => {
    await assert.rejects(
      parse('broken.tf', 'variable "x" {\n  type = string\n'),
      /Unclosed configuration block/,
    );
  });

  it('uses every variable the module declares somewhere outside its own declaration', () => {
    // A variable's validation block refers to itself; that is not a use.
    const used = variableReferences(module.map(({ variable: _declarations, ...rest }) => rest));
    const unused = [...variables.keys()].filter((name) => !used.has(name));
    assert.deepEqual(unused, [], 'declared but never read as var.NAME');
  });

  it('refers only to variables the module declares', () => {
    const used = variableReferences(module);
    const undeclared = [...used].filter((name) => !variables.has(name));
    assert.deepEqual(undeclared, []);
  });

  it('documents every variable: a description and a README row that says whether it is required', () => {
    assert.ok(variables.size > 0);
    const documented = tableNames(readme, '## Inputs', '## Outputs');
    for (const [name, body] of variables) {
      assert.ok(
        typeof body['description'] === 'string' && body['description'].length > 10,
        `${name} has a description`,
      );
      assert.ok(documented.has(name), `${name} is in the README's inputs`);
      const required = !('default' in body);
      assert.equal(
        readmeRow(readme, name)[2] === 'required',
        required,
        `${name}: README says required iff no default`,
      );
    }
    assert.deepEqual(
      [...documented].filter((name) => !variables.has(name)),
      [],
      'README lists no stale inputs',
    );
  });

  it('documents every output: a description and a README row', () => {
    assert.ok(outputs.size > 0);
    const documented = tableNames(readme, '## Outputs', '## Tests');
    for (const [name, body] of outputs) {
      assert.ok(
        typeof body['description'] === 'string' && body['description'].length > 10,
        `${name} has a description`,
      );
      assert.ok(documented.has(name), `${name} is in the README's outputs`);
    }
    assert.deepEqual(
      [...documented].filter((name) => !outputs.has(name)),
      [],
      'README lists no stale outputs',
    );
  });

  for (const example of ['sidecar', 'lambda']) {
    it(`examples/${example} sets only variables the module declares and every one without a default`, () => {
      const parsed = parsedByFile.get(join(EXAMPLES, example, 'main.tf'));
      assert.ok(parsed, `examples/${example}/main.tf parsed`);
      const calls = blocks([parsed], 'module');
      assert.equal(calls.size, 1, 'one module block');
      const [call] = [...calls.values()];
      assert.equal(resolve(EXAMPLES, example, String(call!['source'])), MODULE, 'it uses the local module');
      const set = Object.keys(call!).filter((k) => !META_ARGUMENTS.has(k));
      assert.deepEqual(
        set.filter((k) => !variables.has(k)),
        [],
        'arguments the module does not declare',
      );
      const required = [...variables].filter(([, body]) => !('default' in body)).map(([name]) => name);
      assert.deepEqual(
        required.filter((name) => !set.includes(name)),
        [],
        'required variables left unset',
      );
      assert.equal(call!['shape'], example === 'lambda' ? 'lambda' : 'startup-gate');
    });
  }

  it('takes the IAM policy from deploy/iam-policy.json and attaches nothing else as the agent policy', () => {
    const expressions = strings(module);
    const reads = expressions.flatMap((s) =>
      [...s.matchAll(/file\("\$\{path\.module\}\/([^"]+)"\)/g)].map((m) => m[1]!),
    );
    assert.deepEqual(
      reads.map((path) => resolve(MODULE, path)),
      [join(ROOT, 'deploy/iam-policy.json')],
      'the one file the module reads is deploy/iam-policy.json',
    );
    assert.ok(
      expressions.some((s) => /jsondecode\(file\("\$\{path\.module\}\/[^"]+iam-policy\.json"\)\)/.test(s)),
      'the policy file is decoded as JSON (a syntax error in it fails the plan)',
    );
    const policies = resources('aws_iam_role_policy');
    assert.deepEqual([...policies.keys()].sort(), ['lambda_agent', 'lambda_runtime', 'task']);
    // lambda_runtime is Lambda's own (ENIs, its log groups), from a policy document of the module.
    policies.delete('lambda_runtime');
    for (const [name, body] of policies) {
      assert.equal(
        body['policy'],
        interpolation('local.agent_policy_json'),
        `aws_iam_role_policy.${name} is the agent policy`,
      );
    }
    const locals = moduleLocals();
    assert.equal(locals['agent_policy_json'], interpolation('jsonencode(local.agent_policy)'));
  });

  it('fills every placeholder of deploy/iam-policy.json, and adds the flow-log read only when a group is named', () => {
    const policy = readFileSync(join(ROOT, 'deploy/iam-policy.json'), 'utf8');
    const placeholders = new Set([...policy.matchAll(/\$\{([^}]+)\}/g)].map((m) => m[1]!));
    assert.deepEqual([...placeholders].sort(), [
      'AWS::AccountId',
      'AWS::Partition',
      'AWS::Region',
      'FlowLogGroupName',
      'ReportLogGroupName',
    ]);
    const statements = String(moduleLocals()['agent_statements']);
    for (const name of placeholders) {
      // hcl2json keeps Terraform's escape: "$${NAME}" is the literal text ${NAME}.
      assert.ok(statements.includes(`"$\${${name}}"`), `the module replaces \${${name}}`);
    }
    assert.match(
      statements,
      /s\.Sid != "VpceDoctorReadFlowLogRejects" \|\| var\.flow_log_group_name != null/,
    );
    assert.match(statements, /s\.Sid != "VpceDoctorShipReports" \|\| local\.is_lambda/);
    assert.match(statements, /data\.aws_partition\.current\.partition/);
    assert.match(
      String(moduleLocals()['common_environment']),
      /VPCE_DOCTOR_FLOW_LOGS *= var\.flow_log_group_name != null \? "1" : "0"/,
      'the agent does not try flow logs the role may not read',
    );
  });

  it("gives the functions Lambda's own needs without log writes on every group (no AWSLambdaVPCAccessExecutionRole)", () => {
    assert.equal(resources('aws_iam_role_policy_attachment').size, 0, 'no managed policy attached');
    const documents = blocks(
      module.map((m) => (m['data'] ?? {}) as Hcl),
      'aws_iam_policy_document',
    );
    const runtime = documents.get('lambda_runtime');
    assert.ok(runtime, 'data.aws_iam_policy_document.lambda_runtime');
    const statements = runtime['statement'] as Block[];
    const logs = statements.find((st) => String(st['sid']) === 'LambdaOwnLogGroups');
    assert.deepEqual(logs?.['actions'], ['logs:CreateLogStream', 'logs:PutLogEvents']);
    assert.match(String(logs?.['resources']), /aws_cloudwatch_log_group\.function/);
    assert.doesNotMatch(JSON.stringify(statements), /"logs:[A-Za-z]+"[^\]]*\],"resources":\["\*"\]/);
  });

  it('alarms on the metric src/render/emf.ts writes: its namespace, Status, Subnet and status values', () => {
    const locals = moduleLocals();
    assert.equal(locals['emf_namespace'], EMF_NAMESPACE);
    assert.equal(locals['emf_status_metric'], 'Status');
    assert.equal(locals['emf_run_dimension'], 'Subnet');
    assert.deepEqual(locals['status_value'], STATUS_VALUE);
    const source = readFileSync(join(ROOT, 'src/render/emf.ts'), 'utf8');
    assert.match(
      source,
      /Dimensions: \[\['Subnet'\]\], Metrics: RUN_METRICS/,
      'the run line has the Subnet dimension',
    );
    const alarm = resources('aws_cloudwatch_metric_alarm').get('status');
    assert.ok(alarm, 'aws_cloudwatch_metric_alarm.status exists');
    assert.equal(alarm['namespace'], interpolation('local.emf_namespace'));
    assert.equal(alarm['metric_name'], interpolation('local.emf_status_metric'));
    assert.equal(alarm['threshold'], interpolation('local.status_value[var.alarm_on]'));
    assert.equal(alarm['comparison_operator'], 'GreaterThanOrEqualToThreshold');
  });

  it('invokes each function with the event {} and passes the context the Lambda cannot discover', () => {
    const target = resources('aws_cloudwatch_event_target').get('agent');
    assert.equal(target?.['input'], '{}');
    const locals = moduleLocals();
    const environment = String(locals['lambda_environment']);
    for (const name of [
      'VPCE_DOCTOR_SUBNET_ID',
      'VPCE_DOCTOR_SECURITY_GROUP_IDS',
      'VPCE_DOCTOR_VPC_ID',
      'VPCE_DOCTOR_LOG_GROUP',
    ]) {
      assert.ok(environment.includes(name), `the functions get ${name}`);
    }
  });

  it('runs the functions on the Lambda runtime the CloudFormation template defaults to, one Lambda still creates', () => {
    const fn = resources('aws_lambda_function').get('agent');
    assert.equal(fn?.['runtime'], interpolation('var.lambda_runtime'));
    const template = readFileSync(join(ROOT, 'deploy/cloudformation/lambda.yaml'), 'utf8');
    const cfnDefault = /^ {2}Runtime:\n(?: {4}.*\n)*? {4}Default: (\S+)$/m.exec(template)?.[1];
    assert.ok(cfnDefault, 'lambda.yaml has a Runtime parameter with a default');
    assert.equal(variables.get('lambda_runtime')?.['default'], cfnDefault);
    assert.notEqual(cfnDefault, 'nodejs20.x', 'Lambda stopped creating nodejs20.x functions on 2026-06-01');
  });

  it('health-checks /health in the startup-gate shape and /healthz otherwise', () => {
    const locals = moduleLocals();
    assert.equal(
      locals['health_check_path'],
      interpolation('var.shape == "startup-gate" ? "/health" : "/healthz"'),
    );
    assert.match(
      String(locals['app_depends_on']),
      /var\.shape == "startup-gate" \? \[\{.*condition = "HEALTHY".*\}\] : \[\]/,
    );
    assert.match(JSON.stringify(locals['container_definition']), /local\.health_check_path/);
  });
});
