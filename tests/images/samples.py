"""Images made for the tests and the bench that would be slow or awkward to make with Pillow."""

from __future__ import annotations

import struct
import zlib

_ROWS_PER_BLOCK = 64


def png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_16bit_rgba(side: int) -> bytes:
    """A side x side PNG of 16-bit RGBA samples that compresses to almost nothing: the first
    row a gradient, every other row filtered as "the same as the row above". At 7,745 pixels
    it is about half a megabyte of file for 480 MB of samples.

    Made quickly: after a full flush deflate refers to nothing before it, so one compressed
    block of identical rows is repeated as it is, and only the checksum sees every row."""
    first = b"\x00" + b"".join(
        struct.pack(">HHHH", x * 8 % 65536, 65535 - x * 8 % 65536, 32768, 65535)
        for x in range(side)
    )
    same_as_above = b"\x02" + bytes(len(first) - 1)
    blocks, rest = divmod(side - 1, _ROWS_PER_BLOCK)
    deflated = [_raw_deflate(first), _raw_deflate(same_as_above * _ROWS_PER_BLOCK) * blocks]
    final = zlib.compressobj(9, zlib.DEFLATED, -15).flush()  # an empty last block
    deflated += [_raw_deflate(same_as_above * rest), final]
    checksum = zlib.adler32(first)
    block = same_as_above * _ROWS_PER_BLOCK
    for _ in range(blocks):
        checksum = zlib.adler32(block, checksum)
    checksum = zlib.adler32(same_as_above * rest, checksum)
    stream = b"\x78\xda" + b"".join(deflated) + struct.pack(">I", checksum)
    header = struct.pack(">IIBBBBB", side, side, 16, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", header)
        + png_chunk(b"IDAT", stream)
        + png_chunk(b"IEND", b"")
    )


def _raw_deflate(data: bytes) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, -15)
    return packer.compress(data) + packer.flush(zlib.Z_FULL_FLUSH)
