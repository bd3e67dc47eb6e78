#!/usr/bin/env bash
# Makes a throwaway TLS setup for load runs on loopback: a self-signed CA and a server certificate it signs for
# 127.0.0.1, ::1 and localhost, every server of a comparison using the same pair (load/run-compare.sh's TLS cases).
#
#   load/tls/make-cert.sh DIR            ECDSA P-256 keys (certbot's default since 2.0, what most sites now serve)
#   KEY=rsa load/tls/make-cert.sh DIR    RSA 2048 keys instead
#
# Writes into DIR (made if missing): ca.pem (the CA certificate: the load tool's --ca), server.pem (the server
# certificate alone) and server.key (its private key, PKCS#8 PEM, mode 600), which is what each server's
# --tls-cert / --tls-key takes. The CA's own key is deleted once it has signed: nothing else can be signed with it.
# Valid for 30 days. Needs openssl (1.1.1 or later). Keeps an existing set unless FORCE=1.
set -euo pipefail

dir="${1:?usage: make-cert.sh DIR}"
key="${KEY:-ecdsa}"
if [[ -f "$dir/ca.pem" && -f "$dir/server.pem" && -f "$dir/server.key" && "${FORCE:-0}" != 1 ]]; then
  echo "make-cert: $dir already has ca.pem, server.pem and server.key (FORCE=1 to remake them)" >&2
  exit 0
fi

case "$key" in
  ecdsa) algorithm=(-algorithm EC -pkeyopt ec_paramgen_curve:P-256) ;;
  rsa) algorithm=(-algorithm RSA -pkeyopt rsa_keygen_bits:2048) ;;
  *) echo "make-cert: KEY is ecdsa or rsa, not '$key'" >&2; exit 2 ;;
esac

mkdir -p "$dir"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
umask 077

openssl genpkey "${algorithm[@]}" -out "$work/ca.key" 2>/dev/null
openssl req -x509 -new -key "$work/ca.key" -sha256 -days 30 -subj "/CN=WsFast load test CA" \
  -addext "basicConstraints=critical,CA:TRUE,pathlen:0" -addext "keyUsage=critical,keyCertSign,cRLSign" \
  -out "$work/ca.pem"

openssl genpkey "${algorithm[@]}" -out "$work/server.key" 2>/dev/null
openssl req -new -key "$work/server.key" -subj "/CN=localhost" -out "$work/server.csr"
cat >"$work/server.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature,keyEncipherment
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost
EXT
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -sha256 -days 30 \
  -extfile "$work/server.ext" -out "$work/server.pem" 2>/dev/null

cp "$work/ca.pem" "$work/server.pem" "$dir/"
cp "$work/server.key" "$dir/server.key"
chmod 644 "$dir/ca.pem" "$dir/server.pem"
chmod 600 "$dir/server.key"
echo "make-cert: $key CA and server certificate for 127.0.0.1, ::1 and localhost in $dir (ca.pem, server.pem, server.key)" >&2
