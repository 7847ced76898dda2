#!/usr/bin/env python3
"""Reads a relu-patterns binary state file (format version 3, docs/state-format.md) with
nothing but the specification, the standard library and numpy, and prints, for every
pattern histogram state in it, its distinct patterns and entropy, and for every unit
statistics state, its dead units, as one JSON object.

    python3 read_state.py FILE
"""
import json
import math
import struct
import sys
import zlib

import numpy as np

MAGIC = b"RPSTATE\n"
TYPES = {
    "Int8Array": "<i1", "Uint8Array": "<u1", "Uint8ClampedArray": "<u1", "Int16Array": "<i2",
    "Uint16Array": "<u2", "Int32Array": "<i4", "Uint32Array": "<u4", "Float32Array": "<f4",
    "Float64Array": "<f8",
}
NUMBERS = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf, "-0": -0.0}


def read(data: bytes):
    """The value a state file holds: dicts, lists, numbers, strings, numpy arrays."""
    if data[:8] != MAGIC:
        raise ValueError("not a relu-patterns binary state")
    version, header_length = struct.unpack_from("<II", data, 8)
    if version != 3:
        raise ValueError(f"format version {version}; this reader reads 3")
    (crc,) = struct.unpack_from("<I", data, len(data) - 4)
    if zlib.crc32(data[:-4]) != crc:
        raise ValueError("checksum does not match")
    header = json.loads(data[16:16 + header_length].decode("utf-8"))
    if header["format"] != "relu-patterns" or header["bytes"] != len(data):
        raise ValueError("not a relu-patterns state, or a truncated one")
    # sections: known types, whole elements, each where the last one's padding ends, zero padding
    sections = []
    at = (16 + header_length + 7) & ~7
    end = len(data) - 4
    if any(data[16 + header_length:at]):
        raise ValueError("non-zero padding after the header")
    for t, offset, length in header["sections"]:
        size = np.dtype(TYPES[t]).itemsize
        if offset != at or length % size != 0 or offset + length > end:
            raise ValueError("a section out of place")
        sections.append(np.frombuffer(data, dtype=TYPES[t], count=length // size, offset=offset))
        at = (offset + length + 7) & ~7
        if any(data[offset + length:at]):
            raise ValueError("non-zero padding after a section")
    if at != end:
        raise ValueError("bytes between the last section and the checksum")
    used = [0] * len(sections)

    def decode(v, depth=0):
        if depth > 512:
            raise ValueError("nesting deeper than 512 levels")
        if isinstance(v, list):
            return [decode(x, depth + 1) for x in v]
        if not isinstance(v, dict):
            return v
        if "$section" in v:
            if len(v) != 1 or used[v["$section"]]:
                raise ValueError("a malformed or repeated section reference")
            used[v["$section"]] = 1
            return sections[v["$section"]]
        if "$number" in v:
            return NUMBERS[v["$number"]]
        out = {}
        for k, x in v.items():
            if k.startswith("$") and not k.startswith("$$"):
                raise ValueError(f"an unknown tag {k}")
            # a key of the data that starts with $ was written with one more $ in front
            out[k[1:] if k.startswith("$") else k] = decode(x, depth + 1)
        return out

    value = decode(header["data"])
    if not all(used):
        raise ValueError("a section no value uses")
    return value


def histogram(state):
    """Distinct patterns and entropy in bits of a patternHistogram state, from its counts."""
    counts = state["table"]["counts"]
    counts = counts[counts > 0]
    rows = state["rows"]
    exact = state["untracked"] == 0
    entropy = float(math.log2(rows) - np.sum(counts * np.log2(counts)) / rows) if rows > 0 else 0.0
    return {"distinct": int(counts.size), "entropy": max(entropy, 0.0) if exact else None, "exact": exact}


def unit_stats(state):
    """Units never on, of a unitStats state."""
    return {"units": state["units"], "rows": state["rows"], "dead": int(np.sum(state["on"] == 0)) if state["rows"] > 0 else 0}


def walk(value, path, out):
    if isinstance(value, dict):
        if "table" in value and "untracked" in value and "rows" in value:
            out[path] = histogram(value)
            return
        if "on" in value and "units" in value and "rows" in value and "nonFinite" in value:
            out[path] = unit_stats(value)
            return
        for k, v in value.items():
            walk(v, f"{path}/{k}" if path else k, out)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            walk(v, f"{path}/{i}", out)


if __name__ == "__main__":
    with open(sys.argv[1], "rb") as f:
        found = {}
        walk(read(f.read()), "", found)
    print(json.dumps(found, indent=1, sort_keys=True))
