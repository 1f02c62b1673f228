#!/usr/bin/env python3
"""Writes the hand-made hostile inputs of the fuzz crate: inputs of the shapes that break
parsers (deep nesting, lengths larger than the file, wrong vector sizes, non-finite numbers,
a BOM with broken quoting, an ID3 size overflow), one file per case, as
`hostile/<kind>/<what>.seed<index>.bin` (index: the seed the input stands for). The test
`committed_inputs_end_cleanly` replays them: each must end accepted or rejected with an error
naming its input. Run from anywhere: python3 crates/timbral-fuzz/hostile/make_hostile.py"""
import json
import struct
from pathlib import Path

HERE = Path(__file__).resolve().parent


def segment(timbre_len=12, pitches_len=12):
    return {
        "start": 0.0, "duration": 0.5, "confidence": 1.0,
        "loudness_start": -30.0, "loudness_max": -10.0, "loudness_max_time": 0.1,
        "loudness_end": -30.0,
        "pitches": [0.5] * pitches_len, "timbre": [1.0] * timbre_len,
    }


def analysis(segments, duration="10.0"):
    track = '{"duration": %s, "loudness": -10.0, "tempo": 120.0, "key": 0, "mode": 1, "time_signature": 4}' % duration
    return ('{"track": %s, "segments": %s}' % (track, json.dumps(segments))).encode()


def wav(channels, data_len, payload):
    fmt = struct.pack("<HHIIHH", 1, channels, 22050, 22050 * 2 * max(channels, 1), 2 * max(channels, 1), 16)
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"data" + struct.pack("<I", data_len) + payload
    return b"RIFF" + struct.pack("<I", len(body)) + body


CASES = {
    "analysis-json": {
        "deep-nesting.seed0.bin": b'{"segments": ' + b"[" * 20_000 + b"]" * 20_000 + b"}",
        "thirteen-timbre-values.seed0.bin": analysis([segment(timbre_len=13)] * 3),
        "eleven-pitches.seed0.bin": analysis([segment(pitches_len=11)] * 3),
        "huge-and-nan-numbers.seed0.bin": analysis([segment()] * 3, duration="1e400").replace(b"-10.0", b"NaN"),
    },
    "wav": {
        "data-longer-than-file.seed0.bin": wav(1, 0xFFFF_FFF0, b"\x00\x01" * 32),
        "zero-channels.seed0.bin": wav(0, 64, b"\x00" * 64),
    },
    "mp3": {
        "id3-size-past-the-end.seed0.bin": b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f" + b"\xff\xfb\x90\x00" * 4,
    },
    "metadata-csv": {
        "bom-and-unclosed-quote.seed0.bin": "\ufefftrack_id,title,artist\n\"abc,\"unterminated,x\n".encode(),
    },
    "features-csv": {
        "duplicate-header.seed0.bin": b"track_id,energy,energy\nabc,0.5,0.6\n",
    },
}

for kind, files in CASES.items():
    folder = HERE / kind
    folder.mkdir(exist_ok=True)
    for name, data in files.items():
        (folder / name).write_bytes(data)
        print(f"{kind}/{name}: {len(data)} bytes")
