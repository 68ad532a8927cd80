"""How the seed's hyperkube v1.1.8 is built with today's Go and run on today's Docker Engine (build_components.py).

k8s.io/kubernetes@v1.1.8 predates Go modules: its module zip carries Godeps/_workspace, whose import paths are not
rewritten, so it builds in GOPATH mode with the workspace on the GOPATH, as hack/lib/golang.sh did in 2015. Go 1.26
and Docker Engine 20.10 differ from Go 1.4 and Docker 1.8 in the few places below; each edit is the smallest change
that lets the 2015 code work, is applied to a copy of the module (never to this tree), and must match exactly once or
the build stops. Where an edit changes behaviour, it changes nothing on a host where the 2015 behaviour worked.

Stdlib only (build_components.py runs before the venv exists).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

MODULE = "k8s.io/kubernetes"
VERSION = "v1.1.8"
# The recipe builds with cgo: cAdvisor (the kubelet's machine and container stats) and the OOM score code are built
# only with it ("cAdvisor is unsupported in this build" otherwise). The binary is linked static so that it runs on
# any base image; these tags take Go's own DNS and user lookups instead of glibc's NSS, which a static binary cannot
# load.
TAGS = ("netgo", "osusergo")
LDFLAGS = (
    "-s",
    "-w",
    # hack/lib/version.sh: `hyperkube apiserver --version` and the apiserver's /version report it. The module zip has
    # no commit, so gitCommit is left empty rather than the unexpanded `$Format:%H$` of a git archive.
    f"-X {MODULE}/pkg/version.gitVersion={VERSION}",
    f"-X {MODULE}/pkg/version.gitCommit=",
    f"-X {MODULE}/pkg/version.gitTreeState=clean",
    "-extldflags=-static",
)
PACKAGES = (f"{MODULE}/cmd/hyperkube",)
# cluster/images/hyperkube: the pod the image's kubelet starts (`--config=/etc/kubernetes/manifests`), and its
# multi-node variant. The image's Makefile put the release into them with `sed s/VERSION/<version>/g`.
MANIFESTS = {
    "cluster/images/hyperkube/master.json": "master.json",
    "cluster/images/hyperkube/master-multi.json": "master-multi.json",
}


@dataclass(frozen=True)
class SourceEdit:
    """Replace `old` by `new` in one file of the module (exactly one occurrence)."""

    path: str
    old: str
    new: str
    reason: str


@dataclass(frozen=True)
class SourceRename:
    """Rename one file of the module."""

    path: str
    to: str
    reason: str


_CADVISOR_STATIC = "Godeps/_workspace/src/github.com/google/cadvisor/pages/static"

EDITS: tuple[SourceEdit | SourceRename, ...] = (
    SourceEdit(
        "Godeps/_workspace/src/github.com/ugorji/go/codec/gen.go",
        '"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789__"',
        '"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_."',
        "today's encoding/base64.NewEncoding panics on a duplicate symbol (every binary panicked at init: "
        "'encoding alphabet includes duplicate symbols'); the encoding only names variables in generated code",
    ),
    *(
        SourceRename(
            f"{_CADVISOR_STATIC}/{name}_js.go",
            f"{_CADVISOR_STATIC}/{name}_js_source.go",
            "a file name ending in _js.go is built only for GOOS=js since Go 1.11: cAdvisor's embedded scripts "
            "were left out ('undefined: containersJs')",
        )
        for name in ("bootstrap_min", "containers", "gcharts", "google_jsapi", "jquery_min")
    ),
    SourceEdit(
        "pkg/client/unversioned/helper.go",
        "\thostURL, err := url.Parse(base)\n\tif err != nil {\n\t\treturn nil, err\n\t}\n\tif hostURL.Scheme == \"\" {",
        "\thostURL, err := url.Parse(base)\n\tif err != nil || hostURL.Scheme == \"\" || hostURL.Host == \"\" {",
        "net/url refuses a bare host:port since Go 1.12 ('first path segment in URL cannot contain colon'): the "
        "apiserver's own client (127.0.0.1:8080) and the seed's --master=127.0.0.1:8080 failed; client-go's "
        "DefaultServerURL has made this same test since",
    ),
    SourceEdit(
        "pkg/kubelet/dockertools/docker.go",
        "return docker.NewClient(dockerEndpoint)",
        'return docker.NewVersionedClient(dockerEndpoint, "1.20")',
        "an unversioned request is served as the daemon's newest API version, and since API 1.24 Docker refuses "
        "the HostConfig the 1.1 kubelet sends when it starts a container: the client names API 1.20 (Docker 1.8, "
        "which Kubernetes 1.1 ran on); Docker Engine serves it down to 1.12",
    ),
    SourceEdit(
        "pkg/kubelet/dockertools/docker.go",
        "return docker.NewClientFromEnv()",
        'return docker.NewVersionedClientFromEnv("1.20")',
        "the same, for a kubelet that finds Docker through DOCKER_HOST",
    ),
    SourceEdit(
        "pkg/kubelet/dockertools/manager.go",
        'func getIPCMode(pod *api.Pod) string {\n\tipcMode := ""',
        'func getIPCMode(pod *api.Pod) string {\n\tipcMode := "shareable"',
        "the pod's infrastructure container holds the IPC namespace its other containers join; today's Docker "
        "Engine makes a container's IPC private unless asked ('can't join IPC of container ...: non-shareable "
        "IPC'), which the 2015 Docker did not",
    ),
    SourceEdit(
        "pkg/util/oom/oom_linux.go",
        '\t\t\terr = fmt.Errorf("failed to set oom_score_adj to %d: %v", oomScoreAdj, writeErr)',
        "\t\t\tif os.IsPermission(writeErr) {\n"
        '\t\t\t\tglog.Warningf("oom_score_adj of %s left as it is: the kernel refused %d (no CAP_SYS_RESOURCE): %v",'
        " pidStr, oomScoreAdj, writeErr)\n"
        "\t\t\t\treturn nil\n"
        "\t\t\t}\n"
        '\t\t\terr = fmt.Errorf("failed to set oom_score_adj to %d: %v", oomScoreAdj, writeErr)',
        "a host without CAP_SYS_RESOURCE (these project machines) refuses a lower OOM score, and the kubelet then "
        "gave up on every pod's infrastructure container (-999); the score stays as it is with a warning instead, "
        "as containerd's restrict_oom_score_adj does for the modern profile. Where the write succeeds, nothing "
        "changes",
    ),
    SourceEdit("pkg/util/oom/oom_linux.go", '\t"io/ioutil"\n', '\t"io/ioutil"\n\t"os"\n', "for os.IsPermission"),
    SourceEdit(
        "cmd/hyperkube/kube-proxy.go",
        "\thks.Run = func(_ *Server, args []string) error {\n",
        "\thks.Run = func(_ *Server, args []string) error {\n\t\thealthz.DefaultHealthz()\n",
        "the standalone kube-proxy 1.1 registers /healthz on its health port (cmd/kube-proxy/proxy.go, init), and "
        "the 1.1 documentation gives that port; hyperkube's proxy never did, so 127.0.0.1:10249/healthz answered "
        "404 and nothing could tell a working proxy. It registers the same handler now",
    ),
    SourceEdit(
        "cmd/hyperkube/kube-proxy.go",
        'kubeproxy "k8s.io/kubernetes/cmd/kube-proxy/app"\n',
        'kubeproxy "k8s.io/kubernetes/cmd/kube-proxy/app"\n\t"k8s.io/kubernetes/pkg/healthz"\n',
        "for healthz.DefaultHealthz",
    ),
    SourceEdit(
        "pkg/proxy/userspace/proxier.go",
        '\t\treturn nil, fmt.Errorf("failed to set open file handler limit", err)',
        '\t\tglog.Warningf("failed to set open file handler limit to 64000: %v", err)',
        "the userspace proxy raises its open-file limit to 64000 and exited when it could not: a host whose hard "
        "limit is lower and that denies CAP_SYS_RESOURCE (these machines: 20000) had no proxy. It now warns and "
        "goes on with the limit it has. Where the limit can be raised, nothing changes",
    ),
)


def apply_edits(source: Path, edits: tuple[SourceEdit | SourceRename, ...] = EDITS) -> None:
    """Apply the edits to a writable copy of the module at `source`; stop at the first one that does not match."""
    for edit in edits:
        path = source / edit.path
        if isinstance(edit, SourceRename):
            if not path.is_file():
                raise SystemExit(f"components: ERROR: seed edit: {edit.path} is missing ({edit.reason})")
            path.rename(source / edit.to)
            continue
        text = path.read_text()
        if edit.new in text:  # some edits keep their `old` text inside `new`: without this they would apply twice
            raise SystemExit(f"components: ERROR: seed edit: {edit.path} is edited already ({edit.reason})")
        if text.count(edit.old) != 1:
            raise SystemExit(f"components: ERROR: seed edit: {edit.path} has {text.count(edit.old)} matches of "
                             f"{edit.old!r}, not 1 ({edit.reason})")
        path.write_text(text.replace(edit.old, edit.new))


def write_manifests(source: Path, output: Path) -> None:
    """The image's master.json and master-multi.json, with the release put in as the image's Makefile did."""
    for relative, name in MANIFESTS.items():
        (output / name).write_text((source / relative).read_text().replace("VERSION", VERSION))
