"""A downstream script: expand a generated photo through the server at ``argv[1]``."""

import sys
import tempfile
from pathlib import Path

from PIL import Image

from kling_expand import KlingExpand


def main(base_url: str, api_key: str) -> None:
    with tempfile.TemporaryDirectory() as scratch:
        photo = Path(scratch) / "photo.jpg"
        Image.new("RGB", (640, 480), (40, 120, 200)).save(photo)
        with KlingExpand(base_url=base_url, api_key=api_key) as client:
            result = client.expand(photo, aspect="16:9", timeout=30.0, poll_interval=0.05)
            for saved in result.save(Path(scratch) / "out"):
                with Image.open(saved.path) as image:
                    print(saved.index, image.width, image.height)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
