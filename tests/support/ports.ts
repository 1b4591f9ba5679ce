// Ports for the servers the tests start, from a block of ports this process holds alone.
//
// The lab's freePort asks the kernel for any free port: fine for one process, but with test files
// in parallel (mocha's workers), or another run on the same machine, a port a test freed by
// killing a server, or one it keeps free as "nobody answers here", can be handed to someone else's
// server seconds later, and the test then meets a stranger. Here each process claims a block below
// the kernel's ephemeral range (where freePort's ports and outgoing connections come from) by
// creating a folder for it, and hands its ports out once each.

import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const CLAIMS = path.join(os.tmpdir(), "redis-ha-test-ports");
const FIRST = 20_000;
const BLOCK = 400;
/** Linux: the ephemeral ports, `low high`. */
const EPHEMERAL_RANGE = "/proc/sys/net/ipv4/ip_local_port_range";

let held: { next: number; end: number; busy: Set<number> } | undefined;

function ephemeralStart(): number {
    return fs.existsSync(EPHEMERAL_RANGE) ? Number(fs.readFileSync(EPHEMERAL_RANGE, "utf8").trim().split(/\s+/)[0]) : 32_768;
}

function alive(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch (error) {
        return (error as NodeJS.ErrnoException).code === "EPERM";
    }
}

/** Ports of [from, to) something already listens on (on 127.0.0.1), found in one short node run. */
function busyIn(from: number, to: number): Set<number> {
    const script = `const net = require("net"); let left = ${to - from}; const busy = [];
        for (let port = ${from}; port < ${to}; port++) {
            const server = net.createServer();
            const done = () => --left || console.log(JSON.stringify(busy));
            server.once("error", () => { busy.push(port); done(); });
            server.listen(port, "127.0.0.1", () => server.close(done));
        }`;
    const run = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", timeout: 10_000 });
    return new Set(run.status === 0 ? (JSON.parse(run.stdout) as number[]) : []);
}

/** Claims the first block no live process holds; undefined when none is left. */
function claim(after: number): typeof held {
    fs.mkdirSync(CLAIMS, { recursive: true });
    for (let start = after; start + BLOCK <= ephemeralStart(); start += BLOCK) {
        const dir = path.join(CLAIMS, String(start));
        const owner = path.join(dir, "pid");
        if (fs.existsSync(owner) && !alive(Number(fs.readFileSync(owner, "utf8")))) {
            fs.rmSync(dir, { recursive: true, force: true }); // left by a run that was killed
        }
        try {
            fs.mkdirSync(dir);
        } catch {
            continue; // another process holds it
        }
        fs.writeFileSync(owner, String(process.pid));
        process.once("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
        return { next: start, end: start + BLOCK, busy: busyIn(start, start + BLOCK) };
    }
    return undefined;
}

/**
 * A port no other process is given (nothing listened on it when its block was claimed), never the
 * same twice in this process; undefined when no block is left, and the caller picks another way.
 */
export function testPort(): number | undefined {
    for (;;) {
        if (!held || held.next >= held.end) {
            held = claim(held ? held.end : FIRST);
            if (!held) return undefined;
        }
        const port = held.next++;
        if (!held.busy.has(port)) return port;
    }
}
