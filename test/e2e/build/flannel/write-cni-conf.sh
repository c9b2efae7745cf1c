#!/bin/sh
# Stands in for the flannel CNI plugin (github.com/flannel-io/cni-plugin, not buildable here):
# writes the conflist that plugin would delegate to, from the subnet.env flanneld writes once it
# has this node's pod subnet. Runs as a container of the flannel DaemonSet beside flanneld and
# rewrites the file whenever subnet.env changes; --once writes it once (for tests).
#   bridge cni0 with host-local IPAM on the node's subnet, pod routes to FLANNEL_NETWORK and a
#   default route via the bridge, the MTU flanneld picked, hairpin for Services back to the pod,
#   ipMasq only when flanneld does not masquerade (--ip-masq sets FLANNEL_IPMASQ=true);
#   then portmap for hostPort. IPv4 only (no FLANNEL_IPV6_* handling).
set -eu
SUBNET_ENV="${SUBNET_ENV:-/run/flannel/subnet.env}"
CNI_CONF="${CNI_CONF:-/etc/cni/net.d/10-flannel.conflist}"

# FLANNEL_SUBNET is the subnet's first address (10.244.1.1/24); host-local wants the network.
network() {
  IFS=. read -r a b c d <<EOF
${1%/*}
EOF
  bits="${1#*/}"
  n=$(( ((a << 24) | (b << 16) | (c << 8) | d) & (0xffffffff << (32 - bits)) ))
  echo "$((n >> 24 & 255)).$((n >> 16 & 255)).$((n >> 8 & 255)).$((n & 255))/$bits"
}

render() {
  # subnet.env is KEY=VALUE lines written by flanneld (flannel pkg/subnet WriteSubnetFile).
  # shellcheck disable=SC1090
  . "$SUBNET_ENV"
  ip_masq=true
  [ "${FLANNEL_IPMASQ:-false}" = true ] && ip_masq=false
  cat <<JSON
{
  "name": "cbr0",
  "cniVersion": "0.3.1",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "cni0",
      "isGateway": true,
      "isDefaultGateway": true,
      "hairpinMode": true,
      "ipMasq": $ip_masq,
      "mtu": ${FLANNEL_MTU:?},
      "ipam": {
        "type": "host-local",
        "ranges": [[{ "subnet": "$(network "${FLANNEL_SUBNET:?}")" }]],
        "routes": [{ "dst": "${FLANNEL_NETWORK:?}" }]
      }
    },
    { "type": "portmap", "capabilities": { "portMappings": true } }
  ]
}
JSON
}

# Written beside the target and renamed, so the runtime never reads half a file.
write() {
  tmp="$(dirname "$CNI_CONF")/.$(basename "$CNI_CONF").tmp"
  (render) >"$tmp"
  if cmp -s "$tmp" "$CNI_CONF"; then rm -f "$tmp"; return; fi
  mv "$tmp" "$CNI_CONF"
  echo "write-cni-conf: wrote $CNI_CONF for $(sed -n 's/^FLANNEL_SUBNET=//p' "$SUBNET_ENV")"
}

if [ "${1:-}" = --once ]; then write; exit; fi
while :; do
  if [ -s "$SUBNET_ENV" ]; then write; else echo "write-cni-conf: waiting for $SUBNET_ENV"; fi
  sleep 5
done
