#!/usr/bin/env bash
# The audio seeds of the fuzz campaign: 1.5 s of two decaying tones struck every 0.25 s
# (onsets, pitch and a key to find), mono 22050 Hz (WAV and FLAC: 11025 Hz, to stay small and
# exercise the resampler; Opus: 24000 Hz, its nearest rate), tagged,
# at low bitrates so each file stays a few kilobytes. Needs ffmpeg (Debian: apt-get install
# ffmpeg, with libvorbis, libmp3lame and libopus); the campaign itself never runs it.
# Usage: crates/timbral-fuzz/seeds/make_audio_seeds.sh   (writes seeds/audio/seed.*)
set -euo pipefail
out="$(dirname "$0")/audio"
mkdir -p "$out"
signal="aevalsrc=exprs='(0.4*sin(2*PI*440*t)+0.2*sin(2*PI*659.25*t))*exp(-8*mod(t\,0.25))':s=22050:d=1.5"
tags=(-metadata artist="Fuzz Seed" -metadata title="Struck Tones" -metadata album="Seeds" -metadata genre="Test")
encode() { # name, then encoder options
  local name=$1; shift
  ffmpeg -hide_banner -loglevel error -y -f lavfi -i "$signal" "${tags[@]}" "$@" "$out/$name"
  echo "wrote $out/$name ($(stat -c %s "$out/$name") bytes)"
}
encode seed.wav -ar 11025 -c:a pcm_s16le
encode seed.flac -ar 11025 -c:a flac
encode seed.ogg -c:a libvorbis -q:a 0
encode seed.mp3 -c:a libmp3lame -b:a 32k
encode seed.m4a -c:a aac -b:a 32k
encode seed.opus -ar 24000 -c:a libopus -b:a 16k
