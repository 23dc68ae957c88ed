#!/usr/bin/env bash
# Provision the CityContact lab VM (Debian 12): Asterisk 22 from the official
# release tarball, the shipped asterisk-config, PostgreSQL, the .NET 10 SDK and
# CityContact as a systemd service. Safe to run again: finished steps are skipped
# and secrets generated on the first run are kept.
#
# Inputs (environment, set by the Vagrantfile):
#   ASTERISK_VERSION  22.x release to build (default 22.10.1)
#   ASTERISK_SHA256   expected sha256 of the tarball; empty = the .sha256 file
#                     published next to it on downloads.asterisk.org
#   CITY_LANGUAGE     prompts language (default en)
#   TRUNK_IP          the SIP provider's address (default 127.0.0.1: sipp in the VM)
#   SOURCE_DIR        the CityContact checkout (default /vagrant)
set -euo pipefail

ASTERISK_VERSION=${ASTERISK_VERSION:-22.10.1}
ASTERISK_SHA256=${ASTERISK_SHA256:-}
CITY_LANGUAGE=${CITY_LANGUAGE:-en}
TRUNK_IP=${TRUNK_IP:-127.0.0.1}
SOURCE_DIR=${SOURCE_DIR:-/vagrant}

ASTERISK_RELEASES=https://downloads.asterisk.org/pub/telephony/asterisk/releases
SETTINGS_DIR=/etc/citycontact
ASTERISK_SETTINGS=$SETTINGS_DIR/asterisk.env
SERVICE_SETTINGS=$SETTINGS_DIR/citycontact.env
SERVICE_DIR=/opt/citycontact

export DEBIAN_FRONTEND=noninteractive

log() { printf '==> %s\n' "$*"; }
fail() { printf 'provision: %s\n' "$*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || fail "run as root (vagrant provisions with sudo)"
[[ "$ASTERISK_VERSION" =~ ^22\.[0-9]+\.[0-9]+$ ]] || fail "ASTERISK_VERSION must be a 22.x.y release, got '$ASTERISK_VERSION'"
[ -d "$SOURCE_DIR/asterisk-config" ] || fail "no CityContact checkout at $SOURCE_DIR"

# A random secret of letters and digits only: safe in every config format.
random_secret() { tr -dc 'A-Za-z0-9' < /dev/urandom | head -c "$1" || true; }

install_base_packages() {
  log "Debian packages"
  apt-get update -q
  apt-get install -y -q --no-install-recommends \
    ca-certificates wget curl gnupg openssl build-essential \
    postgresql postgresql-client espeak-ng sox sip-tester \
    libsystemd-dev  # Asterisk's systemd unit is Type=notify: build it with sd_notify
}

create_system_users() {
  getent group asterisk >/dev/null || groupadd --system asterisk
  id asterisk >/dev/null 2>&1 || useradd --system --gid asterisk --home-dir /var/lib/asterisk --shell /usr/sbin/nologin asterisk
  getent group citycontact >/dev/null || groupadd --system citycontact
  id citycontact >/dev/null 2>&1 || useradd --system --gid citycontact --home-dir "$SERVICE_DIR" --shell /usr/sbin/nologin citycontact
  # The service reads the fallback voicemail that Asterisk records while it is down.
  usermod -a -G asterisk citycontact
}

# Debian 12 has no asterisk package, so build the official release.
build_asterisk() {
  if command -v asterisk >/dev/null && asterisk -V | grep -qx "Asterisk $ASTERISK_VERSION"; then
    log "Asterisk $ASTERISK_VERSION already installed"
    return
  fi

  local tarball="asterisk-$ASTERISK_VERSION.tar.gz"
  local src=/usr/local/src
  log "Asterisk $ASTERISK_VERSION: download and verify"
  mkdir -p "$src"
  wget -q -O "$src/$tarball" "$ASTERISK_RELEASES/$tarball"
  local expected=$ASTERISK_SHA256
  if [ -z "$expected" ]; then
    expected=$(wget -q -O - "$ASTERISK_RELEASES/asterisk-$ASTERISK_VERSION.sha256" | awk '{print $1; exit}')
    [ -n "$expected" ] || fail "no published sha256 for $tarball; set ASTERISK_SHA256"
  fi
  printf '%s  %s\n' "$expected" "$src/$tarball" | sha256sum --check --status \
    || fail "sha256 of $tarball does not match $expected"
  log "Asterisk $ASTERISK_VERSION: sha256 $expected verified"

  rm -rf "$src/asterisk-$ASTERISK_VERSION"
  tar -xzf "$src/$tarball" -C "$src"
  cd "$src/asterisk-$ASTERISK_VERSION"

  log "Asterisk $ASTERISK_VERSION: prerequisites"
  # libvpb1 asks for a country code during installation.
  echo 'libvpb1 libvpb1/countrycode string 1' | debconf-set-selections
  contrib/scripts/install_prereq install

  log "Asterisk $ASTERISK_VERSION: configure and build"
  ./configure --prefix=/usr --sysconfdir=/etc --localstatedir=/var --libdir=/usr/lib \
    --with-jansson-bundled --with-pjproject-bundled > /var/log/asterisk-configure.log
  make menuselect.makeopts
  local language_sounds=()
  case "$CITY_LANGUAGE" in
    en) ;;
    en_AU|en_GB|en_NZ|es|fr|it|ja|ru|sv) language_sounds=(--enable "CORE-SOUNDS-${CITY_LANGUAGE^^}-WAV") ;;
    *) log "no Asterisk core sounds for '$CITY_LANGUAGE': voicemail prompts stay in English" ;;
  esac
  # What CityContact uses is in Asterisk's default selection (PJSIP, ARI,
  # Stasis, app_voicemail, MOH); these choices make the binary portable and
  # the sounds wav (what the service plays and records in).
  menuselect/menuselect \
    --disable BUILD_NATIVE \
    --enable chan_pjsip --enable res_ari --enable res_stasis --enable app_stasis \
    --enable app_voicemail --enable res_musiconhold --enable res_http_websocket \
    --enable CORE-SOUNDS-EN-WAV --enable MOH-OPSOUND-WAV \
    "${language_sounds[@]}" \
    menuselect.makeopts
  make -j"$(nproc)" > /var/log/asterisk-build.log
  # No "make samples": the configuration is CityContact's own (see render_asterisk_config).
  make install > /var/log/asterisk-install.log
  ldconfig
  install -m 0644 contrib/systemd/asterisk.service /etc/systemd/system/asterisk.service
  # /run is a tmpfs: let systemd create Asterisk's control socket directory at each start.
  install -d /etc/systemd/system/asterisk.service.d
  # UMask 0002: the fallback voicemail and the recordings stay group-writable, so that the service (group asterisk)
  # can move imported messages aside and copy their audio next to the recordings it serves.
  printf '[Service]\nRuntimeDirectory=asterisk\nUMask=0002\n' > /etc/systemd/system/asterisk.service.d/citycontact.conf
  cd /
}

write_settings_once() {
  install -d -m 0750 "$SETTINGS_DIR"
  if [ ! -f "$ASTERISK_SETTINGS" ]; then
    log "generating lab secrets in $ASTERISK_SETTINGS (root only)"
    (
      umask 077
      {
        echo "ARI_USER=citycontact"
        echo "ARI_PASSWORD=$(random_secret 32)"
        echo "AMI_USER=citycontact"
        echo "AMI_SECRET=$(random_secret 32)"
        echo "VOICEMAIL_PIN=$(tr -dc '0-9' < /dev/urandom | head -c 6 || true)"
        for agent in 101 102 103; do
          echo "AGENT_${agent}_PASSWORD=$(random_secret 16)"
        done
        echo "DB_PASSWORD=$(random_secret 32)"
      } > "$ASTERISK_SETTINGS"
    )
  fi
}

setting() { grep -m1 "^$1=" "$ASTERISK_SETTINGS" | cut -d= -f2-; }

render_asterisk_config() {
  log "rendering asterisk-config into /etc/asterisk"
  # The settings file carries extra keys (DB_PASSWORD) the renderer ignores.
  TRUNK_IP=$TRUNK_IP CITY_LANGUAGE=$CITY_LANGUAGE \
    bash "$SOURCE_DIR/scripts/render-asterisk-config.sh" --env-file "$ASTERISK_SETTINGS" --target /etc/asterisk

  # The apology played while CityContact is down. A city records its own; the
  # lab speaks it with espeak-ng, at the 8 kHz mono Asterisk plays natively.
  local sounds="/var/lib/asterisk/sounds/$CITY_LANGUAGE/citycontact"
  if [ ! -f "$sounds/service-unavailable.wav" ]; then
    install -d "$sounds"
    espeak-ng -v "${CITY_LANGUAGE%%_*}" -w /tmp/service-unavailable.wav \
      "Our service is briefly unavailable. Please leave your name, number and message after the tone, and we will call you back."
    sox /tmp/service-unavailable.wav -r 8000 -c 1 -b 16 "$sounds/service-unavailable.wav"
    rm -f /tmp/service-unavailable.wav
  fi

  install -d /var/lib/asterisk/moh /var/spool/asterisk/voicemail /var/log/asterisk
  chown -R asterisk:asterisk /var/lib/asterisk /var/spool/asterisk /var/log/asterisk
  chown -R root:asterisk /etc/asterisk
  # Written by Asterisk and by the service (fallback voicemail import): group-writable, new files keep the group.
  install -d -o asterisk -g asterisk -m 2775 /var/spool/asterisk/recording /var/spool/asterisk/voicemail/citycontact
}

start_asterisk() {
  log "starting Asterisk"
  systemctl daemon-reload
  systemctl enable asterisk >/dev/null
  systemctl restart asterisk
  # Up to a minute for the modules to load; Asterisk answers as soon as it can.
  local tries=0
  until asterisk -rx 'core waitfullybooted' >/dev/null 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt 60 ] || fail "Asterisk did not finish booting; see journalctl -u asterisk and /var/log/asterisk/messages.log"
    sleep 1
  done
}

setup_postgresql() {
  log "PostgreSQL: role and database citycontact"
  systemctl enable --now postgresql >/dev/null
  local password
  password=$(setting DB_PASSWORD)
  # The password goes through psql's stdin, not its command line.
  sudo -u postgres psql -v ON_ERROR_STOP=1 -q <<SQL
DO \$\$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'citycontact') THEN
    CREATE ROLE citycontact LOGIN;
  END IF;
END
\$\$;
ALTER ROLE citycontact PASSWORD '$password';
SQL
  if ! sudo -u postgres psql -tAc "SELECT 1 FROM pg_database WHERE datname = 'citycontact'" | grep -q 1; then
    sudo -u postgres createdb --owner citycontact citycontact
  fi
}

install_dotnet() {
  if command -v dotnet >/dev/null && dotnet --list-sdks | grep -q '^10\.'; then
    log ".NET 10 SDK already installed"
    return
  fi
  log ".NET 10 SDK from packages.microsoft.com"
  wget -q -O /tmp/packages-microsoft-prod.deb https://packages.microsoft.com/config/debian/12/packages-microsoft-prod.deb
  dpkg -i /tmp/packages-microsoft-prod.deb
  rm -f /tmp/packages-microsoft-prod.deb
  apt-get update -q
  apt-get install -y -q dotnet-sdk-10.0
}

install_citycontact() {
  log "building CityContact into $SERVICE_DIR"
  DOTNET_CLI_HOME=/root DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 \
    dotnet publish "$SOURCE_DIR/src/CityContact.Service" -c Release -o "$SERVICE_DIR" -nologo -v quiet
  chown -R root:citycontact "$SERVICE_DIR"

  # Secrets go to a root-only EnvironmentFile: Environment= lines of a unit are
  # readable by every local user through "systemctl show".
  (
    umask 077
    {
      echo "ConnectionStrings__CityContact=Host=127.0.0.1;Port=5432;Database=citycontact;Username=citycontact;Password=$(setting DB_PASSWORD)"
      echo "Ari__Password=$(setting ARI_PASSWORD)"
      echo "Ami__Secret=$(setting AMI_SECRET)"
    } > "$SERVICE_SETTINGS"
  )

  cat > /etc/systemd/system/citycontact.service <<UNIT
[Unit]
Description=CityContact contact center
Documentation=file://$SOURCE_DIR/docs/real-asterisk.md
After=network-online.target postgresql.service asterisk.service
Wants=network-online.target postgresql.service asterisk.service

[Service]
Type=simple
User=citycontact
Group=citycontact
WorkingDirectory=$SERVICE_DIR
ExecStart=/usr/bin/dotnet $SERVICE_DIR/CityContact.Service.dll
Environment=ASPNETCORE_URLS=http://0.0.0.0:8080
Environment=DOTNET_CLI_TELEMETRY_OPTOUT=1
Environment=Ari__Url=http://127.0.0.1:8088/
Environment=Ari__User=$(setting ARI_USER)
Environment=Ari__App=citycontact
Environment=Ami__Host=127.0.0.1
Environment=Ami__Port=5038
Environment=Ami__User=$(setting AMI_USER)
Environment=Voicemail__FallbackSpoolDirectory=/var/spool/asterisk/voicemail
# ConnectionStrings__CityContact, Ari__Password, Ami__Secret
EnvironmentFile=$SERVICE_SETTINGS
Restart=always
RestartSec=2
NoNewPrivileges=yes
ProtectSystem=full
ProtectHome=yes
PrivateTmp=yes

[Install]
WantedBy=multi-user.target
UNIT

  systemctl daemon-reload
  systemctl enable citycontact >/dev/null
  systemctl restart citycontact
}

report() {
  log "done. Checks:"
  asterisk -rx 'pjsip show endpoints' | grep -E '^ +Endpoint:' || true
  asterisk -rx 'manager show connected' || true
  asterisk -rx 'ari show apps' || true
  echo "Agent passwords and the other lab secrets: vagrant ssh -c 'sudo cat $ASTERISK_SETTINGS'"
  echo "Register a softphone as 101 at 192.168.56.10:5060; see docs/real-asterisk.md."
}

install_base_packages
create_system_users
build_asterisk
write_settings_once
render_asterisk_config
start_asterisk
setup_postgresql
install_dotnet
install_citycontact
report
