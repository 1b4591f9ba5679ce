// An S3-compatible server on 127.0.0.1 for the backup lab: s3rver, which refuses a missing bucket
// (NoSuchBucket), a missing object (NoSuchKey) and an unknown access key (InvalidAccessKeyId), but
// checks no signature and ignores server-side encryption; so every request's SSE header is
// recorded here, for the tests to check what the upload asked for.

import * as fs from "fs";
import * as path from "path";

/** One request the server received. */
export interface S3Request {
    method: string;
    path: string;
    /** `x-amz-server-side-encryption`, "" when absent. */
    sse: string;
}

/** A running server. */
export interface LabS3 {
    endpoint: string;
    /** s3rver's one account (lib/models/account.js). */
    accessKeyId: string;
    secretAccessKey: string;
    requests: S3Request[];
    close(): Promise<void>;
}

/** Starts s3rver on a free port of 127.0.0.1 with `buckets` created, storing under `dir`. */
export async function startS3(dir: string, buckets: string[]): Promise<LabS3> {
    // Loaded here: only the backup lab needs it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const S3rver = require("s3rver");
    fs.mkdirSync(path.join(dir, "s3"), { recursive: true });
    const server = new S3rver({
        address: "127.0.0.1",
        port: 0,
        silent: true,
        directory: path.join(dir, "s3"),
        configureBuckets: buckets.map((name) => ({ name })),
    });
    const requests: S3Request[] = [];
    // Koa's middleware list, composed when the server starts listening: first in line sees all.
    server.middleware.unshift(async (ctx: { method: string; path: string; get(name: string): string }, next: () => Promise<void>) => {
        requests.push({ method: ctx.method, path: ctx.path, sse: ctx.get("x-amz-server-side-encryption") });
        await next();
    });
    const { port } = (await server.run()) as { port: number };
    return {
        endpoint: `http://127.0.0.1:${port}`,
        accessKeyId: "S3RVER",
        secretAccessKey: "S3RVER",
        requests,
        close: () => server.close(),
    };
}
