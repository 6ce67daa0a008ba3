#!/usr/bin/env node
// Offline scorecard: the checks of `node-red-dev validate` (the flow library's scorecard) that
// need no network, plus what the flow library and the runtime read from our editor files:
// registerType parsed from <script type="text/javascript"> (literal type, inline definition,
// literal category/color/inputs/outputs/icon) and icons at <node dir>/icons/<icon>, which is
// where both the runtime (@node-red/registry) and the flow library look.
// Run after the build.  Usage: node scripts/scorecard.js [--json] [--dist <folder>]
// (`--dist`, default $CRYNUX_DIST, stands in for the package's `dist/`.) Exit code 1 on failure.
'use strict';
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const ts = require('typescript');
// semver comes with node-red (a devDependency); resolve it through node-red's own tree.
const NODE_RED_DIR = path.dirname(require.resolve('node-red/package.json', { paths: [__dirname] }));
const semver = require(require.resolve('semver', { paths: [NODE_RED_DIR] }));

const MAX_RUNTIME_DEPS = 6; // node-red-dev D01 (the catalogue's 95th percentile)
const NODE_RED_5_MIN_NODE = '22.9.0'; // engines.node of node-red@5, the current "latest"
const ICON_EXTENSIONS = ['.png', '.gif', '.svg']; // what the runtime's icon scan accepts
const INLINE_PROPS = ['category', 'color', 'inputs', 'outputs', 'icon'];
const COMPAT_5 = path.join(__dirname, '..', 'compat', 'node-red-5');

function readJson(file) {
  return JSON.parse(fs.readFileSync(file, 'utf8'));
}

/** Node-RED releases we claim to support: the installed 4.x and the 5.x of compat/node-red-5. */
function nodeRedTargets() {
  const nr4 = readJson(path.join(NODE_RED_DIR, 'package.json'));
  const targets = [{ version: nr4.version, minNode: semver.minVersion(nr4.engines.node).version, checkNode: false }];
  const installed5 = path.join(COMPAT_5, 'node_modules', 'node-red', 'package.json');
  if (fs.existsSync(installed5)) {
    const nr5 = readJson(installed5);
    targets.push({ version: nr5.version, minNode: semver.minVersion(nr5.engines.node).version, checkNode: true });
  } else {
    const range = fs.existsSync(path.join(COMPAT_5, 'package.json')) ? readJson(path.join(COMPAT_5, 'package.json')).dependencies['node-red'] : '5.0.0';
    targets.push({ version: semver.minVersion(range).version, minNode: NODE_RED_5_MIN_NODE, checkNode: true });
  }
  // node-red-dev P07 tests engines against the latest Node-RED's minimum Node only.
  if (semver.lt(targets[1].minNode, NODE_RED_5_MIN_NODE)) targets[1].minNode = NODE_RED_5_MIN_NODE;
  return targets;
}

/** Bodies of <script type="text/javascript"> blocks, as node-red-dev and the flow library select them. */
function editorScripts(html) {
  // Like theirs: the opening tag on one line, `type=` without spaces, any letter case.
  return [...html.matchAll(/<script\b[^>\n]*?\stype=['"]text\/javascript['"][^>\n]*>([\s\S]*?)<\/script>/gi)].map((m) => m[1]);
}

function propName(member) {
  // node-red-dev reads `key.name`: only identifier keys count.
  return member.name && ts.isIdentifier(member.name) ? member.name.text : undefined;
}

function literalValue(expr) {
  if (ts.isStringLiteral(expr)) return { value: expr.text };
  if (ts.isNumericLiteral(expr)) return { value: Number(expr.text) };
  if (expr.kind === ts.SyntaxKind.TrueKeyword) return { value: true };
  if (expr.kind === ts.SyntaxKind.FalseKeyword) return { value: false };
  return undefined;
}

/**
 * Editor definitions in an .html file: `{ defs: {type: {props, problems}}, problems }`.
 * `props` holds the literal values of INLINE_PROPS; `problems` lists what node-red-dev would
 * reject (syntax errors, non-literal types or properties, definitions not inline).
 */
function editorDefinitions(html) {
  const defs = {};
  const problems = [];
  const scripts = editorScripts(html);
  if (scripts.length === 0) problems.push('no <script type="text/javascript"> block');
  scripts.forEach((code, i) => {
    try {
      new vm.Script(code, { filename: `script ${i + 1}` }); // compile only: the browser's own syntax rules
    } catch (err) {
      problems.push(`script ${i + 1} does not compile: ${err.message}`);
      return;
    }
    const sf = ts.createSourceFile(`script${i}.js`, code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS);
    const visit = (node) => {
      if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && node.expression.name.text === 'registerType') {
        const [typeArg, defArg] = node.arguments;
        if (!typeArg || !ts.isStringLiteral(typeArg)) problems.push(`registerType with a non-literal type: ${typeArg ? typeArg.getText(sf) : '(none)'}`);
        else if (!defArg || !ts.isObjectLiteralExpression(defArg)) problems.push(`registerType('${typeArg.text}', …) without an inline {…} definition`);
        else defs[typeArg.text] = readDefinition(defArg);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  });
  return { defs, problems };
}

function readDefinition(obj) {
  const props = {};
  const problems = [];
  for (const member of obj.properties) {
    if (ts.isSpreadAssignment(member)) {
      problems.push('spread (...) in the definition');
      continue;
    }
    const name = propName(member);
    if (INLINE_PROPS.includes(name)) {
      const lit = ts.isPropertyAssignment(member) ? literalValue(member.initializer) : undefined;
      if (lit) props[name] = lit.value;
      else problems.push(`${name} is not a literal`);
    } else if (name === 'defaults' || name === 'credentials') {
      const inline = ts.isPropertyAssignment(member) && ts.isObjectLiteralExpression(member.initializer);
      if (!inline) problems.push(`${name} is not an inline {…}`);
      else if (member.initializer.properties.some((p) => !propName(p) && !(p.name && ts.isStringLiteral(p.name)))) problems.push(`${name} has a spread or computed key`);
    }
  }
  return { props, problems };
}

/** Every file under dir (node-red-dev reads all of examples/, recursively, as JSON). */
function filesUnder(dir) {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? filesUnder(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}

function runScorecard(root = path.resolve(__dirname, '..'), options = {}) {
  const results = [];
  const check = (id, title, ok, detail) => results.push({ id, title, ok: Boolean(ok), detail: detail || '' });
  // `dist` stands in for <root>/dist (CRYNUX_DIST builds); everything else is read from root.
  const file = (rel) => {
    const parts = rel.split(/[\\/]/).filter((p) => p && p !== '.');
    return options.dist && parts[0] === 'dist' ? path.join(options.dist, ...parts.slice(1)) : path.join(root, ...parts);
  };
  const pkg = readJson(path.join(root, 'package.json'));
  const nr = pkg['node-red'] || {};
  const nodes = nr.nodes || {};

  check('P01', 'licence declared', typeof pkg.license === 'string' && pkg.license.trim() && pkg.license !== 'UNLICENSED' && fs.existsSync(path.join(root, 'LICENSE')), `license=${pkg.license}`);
  const repoUrl = pkg.repository && (typeof pkg.repository === 'string' ? pkg.repository : pkg.repository.url);
  const bugs = pkg.bugs && (typeof pkg.bugs === 'string' ? pkg.bugs : pkg.bugs.url || pkg.bugs.email);
  check('P03', 'repository (a git URL) and bugs', /^(git\+)?(https?|git|ssh):\/\/\S+$|^git@[\w.-]+:\S+$/.test(repoUrl || '') && bugs, `repository=${repoUrl} bugs=${bugs}`);
  check('P04', 'scoped package name', /^@[a-z0-9][a-z0-9._-]*\/[a-z0-9][a-z0-9._-]*$/.test(pkg.name || '') && pkg.name.length <= 214, pkg.name);
  check('P05', '"node-red" keyword', Array.isArray(pkg.keywords) && pkg.keywords.includes('node-red'));
  const targets = nodeRedTargets();
  const nrRange = typeof nr.version === 'string' && semver.validRange(nr.version) ? nr.version : null;
  const unmet = targets.filter((t) => !nrRange || !semver.satisfies(t.version, nrRange)).map((t) => t.version);
  check('P06', `node-red.version admits Node-RED ${targets.map((t) => t.version).join(' and ')}`, nrRange && unmet.length === 0, `node-red.version=${nr.version}${unmet.length ? `; not admitted: ${unmet.join(', ')}` : ''}`);
  const engines = pkg.engines && pkg.engines.node;
  const needNode = targets.filter((t) => t.checkNode).map((t) => t.minNode);
  const engineOk = typeof engines === 'string' && semver.validRange(engines) && needNode.every((v) => semver.satisfies(v, engines));
  check('P07', `engines.node admits Node ${needNode.join(', ')}`, engineOk, `engines.node=${engines}`);
  const deps = Object.keys(pkg.dependencies || {});
  check('D01', `at most ${MAX_RUNTIME_DEPS} runtime dependencies`, deps.length <= MAX_RUNTIME_DEPS, `${deps.length}: ${deps.join(', ')}`);
  // The flow library rejects a module without a README.
  check('X01', 'README.md present', fs.existsSync(path.join(root, 'README.md')));

  const types = Object.keys(nodes);
  check('N00', 'node types listed in package.json node-red.nodes', types.length > 0, types.join(', '));
  const defs = {};
  for (const [type, rel] of Object.entries(nodes)) {
    const js = file(rel);
    check(`J01:${type}`, `${rel} exists`, fs.existsSync(js));
    const htmlRel = rel.replace(/\.js$/, '.html');
    const html = file(htmlRel);
    if (!fs.existsSync(html)) {
      check(`H01:${type}`, `${htmlRel} exists beside the .js`, false);
      continue;
    }
    const parsed = editorDefinitions(fs.readFileSync(html, 'utf8'));
    check(`H01:${type}`, `${htmlRel} parses as node-red-dev reads it`, parsed.problems.length === 0, parsed.problems.join('; '));
    const def = parsed.defs[type];
    check(`H02:${type}`, `literal RED.nodes.registerType('${type}', {…}) in a text/javascript script`, def, def ? '' : `registered: ${Object.keys(parsed.defs).join(', ') || 'none'}`);
    if (!def) continue;
    defs[type] = def;
    const isConfig = def.props.category === 'config';
    const missing = (isConfig ? ['category'] : INLINE_PROPS).filter((p) => !(p in def.props));
    check(`H03:${type}`, `literal ${isConfig ? 'category (config node)' : INLINE_PROPS.join(', ')}`, missing.length === 0 && def.problems.length === 0, [...def.problems, ...missing.map((p) => `${p} missing`)].join('; '));
    const base = path.basename(rel, '.js');
    const locales = ['json', 'html'].map((ext) => path.join(path.dirname(htmlRel), 'locales', 'en-US', `${base}.${ext}`));
    const noLocale = locales.filter((l) => !fs.existsSync(file(l)));
    check(`X02:${type}`, 'en-US message catalog and help beside the node', noLocale.length === 0, noLocale.length ? `missing ${noLocale.join(', ')}` : '');
    const icon = def.props.icon;
    if (icon === undefined) continue;
    let iconOk;
    let where;
    if (typeof icon !== 'string' || !icon) {
      iconOk = false;
      where = String(icon);
    } else if (icon.startsWith('font-awesome/')) {
      iconOk = /^font-awesome\/fa-[a-z0-9-]+$/.test(icon);
      where = icon;
    } else if (icon.startsWith('node-red/')) {
      where = path.join(path.dirname(require.resolve('@node-red/nodes/package.json', { paths: [NODE_RED_DIR] })), 'icons', icon.slice(9));
      iconOk = fs.existsSync(where);
    } else {
      const iconRel = path.join(path.dirname(rel), 'icons', icon);
      where = iconRel;
      iconOk = !icon.includes('/') && ICON_EXTENSIONS.includes(path.extname(icon).toLowerCase()) && fs.existsSync(file(iconRel)) && fs.statSync(file(iconRel)).isFile();
    }
    check(`I01:${type}`, `icon ${icon} exists where the runtime and the flow library look`, iconOk, where);
  }

  const exampleFiles = filesUnder(path.join(root, 'examples'));
  const used = new Set();
  const badExamples = [];
  for (const f of exampleFiles) {
    try {
      const flow = readJson(f);
      if (!Array.isArray(flow)) throw new Error('not a JSON array of nodes');
      for (const n of flow) if (n && typeof n.type === 'string') used.add(n.type);
    } catch (err) {
      badExamples.push(`${path.relative(root, f)}: ${err.message}`);
    }
  }
  check('N02a', 'every file in examples/ is a flow (JSON array)', exampleFiles.length > 0 && badExamples.length === 0, exampleFiles.length ? badExamples.join('; ') : 'no examples');
  const flowTypes = Object.keys(defs).filter((t) => defs[t].props.category !== 'config');
  const unused = flowTypes.filter((t) => !used.has(t));
  check('N02', 'every non-config node type is used in examples/', flowTypes.length > 0 && unused.length === 0, unused.length ? `unused: ${unused.join(', ')}` : '');
  return results;
}

module.exports = { runScorecard, editorDefinitions, editorScripts };

if (require.main === module) {
  const argv = process.argv.slice(2);
  const at = argv.indexOf('--dist');
  const dist = at >= 0 ? argv[at + 1] : process.env.CRYNUX_DIST;
  const results = runScorecard(undefined, { dist: dist ? path.resolve(dist) : undefined });
  if (argv.includes('--json')) console.log(JSON.stringify(results, null, 2));
  else for (const r of results) console.log(`${r.ok ? 'PASS' : 'FAIL'} ${r.id.padEnd(26)} ${r.title}${r.detail ? `  (${r.detail})` : ''}`);
  const failed = results.filter((r) => !r.ok).length;
  console.log(`scorecard: ${results.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
