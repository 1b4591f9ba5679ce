// A client for the drills, run inside a node of the lab of nodes (`ip netns exec`): writes
// `SET <prefix><n>` without pause through Sentinel with the recommended settings, and on SIGTERM
// writes what was acknowledged, by which server, to a JSON file and exits.
//
//   node -r ts-node/register/transpile-only bench/drillWriter.ts '{"sentinels":[...],"name":"<master name>","password":"...","prefix":"p:","out":"/tmp/x.json"}'

import IORedis from "ioredis";
import { recommendedSentinelClientOptions } from "./clientSettings";
import { sleep, writeReport } from "./support";

/** What the writer is told. */
export interface DrillWriterInput {
    sentinels: Array<{ host: string; port: number }>;
    name: string;
    password: string;
    prefix: string;
    out: string;
}

/** What it reports: each acknowledged write as [n, epoch ms, "host:port" of the server]. */
export interface DrillWriterOutput {
    acks: Array<[number, number, string]>;
    errors: number;
}

if (require.main === module) {
    const input = JSON.parse(process.argv[2]) as DrillWriterInput;
    const client = new IORedis({
        sentinels: input.sentinels,
        name: input.name,
        password: input.password,
        ...recommendedSentinelClientOptions(),
    });
    client.on("error", () => undefined);
    const output: DrillWriterOutput = { acks: [], errors: 0 };
    let running = true;
    process.once("SIGTERM", () => {
        running = false;
        writeReport(input.out, output);
        process.exit(0);
    });
    void (async () => {
        for (let n = 0; running; n++) {
            try {
                await client.set(`${input.prefix}${n}`, "1");
                output.acks.push([n, Date.now(), `${client.stream?.remoteAddress}:${client.stream?.remotePort}`]);
                if (output.acks.length === 1) console.log("writing");
            } catch {
                output.errors++;
                await sleep(10);
            }
        }
    })();
}
