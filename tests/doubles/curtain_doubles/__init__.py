"""Contract doubles of the Kubernetes server binaries, for curtain's tests only.

Each double accepts exactly the flags of the release it stands for (kube_flags.parse_args, fed by kube_flagsets),
checks every file its flags name the way the real binary would before it starts, and then behaves like the real
binary at the interfaces curtain's roles and tests observe: ports, health endpoints, the apiserver's writes into
etcd, and the kubelet's static pods run through the Docker Engine API. See tests/doubles/README.md for what they do
not do. Nothing in the product's defaults refers to them.
"""
