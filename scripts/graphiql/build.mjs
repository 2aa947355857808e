// Builds GraphiQL's page assets from the npm packages installed beside this file (by
// scripts/build-graphiql, with `npm ci` from package-lock.json) into the folder named by the
// first argument: the scripts and styles the page loads, a manifest of their versions and hashes,
// and the licence texts of every package they were built from.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { transformSync } from 'esbuild';

const here = fileURLToPath(new URL('.', import.meta.url));
const modules = join(here, 'node_modules');
const out = resolve(process.argv[2] ?? '');
if (!process.argv[2]) {
  console.error('usage: node build.mjs <output folder>');
  process.exit(2);
}

// [output file, package, file in the package, minify?]. graphiql's UMD build is a webpack bundle
// with its comments and module names left in (3.5 MB); esbuild minifies it to less than half.
// The others are published minified. Source-map references are dropped: the maps are not shipped.
const ASSETS = [
  ['react.production.min.js', 'react', 'umd/react.production.min.js', false],
  ['react-dom.production.min.js', 'react-dom', 'umd/react-dom.production.min.js', false],
  ['graphiql.min.js', 'graphiql', 'graphiql.min.js', true],
  ['graphiql.min.css', 'graphiql', 'graphiql.min.css', false],
  ['plugin-explorer.umd.js', '@graphiql/plugin-explorer', 'dist/index.umd.js', false],
  ['plugin-explorer.css', '@graphiql/plugin-explorer', 'dist/style.css', false],
];
const BUILD_TOOLS = /^(esbuild|@esbuild\/.*)$/;

const packageJson = (folder) => JSON.parse(readFileSync(join(folder, 'package.json'), 'utf8'));
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const manifest = {};
for (const [name, pkg, file, minify] of ASSETS) {
  let text = readFileSync(join(modules, pkg, file), 'utf8');
  if (minify) {
    text = transformSync(text, { minify: true, legalComments: 'eof', charset: 'utf8' }).code;
  }
  text = text.replace(/\n?\/[/*]# sourceMappingURL=[^\n]*\s*$/, '\n');
  writeFileSync(join(out, name), text);
  manifest[name] = {
    package: pkg,
    version: packageJson(join(modules, pkg)).version,
    file,
    sha256: sha256(Buffer.from(text)),
  };
}
writeFileSync(join(out, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);

// Every package of the installed tree but the build tool: a superset of what the bundles contain.
function* packages(folder) {
  if (!existsSync(folder)) return;
  for (const entry of readdirSync(folder, { withFileTypes: true })) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    const path = join(folder, entry.name);
    if (entry.name.startsWith('@')) {
      yield* packages(path);
    } else if (existsSync(join(path, 'package.json'))) {
      yield path;
      yield* packages(join(path, 'node_modules'));
    }
  }
}
const seen = new Map();
for (const path of packages(modules)) {
  const { name, version, license } = packageJson(path);
  if (BUILD_TOOLS.test(name) || seen.has(`${name}@${version}`)) continue;
  const file = readdirSync(path).find((f) => /^(licen[cs]e|copying)(\.(md|txt))?$/i.test(f));
  const text = file ? readFileSync(join(path, file), 'utf8').trim() : `(no licence file; package.json says: ${license})`;
  seen.set(`${name}@${version}`, `${name}@${version} (${typeof license === 'string' ? license : JSON.stringify(license)})\n\n${text}`);
}
const texts = [...seen.keys()].sort().map((key) => seen.get(key));
writeFileSync(
  join(out, 'LICENSES.txt'),
  'The licences of the npm packages these files were built from (scripts/build-graphiql).\n\n' +
    `${'='.repeat(78)}\n${texts.join(`\n\n${'='.repeat(78)}\n`)}\n`,
);
console.log(`${Object.keys(manifest).length} assets and ${texts.length} licences written to ${out}`);
