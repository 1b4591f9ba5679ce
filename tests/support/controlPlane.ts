// A control plane whose kubectl serves one node from $STATE, for the scripts run on it.

import { ScriptSandbox } from "./scriptSandbox";

/** A control plane whose kubectl serves one node from $STATE. */
export function controlPlane(options: { drainFails?: boolean; deleteFails?: boolean; ready?: string } = {}): ScriptSandbox {
    return new ScriptSandbox().stub(
        "kubectl",
        `case "$1 $2" in
           "get node")
             [ -f "$STATE/node" ] || { echo "Error from server (NotFound): nodes \\"$3\\" not found" >&2; exit 1; }
             case "$*" in
               *InternalIP*) cat "$STATE/node" ;;
               *"].status}"*) printf '%s' "${options.ready ?? "True"}" ;;
               *"].reason}"*) printf 'KubeletNotReady: container runtime network not ready' ;;
             esac ;;
           "label node"|"taint node"|"annotate node") [ -f "$STATE/node" ] || { echo "Error from server (NotFound)" >&2; exit 1; } ;;
           "drain "*) ${options.drainFails ? 'echo "error: timed out waiting for the condition (Cannot evict pod as it would violate the pod\'s disruption budget)" >&2; exit 1' : "exit 0"} ;;
           "delete node") ${options.deleteFails ? "exit 1" : 'rm -f "$STATE/node"'} ;;
         esac`,
    );
}
