# lxml.iterparse with clear() and nothing else: the quickest constant-memory way to read ODM in Python,
# the counterpart of `trialsync odm check`. Every element is cleared at its end; no tag is looked at, no
# row is built, nothing is counted (lxml raises on a document that is not well-formed). Prints one JSON
# line like lxml_bench.py, with rows -1: none are extracted.
import json
import os
import sys
import time

from lxml import etree


def proc_status(field):
    """A /proc/self/status figure in bytes (Linux), 0 elsewhere."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return 0


def main(path):
    start_rss = proc_status("VmRSS")
    start, cpu0 = time.perf_counter(), time.process_time()
    for _, el in etree.iterparse(path, huge_tree=True):
        el.clear()
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu0
    print(json.dumps({"rows": -1, "bytes": os.path.getsize(path), "seconds": seconds,
                      "cpu_seconds": cpu, "peak_rss": proc_status("VmHWM"), "start_rss": start_rss}))


if __name__ == "__main__":
    main(sys.argv[1])
