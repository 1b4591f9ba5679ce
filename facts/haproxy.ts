// What the official haproxy image (Docker Official Images, github.com/docker-library/haproxy) does,
// written once. Paths are in that repository's `3.0/Dockerfile` and `3.0/docker-entrypoint.sh`.

/**
 * The front's default image: HAProxy 3.0, a long-term-support branch. `3.0.26` is listed in
 * docker-library/official-images `library/haproxy` (from commit 3c2c25a0, 2026-07-30), the file
 * Docker Hub's `haproxy` tags are built from; the image is built with `USE_LUA=1`, which the gate needs.
 */
export const HAPROXY_IMAGE = "haproxy:3.0.26";

/**
 * Where the image's default command reads its configuration: `CMD ["haproxy", "-f",
 * "/usr/local/etc/haproxy/haproxy.cfg"]`, to which the entrypoint adds `-W -db` (master-worker, in
 * the foreground). A volume mounted on this directory is therefore all a pod needs to configure it.
 */
export const HAPROXY_CONFIG_DIR = "/usr/local/etc/haproxy";
export const HAPROXY_CONFIG_FILE = "haproxy.cfg";

/**
 * The image runs as `USER haproxy`, created with uid and gid 99. Kubernetes cannot check a user
 * name against `runAsNonRoot`, so pods give the number.
 */
export const HAPROXY_UID = 99;
export const HAPROXY_GID = 99;
