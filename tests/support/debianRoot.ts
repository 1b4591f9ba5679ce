// A Debian 12 root made by debootstrap, in which the node scripts run against real apt, dpkg and
// Debian's containerd. The first run builds it (network: the Debian mirror) and caches it as a
// tarball outside the repository; later runs unpack the tarball. Debian's packages that the scripts
// install (containerd, curl, gpg...) are downloaded once into a local repository inside the root,
// so runs after the first need no network. kubelet, kubeadm and kubectl come from a signed local
// repository laid out like pkgs.k8s.io, holding packages built here whose binaries are the
// stand-ins of standins/kube.

import { spawnSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { installKube, STANDINS } from "./fakeCluster";

/** Where the finished root is cached (not in the repository). */
export const ROOT_CACHE = process.env.REDIS_HA_ROOT_CACHE ?? "/var/cache/redis-ha/debian-root";
const MIRROR = process.env.REDIS_HA_DEBIAN_MIRROR ?? "http://deb.debian.org/debian";
const BASE = path.join(ROOT_CACHE, "bookworm-minbase.tar");
/** Debian packages the scripts install from Debian's archive. */
const FROM_DEBIAN = ["containerd", "ca-certificates", "curl", "gpg"];
/** The Kubernetes package versions the local repository offers. */
export const KUBE_VERSIONS = ["1.28.4", "1.28.5"];
/** The repository base the scripts get (KUBERNETES_APT_BASE), as seen inside the root. */
export const LOCAL_APT_BASE = "file:///srv/k8s-apt";

function sh(script: string, what: string, input?: string): string {
    const run = spawnSync("bash", ["-c", script], { encoding: "utf8", input, maxBuffer: 64 << 20 });
    if (run.status !== 0) throw new Error(`${what} failed (exit ${run.status}): ${run.stderr || run.stdout}`);
    return run.stdout;
}

/** Writes Packages and Release for the .deb files of a flat repository folder. */
function indexFlatRepository(dir: string): void {
    const stanzas = fs
        .readdirSync(dir)
        .filter((file) => file.endsWith(".deb"))
        .sort()
        .map((file) => {
            const deb = path.join(dir, file);
            const bytes = fs.readFileSync(deb);
            const control = sh(`dpkg-deb -f '${deb}'`, `dpkg-deb -f ${file}`).trimEnd();
            const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
            return `${control}\nFilename: ./${file}\nSize: ${bytes.length}\nSHA256: ${sha256}\n`;
        });
    const packages = stanzas.join("\n");
    fs.writeFileSync(path.join(dir, "Packages"), packages);
    const hash = crypto.createHash("sha256").update(packages).digest("hex");
    const date = new Date().toUTCString().replace("GMT", "UTC");
    fs.writeFileSync(
        path.join(dir, "Release"),
        `Origin: redis-ha tests\nLabel: redis-ha tests\nDate: ${date}\nSHA256:\n ${hash} ${Buffer.byteLength(packages)} Packages\n`,
    );
}

/** Builds the cached root unless it is there; returns the seconds spent building (0 when cached). */
export function ensureBaseRoot(): number {
    if (fs.existsSync(BASE)) return 0;
    const started = Date.now();
    fs.mkdirSync(ROOT_CACHE, { recursive: true });
    const work = fs.mkdtempSync(path.join(ROOT_CACHE, "build-"));
    const root = path.join(work, "root");
    try {
        const boot = spawnSync("debootstrap", ["--variant=minbase", "--include=sudo", "bookworm", root, MIRROR], {
            encoding: "utf8",
            maxBuffer: 64 << 20,
        });
        if (boot.error || boot.status !== 0) {
            throw new Error(
                `debootstrap could not make a Debian 12 root from ${MIRROR}: ${boot.error?.message ?? boot.stderr.split("\n").slice(-5).join("\n")}`,
            );
        }
        fs.copyFileSync("/etc/resolv.conf", path.join(root, "etc/resolv.conf"));
        // Debian's packages the scripts install, with their dependencies, into a local repository.
        sh(
            `'${STANDINS}/in-root' '${root}' '' 'apt-get update -qq && apt-get install --download-only -y -qq --no-install-recommends ${FROM_DEBIAN.join(" ")}'`,
            "downloading Debian packages",
        );
        const subset = path.join(root, "srv/debian");
        fs.mkdirSync(subset, { recursive: true });
        sh(`mv '${root}'/var/cache/apt/archives/*.deb '${subset}/'`, "moving the downloaded packages");
        indexFlatRepository(subset);
        fs.writeFileSync(path.join(root, "etc/apt/sources.list"), "deb [trusted=yes] file:/srv/debian ./\n");
        sh(`rm -rf '${root}'/var/lib/apt/lists/* '${root}/etc/resolv.conf'`, "emptying apt's lists");
        // A root must not start services from package scripts (policy-rc.d, as in Debian's chroots).
        fs.writeFileSync(path.join(root, "usr/sbin/policy-rc.d"), "#!/bin/sh\nexit 101\n", { mode: 0o755 });
        sh(`tar -C '${root}' -cf '${BASE}.part' . && mv '${BASE}.part' '${BASE}'`, "caching the root");
    } finally {
        fs.rmSync(work, { recursive: true, force: true });
    }
    return (Date.now() - started) / 1000;
}

/** Builds the fake kubelet, kubeadm and kubectl packages and a signed repository like pkgs.k8s.io's. */
function buildKubeRepository(work: string): string {
    const repo = path.join(work, "k8s-apt/v1.28/deb");
    fs.mkdirSync(repo, { recursive: true });
    const arch = sh("dpkg --print-architecture", "dpkg").trim();
    for (const version of KUBE_VERSIONS) {
        for (const name of ["kubelet", "kubeadm", "kubectl"]) {
            const dir = path.join(work, "pkg", `${name}_${version}`);
            fs.mkdirSync(path.join(dir, "DEBIAN"), { recursive: true });
            fs.mkdirSync(path.join(dir, "usr/bin"), { recursive: true });
            installKube(path.join(dir, "usr/bin"), version, [name]);
            const depends = name === "kubeadm" ? "Depends: kubelet (>= 1.19.0), kubectl (>= 1.13.0)\n" : "";
            fs.writeFileSync(
                path.join(dir, "DEBIAN/control"),
                `Package: ${name}\nVersion: ${version}-1.1\nArchitecture: ${arch}\nMaintainer: redis-ha tests <tests@invalid>\n${depends}Description: ${name} stand-in for the redis-ha script tests\n`,
            );
            if (name === "kubelet") {
                fs.mkdirSync(path.join(dir, "lib/systemd/system"), { recursive: true });
                fs.writeFileSync(
                    path.join(dir, "lib/systemd/system/kubelet.service"),
                    "[Service]\nExecStart=/usr/bin/kubelet\n\n[Install]\nWantedBy=multi-user.target\n",
                );
            }
            sh(
                `dpkg-deb --root-owner-group --build '${dir}' '${repo}/${name}_${version}-1.1_${arch}.deb' >/dev/null`,
                `building ${name} ${version}`,
            );
        }
    }
    indexFlatRepository(repo);
    const gnupg = path.join(work, "gnupg");
    fs.mkdirSync(gnupg, { mode: 0o700 });
    const gpg = `gpg --homedir '${gnupg}' --batch --yes --quiet`;
    sh(`${gpg} --passphrase '' --quick-gen-key 'redis-ha test repository <tests@invalid>' ed25519 sign never`, "making a signing key");
    sh(
        `cd '${repo}' && ${gpg} --clearsign -o InRelease Release && ${gpg} -abs -o Release.gpg Release && ${gpg} --armor --export >Release.key`,
        "signing the repository",
    );
    return path.join(work, "k8s-apt");
}

/** A fresh copy of the cached root, with the local repositories and the stand-ins in place. */
export class DebianRoot {
    readonly dir: string;
    readonly root: string;

    constructor(
        readonly clusterState: string,
        nodeAddress: string,
    ) {
        ensureBaseRoot();
        this.dir = fs.mkdtempSync("/var/tmp/redis-ha-root-");
        this.root = path.join(this.dir, "root");
        try {
            this.populate(nodeAddress);
        } catch (error) {
            this.dispose();
            throw error;
        }
    }

    private populate(nodeAddress: string): void {
        fs.mkdirSync(this.root);
        sh(`tar -C '${this.root}' -xf '${BASE}'`, "unpacking the root");
        const k8s = buildKubeRepository(path.join(this.dir, "build"));
        sh(`cp -a '${k8s}' '${this.root}/srv/'`, "copying the repository in");
        for (const [tool, names] of [
            ["systemctl", ["systemctl"]],
            ["node-tools", ["modprobe", "sysctl", "swapoff", "cloud-init"]],
        ] as const) {
            for (const name of names) fs.copyFileSync(path.join(STANDINS, tool), path.join(this.root, "usr/local/sbin", name));
        }
        sh(`chmod 755 '${this.root}'/usr/local/sbin/*`, "chmod");
        fs.writeFileSync(path.join(this.root, "etc/fake-node-ip"), `${nodeAddress}\n`);
    }

    /** Runs bash text as root inside, as SSH would. */
    run(command: string, stdin = ""): { code: number | null; stdout: string; stderr: string } {
        const run = spawnSync(path.join(STANDINS, "in-root"), [this.root, this.clusterState, command], {
            encoding: "utf8",
            input: stdin,
            maxBuffer: 64 << 20,
        });
        return { code: run.status, stdout: run.stdout, stderr: run.stderr };
    }

    /** The ssh stand-in's route into this root. */
    route(): string {
        return `exec '${STANDINS}/in-root' '${this.root}' '${this.clusterState}' "$1"`;
    }

    /** sha256 of every file (and target of every link), except pseudo file systems, temporary files and logs. */
    hashes(): Record<string, string> {
        const skip = `\\( -path ./proc -o -path ./dev -o -path ./sys -o -path ./run -o -path ./tmp -o -path ./var/log -o -path ./var/lib/fake-cluster \\) -prune`;
        const files = sh(
            `cd '${this.root}' && find . -xdev ${skip} -o -type f -print0 | sort -z | xargs -0 sha256sum --`,
            "hashing the root",
        );
        const links = sh(`cd '${this.root}' && find . -xdev ${skip} -o -type l -printf '%l %p\\n'`, "listing links");
        const entries = [...files.trim().split("\n"), ...links.trim().split("\n")].map((line) => {
            const at = line.indexOf(" ");
            return [line.slice(at + 1).trim(), line.slice(0, at)];
        });
        return Object.fromEntries(entries);
    }

    dispose(): void {
        fs.rmSync(this.dir, { recursive: true, force: true });
    }
}
