# Equivalent of kind's base image (sigs.k8s.io/kind images/base/Dockerfile) on Debian bookworm
# packages only: nothing in this build touches the network. Built by kind-base.sh, which
# prepares the context: files/ is kind's images/base/files copied from the kind module at build
# time (with the Debian adjustments kind-base.sh lists), ROOTFS_IMAGE a debootstrapped bookworm
# with every package already installed (containerd, runc, CNI plugins from Debian instead of
# kind's own builds of them), files/usr/local/bin/crictl the minimal crictl of crictl.sh.
ARG ROOTFS_IMAGE
# hadolint ignore=DL3006 # a local image, tagged by a content hash
FROM ${ROOTFS_IMAGE} AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]

# Static files, as kind copies them; modes were set in the context (0755 scripts and
# directories, 0644 the rest) because this daemon's Dockerfile frontend has no COPY --chmod.
COPY files/usr/local/bin/ /usr/local/bin/
COPY files/usr/local/sbin/ /usr/local/sbin/
COPY files/kind/ /kind/
COPY files/LICENSES/ /LICENSES/
COPY files/etc/ /etc/

# kind's package step without the packages (already in the rootfs): drop the services Debian
# enabled, keep journald off /dev/kmsg, and make systemd /sbin/init.
RUN find /lib/systemd/system/sysinit.target.wants/ -name "systemd-tmpfiles-setup.service" -delete \
    && rm -f /lib/systemd/system/multi-user.target.wants/* \
    && rm -f /etc/systemd/system/*.wants/* \
    && rm -f /lib/systemd/system/local-fs.target.wants/* \
    && rm -f /lib/systemd/system/sockets.target.wants/*udev* \
    && rm -f /lib/systemd/system/sockets.target.wants/*initctl* \
    && rm -f /lib/systemd/system/basic.target.wants/* \
    && echo "ReadKMsg=no" >> /etc/systemd/journald.conf \
    && ln -sf "$(command -v systemd)" /sbin/init

# NOTE (kind): systemd-binfmt.service would register things into the kernel-global binfmt_misc.
RUN systemctl enable kubelet.service \
    && systemctl enable containerd.service \
    && systemctl enable undo-mount-hacks.service \
    && systemctl mask systemd-binfmt.service

RUN mkdir -p /etc/kubernetes/manifests

# kind generates the CRI base runtime spec from its containerd's ctr; Debian's ctr (1.6) here.
# The createContainer hook mounts per-container product_uuid / product_name files.
RUN ctr oci spec \
      | jq '.hooks.createContainer[.hooks.createContainer| length] |= . + {"path": "/kind/bin/mount-product-files.sh"}' \
      | jq 'del(.process.rlimits)' \
      > /etc/containerd/cri-base.json \
    && containerd --version && runc --version && crictl --help >/dev/null

# kind builds host-local, loopback, ptp and portmap into /opt/cni/bin, where containerd's CRI
# (bin_dir) and kind's CNI manifests look; Debian installs its plugins under /usr/lib/cni.
# The binaries move to /opt/cni/bin (real files, so a hostPath mount of it works) and Debian's
# paths become symlinks to them.
RUN mkdir -p /opt/cni/bin \
    && mv /usr/lib/cni/* /opt/cni/bin/ \
    && for p in /opt/cni/bin/*; do ln -s "$p" "/usr/lib/cni/${p##*/}"; done \
    && for p in host-local loopback ptp portmap bridge; do test -x "/opt/cni/bin/$p"; done

# Squash to one layer without whiteouts, as kind does.
FROM scratch
COPY --from=build / /
# systemd checks $container to know it runs in a container (https://systemd.io/CONTAINER_INTERFACE/).
ENV container=docker
# systemd exits on SIGRTMIN+3; SIGTERM would make it re-execute.
STOPSIGNAL SIGRTMIN+3
# kind overrides the entrypoint when it runs a node; this is the documented default. No VOLUME:
# kind passes `--volume /var` at run time, and a VOLUME here would keep the node-image build's
# containerd content (under /var/lib/containerd) out of `docker commit`.
ENTRYPOINT [ "/usr/local/bin/entrypoint", "/sbin/init" ]
