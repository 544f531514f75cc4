"""Evidence photos: what process_photo keeps (the picture, upright and within size limits), what
it drops (EXIF with the GPS position, XMP, IPTC, comments, profiles) and the uploads it refuses."""

from __future__ import annotations

import dataclasses
import io
import os
import struct
import zlib

import pytest
from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageFile
from pypdf import PdfWriter

from qa_portal import images
from qa_portal.images import ProcessedPhoto, has_metadata, process_photo
from qa_portal.storage import UploadRefused
from tests.images.samples import png_16bit_rgba

MB = 1024 * 1024
LIMIT = 20 * MB
GPS_IFD = ExifTags.IFD.GPSInfo
RED_CORNER = 400  # a solid red square in the stored image's top-left corner
XMP = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF '
    b'xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description '
    b'xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="52,38.0N" '
    b'exif:GPSLongitude="1,17.0W"/></rdf:RDF></x:xmpmeta>'
)
IPTC = (
    b"\xff\xed" + struct.pack(">H", 2 + 14 + 12) + b"Photoshop 3.0\x00" + b"8BIM\x04\x04" + bytes(6)
)


def encode(img: Image.Image, image_format: str = "JPEG", **params) -> bytes:
    buffer = io.BytesIO()
    img.save(buffer, image_format, **params)
    return buffer.getvalue()


def noise(size: tuple[int, int], sigma: float = 40) -> Image.Image:
    return Image.effect_noise(size, sigma)


def camera_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Orientation] = 6  # stored landscape; shown turned 90 degrees clockwise
    gps = exif.get_ifd(GPS_IFD)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 38.0, 0.0)
    gps[ExifTags.GPS.GPSLongitudeRef] = "W"
    gps[ExifTags.GPS.GPSLongitude] = (1.0, 17.0, 0.0)
    return exif


@pytest.fixture(scope="module")
def camera_jpeg() -> bytes:
    """A 12 MP (4000x3000) phone photo: noisy enough not to compress away, with EXIF (GPS and
    Orientation 6), XMP, IPTC, a comment and an sRGB colour profile."""
    size = (4000, 3000)
    gradients = (Image.linear_gradient("L").resize(size), Image.radial_gradient("L").resize(size))
    img = Image.merge("RGB", (noise(size), *gradients))
    img.paste((255, 0, 0), (0, 0, RED_CORNER, RED_CORNER))
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encode(
        img,
        quality=92,
        exif=camera_exif(),
        xmp=XMP,
        comment=b"Taken at 10 Example Street",
        icc_profile=srgb,
        extra=IPTC,
    )


@pytest.fixture(scope="module")
def processed(camera_jpeg) -> ProcessedPhoto:
    return process_photo(camera_jpeg, max_bytes=LIMIT)


def refusal(data: bytes, max_bytes: int = LIMIT) -> str:
    with pytest.raises(UploadRefused) as caught:
        process_photo(data, max_bytes=max_bytes)
    return caught.value.message


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims a huge 1-bit image."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    pixels = zlib.compress(b"")
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )


def test_the_camera_photo_really_carries_a_position_and_an_orientation(camera_jpeg):
    with Image.open(io.BytesIO(camera_jpeg)) as img:
        assert img.size == (4000, 3000)
        exif = img.getexif()
        assert exif[ExifTags.Base.Orientation] == 6
        gps = exif.get_ifd(GPS_IFD)
        assert gps[ExifTags.GPS.GPSLatitudeRef] == "N"
        assert tuple(gps[ExifTags.GPS.GPSLatitude]) == (52, 38, 0)
        assert img.info["comment"] == b"Taken at 10 Example Street"
        assert img.info["icc_profile"]
    assert b"Exif" in camera_jpeg and b"GPS" in camera_jpeg
    assert has_metadata(camera_jpeg)


def test_camera_photo_is_turned_upright_and_shrunk(processed):
    with Image.open(io.BytesIO(processed.image)) as img:
        assert img.format == "JPEG"
        assert img.size == (processed.width, processed.height) == (1200, 1600)
        img.load()
        # Orientation 6 turns the stored top-left corner to the top right.
        red, green, blue = img.getpixel((img.width - 60, 60))
        assert red > 200 and green < 60 and blue < 60
        red, green, blue = img.getpixel((60, 60))
        assert not (red > 200 and green < 60 and blue < 60)
    assert processed.content_type == "image/jpeg"
    assert len(processed.image) <= 350 * 1024


@pytest.mark.parametrize(
    ("orientation", "size", "red_at"),
    [
        (1, (1600, 1200), "top left"),
        (3, (1600, 1200), "bottom right"),  # phone held upside down
        (6, (1200, 1600), "top right"),  # portrait, as most phones store it
        (8, (1200, 1600), "bottom left"),  # portrait, turned the other way
    ],
)
def test_photos_come_out_upright_however_the_phone_was_held(orientation, size, red_at):
    stored = Image.merge("RGB", [noise((3200, 2400), 20)] * 3)
    stored.paste((255, 0, 0), (0, 0, RED_CORNER, RED_CORNER))
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = orientation

    photo = process_photo(encode(stored, quality=90, exif=exif), max_bytes=LIMIT)

    with Image.open(io.BytesIO(photo.image)) as img:
        assert img.size == (photo.width, photo.height) == size
        corners = {
            "top left": (60, 60),
            "top right": (img.width - 60, 60),
            "bottom left": (60, img.height - 60),
            "bottom right": (img.width - 60, img.height - 60),
        }
        for corner, xy in corners.items():
            red, green, blue = img.getpixel(xy)
            assert (red > 200 and green < 60 and blue < 60) is (corner == red_at), corner


def test_camera_photo_loses_every_piece_of_metadata(processed):
    for jpeg in (processed.image, processed.thumbnail):
        with Image.open(io.BytesIO(jpeg)) as img:
            assert not img.getexif()
            assert not {"exif", "xmp", "comment", "icc_profile"} & img.info.keys()
        assert not has_metadata(jpeg)
        for secret in (b"Exif", b"GPS", b"http://ns.adobe.com", b"Photoshop", b"Example Street"):
            assert secret not in jpeg
        assert b"\xff\xe1" not in jpeg.split(b"\xff\xda", 1)[0]  # no APP1 before the first scan


def test_outputs_are_plain_8_bit_rgb_jpegs_that_decode_fully(processed):
    for jpeg in (processed.image, processed.thumbnail):
        with Image.open(io.BytesIO(jpeg)) as img:
            img.load()
            assert (img.format, img.mode) == ("JPEG", "RGB")
            assert img.getbbox() is not None


def test_thumbnail_is_small_and_the_same_way_up(processed):
    with Image.open(io.BytesIO(processed.thumbnail)) as thumb:
        assert thumb.size == (240, 320)
        red, green, blue = thumb.getpixel((thumb.width - 10, 10))
        assert red > 200 and green < 60 and blue < 60
    assert len(processed.thumbnail) < len(processed.image)


def test_a_noisy_photo_is_squeezed_under_the_size_limit():
    size = (1600, 1200)
    jpeg = encode(Image.merge("RGB", [noise(size, 100) for _ in range(3)]), quality=95)
    assert len(jpeg) > 350 * 1024

    photo = process_photo(jpeg, max_bytes=LIMIT)

    assert len(photo.image) <= 350 * 1024
    with Image.open(io.BytesIO(photo.image)) as img:
        assert img.size == (photo.width, photo.height)
        assert max(img.size) <= 1600
        assert img.width / img.height == pytest.approx(4 / 3, rel=0.01)
    assert not has_metadata(photo.image)


def test_png_with_alpha_is_flattened_onto_white_and_not_upscaled():
    img = Image.new("RGBA", (800, 600), (0, 0, 0, 0))
    img.paste((0, 90, 200, 255), (400, 0, 800, 600))  # left half transparent, right half blue

    photo = process_photo(encode(img, "PNG"), max_bytes=LIMIT)

    assert (photo.width, photo.height) == (800, 600)
    with Image.open(io.BytesIO(photo.image)) as out:
        assert (out.format, out.mode, out.size) == ("JPEG", "RGB", (800, 600))
        assert all(channel >= 250 for channel in out.getpixel((100, 300)))
        red, green, blue = out.getpixel((700, 300))
        assert red < 20 and 70 < green < 110 and 180 < blue < 220
    with Image.open(io.BytesIO(photo.thumbnail)) as thumb:
        assert thumb.size == (320, 240)


def test_palette_png_transparency_becomes_white():
    img = Image.new("P", (300, 200), 1)
    img.putpalette([0, 0, 0, 255, 0, 0])
    photo = process_photo(encode(img, "PNG", transparency=1), max_bytes=LIMIT)
    with Image.open(io.BytesIO(photo.image)) as out:
        assert all(channel >= 250 for channel in out.getpixel((150, 100)))


def test_16_bit_grey_png_keeps_its_tones():
    img = Image.new("I;16", (200, 100), 0x8000)
    photo = process_photo(encode(img, "PNG"), max_bytes=LIMIT)
    with Image.open(io.BytesIO(photo.image)) as out:
        assert all(120 <= channel <= 136 for channel in out.getpixel((100, 50)))


def test_webp_is_accepted():
    img = Image.merge("RGB", [noise((2400, 1800)) for _ in range(3)])
    photo = process_photo(encode(img, "WEBP", quality=80), max_bytes=LIMIT)
    assert (photo.width, photo.height) == (1600, 1200)
    assert not has_metadata(photo.image)


def s15_fixed16(value: float) -> bytes:
    return struct.pack(">i", round(value * 65536))


def xyz_tag(x: float, y: float, z: float) -> bytes:
    return b"XYZ " + bytes(4) + s15_fixed16(x) + s15_fixed16(y) + s15_fixed16(z)


def display_p3_profile() -> bytes:
    """A minimal ICC v2 matrix/curve profile with Display P3's primaries (as iPhones embed),
    written by hand since Pillow can only make sRGB, Lab and XYZ profiles."""
    text = b"Display P3 (test)\x00"
    desc = b"desc" + bytes(4) + struct.pack(">I", len(text)) + text + bytes(4 + 4 + 2 + 1 + 67)
    curve = b"curv" + bytes(4) + struct.pack(">IH", 1, 563) + bytes(2)  # gamma 2.2 in u8Fixed8
    tags = [
        (b"desc", desc),
        (b"wtpt", xyz_tag(0.9642, 1.0, 0.8249)),
        (b"rXYZ", xyz_tag(0.5151, 0.2412, -0.0011)),
        (b"gXYZ", xyz_tag(0.2920, 0.6922, 0.0419)),
        (b"bXYZ", xyz_tag(0.1571, 0.0666, 0.7841)),
        (b"rTRC", curve),
        (b"gTRC", curve),
        (b"bTRC", curve),
    ]
    offset = 128 + 4 + 12 * len(tags)
    table, body = b"", b""
    for signature, data in tags:
        data += bytes(-len(data) % 4)
        table += signature + struct.pack(">II", offset + len(body), len(data))
        body += data
    header = struct.pack(">I4sI", offset + len(body), bytes(4), 0x02100000)
    header += b"mntrRGB XYZ " + bytes(12) + b"acsp" + bytes(28)
    header += s15_fixed16(0.9642) + s15_fixed16(1.0) + s15_fixed16(0.8249)
    return header.ljust(128, b"\x00") + struct.pack(">I", len(tags)) + table + body


def test_wide_gamut_colours_are_converted_to_srgb_before_the_profile_is_dropped():
    img = Image.new("RGB", (64, 64), (200, 90, 60))
    with_profile = process_photo(encode(img, icc_profile=display_p3_profile()), max_bytes=LIMIT)
    without = process_photo(encode(img), max_bytes=LIMIT)

    assert not has_metadata(with_profile.image)
    with Image.open(io.BytesIO(with_profile.image)) as out:
        # The same orange in sRGB needs more red and less green and blue (about 216, 79, 43).
        red, green, blue = out.getpixel((32, 32))
        assert red >= 210 and green <= 85 and blue <= 50
    with Image.open(io.BytesIO(without.image)) as out:
        assert out.getpixel((32, 32)) == pytest.approx((200, 90, 60), abs=4)


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_a_damaged_colour_profile_or_exif_block_does_not_cost_the_photo():
    img = Image.new("RGB", (640, 480), (10, 120, 30))
    jpeg = encode(img, icc_profile=b"not a profile", exif=b"Exif\x00\x00MM\x00*garbage")
    photo = process_photo(jpeg, max_bytes=LIMIT)
    assert (photo.width, photo.height) == (640, 480)
    assert not has_metadata(photo.image)


def blank_pdf() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(72, 72)
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The selected file is empty"),
        (b"MZ\x90\x00" + bytes(200), images.NOT_A_PHOTO),
        (os.urandom(4096), images.NOT_A_PHOTO),
        (blank_pdf(), images.NOT_A_PHOTO),
        (b"GIF89a" + bytes(100), images.NOT_A_PHOTO),
        (b"\x00\x00\x00\x18ftypheic" + bytes(100), images.HEIC_UNREADABLE),
        (b"\xff\xd8\xff\xe0 not really a jpeg", images.UNREADABLE),
    ],
    ids=["empty", "exe", "random", "pdf", "gif", "heic", "fake-jpeg"],
)
def test_uploads_that_are_not_readable_photos_are_refused(data, message):
    assert refusal(data) == message


def test_the_refusal_messages_read_well():
    assert images.NOT_A_PHOTO == "The selected file must be a photo: JPG, PNG, WebP or HEIC"
    assert images.HEIC_UNREADABLE == (
        "HEIC photos cannot be read yet: set the camera to 'Most compatible' (JPG)"
    )


def test_a_truncated_jpeg_is_refused(camera_jpeg):
    assert refusal(camera_jpeg[: len(camera_jpeg) // 2]) == images.UNREADABLE


def test_a_photo_over_the_byte_limit_is_refused(camera_jpeg):
    assert refusal(camera_jpeg, max_bytes=2 * MB) == "The photo must be smaller than 2 MB"
    assert process_photo(camera_jpeg, max_bytes=len(camera_jpeg)).width == 1200


@pytest.mark.parametrize("side", [30_000, 8_000], ids=["over-pillow-limit", "over-portal-limit"])
def test_a_decompression_bomb_is_refused_before_decoding(side):
    assert refusal(png_claiming(side, side)) == (
        "The photo is too large: it must be at most 60 megapixels"
    )


def test_the_pixel_limit_applies_to_real_images(monkeypatch):
    jpeg = encode(Image.new("RGB", (300, 200), "grey"))
    monkeypatch.setattr(images, "MAX_PIXELS", 50_000)
    assert refusal(jpeg) == "The photo is too large: it must be at most 0 megapixels"
    monkeypatch.setattr(images, "MAX_PIXELS", 60_000)
    assert process_photo(jpeg, max_bytes=LIMIT).width == 300


def test_processed_photo_is_frozen_and_keeps_its_bytes_out_of_repr(processed):
    with pytest.raises(dataclasses.FrozenInstanceError):
        processed.width = 1  # type: ignore[misc]
    assert "image=" not in repr(processed) and "1200" in repr(processed)


def test_has_metadata_spots_each_kind_of_segment():
    plain = encode(Image.new("RGB", (16, 16), "white"))
    assert not has_metadata(plain)
    assert has_metadata(encode(Image.new("RGB", (16, 16)), comment=b"hello"))
    assert has_metadata(encode(Image.new("RGB", (16, 16)), exif=camera_exif()))
    assert has_metadata(encode(Image.new("RGB", (16, 16)), xmp=XMP))
    assert has_metadata(encode(Image.new("RGB", (16, 16)), extra=IPTC))
    assert has_metadata(plain + b"trailing secrets")


@pytest.mark.parametrize("data", [b"", b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff\xe0\x00\x10JF"])
def test_has_metadata_refuses_what_is_not_a_jpeg(data):
    with pytest.raises(ValueError, match="JPEG"):
        has_metadata(data)


def test_a_truncated_jpeg_is_refused_even_after_weasyprint_is_loaded(camera_jpeg):
    import weasyprint  # noqa: F401  (it makes Pillow accept truncated images process-wide)

    assert refusal(camera_jpeg[: len(camera_jpeg) // 2]) == images.UNREADABLE


def test_bytes_after_the_end_of_a_jpeg_do_not_make_it_unreadable(camera_jpeg):
    # Some phones append data after the image; the photo itself is whole.
    assert process_photo(camera_jpeg + bytes(10_000), max_bytes=len(camera_jpeg) * 2).width


# Decoding bounded by bytes, not only pixels


def test_a_16_bit_png_of_60_megapixels_is_refused_before_any_pixel_is_decoded(monkeypatch):
    """Half a megabyte of file, 7,745 pixels square: under the pixel limit, but 480 MB of
    16-bit samples to decode."""
    data = png_16bit_rgba(7745)
    assert len(data) < 600 * 1024

    def decode(self):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", decode)
    assert refusal(data) == (
        "The photo is too large to process: save it at 13.1 megapixels or fewer and send it again"
    )


def test_16_bit_samples_count_double():
    assert refusal(png_16bit_rgba(3700)).startswith("The photo is too large to process")
    eight_bit = Image.new("RGBA", (3700, 3700), (10, 120, 200, 255))
    assert process_photo(encode(eight_bit, "PNG", compress_level=1), max_bytes=LIMIT).width == 1600


def test_a_12_megapixel_png_screenshot_is_still_processed():
    screenshot = Image.new("RGB", (4000, 3000), "white")
    ImageDraw.Draw(screenshot).rectangle((100, 100, 3900, 140), fill=(0, 0, 0))
    photo = process_photo(encode(screenshot, "PNG", compress_level=1), max_bytes=LIMIT)
    assert (photo.width, photo.height) == (1600, 1200)


def test_a_progressive_jpeg_counts_the_coefficients_it_keeps(monkeypatch):
    # At 2000 x 1500, decoded whole: 12 MB of pixels; progressive, 4:4:4, 18 MB more.
    monkeypatch.setattr(images, "MAX_DECODING_BYTES", 20_000_000)
    picture = Image.new("RGB", (2000, 1500), "grey")
    assert process_photo(encode(picture, subsampling=0), max_bytes=LIMIT).width == 1600
    progressive = encode(picture, subsampling=0, progressive=True)
    assert refusal(progressive).startswith("The photo is too large to process")


def test_a_large_jpeg_is_decoded_reduced_within_the_budget(monkeypatch):
    # 6400 x 4800 pixels decode at a quarter of each side: 7.7 MB, not 123 MB.
    monkeypatch.setattr(images, "MAX_DECODING_BYTES", 10_000_000)
    photo = process_photo(encode(Image.new("RGB", (6400, 4800), "grey")), max_bytes=LIMIT)
    assert photo.width == 1600


def test_a_webp_counts_every_copy_libwebp_and_pillow_make(monkeypatch):
    monkeypatch.setattr(images, "MAX_DECODING_BYTES", 30_000_000)
    picture = Image.new("RGB", (1600, 1200), "grey")
    assert process_photo(encode(picture), max_bytes=LIMIT).width == 1600
    assert refusal(encode(picture, "WEBP")).startswith("The photo is too large to process")
