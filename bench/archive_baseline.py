#!/usr/bin/env python3
"""Baselines for bench/bench_archive.cc: archive + verify one run's tree.

  python3 bench/archive_baseline.py --tree DIR/RUN_ID --out FILE.zip \
      --method python|infozip

python:  shutil.make_archive(..., 'zip', ...) + zipfile.ZipFile(...).testzip()
         (the seed's own method).
infozip: `zip -r -6 -q` + `unzip -tq`.

Prints one line: seconds=<s> archive_bytes=<n>
"""
import argparse
import os
import shutil
import subprocess
import sys
import time
import zipfile


def python_method(tree, out):
    base = out[:-4] if out.endswith(".zip") else out
    parent, name = os.path.split(os.path.abspath(tree))
    path = shutil.make_archive(base, "zip", root_dir=parent, base_dir=name)
    with zipfile.ZipFile(path) as zf:
        bad = zf.testzip()
    if bad is not None:
        raise SystemExit(f"testzip: first bad entry {bad}")
    return path


def infozip_method(tree, out):
    parent, name = os.path.split(os.path.abspath(tree))
    out = os.path.abspath(out)
    subprocess.run(["zip", "-r", "-6", "-q", out, name], cwd=parent, check=True)
    subprocess.run(["unzip", "-tq", out], check=True, stdout=subprocess.DEVNULL)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tree", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--method", choices=["python", "infozip"], required=True)
    args = parser.parse_args()
    if os.path.exists(args.out):
        os.remove(args.out)
    start = time.monotonic()
    method = python_method if args.method == "python" else infozip_method
    path = method(args.tree, args.out)
    seconds = time.monotonic() - start
    print(f"seconds={seconds:.3f} archive_bytes={os.path.getsize(path)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
