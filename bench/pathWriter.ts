// A client for the path drills: writes `SET <prefix><n>` without pause through one path to the
// master (a plain URL, or Sentinel), each write pipelined with `CONFIG GET dir` so its
// acknowledgement names the server that took it (every lab redis has its own folder; config is
// not replicated). Used in process, or inside a node of the lab of nodes as its own process,
// where SIGTERM writes what was acknowledged to a JSON file and exits.
//
//   node -r ts-node/register/transpile-only bench/pathWriter.ts '<PathWriterInput as JSON>'

import * as path from "path";
import IORedis from "ioredis";
import { plainUrlClientOptions, recommendedSentinelClientOptions } from "./clientSettings";
import { sleep, writeReport } from "./support";

/** How the writer reaches the master. */
export type WriterTarget = { url: { host: string; port: number } } | { sentinels: Array<{ host: string; port: number }>; name: string };

export interface PathWriterInput {
    target: WriterTarget;
    password: string;
    prefix: string;
    /**
     * A new connection for every write, as pools and new workers open them (a few per 100 ms),
     * instead of one connection kept open.
     */
    fresh?: boolean;
    /** Where the in-node process writes its acknowledgements. */
    out?: string;
}

/** One acknowledged write: n, epoch ms, the folder name of the server that took it (`redis-1`). */
export type Ack = [number, number, string];

export interface PathWriter {
    acks: Ack[];
    errors: number;
    stop(): Promise<void>;
}

/** One `SET <key> 1` with `CONFIG GET dir` on the same connection: the folder name of the server that took it. */
async function writeOnce(client: IORedis, key: string): Promise<string> {
    const [set, dir] = (await client.pipeline().set(key, "1").config("GET", "dir").exec())!;
    if (set[0]) throw set[0];
    return dir[0] ? "unknown" : path.basename((dir[1] as string[])[1]);
}

/** Starts writing; `stop` ends the loop and the connection. */
export function startPathWriter(input: PathWriterInput, onFirstAck?: () => void): PathWriter {
    const connect = () => {
        const client =
            "url" in input.target
                ? new IORedis({ ...input.target.url, password: input.password, ...plainUrlClientOptions() })
                : new IORedis({ ...input.target, password: input.password, ...recommendedSentinelClientOptions() });
        client.on("error", () => undefined);
        return client;
    };
    if (input.fresh) return startFreshWriter(input, connect, onFirstAck);
    const client = connect();
    let running = true;
    const writer: PathWriter = {
        acks: [],
        errors: 0,
        stop: async () => {
            running = false;
            await Promise.race([loop, sleep(2000)]);
            client.disconnect();
        },
    };
    const loop = (async () => {
        for (let n = 0; running; n++) {
            try {
                writer.acks.push([n, Date.now(), await writeOnce(client, `${input.prefix}${n}`)]);
                if (writer.acks.length === 1) onFirstAck?.();
            } catch {
                writer.errors++;
                // A plain client drops a connection that failed or timed out and opens a new one
                // through its URL (redis-py discards a connection on a timeout); ioredis would keep it.
                if ("url" in input.target) client.disconnect(true);
                await sleep(10);
            }
        }
    })();
    return writer;
}

/** A write per new connection, every FRESH_PAUSE_MS; a connection that fails is given up. */
const FRESH_PAUSE_MS = 25;
function startFreshWriter(input: PathWriterInput, connect: () => IORedis, onFirstAck?: () => void): PathWriter {
    let running = true;
    const writer: PathWriter = {
        acks: [],
        errors: 0,
        stop: async () => {
            running = false;
            await Promise.race([loop, sleep(3000)]);
        },
    };
    const loop = (async () => {
        for (let n = 0; running; n++) {
            const client = connect();
            try {
                const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error("timeout")), 2000));
                const server = await Promise.race([writeOnce(client, `${input.prefix}${n}`), timeout]);
                writer.acks.push([n, Date.now(), server]);
                if (writer.acks.length === 1) onFirstAck?.();
            } catch {
                writer.errors++;
            } finally {
                client.disconnect();
            }
            await sleep(FRESH_PAUSE_MS);
        }
    })();
    return writer;
}

if (require.main === module) {
    const input = JSON.parse(process.argv[2]) as PathWriterInput;
    const writer = startPathWriter(input, () => console.log("writing"));
    process.once("SIGTERM", () => {
        writeReport(input.out!, { acks: writer.acks, errors: writer.errors });
        process.exit(0);
    });
}
