#!/usr/bin/env python3
"""gen_conf_example.py CALLPRINT > deploy/callprint.conf.example

Regenerates the example configuration from the binary's settings table (--help for the
descriptions and defaults, --check-config for the order), so that a new setting is documented
by rebuilding and running this. Build-specific default paths become the installed ones."""
import re
import subprocess
import sys

b = sys.argv[1]
helptext = subprocess.run([b, "--help"], capture_output=True, text=True).stdout
eff = subprocess.run([b, "--check-config"], capture_output=True, text=True, env={}, check=True).stdout
desc = {}
for m in re.finditer(r"^  (\w+) +(.*)\n +CALLPRINT_\w+ \(default: (.*?)\)( \[secret\])?$", helptext, re.M):
    desc[m.group(1)] = (m.group(2), m.group(3), bool(m.group(4)))
active = {"listen", "redis_url", "log_level", "shutdown_grace_s"}
print("""# callprint.conf -- example configuration for the callprint gateway.
#
# Use: callprint --config /etc/callprint/callprint.conf   (or CALLPRINT_CONFIG=FILE)
# Check: callprint --config FILE --check-config   (prints the effective settings, secrets masked)
#
# Format: one `name = value` per line; lines starting with # are comments; the value is the
# rest of the line, trimmed (wrap it in double quotes to keep spaces). Each setting may appear
# once. Every setting can also be given as the environment variable CALLPRINT_<NAME>, which
# wins over this file (so secrets can stay out of it: systemd EnvironmentFile=, Docker .env).
# Every setting is listed below with its description and default; uncomment to change it.
# Reference: docs/ops.md; `callprint --help` prints the same list.
""")
for line in eff.splitlines():
    if line.startswith("#"):
        continue
    n, v = line.split(" = ", 1)
    d, default, sec = desc[n]
    if sec:
        v = ""
    if n == "model":
        v = "/usr/share/callprint/models/callprint.model"
    if n == "spoof_model":
        v = "/usr/share/callprint/models/spoof.model"
    if n == "schemas_dir":
        v = "/usr/share/callprint/schemas"
    print("# %s%s" % (d, " (secret: prefer CALLPRINT_%s in the environment)" % n.upper() if sec else ""))
    print(("%s%s = %s" % ("" if n in active else "# ", n, v)).rstrip())
    print()
