#!/usr/bin/env python3
"""Seconds from exec of a daemon to its first 200 on /-/ready.

    time_to_ready.py PORT COMMAND [ARG...]

Starts COMMAND, polls http://127.0.0.1:PORT/-/ready every 2 ms from this one
process (a new curl every few milliseconds would take a core from the daemon
it times: fork, exec and dynamic linking cost more than the request), prints
the seconds, then stops the daemon (SIGTERM) and waits for it.
"""
import http.client
import subprocess
import sys
import time


def main():
    port, command = int(sys.argv[1]), sys.argv[2:]
    start = time.monotonic()
    daemon = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    try:
        while True:
            if daemon.poll() is not None:
                sys.exit(f"time_to_ready: exited with {daemon.returncode}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/-/ready")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            finally:
                conn.close()
            time.sleep(0.002)
        print(f"{time.monotonic() - start:.3f}")
    finally:
        daemon.terminate()
        daemon.wait()


main()
