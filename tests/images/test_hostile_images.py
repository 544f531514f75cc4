"""Images made to cost far more to decode than their size suggests: a JPEG whose colours come
in scans of their own, thousands of empty progressive scans, a PNG of countless empty chunks.
Each is refused before it is decoded; ordinary photos are not."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image, ImageFile

from qa_portal.images import MAX_JPEG_SCANS, MAX_PNG_CHUNKS, process_document_image, process_photo
from qa_portal.storage import JPEG, PNG, UploadRefused
from tests.images.samples import png_16bit_rgba, png_chunk

LIMIT = 20 * 1024 * 1024


def segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


def jpeg_with_a_scan_per_colour(width: int, height: int) -> bytes:
    """A baseline JPEG of one flat colour whose three components come in three scans, one
    after the other (as a JPEG may), so that libjpeg keeps every coefficient of the image.
    Every block is two bits (no DC change, end of block), so 49 megapixels are 600 KB."""
    quantisation = segment(0xDB, b"\x00" + bytes([1] * 64))
    frame = segment(
        0xC0,
        struct.pack(">BHHB", 8, height, width, 3)
        + b"".join(bytes([component, 0x11, 0]) for component in (1, 2, 3)),
    )
    # One Huffman code, one bit long, in each table: DC "no change" and AC "end of block".
    tables = segment(0xC4, b"\x00" + bytes([1] + [0] * 15) + b"\x00") + segment(
        0xC4, b"\x10" + bytes([1] + [0] * 15) + b"\x00"
    )
    blocks = -(-width // 8) * -(-height // 8)
    scan_data = bytes(blocks * 2 // 8) + (b"\x3f" if blocks % 4 else b"")
    scans = b"".join(
        segment(0xDA, bytes([1, component, 0x00, 0, 63, 0])) + scan_data for component in (1, 2, 3)
    )
    return b"\xff\xd8" + quantisation + frame + tables + scans + b"\xff\xd9"


def decodes(monkeypatch) -> list[int]:
    """A list that grows each time Pillow starts decoding pixels."""
    calls: list[int] = []
    load = ImageFile.ImageFile.load

    def counted(self):
        calls.append(1)
        return load(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", counted)
    return calls


def test_the_hand_made_jpeg_is_a_real_image():
    picture = process_photo(jpeg_with_a_scan_per_colour(640, 480), max_bytes=LIMIT)
    assert (picture.width, picture.height) == (640, 480)


def test_a_jpeg_with_a_scan_per_colour_counts_the_coefficients_it_keeps(monkeypatch):
    # 49 megapixels in 600 KB: decoded at an eighth of each side the pixels are 3 MB, but
    # libjpeg holds 294 MB of coefficients while the scans arrive.
    data = jpeg_with_a_scan_per_colour(7000, 7000)
    assert len(data) < 700 * 1024
    decoded = decodes(monkeypatch)
    with pytest.raises(UploadRefused, match="too large to process"):
        process_photo(data, max_bytes=LIMIT)
    with pytest.raises(UploadRefused, match="too large to process"):
        process_document_image(data, JPEG)
    assert decoded == []


def progressive_jpeg_with_repeated_scans(copies: int) -> bytes:
    """A small flat progressive JPEG whose scans are repeated: libjpeg decodes every one."""
    buffer = io.BytesIO()
    Image.new("RGB", (256, 256), (90, 140, 60)).save(buffer, "JPEG", progressive=True)
    data = buffer.getvalue()
    first = data.find(b"\xff\xda")
    return data[:first] + data[first:-2] * copies + b"\xff\xd9"


def test_a_jpeg_of_endless_scans_is_refused_before_it_is_decoded(monkeypatch):
    ordinary = progressive_jpeg_with_repeated_scans(1)
    assert process_photo(ordinary, max_bytes=LIMIT).width == 256
    copies = MAX_JPEG_SCANS // ordinary.count(b"\xff\xda") + 1
    decoded = decodes(monkeypatch)
    with pytest.raises(UploadRefused, match="could not be read"):
        process_photo(progressive_jpeg_with_repeated_scans(copies), max_bytes=LIMIT)
    assert decoded == []


def png_of_empty_chunks(count: int) -> bytes:
    header = png_chunk(b"IHDR", struct.pack(">IIBBBBB", 64, 64, 8, 2, 0, 0, 0))
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), "teal").save(buffer, "PNG")
    pixels = buffer.getvalue()
    start = pixels.find(b"IDAT") - 4
    end = pixels.find(b"IEND") - 4
    return (
        b"\x89PNG\r\n\x1a\n"
        + header
        + png_chunk(b"IDAT", b"") * count
        + pixels[start:end]
        + png_chunk(b"IEND", b"")
    )


def test_a_png_of_countless_empty_chunks_is_refused_before_it_is_decoded(monkeypatch):
    assert process_photo(png_of_empty_chunks(100), max_bytes=LIMIT).width == 64
    data = png_of_empty_chunks(MAX_PNG_CHUNKS)
    decoded = decodes(monkeypatch)
    with pytest.raises(UploadRefused, match="could not be read"):
        process_photo(data, max_bytes=LIMIT)
    with pytest.raises(UploadRefused, match="could not be read"):
        process_document_image(data, PNG)
    assert decoded == []


def sixteen_bit_png_with_a_chunk_first(kind: bytes) -> bytes:
    data = png_16bit_rgba(5000)
    return data[:8] + png_chunk(kind, struct.pack(">IIBBBBB", 5000, 5000, 8, 6, 0, 0, 0)) + data[8:]


@pytest.mark.parametrize("kind", [b"prIv", b"IHDR"], ids=["private-chunk", "second-header"])
def test_a_png_whose_header_is_not_its_only_first_chunk_is_refused_before_decoding(
    monkeypatch, kind
):
    """25 megapixels of 16-bit samples (200 MB to decode) behind a chunk that would make
    the header read as if the samples were 8-bit, within the budget."""
    decoded = decodes(monkeypatch)
    with pytest.raises(UploadRefused):
        process_photo(sixteen_bit_png_with_a_chunk_first(kind), max_bytes=LIMIT)
    assert decoded == []
