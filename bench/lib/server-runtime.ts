// What bin/zentrale.js's shebang gives the server process, for the benches that start it (or are it): V8's young
// generation fixed at 32 MB semi-spaces (docs/performance.md says why).
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=32', '--min-semi-space-size=32'];
