"""The compiled read path: query operations answered from plans, beside graphql-core's executor.

Strawberry stays the schema; this is only another way to execute a validated query. A query
operation the gate let through (auth/gate.py) is compiled once into a `Plan` (compiler/build.py),
keyed by its text, operation name, the viewer's role and the values of the variables @skip and
@include read, and kept in a bounded LRU (compiler/cache.py: by count and approximate bytes). A
plan is a tree of object plans; running it (compiler/plan.py) loads each level with one batch per
link, through the very loader and resolver functions of the ordinary path (compiler/specs.py), so
row scopes, cursors and pagination are the ordinary path's by construction, and writes the answer
straight from the rows. The field policy (auth/policy.py) is decided once per plan and relation:
ALLOW, MASK and FORBID are branches a row takes by its relation, and the access log records what
auth/guard.py records.

Whatever the compiler does not know (mutations, subscriptions, introspection, node(),
unknown fields, arguments or directives) falls back to the ordinary executor at compile time, and
whatever would be an error (FORBIDDEN, a bad cursor, a null in a non-null field) falls back at run
time: the compiled path only ever answers what the ordinary executor answers without an error, so
errors (messages, paths, extensions, order) are the ordinary executor's own.

Settings: ANSINH_COMPILER (on | off | verify), ANSINH_COMPILER_PLANS, ANSINH_COMPILER_PLAN_BYTES.
In verify mode both executors answer and are compared (compiler/hook.py); the test suite runs so.
"""
