# shellcheck shell=bash
# Pebble (Let's Encrypt's ACME test CA) for the ACME issuance tests
# (tests/tests/acme_*.rs) and the peer benchmarks (scripts/bench issue,
# scripts/bench-lego). Started after pdns and bind, because pebble validates
# DNS-01 through an authoritative server given with -dnsserver:
#   pebble          -dnsserver = this DIR's PowerDNS (always; pdns must run)
#   pebble_bind     -dnsserver = this DIR's BIND9 (when bind runs in DIR)
#   pebble_nonce50  like `pebble`, with PEBBLE_WFE_NONCEREJECT=50 (the test
#                   that shows badNonce retries)
#   pebble_eab      like `pebble`, requiring external account binding with
#                   one random HMAC key (kid `kid-1`)
# One pebble per DNS server is simplest: pebble asks exactly one resolver.
# pebble's own defaults are kept (5 % nonce rejection, 50 % authorization
# reuse) unless the caller's environment sets PEBBLE_WFE_NONCEREJECT or
# PEBBLE_AUTHZREUSE; PEBBLE_VA_NOSLEEP=1 always (no 0–15 s sleep before
# validating). The Debian package ships no TLS certs: a throwaway CA and a
# 127.0.0.1/localhost server cert are made with openssl in $1/pebble (shared
# by all instances). Also installs lego (a peer of scripts/bench).
# Exports, per instance (PREFIX = SSLBOARD_TEST_PEBBLE, _PEBBLE_BIND,
# _PEBBLE_NONCE50, _PEBBLE_EAB): PREFIX_DIR (directory URL), PREFIX_MGMT
# (management API base URL, for /roots/0 and /intermediates/0);
# SSLBOARD_TEST_PEBBLE_CA (the HTTPS CA PEM path); SSLBOARD_TEST_PEBBLE_EAB_KID
# and SSLBOARD_TEST_PEBBLE_EAB_HMAC (base64url) for pebble_eab. The old SSLBOARD_BENCH_PEBBLE_DIR/_CA stay for
# scripts/bench-lego. Sourced after scripts/lib/common.sh.
# Usage: start_pebble DIR; stop_pebble DIR.

PEBBLE_INSTANCES=(pebble pebble_bind pebble_nonce50 pebble_eab)

start_pebble() {
  local top=$1 dir=$1/pebble dns bind_dns pid
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
  bind_dns=$(
    # shellcheck disable=SC1091
    [ -f "$top/env.d/bind" ] && . "$top/env.d/bind" && echo "${SSLBOARD_TEST_BIND_DNS:-}"
  ) || true
  stop_pebble "$top"
  rm -rf "$dir"
  mkdir -p "$dir"

  # Throwaway CA, and a server certificate for 127.0.0.1/localhost signed by it.
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
    -subj '/CN=sslboard test pebble CA' -keyout "$dir/ca.key" -out "$dir/ca.pem" >/dev/null 2>&1 \
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

  local vars=() url mgmt
  pebble_instance "$top" pebble "$dns"
  read -r url mgmt <"$dir/pebble.urls"
  vars+=(SSLBOARD_TEST_PEBBLE_DIR "$url" SSLBOARD_TEST_PEBBLE_MGMT "$mgmt"
    SSLBOARD_BENCH_PEBBLE_DIR "$url" SSLBOARD_BENCH_PEBBLE_CA "$dir/ca.pem")
  PEBBLE_WFE_NONCEREJECT=50 pebble_instance "$top" pebble_nonce50 "$dns"
  read -r url mgmt <"$dir/pebble_nonce50.urls"
  vars+=(SSLBOARD_TEST_PEBBLE_NONCE50_DIR "$url" SSLBOARD_TEST_PEBBLE_NONCE50_MGMT "$mgmt")
  local hmac
  hmac=$(head -c 32 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
  PEBBLE_EAB_HMAC=$hmac pebble_instance "$top" pebble_eab "$dns"
  read -r url mgmt <"$dir/pebble_eab.urls"
  vars+=(SSLBOARD_TEST_PEBBLE_EAB_DIR "$url" SSLBOARD_TEST_PEBBLE_EAB_MGMT "$mgmt"
    SSLBOARD_TEST_PEBBLE_EAB_KID kid-1 SSLBOARD_TEST_PEBBLE_EAB_HMAC "$hmac")
  if [ -n "$bind_dns" ]; then
    pebble_instance "$top" pebble_bind "$bind_dns"
    read -r url mgmt <"$dir/pebble_bind.urls"
    vars+=(SSLBOARD_TEST_PEBBLE_BIND_DIR "$url" SSLBOARD_TEST_PEBBLE_BIND_MGMT "$mgmt")
  else
    echo "pebble: bind is not running in $top: no pebble_bind (RFC 2136 issuance tests need it)" >&2
  fi
  env_set "$top" pebble SSLBOARD_TEST_PEBBLE_CA "$dir/ca.pem" "${vars[@]}"
}

# pebble_instance TOP NAME DNS : one pebble validating through DNS; writes
# "DIRECTORY_URL MGMT_URL" to TOP/pebble/NAME.urls.
pebble_instance() {
  local top=$1 name=$2 dns=$3 dir=$1/pebble port mport hport tport pid url envs
  port=$(pick_port)
  mport=$(pick_port "$port")
  hport=$(pick_port "$port" "$mport")
  tport=$(pick_port "$port" "$mport" "$hport")
  local eab='"externalAccountBindingRequired": false'
  if [ -n "${PEBBLE_EAB_HMAC:-}" ]; then
    eab="\"externalAccountBindingRequired\": true, \"externalAccountMACKeys\": {\"kid-1\": \"$PEBBLE_EAB_HMAC\"}"
  fi
  cat >"$dir/$name.json" <<CONF
{
  "pebble": {
    "listenAddress": "127.0.0.1:$port",
    "managementListenAddress": "127.0.0.1:$mport",
    "certificate": "$dir/cert.pem",
    "privateKey": "$dir/key.pem",
    "httpPort": $hport,
    "tlsPort": $tport,
    "ocspResponderURL": "",
    $eab
  }
}
CONF
  url="https://127.0.0.1:$port/dir"
  envs=(PEBBLE_VA_NOSLEEP=1)
  [ -n "${PEBBLE_WFE_NONCEREJECT:-}" ] && envs+=("PEBBLE_WFE_NONCEREJECT=$PEBBLE_WFE_NONCEREJECT")
  [ -n "${PEBBLE_AUTHZREUSE:-}" ] && envs+=("PEBBLE_AUTHZREUSE=$PEBBLE_AUTHZREUSE")
  start_bg "$name" "$top" env "${envs[@]}" pebble -config "$dir/$name.json" -dnsserver "$dns"
  pid=$(bg_pid "$name" "$top")
  # The directory answering over TLS with our CA's certificate proves the
  # port is ours.
  WAIT_PID=$pid WAIT_FAIL_LOG="$top/$name.log" WAIT_FAIL_RE='address already in use' \
    wait_for pebble_dir_ok "$dir/ca.pem" "$url" \
    || die_service "$name" "$top" "ACME directory not answering on $url"
  WAIT_PID=$pid wait_for curl -sfk --max-time 2 "https://127.0.0.1:$mport/roots/0" \
    || die_service "$name" "$top" "management API not answering on $mport"
  echo "$url https://127.0.0.1:$mport" >"$dir/$name.urls"
}

# pebble_dir_ok CA URL : true when URL (verified against CA) answers the ACME
# directory JSON.
pebble_dir_ok() {
  curl -sf --max-time 2 --cacert "$1" "$2" | grep -q '"newAccount"'
}

stop_pebble() {
  local n
  for n in "${PEBBLE_INSTANCES[@]}"; do
    stop_bg "$n" "$1"
  done
  env_clear "$1" pebble
}
