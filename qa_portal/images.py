"""Evidence photos and documents sent as images: checked, rotated, stripped of metadata, resized
and re-encoded (Pillow), decoding no more than a memory budget allows."""

from __future__ import annotations

import io
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from typing import ClassVar

from PIL import ExifTags, Image, ImageCms

from qa_portal.storage import HEIC, JPEG, PNG, WEBP, UploadRefused, _size_text, sniff

log = logging.getLogger(__name__)

LONG_EDGE = 1600
THUMBNAIL_EDGE = 320
MAX_PIXELS = 60_000_000
# The memory that decoding one image may take, estimated from its header before any pixel is
# decoded (see _decoding_bytes): eight uploads at once then stay within a gigabyte.
MAX_DECODING_BYTES = 100 * 1024 * 1024
# A document sent as a photo or scan keeps enough pixels for its small print.
DOCUMENT_EDGE = 2400
DOCUMENT_QUALITY = 85
MAX_PHOTO_BYTES = 350 * 1024
QUALITIES = (80, 72, 64, 56)
THUMBNAIL_QUALITY = 70
# When even the lowest quality is too big (very noisy photos), shrink by this much and try again,
# but never below MIN_EDGE.
SHRINK = 0.8
MIN_EDGE = 400
# Above this many pixels the quality is first estimated from a sample of SAMPLE_BANDS bands of
# whole rows (16 rows: one row of JPEG blocks at 4:2:0), so a photo is usually encoded only once.
ESTIMATE_ABOVE = 500_000
SAMPLE_BANDS = 8
BAND_ROWS = 16

EMPTY = "The selected file is empty"
NOT_A_PHOTO = "The selected file must be a photo: JPG, PNG, WebP or HEIC"
HEIC_UNREADABLE = "HEIC photos cannot be read yet: set the camera to 'Most compatible' (JPG)"
UNREADABLE = "The selected photo could not be read: it may be damaged or incomplete"
UNREADABLE_IMAGE = "The selected image could not be read: it may be damaged or incomplete"

# Pillow decodes only the format the leading bytes claim, never whatever it can guess.
_FORMATS = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}
# Bytes held per pixel while decoding, beyond JPEG's own reckoning: Pillow keeps every mode a
# photo can have in 4 bytes a pixel; a PNG of 16 bits a sample is read as such, so it counts
# double; libwebp decodes into a canvas of its own, keeps the previous frame, and Pillow copies
# the pixels twice on the way, so a WebP costs four images.
_PIXEL_BYTES = 4
_WEBP_PIXEL_BYTES = 16
_PNG_CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}

# Decoding time grows with the number of JPEG scans and PNG chunks, not with the file's size:
# a few megabytes of empty progressive scans, or of empty PNG chunks, would keep a worker busy
# for minutes. A camera writes one JPEG scan, or about ten when progressive; a PNG encoder
# writes chunks of 8 KB or more, so a 10 MB PNG has about 1,300.
MAX_JPEG_SCANS = 150
MAX_PNG_CHUNKS = 10_000

_SOS, _EOI, _COM = 0xDA, 0xD9, 0xFE
_STANDALONE = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RST0-7 carry no length
# The only APPn segments kept: the JFIF header and Adobe's colour transform flag.
_KEPT_APPS = {0xE0: b"JFIF\x00", 0xEE: b"Adobe"}


@dataclass(frozen=True)
class ProcessedPhoto:
    """A photo ready to store: the image and its thumbnail, both JPEGs free of metadata."""

    image: bytes = field(repr=False)
    thumbnail: bytes = field(repr=False)
    width: int
    height: int
    content_type: ClassVar[str] = JPEG


def process_photo(data: bytes, *, max_bytes: int) -> ProcessedPhoto:
    """The uploaded photo upright, at most LONG_EDGE pixels on its long edge and MAX_PHOTO_BYTES
    in size, re-encoded as a JPEG with no EXIF (so no GPS position), XMP, IPTC, comment or colour
    profile; plus a thumbnail. Otherwise UploadRefused with a message for the person uploading."""
    try:
        img = _decode(data, _check(data, max_bytes))
    except UploadRefused as refusal:
        log.info("photo refused: %s (%d bytes)", refusal, len(data))
        raise
    image, img = _encode_within(img, MAX_PHOTO_BYTES)
    thumbnail = _encode(_fit(img, THUMBNAIL_EDGE), THUMBNAIL_QUALITY)
    return ProcessedPhoto(image=image, thumbnail=thumbnail, width=img.width, height=img.height)


@dataclass(frozen=True)
class ProcessedDocument:
    """A document sent as an image, ready to store: re-encoded, free of metadata."""

    data: bytes = field(repr=False)
    content_type: str
    width: int
    height: int


def process_document_image(data: bytes, content_type: str) -> ProcessedDocument:
    """A certificate or policy sent as a JPG or PNG (a photo or a scan of it), treated as a
    photo is: upright, at most DOCUMENT_EDGE pixels on its long edge, with no EXIF (so no GPS
    position), XMP, PNG text or colour profile. A JPG stays a JPG; a PNG stays a PNG, whose
    lossless pixels keep a screenshot's text sharp. UploadRefused if it cannot be read."""
    image_format = _FORMATS.get(content_type)
    try:
        if image_format is None or _truncated(data, content_type):
            raise UploadRefused(UNREADABLE_IMAGE)
        img = _decode(data, image_format, edge=DOCUMENT_EDGE, noun="image")
    except UploadRefused as refusal:
        log.info("document image refused: %s (%d bytes)", refusal, len(data))
        raise
    buffer = io.BytesIO()
    if content_type == PNG:
        img.save(buffer, "PNG")
    else:
        img.save(buffer, "JPEG", quality=DOCUMENT_QUALITY, optimize=True)
    return ProcessedDocument(buffer.getvalue(), content_type, img.width, img.height)


def has_metadata(jpeg: bytes) -> bool:
    """Whether the JPEG carries anything beyond what decoding needs: an APP1 (EXIF, XMP), APP13
    (IPTC), COM or any other APPn segment bar JFIF (APP0) and Adobe (APP14), or bytes after the
    end of the image. ValueError if `jpeg` is not a well-formed JPEG."""
    for marker, payload in _segments(jpeg):
        if marker == _EOI:
            return bool(payload)
        if marker == _COM:
            return True
        if 0xE0 <= marker <= 0xEF:
            kept = _KEPT_APPS.get(marker)
            if kept is None or not payload.startswith(kept):
                return True
    return False  # pragma: no cover (_segments always ends with EOI or raises)


def _check(data: bytes, max_bytes: int) -> str:
    if not data:
        raise UploadRefused(EMPTY)
    if len(data) > max_bytes:
        raise UploadRefused(f"The photo must be smaller than {_size_text(max_bytes)}")
    content_type = sniff(data)
    if content_type == HEIC:
        raise UploadRefused(HEIC_UNREADABLE)
    if content_type not in _FORMATS:
        raise UploadRefused(NOT_A_PHOTO)
    if _truncated(data, content_type):
        raise UploadRefused(UNREADABLE)
    return _FORMATS[content_type]


def _truncated(data: bytes, content_type: str) -> bool:
    """Whether the file stops before its end marker. Checked here rather than left to Pillow:
    WeasyPrint sets Pillow's process-wide LOAD_TRUNCATED_IMAGES, which would accept half a
    photo padded with grey."""
    if content_type == JPEG:
        # The image data ends with an end marker after its last scan; trailing bytes are fine.
        # Nearly every photo ends with that marker, which is then after any scan: no need to
        # search megabytes of scan data for it.
        if data.endswith(b"\xff\xd9"):
            return False
        return data.find(b"\xff\xd9", max(0, data.rfind(b"\xff\xda"))) == -1
    if content_type == PNG:
        return b"IEND" not in data[-4096:]
    if content_type == WEBP:
        return int.from_bytes(data[4:8], "little") + 8 > len(data)
    return False


def _decode(
    data: bytes, image_format: str, *, edge: int = LONG_EDGE, noun: str = "photo"
) -> Image.Image:
    """The image upright, in RGB, reduced to fit `edge` and converted to sRGB."""
    unreadable = UNREADABLE if noun == "photo" else UNREADABLE_IMAGE
    if _hostile_structure(data, image_format):
        raise UploadRefused(unreadable)
    try:
        with Image.open(io.BytesIO(data), formats=[image_format]) as probe:
            # Opening reads only the header, so these run before any pixel is decoded.
            _check_pixels(probe.size, noun)
            _check_decoding_bytes(probe, data, edge, noun)
            probe.verify()
        with Image.open(io.BytesIO(data), formats=[image_format]) as source:
            if image_format == "JPEG":
                # Let libjpeg decode at 1/2, 1/4 or 1/8 scale: a 12 MP photo loads several
                # times faster, and the resize below only has to finish the job.
                source.draft("RGB", _draft_size(source.size, edge))
            source.load()
            icc_profile = source.info.get("icc_profile")
            turn = _orientation(source)
            img = _rgb_or_rgba(source)
    except UploadRefused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise UploadRefused(_too_many_pixels(noun)) from error
    except Exception as error:  # Pillow raises many kinds of error on damaged or hostile files
        raise UploadRefused(unreadable) from error
    # Turned upright after shrinking, so that fewer pixels move; a quarter turn swaps the sides
    # but keeps the long edge, all that _fit and _draft_size look at.
    img = _fit(img, edge)
    if turn is not None:
        img = img.transpose(turn)
    if img is source:  # small enough already: a plain copy, detached from the opened file
        img = img.copy()
    img = _to_srgb(_flatten(img), icc_profile)
    img.info = {}  # nothing read from the upload (comment, EXIF, XMP, profile) reaches the encoder
    return img


def _hostile_structure(data: bytes, image_format: str) -> bool:
    """Whether the file holds more scans (JPEG) or chunks (PNG) than any real image has, or a
    PNG's header is not its one and only first chunk, as the format requires (Pillow would
    read the last header it meets, and the memory budget reads the first chunk's)."""
    if image_format == "JPEG":
        # Entropy-coded data never holds 0xFF 0xDA (an 0xFF there is followed by 0x00 or a
        # restart marker), so this counts the scans, and any in an EXIF thumbnail.
        return data.count(b"\xff\xda") > MAX_JPEG_SCANS
    if image_format == "PNG":
        if data[12:16] != b"IHDR":
            return True
        pos, chunks = 33, 1  # after the signature and the 13-byte header chunk
        while pos + 8 <= len(data):
            chunks += 1
            if chunks > MAX_PNG_CHUNKS or data[pos + 4 : pos + 8] == b"IHDR":
                return True
            pos += 12 + int.from_bytes(data[pos : pos + 4], "big")
    return False


def _check_pixels(size: tuple[int, int], noun: str = "photo") -> None:
    if size[0] * size[1] > MAX_PIXELS:
        raise UploadRefused(_too_many_pixels(noun))


def _too_many_pixels(noun: str = "photo") -> str:
    return f"The {noun} is too large: it must be at most {MAX_PIXELS // 1_000_000} megapixels"


def _check_decoding_bytes(probe: Image.Image, data: bytes, edge: int, noun: str) -> None:
    needed = _decoding_bytes(probe, data, edge)
    if needed > MAX_DECODING_BYTES:
        pixels = probe.width * probe.height
        allowed = math.floor(pixels * MAX_DECODING_BYTES / needed / 100_000) / 10
        raise UploadRefused(
            f"The {noun} is too large to process: save it at {allowed:g} megapixels or fewer "
            "and send it again"
        )


def _decoding_bytes(probe: Image.Image, data: bytes, edge: int) -> int:
    """The memory that decoding the opened (not yet decoded) image takes, from its header."""
    pixels = probe.width * probe.height
    if probe.format == "JPEG":
        # Decoded reduced, as _decode will ask; a JPEG of several scans (progressive, or
        # with its colour components in scans of their own) also keeps every DCT coefficient
        # of the full image (2 bytes a sample) while its scans arrive.
        reduced = _draft_scale(probe.size, _draft_size(probe.size, edge))
        needed = math.ceil(probe.width / reduced) * math.ceil(probe.height / reduced) * 4
        if _several_scans(probe, data):
            needed += 2 * math.ceil(pixels * _jpeg_samples_per_pixel(probe))
        return needed
    if probe.format == "WEBP":
        return pixels * _WEBP_PIXEL_BYTES
    if probe.format == "PNG":
        depth, colour = data[24], data[25]  # IHDR, always the first chunk
        sample_bytes = math.ceil(depth * _PNG_CHANNELS.get(colour, 4) / 8)
        return pixels * max(_PIXEL_BYTES, sample_bytes)
    return pixels * _PIXEL_BYTES


def _several_scans(probe: Image.Image, data: bytes) -> bool:
    """Whether libjpeg keeps the whole image's coefficients: a progressive JPEG, or one whose
    first scan carries fewer colour components than the frame."""
    if probe.info.get("progressive") or probe.info.get("progression"):
        return True
    components = len(getattr(probe, "layer", None) or ()) or 1
    try:
        for marker, payload in _segments(data):
            if marker == _SOS:
                return not payload or payload[0] < components
            if marker == _EOI:
                break
    except ValueError:
        return True  # not well formed: reckon the dearer way
    return True


def _draft_scale(size: tuple[int, int], wanted: tuple[int, int]) -> int:
    """The reduction (1, 2, 4 or 8) that Pillow's JPEG draft() picks for `wanted`."""
    most = min(size[0] // wanted[0], size[1] // wanted[1])
    return next(scale for scale in (8, 4, 2, 1) if most >= scale or scale == 1)


def _jpeg_samples_per_pixel(probe: Image.Image) -> float:
    # Each component's sampling factors, relative to the largest: 1.5 for the usual 4:2:0.
    layers = getattr(probe, "layer", None) or [(0, 1, 1, 0)] * 3
    most_h = max(layer[1] for layer in layers) or 1
    most_v = max(layer[2] for layer in layers) or 1
    return sum(layer[1] * layer[2] for layer in layers) / (most_h * most_v)


def _draft_size(size: tuple[int, int], edge: int) -> tuple[int, int]:
    # draft() keeps both sides at least this big, so the long edge stays at least `edge`. The
    # size is the stored one: turning the photo upright later swaps the sides but keeps the long
    # edge, so a photo stored sideways still comes out LONG_EDGE pixels tall.
    scale = min(1.0, edge / max(size))
    return max(1, math.ceil(size[0] * scale)), max(1, math.ceil(size[1] * scale))


# EXIF orientation (also read from XMP by getexif) -> the turn that makes the photo upright, as
# ImageOps.exif_transpose does it.
_UPRIGHT = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


def _orientation(img: Image.Image) -> Image.Transpose | None:
    """The turn that makes `img` upright, or None if it is upright already."""
    try:
        return _UPRIGHT.get(img.getexif().get(ExifTags.Base.Orientation, 1))
    except Exception:  # a damaged EXIF block should not cost the photo, only its rotation
        log.info("could not read the photo's orientation; keeping it as stored", exc_info=True)
        return None


def _rgb_or_rgba(img: Image.Image) -> Image.Image:
    if img.mode.startswith("I"):  # 16-bit grey: scale down to 8 bits, as convert() would clip
        img = img.convert("I").point(lambda value: value / 256).convert("L")
    has_alpha = img.mode in ("RGBA", "LA", "PA") or "transparency" in img.info
    mode = "RGBA" if has_alpha else "RGB"
    return img if img.mode == mode else img.convert(mode)


def _fit(img: Image.Image, edge: int) -> Image.Image:
    """`img` shrunk so that its long edge is at most `edge`; never enlarged.

    A large reduction (a thumbnail, a PNG) first averages whole blocks of pixels, then
    resamples the much smaller image. HAMMING, a windowed sinc as narrow as bilinear, is as
    sharp as LANCZOS to the eye on the small reductions left after a JPEG's draft decode
    (2000 to 1600 pixels), at half the cost."""
    if max(img.size) <= edge:
        return img
    scale = edge / max(img.size)
    size = (max(1, round(img.width * scale)), max(1, round(img.height * scale)))
    return img.resize(size, Image.Resampling.HAMMING, reducing_gap=2.0)


def _flatten(img: Image.Image) -> Image.Image:
    if img.mode != "RGBA":
        return img
    background = Image.new("RGB", img.size, "white")
    background.paste(img, mask=img.getchannel("A"))
    return background


@cache
def _srgb() -> ImageCms.ImageCmsProfile:
    return ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB"))


@lru_cache(maxsize=16)
def _transform_to_srgb(icc_profile: bytes) -> ImageCms.ImageCmsTransform | None:
    """The RGB to sRGB transform for an embedded profile, or None if it needs none. Cached:
    most photos come from a handful of phones, each embedding the same profile every time."""
    profile = ImageCms.ImageCmsProfile(io.BytesIO(icc_profile))
    # An sRGB profile needs no work; a CMYK or grey one no longer fits the RGB pixels.
    description = profile.profile.profile_description or ""
    if profile.profile.xcolor_space.strip() != "RGB" or "sRGB" in description:
        return None
    return ImageCms.buildTransform(profile, _srgb(), "RGB", "RGB")


def _to_srgb(img: Image.Image, icc_profile: bytes | None) -> Image.Image:
    """Colours as the embedded profile meant them (such as an iPhone's Display P3), in sRGB, so
    dropping the profile does not dull or shift them."""
    if not icc_profile or img.mode != "RGB":
        return img
    try:
        transform = _transform_to_srgb(bytes(icc_profile))
        if transform is None:
            return img
        converted = ImageCms.applyTransform(img, transform)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        log.info("ignoring a colour profile that does not fit the photo", exc_info=True)
        return img
    return converted or img


def _encode(img: Image.Image, quality: int, *, progressive: bool = False) -> bytes:
    # Baseline: a progressive encode costs about three times as much for a few percent fewer
    # bytes, and every photo is still held to MAX_PHOTO_BYTES.
    buffer = io.BytesIO()
    img.save(buffer, "JPEG", quality=quality, optimize=True, progressive=progressive)
    return buffer.getvalue()


def _encode_within(img: Image.Image, limit: int) -> tuple[bytes, Image.Image]:
    """The JPEG at the best quality that fits in `limit` bytes, and the image it encodes."""
    while True:
        for quality in _qualities_to_try(img, limit):
            data = _encode(img, quality)
            if len(data) <= limit:
                return data, img
        if max(img.size) <= MIN_EDGE:
            log.warning("photo still %d bytes at %s pixels", len(data), img.size)
            return data, img
        img = _fit(img, max(MIN_EDGE, int(max(img.size) * SHRINK)))


def _qualities_to_try(img: Image.Image, limit: int) -> tuple[int, ...]:
    """QUALITIES from the best one a sample of `img` predicts will fit in `limit` bytes, so a
    large photo is encoded once or twice rather than up to len(QUALITIES) times. Every lower
    quality stays in the list, so a wrong estimate costs time, never a photo over the limit;
    if no quality is predicted to fit, only the lowest is tried before shrinking.

    The sample is encoded as the photo is (baseline), so the estimate is close; a wrong one
    costs one more encode."""
    if img.width * img.height <= ESTIMATE_ABOVE or img.height < 2 * SAMPLE_BANDS * BAND_ROWS:
        return QUALITIES
    sample = _sample(img)
    scale = (img.width * img.height) / (sample.width * sample.height)
    for index, quality in enumerate(QUALITIES):
        if len(_encode(sample, quality, progressive=False)) * scale <= limit:
            return QUALITIES[index:]
    return QUALITIES[-1:]


def _sample(img: Image.Image) -> Image.Image:
    """SAMPLE_BANDS bands of BAND_ROWS whole rows, spread evenly down `img`, stacked."""
    sample = Image.new(img.mode, (img.width, SAMPLE_BANDS * BAND_ROWS))
    step = img.height // SAMPLE_BANDS
    for band in range(SAMPLE_BANDS):
        top = band * step + (step - BAND_ROWS) // 2
        sample.paste(img.crop((0, top, img.width, top + BAND_ROWS)), (0, band * BAND_ROWS))
    return sample


def _segments(jpeg: bytes) -> Iterator[tuple[int, bytes]]:
    """Each marker and its payload, up to EOI, whose payload is whatever follows the image."""
    if not jpeg.startswith(b"\xff\xd8"):
        raise ValueError("not a JPEG: no start-of-image marker")
    pos = 2
    while True:
        if jpeg[pos : pos + 1] != b"\xff":
            raise ValueError(f"not a well-formed JPEG: no marker at byte {pos}")
        while jpeg[pos : pos + 1] == b"\xff":  # a marker may be preceded by fill bytes
            pos += 1
        if pos >= len(jpeg):
            raise ValueError("not a well-formed JPEG: it ends inside a marker")
        marker = jpeg[pos]
        pos += 1
        if marker == _EOI:
            yield marker, jpeg[pos:]
            return
        if marker in _STANDALONE:
            continue
        length = int.from_bytes(jpeg[pos : pos + 2], "big")
        if length < 2 or pos + length > len(jpeg):
            raise ValueError(f"not a well-formed JPEG: segment at byte {pos} is truncated")
        yield marker, jpeg[pos + 2 : pos + length]
        pos += length
        if marker == _SOS:
            pos = _end_of_scan(jpeg, pos)


def _end_of_scan(jpeg: bytes, pos: int) -> int:
    """The offset of the marker that ends the entropy-coded data starting at `pos`."""
    while True:
        pos = jpeg.find(b"\xff", pos)
        if pos < 0 or pos + 1 >= len(jpeg):
            raise ValueError("not a well-formed JPEG: it ends inside scan data")
        following = jpeg[pos + 1]
        if following == 0xFF:  # fill byte: the marker, if any, starts at the next byte
            pos += 1
        elif following == 0x00 or following in _STANDALONE:  # stuffed 0xFF byte or restart
            pos += 2
        else:
            return pos
