"""Size of a static export: total bytes and the gzipped size of its JavaScript.

Usage: ``python -m scripts.export_size [.web/build/client]`` (after ``make export``).
The ``.gz`` sidecars Reflex writes next to its assets are not counted in the total; JS is gzipped here
(level 9), as CloudFront's compression would serve it.
"""

from __future__ import annotations

import gzip
import sys
from dataclasses import dataclass
from pathlib import Path

DEFAULT_EXPORT = Path(".web/build/client")


@dataclass(frozen=True)
class ExportSize:
    files: int
    total_bytes: int
    js_files: int
    js_bytes: int
    js_gzip_bytes: int


def measure(export_dir: Path) -> ExportSize:
    if not (export_dir / "index.html").is_file():
        raise FileNotFoundError(f"{export_dir} has no index.html: not a static export")
    files = [path for path in export_dir.rglob("*") if path.is_file() and path.suffix != ".gz"]
    scripts = [path for path in files if path.suffix in (".js", ".mjs")]
    return ExportSize(
        files=len(files),
        total_bytes=sum(path.stat().st_size for path in files),
        js_files=len(scripts),
        js_bytes=sum(path.stat().st_size for path in scripts),
        js_gzip_bytes=sum(len(gzip.compress(path.read_bytes(), compresslevel=9)) for path in scripts),
    )


def describe(size: ExportSize) -> str:
    return (
        f"export: {size.files} files, {size.total_bytes / 1024:.0f} KiB total; "
        f"JS: {size.js_files} files, {size.js_bytes / 1024:.0f} KiB, {size.js_gzip_bytes / 1024:.0f} KiB gzipped"
    )


def main(argv: list[str]) -> int:
    export_dir = Path(argv[0]) if argv else DEFAULT_EXPORT
    print(describe(measure(export_dir)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
