#!/usr/bin/env python3
"""Compares the analysis members of two pcapd JSON reports (web vs CLI): equal, or exit 1 with the diffs.

Members that describe the run rather than the capture (file name, task id, timing, tool version) are
left out; everything else must be identical (the engine is deterministic).
"""
import json
import re
import sys

# Top-level (and nested) keys that legitimately differ between a web task and a CLI run.
VOLATILE = {
    "task_id", "filename", "file", "file_name", "path", "source", "input",
    "generated_at", "created_at", "analysed_at", "analyzed_at", "generator", "tool", "version",
    "elapsed", "elapsed_s", "elapsed_ms", "duration_s", "duration_ms", "analysis_duration",
    "analysis_seconds", "wall_time", "wall_seconds", "cpu_seconds", "max_rss", "rss",
}


# The capture's name inside the tshark commands: the path the CLI was given, the placeholder CAPTURE.pcap
# in the service's reports (its analyzer is handed an fd).
TSHARK_R = re.compile(r"tshark -r ('(?:[^']|'\\'')*'|\S+)")


def strip(v):
    if isinstance(v, dict):
        return {k: strip(x) for k, x in v.items() if k not in VOLATILE}
    if isinstance(v, list):
        return [strip(x) for x in v]
    if isinstance(v, str) and "tshark -r " in v:
        return TSHARK_R.sub("tshark -r CAPTURE", v)
    return v


def diff(a, b, path, out):
    if len(out) > 20:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for k in sorted(set(a) | set(b)):
            if k not in a or k not in b:
                out.append("%s.%s: only in %s" % (path, k, "web" if k in a else "cli"))
            else:
                diff(a[k], b[k], "%s.%s" % (path, k), out)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            diff(x, y, "%s[%d]" % (path, i), out)
    elif a != b:
        out.append("%s: web %s != cli %s" % (path, json.dumps(a)[:80], json.dumps(b)[:80]))


def main():
    try:
        web = json.load(open(sys.argv[1]))
        cli = json.load(open(sys.argv[2]))
    except (OSError, ValueError) as e:
        print("cannot read the reports: %s" % e)
        return 1
    if not isinstance(web, dict) or not isinstance(cli, dict):
        print("reports are not JSON objects")
        return 1
    web, cli = strip(web), strip(cli)
    if len(web) < 3:
        print("too few analysis members to compare: %s" % sorted(web))
        return 1
    out = []
    diff(web, cli, "$", out)
    if out:
        print("\n".join(out))
        return 1
    print("%d analysis members equal" % len(web))
    return 0


if __name__ == "__main__":
    sys.exit(main())
