// Layering rules for packages/, checked by `npm run lint` (scripts/check-layering.mjs).
// Written for the layout by process (issue 9): primary/ and worker/ are the two processes,
// ipc/ is where they meet, the domain folders below are shared and know neither process.
// A rule about a folder that does not exist matches nothing and passes.
const SRC = '^packages/server/src/';
const DOMAIN = `${SRC}(volume|worklist|pull|trash|http|redis|metrics|config)/`;

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'no-cycles',
      comment: 'Modules form a tree: a cycle means two modules cannot be understood (or loaded) apart.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'volume-imports-nothing-above',
      comment:
        'volume/ (the interface and its drivers) may import only errors, log, schema/ (shared field schemas) and the protocol package.',
      severity: 'error',
      from: { path: `${SRC}volume/` },
      to: { path: SRC, pathNot: [`${SRC}volume/`, `${SRC}log/`, `${SRC}schema/`, `${SRC}errors\\.ts$`] },
    },
    {
      name: 'pull-trash-not-http',
      comment: 'The pull and trash executors run jobs, not requests: they never import http/.',
      severity: 'error',
      from: { path: `${SRC}(pull|trash)/` },
      to: { path: `${SRC}http/` },
    },
    {
      name: 'http-not-worklist',
      comment: 'http/ runs in the worker; worklist/ (dispatch of uploaded lists) runs in the primary.',
      severity: 'error',
      from: { path: `${SRC}http/` },
      to: { path: `${SRC}worklist/` },
    },
    {
      name: 'metrics-not-http',
      comment: 'Metrics are collected by both processes; they never depend on the HTTP layer.',
      severity: 'error',
      from: { path: `${SRC}metrics/` },
      to: { path: `${SRC}http/` },
    },
    {
      name: 'domain-not-process',
      comment: 'Domain folders are shared by both processes: they never import primary/ or worker/.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: `${SRC}(primary|worker)/` },
    },
    {
      name: 'primary-not-worker',
      comment: 'The two processes meet only in ipc/.',
      severity: 'error',
      from: { path: `${SRC}primary/` },
      to: { path: `${SRC}worker/` },
    },
    {
      name: 'worker-not-primary',
      comment: 'The two processes meet only in ipc/.',
      severity: 'error',
      from: { path: `${SRC}worker/` },
      to: { path: `${SRC}primary/` },
    },
    {
      name: 'protocol-not-server',
      comment: 'packages/protocol is pure protocol logic: it imports nothing from packages/server.',
      severity: 'error',
      from: { path: '^packages/protocol/' },
      to: { path: '^packages/server/' },
    },
    {
      name: 'not-to-unresolvable',
      comment: 'An import the checker cannot resolve would escape every rule above.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    // The server imports @keepstore/protocol through its build output: a node, not followed.
    doNotFollow: { path: ['node_modules', '^packages/[^/]+/dist/'] },
    // Type-only imports couple modules too: count them.
    tsPreCompilationDeps: true,
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
