# shellcheck shell=bash
# Pebble (Let's Encrypt's ACME test CA) for the lego peer benchmark
# (scripts/bench-lego), not for the tests: it is an optional service, started
# only when named (`scripts/services/start DIR pdns pebble`). It resolves
# through the PowerDNS of the same DIR (-dnsserver $SSLBOARD_TEST_PDNS_DNS,
# read from DIR/env.d/pdns), so pdns must be started first; restarting pdns
# alone afterwards (new ports) leaves pebble pointing at the old one.
# The Debian package ships no TLS certs: a throwaway CA and a
# 127.0.0.1/localhost server cert are made with openssl in $1/pebble.
# ACME directory, management API and the (unused here) HTTP-01/TLS-ALPN-01
# validation ports are free loopback high ports. Also installs lego, the
# client the benchmark drives.
# Exports SSLBOARD_BENCH_PEBBLE_DIR (the ACME directory URL) and
# SSLBOARD_BENCH_PEBBLE_CA (the CA certificate to trust). Sourced after
# scripts/lib/common.sh.
# Usage: start_pebble DIR; stop_pebble DIR.

start_pebble() {
  local top=$1 dir=$1/pebble dns port mport hport tport pid url
  # shellcheck disable=SC2034 # read by die_service (common.sh)
  CURRENT_SERVICE=pebble
  need_apt pebble lego openssl curl
  dns=$(
    # shellcheck disable=SC1091
    [ -f "$top/env.d/pdns" ] && . "$top/env.d/pdns" && echo "${SSLBOARD_TEST_PDNS_DNS:-}"
  ) || true
  [ -n "$dns" ] || { echo "pebble: no SSLBOARD_TEST_PDNS_DNS in $top/env.d/pdns: start pdns first (scripts/services/start $top pdns pebble)" >&2; exit 1; }
  pid=$(bg_pid pdns "$top") && pid_alive "$pid" \
    || { echo "pebble: the PowerDNS of $top is not running: start pdns first" >&2; exit 1; }
  stop_pebble "$top"
  rm -rf "$dir"
  mkdir -p "$dir"

  # Throwaway CA, and a server certificate for 127.0.0.1/localhost signed by it.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj '/CN=sslboard bench pebble CA' -keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1 \
    || { echo "pebble: openssl could not make the CA" >&2; exit 1; }
  openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -subj '/CN=localhost' -keyout "$dir/key.pem" -out "$dir/cert.csr" >/dev/null 2>&1 \
    || { echo "pebble: openssl could not make the server key" >&2; exit 1; }
  printf '%s\n' 'subjectAltName=IP:127.0.0.1,DNS:localhost' 'extendedKeyUsage=serverAuth' \
    'basicConstraints=critical,CA:FALSE' >"$dir/cert.ext"
  openssl x509 -req -in "$dir/cert.csr" -CA "$dir/ca.pem" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 30 -extfile "$dir/cert.ext" -out "$dir/cert.pem" >/dev/null 2>&1 \
    || { echo "pebble: openssl could not sign the server certificate" >&2; exit 1; }
  chmod 600 "$dir/ca.key" "$dir/key.pem"

  port=$(pick_port)
  mport=$(pick_port "$port")
  hport=$(pick_port "$port" "$mport")
  tport=$(pick_port "$port" "$mport" "$hport")
  cat >"$dir/pebble.json" <<CONF
{
  "pebble": {
    "listenAddress": "127.0.0.1:$port",
    "managementListenAddress": "127.0.0.1:$mport",
    "certificate": "$dir/cert.pem",
    "privateKey": "$dir/key.pem",
    "httpPort": $hport,
    "tlsPort": $tport,
    "ocspResponderURL": "",
    "externalAccountBindingRequired": false
  }
}
CONF
  url="https://127.0.0.1:$port/dir"
  start_bg pebble "$top" env PEBBLE_VA_NOSLEEP=1 PEBBLE_WFE_NONCEREJECT=0 PEBBLE_AUTHZREUSE=0 \
    pebble -config "$dir/pebble.json" -dnsserver "$dns"
  pid=$(bg_pid pebble "$top")
  # The directory answering over TLS with our CA's certificate proves the
  # port is ours.
  WAIT_PID=$pid WAIT_FAIL_LOG="$top/pebble.log" WAIT_FAIL_RE='address already in use' \
    wait_for pebble_dir_ok "$dir/ca.pem" "$url" \
    || die_service pebble "$top" "ACME directory not answering on $url"

  env_set "$top" pebble \
    SSLBOARD_BENCH_PEBBLE_DIR "$url" \
    SSLBOARD_BENCH_PEBBLE_CA "$dir/ca.pem"
}

# pebble_dir_ok CA URL : true when URL (verified against CA) answers the ACME
# directory JSON.
pebble_dir_ok() {
  curl -sf --max-time 2 --cacert "$1" "$2" | grep -q '"newAccount"'
}

stop_pebble() {
  stop_bg pebble "$1"
  env_clear "$1" pebble
}
