#!/usr/bin/env python3
"""An independent reader of TensorBoard event files (standard library only).

Checks every record's framing (length, masked CRC-32C of the length and of the data) and
decodes the Event, Summary, Value and HistogramProto fields TensorBoard's schema defines
(tensorboard/compat/proto/event.proto and summary.proto). Prints the events as JSON.
Written apart from the library's writer: it shares no code with it.
"""
import json
import struct
import sys


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
    return crc ^ 0xFFFFFFFF


def masked(data):
    crc = crc32c(data)
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def fields(buf):
    """(field number, wire type, value) of one message: ints, raw 8/4 byte strings, bytes."""
    out, i = [], 0
    while i < len(buf):
        key, i = varint(buf, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(buf, i)
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        elif wire == 2:
            length, i = varint(buf, i)
            value, i = buf[i:i + length], i + length
        else:
            raise ValueError("unsupported wire type %d" % wire)
        out.append((number, wire, value))
    return out


def varint(buf, i):
    result, shift = 0, 0
    while True:
        b = buf[i]
        i += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, i
        shift += 7


def histo(buf):
    h = {"bucket_limit": [], "bucket": []}
    names = {1: "min", 2: "max", 3: "num", 4: "sum", 5: "sum_squares"}
    for number, wire, value in fields(buf):
        if number in names and wire == 1:
            h[names[number]] = struct.unpack("<d", value)[0]
        elif number in (6, 7) and wire == 2:
            key = "bucket_limit" if number == 6 else "bucket"
            h[key] += [x[0] for x in struct.iter_unpack("<d", value)]
    return h


def value(buf):
    v = {}
    for number, wire, raw in fields(buf):
        if number == 1:
            v["tag"] = raw.decode("utf-8")
        elif number == 2 and wire == 5:
            v["simple_value"] = struct.unpack("<f", raw)[0]
        elif number == 5:
            v["histo"] = histo(raw)
    return v


def event(buf):
    e = {}
    for number, wire, raw in fields(buf):
        if number == 1 and wire == 1:
            e["wall_time"] = struct.unpack("<d", raw)[0]
        elif number == 2 and wire == 0:
            e["step"] = raw
        elif number == 3:
            e["file_version"] = raw.decode("utf-8")
        elif number == 5:
            e["values"] = [value(v) for n, _, v in fields(raw) if n == 1]
    return e


def read(path):
    data = open(path, "rb").read()
    events, i = [], 0
    while i < len(data):
        header = data[i:i + 8]
        (length,) = struct.unpack("<Q", header)
        (header_crc,) = struct.unpack("<I", data[i + 8:i + 12])
        if header_crc != masked(header):
            raise ValueError("bad length CRC at byte %d" % i)
        body = data[i + 12:i + 12 + length]
        (body_crc,) = struct.unpack("<I", data[i + 12 + length:i + 16 + length])
        if len(body) != length or body_crc != masked(body):
            raise ValueError("bad data CRC at byte %d" % i)
        events.append(event(body))
        i += 16 + length
    return events


if __name__ == "__main__":
    json.dump([read(p) for p in sys.argv[1:]], sys.stdout)
