#!/usr/bin/env python3
"""Per-project, per-class and per-test durations from the trx files `./platform test` writes.

usage: bench/suite/durations.py [DIR (default .build/test-results)] [N slowest tests (default 15)]

A test's duration is its own body (class construction and IAsyncLifetime included); a project's wall
time is the span from its first test start to its last test end, which is what parallel classes shorten.
"""
import datetime, glob, os, re, sys, xml.etree.ElementTree as ET

NS = {"t": "http://microsoft.com/schemas/VisualStudio/TeamTest/2010"}


def seconds(text):
    h, m, s = text.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def when(text):
    # 2026-12-02T19:51:02.1234567+00:00: Python's parser takes at most 6 fraction digits.
    m = re.match(r"(.{19})(?:\.(\d+))?(.*)", text)
    return datetime.datetime.fromisoformat(f"{m[1]}.{(m[2] or '0')[:6].ljust(6, '0')}{m[3]}")


def main():
    folder = sys.argv[1] if len(sys.argv) > 1 else ".build/test-results"
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 15
    tests, classes = [], {}
    print(f"{'project':32} {'tests':>6} {'wall s':>8} {'sum s':>8}")
    for path in sorted(glob.glob(os.path.join(folder, "*.trx"))):
        root = ET.parse(path).getroot()
        owner = {d.get("id"): d.find("t:TestMethod", NS).get("className") for d in root.iterfind("t:TestDefinitions/t:UnitTest", NS)}
        project = os.path.basename(path)[:-4]
        starts, ends, total, count = [], [], 0.0, 0
        for r in root.iterfind("t:Results/t:UnitTestResult", NS):
            if r.get("duration") is None:
                continue
            d = seconds(r.get("duration"))
            cls = owner.get(r.get("testId"), "?").split(".")[-1]
            tests.append((d, cls, r.get("testName").split("(")[0].split(".")[-1], r.get("outcome")))
            classes.setdefault((project, cls), [0.0, 0])
            classes[(project, cls)][0] += d
            classes[(project, cls)][1] += 1
            starts.append(when(r.get("startTime")))
            ends.append(when(r.get("endTime")))
            total += d
            count += 1
        wall = (max(ends) - min(starts)).total_seconds() if starts else 0
        if count:
            print(f"{project:32} {count:6} {wall:8.1f} {total:8.1f}")
    print(f"\n{'class':48} {'tests':>6} {'sum s':>8}")
    for (project, cls), (d, n) in sorted(classes.items(), key=lambda kv: -kv[1][0])[:top]:
        print(f"{cls:48} {n:6} {d:8.1f}")
    print(f"\n{'test':100} {'s':>7}")
    for d, cls, name, outcome in sorted(tests, reverse=True)[:top]:
        print(f"{(cls + '.' + name)[:100]:100} {d:7.1f}{'' if outcome == 'Passed' else ' ' + outcome}")


main()
