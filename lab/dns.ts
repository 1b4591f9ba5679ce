// The lab's own DNS server, standing where CoreDNS stands for the front: it answers A questions for
// the names it is given (a headless Service's name, one record per pod), NXDOMAIN for any other
// name, and can be frozen (every question goes unanswered, as when CoreDNS is down or its pods are
// unreachable) and thawed. Plain UDP on 127.0.0.1, RFC 1035 messages: enough for HAProxy's
// resolvers, which send one question per message.

import * as dgram from "dgram";

/**
 * The TTL of kubeadm's Corefile (`ttl 30`, kubernetes/kubernetes #76238). HAProxy's resolvers ask
 * again every `timeout resolve` whatever the TTL.
 */
const RECORD_TTL_SECONDS = 30;
const TYPE_A = 1;
const CLASS_IN = 1;
const RCODE_NXDOMAIN = 3;

/** A running lab DNS server. */
export interface LabDns {
    host: string;
    port: number;
    /** Sets the A records of `name` (lower case, no trailing dot); an empty list answers no records. */
    set(name: string, addresses: string[]): void;
    /** Stops answering (questions time out) until `thaw`. */
    freeze(): void;
    thaw(): void;
    /** Questions received, answered or not. */
    questions(): number;
    close(): Promise<void>;
}

/** The question of a DNS message: its name, type, and where the question section ends. */
export function parseQuestion(message: Buffer): { name: string; type: number; end: number } | undefined {
    if (message.length < 12 || message.readUInt16BE(4) !== 1) return undefined;
    const labels: string[] = [];
    let offset = 12;
    while (offset < message.length) {
        const length = message[offset];
        if (length === 0) break;
        // Compression pointers never appear in a question HAProxy sends; refuse rather than guess.
        if (length > 63 || offset + 1 + length > message.length) return undefined;
        labels.push(message.toString("ascii", offset + 1, offset + 1 + length));
        offset += 1 + length;
    }
    if (offset + 5 > message.length) return undefined;
    return { name: labels.join(".").toLowerCase(), type: message.readUInt16BE(offset + 1), end: offset + 5 };
}

/** The answer to `query`: its A records for a known name, no records for other types, NXDOMAIN for unknown names. */
export function answer(query: Buffer, records: ReadonlyMap<string, string[]>): Buffer | undefined {
    const question = parseQuestion(query);
    if (!question) return undefined;
    const known = records.get(question.name);
    const addresses = known && question.type === TYPE_A ? known : [];
    const header = Buffer.alloc(12);
    header.writeUInt16BE(query.readUInt16BE(0), 0);
    // QR, the question's opcode and RD, AA, RA; NXDOMAIN when the name is unknown.
    const flags = 0x8000 | (query.readUInt16BE(2) & 0x7900) | 0x0400 | 0x0080 | (known ? 0 : RCODE_NXDOMAIN);
    header.writeUInt16BE(flags, 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(addresses.length, 6);
    const answers = addresses.map((address) => {
        const record = Buffer.alloc(16);
        record.writeUInt16BE(0xc00c, 0); // the question's name, by pointer
        record.writeUInt16BE(TYPE_A, 2);
        record.writeUInt16BE(CLASS_IN, 4);
        record.writeUInt32BE(RECORD_TTL_SECONDS, 6);
        record.writeUInt16BE(4, 10);
        address.split(".").forEach((octet, index) => record.writeUInt8(Number(octet), 12 + index));
        return record;
    });
    return Buffer.concat([header, query.subarray(12, question.end), ...answers]);
}

/** Starts a lab DNS server on 127.0.0.1 (a free port). */
export async function startDns(): Promise<LabDns> {
    const records = new Map<string, string[]>();
    const socket = dgram.createSocket("udp4");
    let frozen = false;
    let asked = 0;
    socket.on("message", (message, peer) => {
        asked++;
        if (frozen) return;
        const reply = answer(message, records);
        if (reply) socket.send(reply, peer.port, peer.address);
    });
    await new Promise<void>((resolve) => socket.bind(0, "127.0.0.1", resolve));
    return {
        host: "127.0.0.1",
        port: socket.address().port,
        set: (name, addresses) => void records.set(name.toLowerCase(), [...addresses]),
        freeze: () => void (frozen = true),
        thaw: () => void (frozen = false),
        questions: () => asked,
        close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
    };
}
