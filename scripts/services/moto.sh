# shellcheck shell=bash
# moto server for the Route53 provider tests (serves the AWS APIs over HTTP;
# it answers no DNS), on a free loopback high port. Uses a moto_server already
# on PATH (e.g. pyenv's) when it runs, else pip-installs moto[server] into the
# venv. Exports SSLBOARD_TEST_MOTO_URL. Sourced after scripts/lib/common.sh.
# Usage: start_moto DIR; stop_moto DIR.

# Prints the path of a working moto_server, installing one if needed.
moto_bin() {
  local p venv
  venv=$(sslboard_venv)
  if p=$(command -v moto_server 2>/dev/null); then
    # A pyenv shim exists for every version's scripts: resolve it to the real
    # script, which fails when the active version has no moto.
    case "$p" in
      */shims/moto_server) p=$(pyenv which moto_server 2>/dev/null) || p="" ;;
    esac
    [ -n "$p" ] && [ -x "$p" ] && { echo "$p"; return 0; }
  fi
  need_apt curl || return 1
  need_pip 'moto[server]' || return 1
  echo "$venv/bin/moto_server"
}

start_moto() {
  local top=$1 port bin pid url
  # shellcheck disable=SC2034 # read by die_service (common.sh)
  CURRENT_SERVICE=moto
  bin=$(moto_bin) || exit 1
  stop_moto "$top"
  port=$(pick_port)
  url="http://127.0.0.1:$port"
  start_bg moto "$top" env -u AWS_ENDPOINT_URL -u AWS_PROFILE "$bin" -H 127.0.0.1 -p "$port"
  pid=$(bg_pid moto "$top")
  WAIT_SECS=${WAIT_SECS:-20} WAIT_PID=$pid wait_for moto_answers "$url" \
    || die_service moto "$top" "no HTTP answer on $url"
  # Route53 answers ListHostedZones (moto routes on the SigV4 credential
  # scope and checks no signature: any key works).
  curl -sf --max-time 5 --aws-sigv4 aws:amz:us-east-1:route53 --user test:test \
    "$url/2013-04-01/hostedzone" | grep -q ListHostedZonesResponse \
    || die_service moto "$top" "Route53 ListHostedZones failed on $url"
  env_set "$top" moto SSLBOARD_TEST_MOTO_URL "$url"
}

# Any HTTP status at all means the server is up.
moto_answers() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$1/") || true
  [ -n "$code" ] && [ "$code" != 000 ]
}

stop_moto() {
  stop_bg moto "$1"
  env_clear "$1" moto
}
