#!/bin/sh
# Checks each vendored certificate against its pinned SHA-256 fingerprint and the intermediate
# against the root (openssl verify), then installs them into the system bundle. Any mismatch
# fails the image build.
set -eu
dir="${1:-/usr/local/share/ca-certificates/shipay}"
grep -v '^#' "$dir/FINGERPRINTS" | while read -r expected file; do
  [ -n "$file" ] || continue
  actual="$(openssl x509 -in "$dir/$file" -noout -fingerprint -sha256 | cut -d= -f2)"
  if [ "$actual" != "$expected" ]; then
    echo "certs: $file fingerprint $actual does not match the pinned $expected" >&2
    exit 1
  fi
  echo "certs: $file fingerprint OK"
done
openssl verify -x509_strict -CAfile "$dir/digicert-global-root-g2.pem" \
  "$dir/digicert-global-g2-tls-rsa-sha256-2020-ca1.pem"
# update-ca-certificates only picks up *.crt files.
for pem in "$dir"/*.pem; do mv "$pem" "${pem%.pem}.crt"; done
update-ca-certificates
