#!/usr/bin/env bash
# The floor: the site's containers started by hand, in the site's order, each waited on until healthy. This is what
# the seed's author did by hand, and the least any tool can take on one host.
#
#   floor.sh SPEC     (run on the host, as root; bench/site_bench.py copies both files there and times the call)
#
# SPEC is a bash file written by bench/site_bench.py: for each of etcd, the kubelet and kube-proxy the name of the
# container the converged site made, and the health endpoints the site's summary looks at (the same URLs and client
# certificates). The containers are stopped, and the kubelet's pods removed, by the caller (not timed): this starts
# the same containers with the certificates, kubeconfigs, manifests, configs and images the host already has, and
# measures the starts (the kubelet creates the static pods anew) and the health waits only.
set -euo pipefail
# shellcheck disable=SC1090
. "$1"

# wait_healthy URL CA CERT KEY: poll URL every 0.1 s until it answers 200 (CA empty: do not verify the server).
wait_healthy() {
  python3 - "$@" <<'EOF'
import ssl, sys, time, urllib.request
url, ca, cert, key = (sys.argv[1:] + ["", "", ""])[:4]
context = None
if url.startswith("https"):
    context = ssl.create_default_context(cafile=ca) if ca else ssl._create_unverified_context()
    if cert:
        context.load_cert_chain(cert, key)
deadline = time.monotonic() + 120
while True:
    try:
        with urllib.request.urlopen(url, timeout=2, context=context) as answer:
            if answer.status == 200:
                break
    except Exception as error:  # not up yet
        if time.monotonic() > deadline:
            sys.exit(f"floor: {url} not healthy after 120 s: {error}")
    time.sleep(0.1)
EOF
}

docker start "$ETCD_CONTAINER" >/dev/null
for endpoint in "${ETCD_HEALTH[@]}"; do eval "wait_healthy $endpoint"; done

# The kubelet starts the static pods (apiserver, controller-manager, scheduler) from the manifest directory.
docker start "$KUBELET_CONTAINER" >/dev/null
for endpoint in "${KUBELET_HEALTH[@]}"; do eval "wait_healthy $endpoint"; done

docker start "$KUBE_PROXY_CONTAINER" >/dev/null
for endpoint in "${KUBE_PROXY_HEALTH[@]}"; do eval "wait_healthy $endpoint"; done
