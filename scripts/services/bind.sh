# shellcheck shell=bash
# BIND9 named for the RFC 2136 (dynamic update) provider tests: zone
# rfc2136.test updatable with the TSIG key acme-key (hmac-sha256, fresh secret
# each start), state in $1/bind, on a free loopback high port, run as root
# without touching /etc/bind or /run/named. Exports SSLBOARD_TEST_BIND_DNS,
# SSLBOARD_TEST_BIND_ZONE, SSLBOARD_TEST_TSIG_NAME,
# SSLBOARD_TEST_TSIG_ALGORITHM and SSLBOARD_TEST_TSIG_SECRET.
# Sourced after scripts/lib/common.sh. Usage: start_bind DIR; stop_bind DIR.

BIND_ZONE=rfc2136.test
BIND_KEY_NAME=acme-key
BIND_KEY_ALG=hmac-sha256

start_bind() {
  local top=$1 dir=$1/bind port secret pid named=/usr/sbin/named probe
  # shellcheck disable=SC2034 # read by die_service (common.sh)
  CURRENT_SERVICE=bind
  need_apt bind9 bind9-dnsutils
  stop_bind "$top"
  rm -rf "$dir"
  mkdir -p "$dir"
  port=$(pick_port)
  /usr/sbin/tsig-keygen -a "$BIND_KEY_ALG" "$BIND_KEY_NAME" >"$dir/tsig.key"
  chmod 600 "$dir/tsig.key"
  secret=$(sed -n 's/^[[:space:]]*secret "\(.*\)";.*/\1/p' "$dir/tsig.key")
  [ -n "$secret" ] || { echo "bind: no secret in $dir/tsig.key" >&2; exit 1; }
  cat >"$dir/$BIND_ZONE.db" <<ZONE
\$TTL 60
@       IN SOA ns1.$BIND_ZONE. hostmaster.$BIND_ZONE. 1 3600 600 86400 60
@       IN NS  ns1.$BIND_ZONE.
ns1     IN A   127.0.0.1
ZONE
  cat >"$dir/named.conf" <<CONF
include "$dir/tsig.key";
options {
  directory "$dir";
  pid-file "$dir/named.pid";
  session-keyfile "$dir/session.key";
  managed-keys-directory "$dir";
  listen-on port $port { 127.0.0.1; };
  listen-on-v6 { none; };
  reuseport no;
  recursion no;
  dnssec-validation no;
  notify no;
};
controls { };
zone "$BIND_ZONE" {
  type primary;
  file "$dir/$BIND_ZONE.db";
  journal "$dir/$BIND_ZONE.db.jnl";
  allow-update { key "$BIND_KEY_NAME"; };
};
CONF
  # Under AppArmor, /usr/sbin/named may not read a temp dir: run a copy.
  if grep -qs 'named' /sys/kernel/security/apparmor/profiles; then
    cp /usr/sbin/named "$dir/named"
    named=$dir/named
  fi
  start_bg bind "$top" "$named" -g -4 -n 1 -c "$dir/named.conf"
  pid=$(bg_pid bind "$top")
  WAIT_PID=$pid wait_for bind_soa "$port" || die_service bind "$top" "no SOA for $BIND_ZONE on port $port"

  # A signed update, seen over DNS, then deleted.
  probe=$(random_hex 6)
  bind_nsupdate "$dir" "$port" "update add probe-$probe.$BIND_ZONE. 60 TXT \"$probe\"" >>"$dir/probe.log" 2>&1 \
    || { cat "$dir/probe.log" >&2; die_service bind "$top" "nsupdate add with the TSIG key failed"; }
  [ "$(dig @127.0.0.1 -p "$port" +time=2 +tries=2 "probe-$probe.$BIND_ZONE" TXT +short)" = "\"$probe\"" ] \
    || die_service bind "$top" "the TXT record added by nsupdate is not served"
  bind_nsupdate "$dir" "$port" "update delete probe-$probe.$BIND_ZONE. TXT" >>"$dir/probe.log" 2>&1 \
    || { cat "$dir/probe.log" >&2; die_service bind "$top" "nsupdate delete failed"; }
  [ -z "$(dig @127.0.0.1 -p "$port" +time=2 +tries=2 "probe-$probe.$BIND_ZONE" TXT +short)" ] \
    || die_service bind "$top" "the TXT record deleted by nsupdate is still served"

  env_set "$top" bind \
    SSLBOARD_TEST_BIND_DNS "127.0.0.1:$port" \
    SSLBOARD_TEST_BIND_ZONE "$BIND_ZONE" \
    SSLBOARD_TEST_TSIG_NAME "$BIND_KEY_NAME" \
    SSLBOARD_TEST_TSIG_ALGORITHM "$BIND_KEY_ALG" \
    SSLBOARD_TEST_TSIG_SECRET "$secret"
}

bind_soa() {
  [ -n "$(dig @127.0.0.1 -p "$1" +time=1 +tries=1 "$BIND_ZONE" SOA +short)" ]
}

# bind_nsupdate DIR PORT LINE : sends one TSIG-signed update.
bind_nsupdate() {
  printf 'server 127.0.0.1 %s\nzone %s\n%s\nsend\n' "$2" "$BIND_ZONE" "$3" \
    | nsupdate -t 5 -k "$1/tsig.key"
}

stop_bind() {
  stop_bg bind "$1"
  env_clear "$1" bind
}
