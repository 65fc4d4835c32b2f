"""Tiny but valid images for article figures, made without an imaging library."""

from __future__ import annotations

import struct


def _segment(marker: int, payload: bytes) -> bytes:
    return struct.pack(">HH", marker, len(payload) + 2) + payload


def solid_jpeg(shade: int) -> bytes:
    """An 8x8 baseline greyscale JPEG of one grey level (0-255).

    A flat 8x8 block has only a DC coefficient, 8 * (shade - 128) with an all-ones quantisation table, so
    the entropy-coded data is one DC difference and an end-of-block; each Huffman table holds one symbol.
    """
    dc = 8 * (max(0, min(255, shade)) - 128)
    size = abs(dc).bit_length()  # JPEG "category" of the DC difference
    value = dc if dc >= 0 else dc + (1 << size) - 1  # negative values are stored one's-complement
    bits = "0" + (format(value, f"0{size}b") if size else "") + "0"  # DC code, DC bits, EOB code
    bits += "1" * (-len(bits) % 8)  # pad the last byte with ones
    scan = bytearray()
    for i in range(0, len(bits), 8):
        byte = int(bits[i:i + 8], 2)
        scan.append(byte)
        if byte == 0xFF:
            scan.append(0)  # byte stuffing
    one_code = bytes([1] + [0] * 15)  # one code of length 1
    return b"".join((
        b"\xff\xd8",
        _segment(0xFFE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"),
        _segment(0xFFDB, b"\x00" + b"\x01" * 64),
        _segment(0xFFC0, struct.pack(">BHHB", 8, 8, 8, 1) + b"\x01\x11\x00"),
        _segment(0xFFC4, b"\x00" + one_code + bytes([size])),
        _segment(0xFFC4, b"\x10" + one_code + b"\x00"),
        _segment(0xFFDA, b"\x01\x01\x00\x00\x3f\x00"),
        bytes(scan),
        b"\xff\xd9",
    ))
