#!/usr/bin/env bash
# The real-Asterisk ramp of `make bench`: the same calls through the native dialplan and through CityContact, on one
# Asterisk 22 on this machine, at rising call rates; writes the section "Real Asterisk ramp" of bench/RESULTS.md.
#
# usage: bench-asterisk.sh [--quick] [--split] [--out FILE]
#   --quick   a check of the harness: 20 and 50 calls/s, 10 s each; prints the section, writes no file unless --out
#   --split   Asterisk on CPU 0, SIPp, PostgreSQL and the service on CPU 1 (taskset): Asterisk with a core of its own,
#             as on a deployment where CityContact and PostgreSQL run beside it, not on its cores; its own section
#   --out     the results file whose section is replaced (default bench/RESULTS.md; --quick: none)
#
# Each side gets SIPp calls from the trunk address (127.0.0.4) for BENCH_SECONDS at each rate of BENCH_RATES. A call
# is INVITE → 200 OK → the prompt → Asterisk's BYE. The native side is Answer, Playback, Hangup in the dialplan
# (number 7000); the CityContact side is a published flow that plays the same prompt and hangs up (number 7001).
# The native side runs first, before the service is started, so it pays for nothing of CityContact's.
#
# Settings (environment):
#   BENCH_RATES            calls/s, climbing (default "50 100 150 200 300 400"; --split "50 100 150 175 200 250";
#                          --quick "20 50")
#   BENCH_SECONDS          seconds of calls per rate (default 20; --quick 10)
#   BENCH_PROMPT           the prompt both sides play, a key of sounds/citycontact/en (default survey-thanks, 1.77 s)
#   BENCH_ANSWER_TIMEOUT_S a 200 OK later than this is a failed call (default 10)
#   BENCH_BYE_TIMEOUT_S    a BYE later than this after the prompt's end is a failed call (default 10)
#   ASTERISK_PREFIX        the installed Asterisk (default /opt/asterisk-22)
#   ASTERISK_DIST          the prebuilt distribution; without it the section is skipped (default ../shared/asterisk/dist)
#   BENCH_KEEP=1           keep the working directory (configs, logs, SIPp traces) and print where it is
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
program=$(basename "$0")
say() { printf '%s: %s\n' "$program" "$*" >&2; }

quick=false
split=false
out=bench/RESULTS.md
out_given=false
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=true; shift ;;
    --split) split=true; shift ;;
    --out) [ $# -ge 2 ] || { say "--out needs a file"; exit 2; }; out=$2; out_given=true; shift 2 ;;
    -h|--help) sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) say "unknown argument '$1' (see --help)"; exit 2 ;;
  esac
done
if $quick && ! $out_given; then out=; fi

if $quick; then
  rates=${BENCH_RATES:-20 50}; seconds=${BENCH_SECONDS:-10}
elif $split; then
  rates=${BENCH_RATES:-50 100 150 175 200 250}; seconds=${BENCH_SECONDS:-20}
else
  rates=${BENCH_RATES:-50 100 150 200 300 400}; seconds=${BENCH_SECONDS:-20}
fi
prompt=${BENCH_PROMPT:-survey-thanks}
answer_timeout=${BENCH_ANSWER_TIMEOUT_S:-10}
bye_timeout=${BENCH_BYE_TIMEOUT_S:-10}
prefix=${ASTERISK_PREFIX:-/opt/asterisk-22}
dist=${ASTERISK_DIST:-$repo/../shared/asterisk/dist}
# Who runs where: with --split, Asterisk alone on CPU 0 and everything else (SIPp through ramp.py, PostgreSQL, the
# service) on CPU 1; children inherit the affinity.
on_asterisk_cpu=(); on_other_cpu=(); section="Real Asterisk ramp"
if $split; then
  [ "$(nproc)" -ge 2 ] || { say "--split needs 2 CPUs, this machine has $(nproc)"; exit 2; }
  on_asterisk_cpu=(taskset -c 0); on_other_cpu=(taskset -c 1); section="Real Asterisk ramp, Asterisk on a core of its own"
fi
# -B: no __pycache__ in the repository.
ramp=("${on_other_cpu[@]}" python3 -B "$repo/bench/asterisk-ramp/ramp.py")

sip_port=35060
http_port=38088
ami_port=35038
service_url=http://127.0.0.1:8092
trunk_ip=127.0.0.4
native_number=7000
citycontact_number=7001

# Without the distribution there is no Asterisk to measure: the section says so instead of failing the whole bench.
skip() {
  say "skipped: $1"
  if [ -n "$out" ]; then "${ramp[@]}" skipped --section "$section" --reason "$1" --out "$out"; fi
  exit 0
}
[ -d "$dist" ] || skip "no Asterisk distribution at $(realpath -m "$dist") (ASTERISK_DIST)"
if [ ! -x "$prefix/bin/asterisk" ]; then
  [ "$(id -u)" = 0 ] || skip "Asterisk is not installed in $prefix and installing it needs root: run $dist/install.sh $prefix"
  say "installing Asterisk into $prefix"
  bash "$dist/install.sh" "$prefix" >/dev/null
fi
command -v sipp >/dev/null || skip "sipp is missing (Debian's sip-tester, installed by $dist/install.sh)"
[ -f "sounds/citycontact/en/$prompt.wav" ] || { say "no prompt sounds/citycontact/en/$prompt.wav (BENCH_PROMPT)"; exit 2; }
# Asterisk's SIP, HTTP and AMI ports, the service's, and SIPp's (bench/asterisk-ramp/ramp.py).
for port in $sip_port $http_port $ami_port 8092 35062 36000; do
  if ss -Htlnu "sport = :$port" | grep -q .; then say "port $port is taken: is another bench running?"; exit 1; fi
done

bash scripts/deps.sh
work=$(mktemp -d /tmp/citycontact-bench-asterisk.XXXXXX)
etc=$work/etc
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
export PATH="$pgbin:$PATH"
service_pid=
pg_port=

cleanup() {
  set +e
  if [ -n "$service_pid" ] && kill -0 "$service_pid" 2>/dev/null; then
    kill -TERM "$service_pid"
    for _ in $(seq 50); do kill -0 "$service_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$service_pid" 2>/dev/null
  fi
  if [ -f "$work/run/asterisk.pid" ]; then
    local asterisk_pid
    asterisk_pid=$(cat "$work/run/asterisk.pid")
    "$prefix/bin/asterisk" -C "$etc/asterisk.conf" -rx 'core stop now' >/dev/null 2>&1
    for _ in $(seq 50); do kill -0 "$asterisk_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$asterisk_pid" 2>/dev/null
  fi
  bash scripts/pg.sh stop "$work/pg" >/dev/null 2>&1
  if [ "${BENCH_KEEP:-0}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT

secret() { python3 -c 'import secrets; print(secrets.token_urlsafe(24))'; }
ari_password=$(secret)
ami_secret=$(secret)
admin_key=cc_bench_$(secret)

# The bench's Asterisk: the shipped asterisk-config rendered, then rewritten to run from DIR on ports of its own with
# the bench's native number. Everything that differs from a deployment is in this one function.
write_bench_asterisk_config() {
  local dir=$1 prefix=$2
  local etc=$dir/etc lib=$dir/lib
  ARI_PASSWORD=$ari_password AMI_SECRET=$ami_secret TRUNK_IP=$trunk_ip VOICEMAIL_PIN=1234 CITY_LANGUAGE=en \
    AGENT_101_PASSWORD=agentpass101 AGENT_102_PASSWORD=agentpass102 AGENT_103_PASSWORD=agentpass103 AGENT_104_PASSWORD=agentpass104 \
    bash scripts/render-asterisk-config.sh --target "$etc" >/dev/null

  # Directories of our own, no runuser (it runs as whoever runs the bench), no call or load limits; maxfiles
  # because every call holds an RTP and an RTCP socket.
  cat >"$etc/asterisk.conf" <<CONF
[directories]
astetcdir => $etc
astmoddir => $prefix/lib/asterisk/modules
astvarlibdir => $lib
astdbdir => $lib
astkeydir => $lib
astdatadir => $lib
astagidir => $lib/agi-bin
astspooldir => $dir/spool
astrundir => $dir/run
astlogdir => $dir/log
astsbindir => $prefix/sbin

[options]
defaultlanguage = en
maxfiles = 65536
CONF

  sed -i -E "s/^bind = 0\.0\.0\.0:5060$/bind = 127.0.0.1:$sip_port/" "$etc/pjsip.conf"
  # SIPp is no provider: it would count Asterisk's OPTIONS pings as unexpected messages.
  sed -i -E 's/^qualify_frequency = 60$/qualify_frequency = 0/' "$etc/pjsip.conf"
  sed -i -E "s/^bindport = 8088$/bindport = $http_port/" "$etc/http.conf"
  sed -i -E "s/^port = 5038$/port = $ami_port/" "$etc/manager.conf"
  sed -i -E 's/^rtpstart = .*/rtpstart = 40000/; s/^rtpend = .*/rtpend = 60000/' "$etc/rtp.conf"
  grep -q "^bind = 127.0.0.1:$sip_port$" "$etc/pjsip.conf" && grep -q "^bindport = $http_port$" "$etc/http.conf" \
    && grep -q "^port = $ami_port$" "$etc/manager.conf" && grep -q '^rtpend = 60000$' "$etc/rtp.conf" \
    || { say "the shipped asterisk-config changed: the bench's rewrite no longer applies"; return 1; }

  # The native side: what a dialplan-only city would run, on a number of its own before the catch-all to Stasis.
  # Answer's "i": at once, as ARI's answer does; plain Answer() waits up to 500 ms for the caller's first audio,
  # which SIPp never sends, and the native calls would last half a second longer than CityContact's.
  awk -v number="$native_number" -v prompt="$prompt" '
    /^\[from-trunk\]$/ { print; print "; bench: the native dialplan playing the prompt CityContact'"'"'s bench flow plays"
                         print "exten => " number ",1,Answer(,i)"; print " same => n,Playback(citycontact/en/" prompt ")"
                         print " same => n,Hangup()"; print ""; next }
    { print }' "$etc/extensions.conf" >"$etc/extensions.conf.new"
  mv "$etc/extensions.conf.new" "$etc/extensions.conf"

  mkdir -p "$lib/sounds" "$dir/spool" "$dir/run" "$dir/log"
  ln -s "$prefix/var/lib/asterisk/sounds/en" "$lib/sounds/en"
  cp -r sounds/citycontact "$lib/sounds/citycontact"
  local shared
  for shared in moh documentation rest-api; do ln -s "$prefix/var/lib/asterisk/$shared" "$lib/$shared"; done
}

say "building the service (Release)"
dotnet build src/CityContact.Service -c Release -nologo -v quiet >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
service_dll=src/CityContact.Service/bin/Release/net10.0/CityContact.Service.dll

say "PostgreSQL, Asterisk in $work"
pg_port=$("${on_other_cpu[@]}" bash scripts/pg.sh start "$work/pg" | sed -E 's/.*Port=([0-9]+).*/\1/')
"$pgbin/createdb" -h 127.0.0.1 -p "$pg_port" -U postgres citycontact
export ConnectionStrings__CityContact="Host=127.0.0.1;Port=$pg_port;Username=postgres;Database=citycontact"
dotnet "$service_dll" migrate >"$work/migrate.log" 2>&1 || { cat "$work/migrate.log" >&2; exit 1; }

write_bench_asterisk_config "$work" "$prefix"
ulimit -n 65536 2>/dev/null || true
"${on_asterisk_cpu[@]}" "$prefix/bin/asterisk" -C "$etc/asterisk.conf"
# The control socket appears a moment after the daemon forks; until then -rx fails at once.
booted=false
for _ in $(seq 120); do
  if timeout 30 "$prefix/bin/asterisk" -C "$etc/asterisk.conf" -rx 'core waitfullybooted' >/dev/null 2>&1; then booted=true; break; fi
  sleep 0.5
done
$booted || { say "Asterisk did not boot"; tail -n 30 "$work/log/messages.log" >&2; exit 1; }

common=(--asterisk "$prefix/bin/asterisk" --asterisk-conf "$etc/asterisk.conf" --sip "127.0.0.1:$sip_port" --ari-port "$http_port" --trunk-ip "$trunk_ip"
        --rates "$rates" --seconds "$seconds" --prompt-file "sounds/citycontact/en/$prompt.wav"
        --answer-timeout "$answer_timeout" --bye-timeout "$bye_timeout" --pg-port "$pg_port" --work "$work")

say "native dialplan: rates $rates calls/s, $seconds s each"
"${ramp[@]}" side --side native --number "$native_number" "${common[@]}"

say "starting CityContact"
ConnectionStrings__CityContact=$ConnectionStrings__CityContact \
Ari__Url=http://127.0.0.1:$http_port/ari Ari__User=citycontact Ari__Password=$ari_password \
Ami__Host=127.0.0.1 Ami__Port=$ami_port Ami__User=citycontact Ami__Secret=$ami_secret \
Prompts__SoundsDirectory=$work/lib/sounds City__DefaultLanguage=en Auth__BootstrapAdminKey=$admin_key \
ASPNETCORE_URLS=$service_url Serilog__MinimumLevel__Default=Warning \
  "${on_other_cpu[@]}" dotnet "$service_dll" >"$work/service.log" 2>&1 &
service_pid=$!
for _ in $(seq 120); do
  if [ "$(curl -s -o /dev/null -w '%{http_code}' "$service_url/health/ready")" = 200 ] \
      && "$prefix/bin/asterisk" -C "$etc/asterisk.conf" -rx 'ari show apps' | grep -qw citycontact; then
    break
  fi
  kill -0 "$service_pid" 2>/dev/null || { say "the service stopped"; tail -n 30 "$work/service.log" >&2; exit 1; }
  sleep 0.5
done
"$prefix/bin/asterisk" -C "$etc/asterisk.conf" -rx 'ari show apps' | grep -qw citycontact \
  || { say "the service did not connect to ARI"; tail -n 30 "$work/service.log" >&2; exit 1; }

# The flow: the prompt, then hang up, published and answering the bench number.
api() { curl -sS -f -H "X-Api-Key: $admin_key" -H 'Content-Type: application/json' "$@"; }
flow=$(python3 -c 'import json, sys; print(json.dumps({"code": "bench-prompt", "name": "Bench: one prompt, then hang up",
  "definition": {"start": "prompt", "languages": ["en"],
                 "nodes": {"prompt": {"kind": "play", "prompts": [sys.argv[1]], "next": "end"}, "end": {"kind": "hangup"}}}}))' "$prompt")
location=$(api -o /dev/null -D - -X POST "$service_url/api/ivr/flows" -d "$flow" | tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
flow_id=$(printf '%s' "$location" | sed -E 's|.*/api/ivr/flows/([0-9]+)/versions.*|\1|')
api -o /dev/null -X POST "$service_url/api/ivr/flows/$flow_id/versions/1/publish"
api -o /dev/null -X PUT "$service_url/api/ivr/numbers/$citycontact_number" -d '{"flowCode": "bench-prompt"}'

say "CityContact: rates $rates calls/s, $seconds s each"
"${ramp[@]}" side --side citycontact --number "$citycontact_number" --service-pid "$service_pid" "${common[@]}"

"${ramp[@]}" report --section "$section" --split "$split" --work "$work" --rates "$rates" --seconds "$seconds" --prompt "$prompt" \
  --answer-timeout "$answer_timeout" --bye-timeout "$bye_timeout" --prompt-file "sounds/citycontact/en/$prompt.wav" --quick "$quick" ${out:+--out "$out"}
if [ -n "$out" ]; then say "section \"$section\" written to $out"; fi
