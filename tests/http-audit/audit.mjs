// The GraphQL over HTTP conformance audit: graphql-http's own server audits (the spec's MUST,
// SHOULD and MAY rules, written by the spec's authors) against a running server.
//
//   node audit.mjs <http://host:port/graphql> [--strict] [--verbose]
//
// One line per audit (status, id, rule; the reason when it is not "ok"), then the totals.
// Exit status: 1 when a MUST is broken, or with --strict when a SHOULD is not followed; 2 on a
// wrong invocation; 0 otherwise. The audits ask only for `{ __typename }` and `__type(name:)`, so
// they need no data in the database.
import { serverAudits } from 'graphql-http';

const args = process.argv.slice(2);
const url = args.find((arg) => /^https?:\/\//.test(arg));
const strict = args.includes('--strict');
const verbose = args.includes('--verbose');
if (url === undefined) {
  console.error('usage: node audit.mjs <http://host:port/graphql> [--strict] [--verbose]');
  process.exit(2);
}

const counts = { ok: 0, notice: 0, warn: 0, error: 0 };
for (const audit of serverAudits({ url, fetchFn: fetch })) {
  let result;
  try {
    result = await audit.fn();
  } catch (error) {
    // The server did not answer at all (refused, reset): that audit failed, the others still run.
    result = { id: audit.id, name: audit.name, status: 'error', reason: String(error?.message ?? error) };
  }
  counts[result.status] += 1;
  let line = `${result.status.toUpperCase().padEnd(6)} ${audit.id} ${audit.name}`;
  if (result.status !== 'ok') {
    const http = result.response ? ` (HTTP ${result.response.status})` : '';
    line += `\n       ${result.reason}${http}`;
    if (verbose && result.response) {
      const body = await result.response.text().catch(() => '');
      line += `\n       body: ${body.slice(0, 300).replace(/\s+/g, ' ')}`;
    }
  }
  console.log(line);
}

const total = Object.values(counts).reduce((sum, n) => sum + n, 0);
console.log(
  `${url}: ${total} audits, ok ${counts.ok}, notice ${counts.notice}, warn ${counts.warn}, error ${counts.error}`,
);
process.exit(counts.error > 0 || (strict && counts.warn > 0) ? 1 : 0);
