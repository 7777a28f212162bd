#!/usr/bin/python3
"""validate_output.py SCHEMAS_DIR FILE -- validate what the gateway really sent.

FILE holds one "<schema>\t<json>" line per message a test received from the gateway
(schema = a file name under SCHEMAS_DIR/stream without .schema.json). Every line must
validate; exit status 0 only then. Used by the gateway integration tests.
"""
import json
import pathlib
import sys

import jsonschema


def main():
    root, path = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
    validators, failures, n = {}, 0, 0
    for line in path.read_text().splitlines():
        if not line.strip():
            continue
        name, text = line.split("\t", 1)
        if name not in validators:
            schema = json.loads((root / "stream" / f"{name}.schema.json").read_text())
            validators[name] = jsonschema.Draft202012Validator(schema)
        errs = [e.message for e in validators[name].iter_errors(json.loads(text))]
        n += 1
        if errs:
            failures += 1
            print(f"{name}: {text}: {'; '.join(errs[:3])}", file=sys.stderr)
    print(f"validate_output: {n} messages, {failures} invalid")
    return 1 if failures or n == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
