# shellcheck shell=bash
# PowerDNS authoritative server for the DNS provider tests: gsqlite3 backend,
# HTTP API with a random key, all caches off (API changes show in DNS at
# once), state in $1/pdns, DNS and API on free loopback high ports. Creates
# the Native zone example.test. (NS ns1.example.test., ns1 A 127.0.0.1).
# Exports SSLBOARD_TEST_PDNS_API, SSLBOARD_TEST_PDNS_API_KEY and
# SSLBOARD_TEST_PDNS_DNS. Sourced after scripts/lib/common.sh.
# Usage: start_pdns DIR; stop_pdns DIR.

start_pdns() {
  local top=$1 dir=$1/pdns dns_port api_port key pid api
  # shellcheck disable=SC2034 # read by die_service (common.sh)
  CURRENT_SERVICE=pdns
  need_apt pdns-server pdns-backend-sqlite3 sqlite3 bind9-dnsutils curl
  stop_pdns "$top"
  rm -rf "$dir"
  mkdir -p "$dir"
  sqlite3 "$dir/pdns.sqlite3" </usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql
  dns_port=$(pick_port)
  api_port=$(pick_port "$dns_port")
  key=$(random_hex 16)
  api="http://127.0.0.1:$api_port"
  cat >"$dir/pdns.conf" <<CONF
launch=gsqlite3
gsqlite3-database=$dir/pdns.sqlite3
local-address=127.0.0.1
local-port=$dns_port
socket-dir=$dir
daemon=no
guardian=no
disable-syslog=yes
security-poll-suffix=
default-soa-content=ns1.@ hostmaster.@ 0 10800 3600 604800 60
api=yes
api-key=$key
webserver=yes
webserver-address=127.0.0.1
webserver-port=$api_port
webserver-allow-from=127.0.0.0/8
cache-ttl=0
query-cache-ttl=0
negquery-cache-ttl=0
CONF
  chmod 600 "$dir/pdns.conf"
  start_bg pdns "$top" /usr/sbin/pdns_server --config-dir="$dir"
  pid=$(bg_pid pdns "$top")
  # The API answering with *our* key proves the port is ours (pdns keeps
  # running when its API port is taken: the log says so).
  WAIT_PID=$pid WAIT_FAIL_LOG="$top/pdns.log" WAIT_FAIL_RE='HTTP socket failed|Address already in use' \
    wait_for curl -sf --max-time 2 -H "X-API-Key: $key" "$api/api/v1/servers/localhost" \
    || die_service pdns "$top" "API not answering on $api"

  curl -sf --max-time 5 -X POST -H "X-API-Key: $key" -H 'Content-Type: application/json' \
    -d '{"name":"example.test.","kind":"Native","nameservers":["ns1.example.test."]}' \
    "$api/api/v1/servers/localhost/zones" >/dev/null \
    || die_service pdns "$top" "creating zone example.test. failed"
  curl -sf --max-time 5 -X PATCH -H "X-API-Key: $key" -H 'Content-Type: application/json' \
    -d '{"rrsets":[{"name":"ns1.example.test.","type":"A","ttl":60,"changetype":"REPLACE","records":[{"content":"127.0.0.1","disabled":false}]}]}' \
    "$api/api/v1/servers/localhost/zones/example.test." >/dev/null \
    || die_service pdns "$top" "adding ns1.example.test. A failed"
  [ -n "$(dig @127.0.0.1 -p "$dns_port" +time=2 +tries=2 example.test SOA +short)" ] \
    || die_service pdns "$top" "no SOA for example.test over DNS on port $dns_port"
  [ "$(dig @127.0.0.1 -p "$dns_port" +time=2 +tries=2 ns1.example.test A +short)" = 127.0.0.1 ] \
    || die_service pdns "$top" "ns1.example.test A is not 127.0.0.1 over DNS"

  env_set "$top" pdns \
    SSLBOARD_TEST_PDNS_API "$api" \
    SSLBOARD_TEST_PDNS_API_KEY "$key" \
    SSLBOARD_TEST_PDNS_DNS "127.0.0.1:$dns_port"
}

stop_pdns() {
  stop_bg pdns "$1"
  env_clear "$1" pdns
}
