// The health checks of one Redis + Sentinel group, as deployed: what the dynamic provider runs
// after each deploy and what `verify` runs on demand.
//
//   connection  one bounded client, endpoints, INFO/Sentinel reply parsing
//   probes      asking a sentinel, a redis, and the write probe (I/O, each with its deadline)
//   rules       pure functions from the servers' views to check results
//   report      check names and order, results, the report and its text forms
//   wait        one round (`checkOnce`) and polling until healthy (`waitUntilHealthy`)
//   reach       opening a target: direct sentinel addresses or through the Kubernetes API
//   membership  who belongs to the group, and the check that sentinels know only members
//   front       the check that each front (HAProxy) leads a new connection to the agreed master
//   cluster     the RedisFailover's pods and Services as the Kubernetes API lists them each round
//   kubernetes  the port-forward transport, kept in step with the pods

export type { Endpoint, FrontEndpoint, Target } from "./connection";
export { errorText, formatEndpoint, parseEndpoint, withConnection, withDeadline } from "./connection";
export type { CheckName, CheckResult, HealthReport } from "./report";
export { CHECK_NAMES, describeFailures, formatReport, FRONT_CHECK_NAMES, KUBERNETES_CHECK_NAMES, summarizeFailures } from "./report";
export type { Expectations } from "./rules";
export { checkOnce, waitUntilHealthy } from "./wait";
export type { KubeCheckOptions, KubeReach, OpenTarget, Reach, Round, TargetSource } from "./reach";
export { describeReach, openTarget } from "./reach";
export type { Forwarder, ForwardPool, KubeTargetOptions, PodEndpoint, PodTargetOptions } from "./kubernetes";
export { forwardPool, openForwardedTarget, openKubeTarget, openPodTarget } from "./kubernetes";
export type { PodInfo, PodLister, ServiceInfo, ServiceLister } from "./cluster";
export { podsCheck, servicesCheck } from "./cluster";
export type { Member, Membership } from "./membership";
export { MEMBERSHIP_NOT_APPLICABLE, membershipCheck } from "./membership";
export type { FrontView } from "./probes";
export { frontErrorMeaning, frontServesMaster, shortRunId } from "./front";
