#!/usr/bin/env python3
"""Golden fixtures for kimi-sft's JSONSerializer and PythonFloat: what Python's json.dumps and
repr(float) produce. Run by hand (any Python 3):
    python3 scripts/golden/make_json_fixtures.py
Writes Tests/StorageTests/Fixtures/json/python-dumps.json."""
import json, math, os, random

floats = [0.0, -0.0, 1.0, -1.5, 0.1, 0.0001, 0.00001, 1e-7, 123.456, 1e15, 1e16, 1.5e16, 2.0**53,
          1e22, 1e-300, 5e-324, 1.7976931348623157e308, 3.141592653589793, 100.0, 12345678901234567890.0,
          2.5e-5, 0.3, 1/3, 2/3, 1e100, 9.999999999999999e15, 123456789012345.6]
rng = random.Random(7)
for _ in range(200):
    floats.append(rng.uniform(-1, 1) * 10 ** rng.randint(-30, 30))
values = [
    {"b": 1, "a": [1, 2.0, "x"], "c": None, "d": True, "e": {}},
    ["é", "中文", "emoji 😀", "quote \" backslash \\ slash /", "ctl \u0001\u001f\b\f\n\r\t", "\u007f\u2028", ""],
    {"nested": {"list": [[], {}, [1, [2, [3]]]], "num": -0.0, "big": 10**15}},
    [1e-05, 1e16, 0.5, -3, 12345678901234],
]
# Non-finite floats are covered by the "floats" list (NaN/Infinity are not RFC 8259 input).
floats += [float("nan"), float("inf"), -float("inf")]
out = {
    "floats": [{"bits": float.hex(f), "repr": repr(f), "json": json.dumps(f)} for f in floats],
    "documents": [
        {
            "source": json.dumps(v, ensure_ascii=True),
            "compact": json.dumps(v, ensure_ascii=False),
            "tight": json.dumps(v, ensure_ascii=False, separators=(",", ":")),
            "indent2": json.dumps(v, ensure_ascii=False, indent=2),
            "ascii": json.dumps(v),
            "sorted": json.dumps(v, ensure_ascii=False, sort_keys=True),
        }
        for v in values
    ],
}
path = os.path.join(os.path.dirname(__file__), "../../Tests/StorageTests/Fixtures/json/python-dumps.json")
with open(path, "w") as f:
    json.dump(out, f, indent=1)
print("wrote", os.path.normpath(path))
