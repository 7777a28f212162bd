#!/usr/bin/python3
"""validate_payloads.py PROGRAM SCHEMAS_DIR -- every webhook body printed by PROGRAM
("<schema>\t<json>" lines) must validate against SCHEMAS_DIR/webhook/<schema>.schema.json,
and every webhook schema must be exercised. Exit status 0 only when all pass."""
import json
import pathlib
import subprocess
import sys

import jsonschema


def main():
    prog, root = sys.argv[1], pathlib.Path(sys.argv[2]) / "webhook"
    validators = {p.name[: -len(".schema.json")]:
                  jsonschema.Draft202012Validator(json.loads(p.read_text()))
                  for p in sorted(root.glob("*.schema.json"))}
    out = subprocess.run([prog], check=True, capture_output=True, text=True).stdout
    failures, seen = 0, set()
    for i, line in enumerate(l for l in out.splitlines() if l):
        name, _, text = line.partition("\t")
        seen.add(name)
        errors = [e.message for e in validators[name].iter_errors(json.loads(text))]
        if errors:
            failures += 1
            print(f"FAIL message {i} ({name}): {errors}")
    for name in validators:
        if name not in seen:
            failures += 1
            print(f"FAIL no message for schema {name}")
    print(f"validate_payloads: {len(validators)} schemas, {failures} failures")
    return 1 if failures or len(validators) < 3 else 0


if __name__ == "__main__":
    sys.exit(main())
