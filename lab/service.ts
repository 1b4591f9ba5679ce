// A ClusterIP Service for the labs: one address that forwards each new connection to one of the
// endpoints ready at that moment, picked at random, as kube-proxy's iptables mode does
// (kubernetes pkg/proxy/iptables/proxier.go: one `statistic --mode random` rule per endpoint, over
// the Service's ready endpoints only). A connection keeps its endpoint (conntrack); one that arrives
// while no endpoint is ready is refused (the REJECT rule of a Service without endpoints).

import * as net from "net";

export interface ServiceAddress {
    host: string;
    port: number;
}

export interface LabService {
    address: ServiceAddress;
    close(): Promise<void>;
}

/** Listens on `at` and forwards each connection to one of `ready()`'s endpoints. */
export async function startService(at: ServiceAddress, ready: () => Promise<ServiceAddress[]>): Promise<LabService> {
    const sockets = new Set<net.Socket>();
    const server = net.createServer((client) => {
        sockets.add(client);
        client.on("close", () => sockets.delete(client));
        client.on("error", () => client.destroy());
        client.pause();
        void ready().then(
            (endpoints) => {
                if (endpoints.length === 0) return void client.destroy();
                const endpoint = endpoints[Math.floor(Math.random() * endpoints.length)];
                const upstream = net.connect(endpoint.port, endpoint.host);
                sockets.add(upstream);
                upstream.on("close", () => (sockets.delete(upstream), client.destroy()));
                upstream.on("error", () => client.destroy());
                client.on("close", () => upstream.destroy());
                client.pipe(upstream).pipe(client);
                client.resume();
            },
            () => client.destroy(),
        );
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(at.port, at.host, () => resolve());
    });
    return {
        // The port bound, when `at` asked for any (0).
        address: { host: at.host, port: (server.address() as net.AddressInfo).port },
        close: () => {
            for (const socket of sockets) socket.destroy();
            return new Promise((resolve) => server.close(() => resolve()));
        },
    };
}
