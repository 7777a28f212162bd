#!/usr/bin/env python3
"""set_thresholds.py -- write the default `verified` / `not_sure` thresholds into a model file.

Usage: set_thresholds.py MODEL VERIFIED NOT_SURE [MIN_VERIFY_SPEECH]
Rewrites only the config block (4 little-endian f64: verified, not_sure, min_enroll_speech,
min_verify_speech, then the first 8 bytes of their SHA-256), as `callprint-bio eval
--write-thresholds` does: the payload and so the model id and every voiceprint stay valid.
Used by train.sh with the thresholds report.py --thresholds chose on the dev sets.
"""
import hashlib
import struct
import sys

OFF = 12  # magic + version


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    path, ver, ns = sys.argv[1], float(sys.argv[2]), float(sys.argv[3])
    with open(path, "r+b") as f:
        head = f.read(OFF + 40)
        if head[:8] != b"CPBIOMDL":
            sys.exit(f"{path}: not a callprint model")
        old = struct.unpack("<4d", head[OFF:OFF + 32])
        min_verify = float(sys.argv[4]) if len(sys.argv) == 5 else old[3]
        cfg = struct.pack("<4d", ver, min(ns, ver), old[2], min_verify)
        f.seek(OFF)
        f.write(cfg + hashlib.sha256(cfg).digest()[:8])
    print(f"{path}: verified {old[0]:.2f} -> {ver:.2f}, not_sure {old[1]:.2f} -> {min(ns, ver):.2f}, "
          f"min_verify_speech {old[3]:.2f} -> {min_verify:.2f}")


if __name__ == "__main__":
    main()
