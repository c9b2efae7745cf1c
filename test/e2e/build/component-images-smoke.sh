#!/usr/bin/env bash
# shellcheck disable=SC2317 # the check functions are called through check()
# Smoke test of component-images.sh: every image kubeadm lists for $E2E_REGISTRY exists and is
# saved under $E2E_CACHE/images, and each one's binary runs and reports the expected version.
set -uo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
# shellcheck source=test/e2e/build/common.sh
source "$here/common.sh"

k8s="$KUBERNETES_VERSION"
failed=0
check() { # check <description> <command>...: runs the command, prints ok/FAIL
  local out
  if out="$("${@:2}" 2>&1)"; then
    echo "ok   $1${out:+ (${out%%$'\n'*})}"
  else
    echo "FAIL $1" && printf '%s\n' "$out" | sed 's/^/     /'
    failed=1
  fi
}
prints() { local want="$1" out; shift; out="$("$@" 2>&1)"; echo "$out"; grep -qF -- "$want" <<<"$out"; }

mapfile -t images < <("$E2E_CACHE/kubernetes-$k8s/bin/kubeadm" config images list \
  --kubernetes-version "$k8s" --image-repository "$E2E_REGISTRY")
[ ${#images[@]} -gt 0 ] || { echo "FAIL kubeadm config images list"; exit 1; }
ref() { printf '%s\n' "${images[@]}" | grep "^$E2E_REGISTRY/$1:"; }

saved() { tar -xOf "$E2E_CACHE/images/$1.tar" manifest.json | grep -qF "\"$2\""; }
for image in "${images[@]}"; do
  name="$(basename "${image%:*}")"
  check "$image exists" docker image inspect --format '{{.Size}} bytes' "$image"
  check "$image saved in images/$name.tar" saved "$name" "$image"
done

for b in kube-apiserver kube-controller-manager kube-scheduler kube-proxy; do
  check "$b --version is $k8s" prints "Kubernetes $k8s" docker run --rm "$(ref "$b")" "$b" --version
done
check "kube-proxy image: iptables uses nf_tables" prints "(nf_tables)" docker run --rm "$(ref kube-proxy)" iptables -V
# What kube-proxy does in iptables mode: restore a ruleset, read it back, list conntrack entries.
check "kube-proxy image: iptables-restore, iptables-save, conntrack, ipset work" \
  docker run --rm --cap-add NET_ADMIN "$(ref kube-proxy)" sh -ec '
    printf "*nat\n:KUBE-SERVICES - [0:0]\n-A PREROUTING -j KUBE-SERVICES\nCOMMIT\n" | iptables-restore --noflush
    iptables-save -t nat | grep -- "-A PREROUTING -j KUBE-SERVICES"
    conntrack -L && ipset list && ip6tables-restore --version'

etcd="$(ref etcd)"
etcd_version="${etcd##*:}"
check "etcd --version is ${etcd_version%-*}" prints "etcd Version: ${etcd_version%-*}" docker run --rm "$etcd" etcd --version
check "etcdctl version is ${etcd_version%-*}" prints "etcdctl version: ${etcd_version%-*}" docker run --rm "$etcd" etcdctl version

pause_stops() { # pause must exit 0 on SIGTERM, well before docker stop would SIGKILL
  local id code
  id="$(docker run -d "$(ref pause)")" && sleep 1 && docker stop -t 10 "$id" >/dev/null
  code="$(docker inspect -f '{{.State.ExitCode}}' "$id")"
  docker logs "$id"; docker rm "$id" >/dev/null
  [ "$code" = 0 ]
}
check "pause runs and exits 0 on SIGTERM" pause_stops

coredns="$(ref coredns)"
check "coredns -version is ${coredns##*:}" prints "CoreDNS-${coredns##*:v}" docker run --rm "$coredns" -version
coredns_serves() { # as kubeadm's Deployment runs it: non-root, ALL dropped but NET_BIND_SERVICE
  local dir id ip ok=1
  dir="$(mktemp -d)"
  printf '.:53 {\n  health :8080\n  ready :8181\n  whoami\n}\n' >"$dir/Corefile"
  chmod -R a+rX "$dir"
  id="$(docker run -d --read-only --cap-drop ALL --cap-add NET_BIND_SERVICE \
    --security-opt no-new-privileges -v "$dir:/etc/coredns:ro" "$coredns" -conf /etc/coredns/Corefile)"
  ip="$(docker inspect -f '{{.NetworkSettings.IPAddress}}' "$id")"
  for _ in $(seq 20); do curl -fsS "http://$ip:8181/ready" && echo && ok=0 && break; sleep 0.5; done
  [ "$ok" = 0 ] && python3 - "$ip" <<'EOF' || ok=1
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(3)
s.sendto(b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\x07example\x00\x00\x01\x00\x01", (sys.argv[1], 53))
reply = s.recv(512)
assert reply[:2] == b"\x12\x34" and reply[3] & 0x0F == 0, reply
print(f"udp/53 answered ({len(reply)} bytes)")
EOF
  docker top "$id" -o pid,uid,args | tee /dev/stderr | grep -qE '^ *[0-9]+ +65532 +/coredns' || ok=1
  docker logs "$id"; docker rm -f "$id" >/dev/null; rm -rf "$dir"
  return "$ok"
}
check "coredns serves :53 as uid 65532 with only NET_BIND_SERVICE, read-only root" coredns_serves

[ $failed = 0 ] && echo "component images: all checks passed" || echo "component images: FAILED"
exit $failed
