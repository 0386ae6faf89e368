// The part of Bun's API that examples/bun/server.ts uses, declared as bun-types does, for a type check without
// bun-types installed (it is not a dependency of this repository). tests/node/quickstarts.test.mjs uses the real
// bun-types instead when node_modules has them; the Bun run in tests/node/example-worker.test.mjs checks the API
// itself.
declare namespace Bun {
  interface Server {
    readonly hostname: string | undefined;
    readonly port: number | undefined;
  }
  interface ServeOptions {
    hostname?: string;
    port?: string | number;
    fetch(this: Server, request: Request, server: Server): Response | Promise<Response>;
  }
  function serve(options: ServeOptions): Server;
}
