// The few Express 5 types the benchmark's comparison receiver uses (@types/express is not
// installed).
declare module 'express' {
  import type { IncomingMessage, Server, ServerResponse } from 'node:http';

  interface Request extends IncomingMessage {
    body: unknown;
    get(name: string): string | undefined;
  }
  interface Response extends ServerResponse {
    status(code: number): Response;
    json(body: unknown): Response;
  }
  type Handler = (req: Request, res: Response, next: (error?: unknown) => void) => void;
  interface Application {
    get(path: string, ...handlers: Handler[]): Application;
    post(path: string, ...handlers: Handler[]): Application;
    listen(port: number, host: string, callback: () => void): Server;
  }
  interface JsonOptions {
    limit?: string;
    verify?: (req: IncomingMessage, res: ServerResponse, buf: Buffer) => void;
  }
  interface Express {
    (): Application;
    json(options?: JsonOptions): Handler;
  }
  const express: Express;
  export default express;
}
