#!/usr/bin/env bash
# Render CityContact's asterisk-config/ into an Asterisk configuration directory.
#
# Every "@@NAME@@" in the shipped files is replaced by the setting NAME, taken
# from the environment or from a KEY=VALUE file (--env-file; read as data,
# never executed). Nothing is written if a setting is missing or invalid, or
# if any placeholder would remain. Secret values are never printed.
#
# usage: render-asterisk-config.sh [--env-file FILE] [--source DIR] [--target DIR]
#   --source  the shipped files (default: asterisk-config/ next to this script)
#   --target  where Asterisk reads them (default: /etc/asterisk)
#
# Settings (see docs/real-asterisk.md):
#   ARI_PASSWORD, AMI_SECRET, TRUNK_IP, VOICEMAIL_PIN, AGENT_<ext>_PASSWORD  required
#   ARI_USER (citycontact), AMI_USER (citycontact), ARI_APP (citycontact),
#   CITY_LANGUAGE (en), FALLBACK_MAILBOX_EMAIL (empty: no e-mail)             defaulted
set -euo pipefail

program=$(basename "$0")
fail() { printf '%s: %s\n' "$program" "$*" >&2; exit 1; }

source_dir="$(cd "$(dirname "$0")/.." && pwd)/asterisk-config"
target_dir=/etc/asterisk
env_file=

while [ $# -gt 0 ]; do
  case "$1" in
    --env-file) [ $# -ge 2 ] || fail "--env-file needs a file"; env_file=$2; shift 2 ;;
    --source) [ $# -ge 2 ] || fail "--source needs a directory"; source_dir=$2; shift 2 ;;
    --target) [ $# -ge 2 ] || fail "--target needs a directory"; target_dir=$2; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) fail "unknown argument '$1' (see --help)" ;;
  esac
done

[ -d "$source_dir" ] || fail "source directory '$source_dir' does not exist"

# A settings file is parsed, not sourced: a value is data even if it looks like
# shell. The environment wins over the file, so one value can be overridden.
if [ -n "$env_file" ]; then
  [ -r "$env_file" ] || fail "cannot read settings file '$env_file'"
  line_number=0
  while IFS= read -r line || [ -n "$line" ]; do
    line_number=$((line_number + 1))
    case "$line" in ''|'#'*) continue ;; esac
    key=${line%%=*}
    [ "$key" != "$line" ] || fail "$env_file:$line_number: expected KEY=VALUE"
    [[ "$key" =~ ^[A-Z][A-Z0-9_]*$ ]] || fail "$env_file:$line_number: '$key' is not a setting name"
    if [ -z "${!key+set}" ]; then
      export "$key=${line#*=}"
    fi
  done < "$env_file"
fi

: "${ARI_USER:=citycontact}" "${AMI_USER:=citycontact}" "${ARI_APP:=citycontact}"
: "${CITY_LANGUAGE:=en}" "${FALLBACK_MAILBOX_EMAIL:=}"
export ARI_USER AMI_USER ARI_APP CITY_LANGUAGE FALLBACK_MAILBOX_EMAIL

# Placeholders that may be rendered empty.
optional_names=" FALLBACK_MAILBOX_EMAIL "

mapfile -t files < <(cd "$source_dir" && find . -maxdepth 1 -type f -name '*.conf' | sed 's|^\./||' | sort)
[ "${#files[@]}" -gt 0 ] || fail "no .conf files in '$source_dir'"
mapfile -t names < <(cd "$source_dir" && grep -oh '@@[A-Z0-9_]*@@' "${files[@]}" | tr -d '@' | sort -u)

missing=()
invalid=()
for name in "${names[@]}"; do
  value=${!name-}
  if [ -z "$value" ]; then
    [[ "$optional_names" == *" $name "* ]] || missing+=("$name")
    continue
  fi
  # Asterisk's config parser ends a value at ';' and trims blanks; a newline
  # would start a new option. Any of these would silently change the secret.
  if [[ "$value" == *';'* || "$value" == *$'\n'* || "$value" == *$'\r'* \
        || "$value" =~ ^[[:space:]] || "$value" =~ [[:space:]]$ ]]; then
    invalid+=("$name (no ';', line breaks or surrounding blanks)")
    continue
  fi
  case "$name" in
    ARI_USER|AMI_USER|ARI_APP)
      [[ "$value" =~ ^[A-Za-z0-9_-]+$ ]] || invalid+=("$name (letters, digits, '_' and '-' only)") ;;
    CITY_LANGUAGE)
      [[ "$value" =~ ^[a-z]{2,3}(_[A-Za-z]{2,4})?$ ]] || invalid+=("$name (a language code such as en, fr or pt_BR)") ;;
    TRUNK_IP)
      [[ "$value" =~ ^[A-Za-z0-9.-]+$ ]] || invalid+=("$name (the provider's IPv4 address or host name)") ;;
    VOICEMAIL_PIN)
      [[ "$value" =~ ^[0-9]{4,}$ ]] || invalid+=("$name (4 or more digits)") ;;
    FALLBACK_MAILBOX_EMAIL)
      [[ "$value" =~ ^[^,|[:space:]]+@[^,|[:space:]]+$ ]] || invalid+=("$name (one e-mail address)") ;;
    *_PASSWORD|*_SECRET)
      [ "${#value}" -ge 8 ] || invalid+=("$name (8 characters or more)")
      [[ "$value" != *'@@'* ]] || invalid+=("$name (must not contain '@@')") ;;
  esac
done

if [ "${#missing[@]}" -gt 0 ]; then
  fail "missing required setting(s): ${missing[*]} (set them in the environment or in --env-file)"
fi
if [ "${#invalid[@]}" -gt 0 ]; then
  fail "invalid setting(s): $(printf '%s; ' "${invalid[@]}" | sed 's/; $//')"
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# awk reads the values from its environment: no value is ever on a command line
# or parsed as a sed/awk replacement pattern ('&' and '\' stay literal).
for file in "${files[@]}"; do
  awk '{
         out = ""
         while (match($0, /@@[A-Z0-9_]+@@/)) {
           name = substr($0, RSTART + 2, RLENGTH - 4)
           out = out substr($0, 1, RSTART - 1) ENVIRON[name]
           $0 = substr($0, RSTART + RLENGTH)
         }
         print out $0
       }' "$source_dir/$file" > "$work/$file"
done

if leftover=$(cd "$work" && grep -l '@@' "${files[@]}"); then
  fail "placeholders would remain in: $(echo "$leftover" | tr '\n' ' ')(nothing written)"
fi

mkdir -p "$target_dir"
# The files hold secrets: readable by Asterisk's group only.
group_args=()
if [ "$(id -u)" = 0 ] && getent group asterisk >/dev/null; then
  group_args=(-o root -g asterisk)
fi
for file in "${files[@]}"; do
  install -m 0640 "${group_args[@]}" "$work/$file" "$target_dir/$file"
done
printf '%s: wrote %d files to %s: %s\n' "$program" "${#files[@]}" "$target_dir" "${files[*]}"
