/**
 * The layer order of src/ (docs/architecture.md), held by `npm run lint`: each layer imports only
 * the layers below it, type-only imports included, and no import closes a circle.
 *
 *   app → api | console → web → domain → store → kernel
 *
 * Inside the domain the modules have an order too (lowest first), so that folders cannot knot:
 */
const DOMAIN = [
  'audit',
  'limits',
  'events',
  'agents',
  'targets',
  'keys',
  'runtime',
  'access',
  'accounts',
  'reports',
  'script',
];
const LAYERS = [['kernel'], ['store'], DOMAIN, ['web'], ['api', 'console'], ['app']];

const dir = (names) => `^src/(${names.join('|')})/`;
const notTests = '\\.test\\.tsx?$';

const layerRules = LAYERS.flatMap((layer, i) => {
  const above = LAYERS.slice(i + 1).flat();
  if (above.length === 0) return [];
  return [
    {
      name: `layer-${layer.join('-')}`,
      comment: `${layer.join(', ')} may not import from a layer above it (${above.join(', ')})`,
      severity: 'error',
      from: { path: dir(layer), pathNot: notTests },
      to: { path: dir(above) },
    },
  ];
});

const domainRules = DOMAIN.slice(0, -1).map((name, i) => ({
  name: `domain-${name}`,
  comment: `the domain module ${name} may not import ${DOMAIN.slice(i + 1).join(', ')} (the domain's order)`,
  severity: 'error',
  from: { path: dir([name]), pathNot: notTests },
  to: { path: dir(DOMAIN.slice(i + 1)) },
}));

module.exports = {
  forbidden: [
    ...layerRules,
    ...domainRules,
    {
      name: 'faces-apart',
      comment: 'the JSON API and the console share what they need through web/, not each other',
      severity: 'error',
      from: { path: '^src/api/', pathNot: notTests },
      to: { path: '^src/console/' },
    },
    {
      name: 'faces-apart-console',
      comment: 'the JSON API and the console share what they need through web/, not each other',
      severity: 'error',
      from: { path: '^src/console/', pathNot: notTests },
      to: { path: '^src/api/' },
    },
    {
      name: 'no-http-below-web',
      comment: 'the domain, the store and the kernel know nothing of HTTP',
      severity: 'error',
      from: { path: dir(['kernel', 'store', ...DOMAIN]), pathNot: notTests },
      to: { path: 'node_modules/(fastify|@fastify/|fastify-type-provider-zod|@kitajs/)' },
    },
    {
      name: 'no-driver-in-domain',
      comment: 'database drivers belong to store/ (Redis, which carries shared limits, to limits/)',
      severity: 'error',
      from: { path: dir(['kernel', ...DOMAIN]), pathNot: notTests },
      to: { path: 'node_modules/(pg|better-sqlite3)/' },
    },
    {
      name: 'redis-in-limits-only',
      comment: 'Redis carries the shared rate limits and sign-in throttling, nothing else',
      severity: 'error',
      from: { path: '^src/', pathNot: `^src/limits/|${notTests}` },
      to: { path: 'node_modules/ioredis/' },
    },
    {
      name: 'no-tests-in-product',
      comment: 'the product does not import tests, benchmarks or scripts',
      severity: 'error',
      from: { path: '^src/', pathNot: notTests },
      to: { path: '^(test|bench|scripts)/|\\.test\\.tsx?$' },
    },
    {
      name: 'no-circular',
      comment: 'an import circle, type-only imports included',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'not-to-unresolvable',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports count: a circle of types is a circle of design.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
    enhancedResolveOptions: {
      extensions: ['.ts', '.tsx', '.js', '.mjs'],
      // Packages' `exports`, as Node and TypeScript resolve them (some export subpaths only there).
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
    },
    exclude: { path: '^src/console/assets/' },
  },
};
