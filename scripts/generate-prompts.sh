#!/usr/bin/env bash
# Regenerates the default prompts from sounds/texts/<lang>.tsv with espeak-ng and sox (Debian packages):
# sounds/citycontact/<lang>/<key>.wav, 8 kHz mono 16-bit PCM, the format Asterisk plays without transcoding.
# The `choose-language` prompt is bilingual: its first sentence is spoken with the Romanian voice, the rest English.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v espeak-ng >/dev/null && command -v sox >/dev/null || bash scripts/deps.sh

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

speak() { # voice text out.wav
  espeak-ng -v "$1" -s 150 -w "$tmp/raw.wav" -- "$2"
  sox -q "$tmp/raw.wav" -r 8000 -c 1 -b 16 -e signed-integer "$3" norm -3
}

for texts in sounds/texts/*.tsv; do
  lang=$(basename "$texts" .tsv)
  out="sounds/citycontact/$lang"
  mkdir -p "$out"
  while IFS=$'\t' read -r key text; do
    case "$key" in ''|'#'*) continue ;; esac
    if [ "$key" = choose-language ]; then
      speak ro "${text%%. For*}." "$tmp/a.wav"
      speak en "For${text#*. For}" "$tmp/b.wav"
      sox -q "$tmp/a.wav" "$tmp/b.wav" "$out/$key.wav"
    else
      speak "$lang" "$text" "$out/$key.wav"
    fi
  done < "$texts"
  echo "prompts: $(ls "$out" | wc -l) files in $out"
done
# A short beep before recordings (Asterisk ships its own `beep`, but we keep ours beside the prompts).
sox -q -n -r 8000 -c 1 -b 16 sounds/citycontact/beep.wav synth 0.3 sine 1000 vol 0.5
