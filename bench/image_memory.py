"""Memory taken by decoding an image upload, measured in a fresh process.

The 7,745 x 7,745 PNG of 16-bit RGBA samples (about half a megabyte, 60 megapixels: under the
pixel limit) goes through the upload's own code path (`images.process_photo`), in a child
process that has already imported everything: the figure is that process's peak resident
memory (VmHWM) above its resident memory just before, the honest measure of what a worker
would need. A 12-megapixel PNG screenshot, which must still be processed, is measured the
same way. Target: at most 150 MiB above the baseline for the 16-bit PNG.
"""

from __future__ import annotations

import contextlib
import io
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MIB = 1024 * 1024


def image_memory() -> None:
    from PIL import Image, ImageDraw

    from tests.images.samples import png_16bit_rgba

    screenshot = Image.new("RGB", (4000, 3000), "white")
    draw = ImageDraw.Draw(screenshot)
    for top in range(0, 3000, 40):
        draw.rectangle((100, top + 10, 3900, top + 22), fill=(40, 40, 40))
    buffer = io.BytesIO()
    screenshot.save(buffer, "PNG")
    samples = {"png_16bit_7745px": png_16bit_rgba(7745), "png_screenshot_12mp": buffer.getvalue()}
    with tempfile.TemporaryDirectory(prefix="qa-portal-image-memory-") as folder:
        for name, data in samples.items():
            path = Path(folder) / f"{name}.png"
            path.write_bytes(data)
            figures = json.loads(
                subprocess.run(
                    [sys.executable, str(Path(__file__).resolve()), str(path)],
                    cwd=ROOT,
                    stdout=subprocess.PIPE,
                    check=True,
                ).stdout
            )
            print(f"{name}_input: {len(data) / 1024:.0f} KB")
            print(f"{name}_peak_memory_above_baseline: {figures['peak'] / MIB:.0f} MiB")
            print(f"{name}_outcome: {figures['outcome']}")


def measure(path: str) -> None:
    """Child process: process the upload once and print its peak memory above the baseline."""
    sys.path.insert(0, str(ROOT))
    from qa_portal import images
    from qa_portal.storage import UploadRefused

    data = Path(path).read_bytes()
    reset_peak()
    baseline = status("VmRSS")
    try:
        images.process_photo(data, max_bytes=len(data) + 1)
        outcome = "processed"
    except UploadRefused:
        outcome = "refused"
    print(json.dumps({"peak": max(0, status("VmHWM") - baseline), "outcome": outcome}))


def reset_peak() -> None:
    # Writing 5 to clear_refs resets VmHWM to the current resident size (Linux).
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def status(field: str) -> int:
    """A memory figure of this process from /proc/self/status, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1]) * 1024
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 2:
        measure(sys.argv[1])
    else:
        sys.path.insert(0, str(ROOT))
        image_memory()
