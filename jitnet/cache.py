"""``jitnet cache [info|clear]`` (also ``python -m jitnet.cache``): show or empty the disk
cache of compiled code (``JITNET_CACHE_DIR``); ``jitnet.cache_info()`` and
``jitnet.clear_caches()`` do the same from Python (``api/caches.py``)."""
from __future__ import annotations

import argparse
import sys

from .api.caches import clear_caches
from .runtime import disk_cache
from .runtime.disk_cache import CacheSecurityError


def _size(n: int) -> str:
    return f"{n / 2**20:.1f} MiB"


def main(argv=None) -> int:
    """``jitnet cache info`` prints the disk cache's state; ``jitnet cache clear`` empties it."""
    parser = argparse.ArgumentParser(prog="jitnet", description="jitnet's command line")
    sub = parser.add_subparsers(dest="command", required=True)
    cache = sub.add_parser("cache", help="show or clear the compile cache (JITNET_CACHE_DIR)")
    cache.add_argument("action", nargs="?", choices=["info", "clear"], default="info")
    args = parser.parse_args(argv)
    try:
        if args.action == "clear":
            n = clear_caches(disk=True)
            print(f"removed {n} cache entries (programs, eager kernels) from "
                  f"{disk_cache.cache_setting()}")
            return 0
        info = disk_cache.info()
    except CacheSecurityError as err:
        print(err, file=sys.stderr)
        return 1
    state = "in use" if info["enabled"] else f"not in use ({info['reason'] or 'off'})"
    print(f"directory: {info['directory']} ({state})\n"
          f"key file:  {info['key_file']}\n"
          f"programs:  {info['programs']} ({info['files']} files, {_size(info['bytes'])} "
          f"of at most {_size(info['max_bytes'])})")
    return 0


if __name__ == "__main__":
    sys.exit(main(["cache", *sys.argv[1:]]))
