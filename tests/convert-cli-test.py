#!/usr/bin/python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""`ferry convert`, what a conversion pod runs, refuses bad input clearly and
before any conversion starts: malformed JSON, a missing description, an
unknown member, a VM without a name, no disks, a missing disk, a disk that
is neither a file nor a block device, a relative work folder, a missing
LUKS key folder, and no plugin that converts guests. Each failure is one
JSON result line (also written to --result-file, or to --progress-fd) with
the reason and the exit status, and the command exits with that status.

Fast: no guest is converted (tests/e2e/convert-guest-test.py does that).
"""

import json
import os
import subprocess
import sys
import tempfile

FERRY = os.environ["FERRY_BIN"]


def run(description, env=None, extra=()):
    argv = [FERRY, "convert", "--description", description] + list(extra)
    result = subprocess.run(argv, capture_output=True, text=True,
                            env=dict(os.environ, **(env or {})), timeout=120)
    return result


def last_line(result):
    lines = [l for l in result.stdout.splitlines() if l.strip()]
    if not lines:
        sys.exit("no JSON line on standard output:\n%s" % result.stderr)
    return json.loads(lines[-1])


def expect_failure(name, description, reason, words, status, env=None, extra=()):
    result = run(description, env=env, extra=extra)
    line = last_line(result)
    if line.get("event") != "result" or line.get("result") != "Failed":
        sys.exit("%s: not a failed result line: %s" % (name, line))
    if line.get("reason") != reason:
        sys.exit("%s: reason %s, expected %s: %s" % (name, line.get("reason"), reason, line))
    for word in words:
        if word not in line.get("error", ""):
            sys.exit("%s: the error does not say '%s': %s" % (name, word, line["error"]))
    if result.returncode != status or line.get("exitStatus") != status:
        sys.exit("%s: exit status %d (line: %s), expected %d" % (
            name, result.returncode, line.get("exitStatus"), status))
    print("ok - %s" % name)
    return line


def write(folder, name, content):
    path = os.path.join(folder, name)
    with open(path, "w") as f:
        f.write(content if isinstance(content, str) else json.dumps(content))
    return path


def main():
    with tempfile.TemporaryDirectory(prefix="ferry-convert-cli-") as work:
        disk = os.path.join(work, "disk.img")
        with open(disk, "wb") as f:
            f.truncate(1 << 20)
        volume = os.path.join(work, "volume")
        os.makedirs(volume)
        good = {"vm": {"name": "web"}, "disks": [{"path": disk}],
                "workDir": os.path.join(work, "w")}

        def variant(name, **changes):
            d = json.loads(json.dumps(good))
            for key, value in changes.items():
                if value is None:
                    d.pop(key, None)
                else:
                    d[key] = value
            return write(work, name + ".json", d)

        # the result also goes to --result-file (a pod's termination message)
        result_file = os.path.join(work, "termination-log")
        with open(result_file, "w") as f:
            f.write("an older, longer message that must not survive\n" * 3)
        line = expect_failure("malformed JSON", write(work, "bad.json", '{"vm": {"name": '),
                              "invalid-data", ["bad.json", "Parse error"], 2,
                              extra=["--result-file", result_file])
        if json.loads(open(result_file).read()) != line:
            sys.exit("--result-file does not hold the result line: %r" % open(result_file).read())
        expect_failure("missing description", os.path.join(work, "nothing.json"), "not-found",
                       ["nothing.json"], 3)
        line = expect_failure("unknown member", variant("unknown", secret="hunter2"),
                              "invalid-data", ["unknown member 'secret'"], 2)
        if "hunter2" in json.dumps(line):
            sys.exit("the value of an unknown member was printed: %s" % line)
        expect_failure("VM without a name", variant("unnamed", vm={"firmware": "bios"}),
                       "invalid-data", ['"vm"', '"name"'], 2)
        expect_failure("no disks", variant("nodisks", disks=[]), "invalid-data", ['"disks"'], 2)
        expect_failure("missing disk",
                       variant("missing", disks=[{"path": os.path.join(work, "gone.img")}]),
                       "not-found", ["gone.img", "mount the VM's PVC"], 3)
        # a volume directory means its disk.img: here there is none
        expect_failure("volume without disk.img", variant("novolume", disks=[{"path": volume}]),
                       "not-found", [os.path.join(volume, "disk.img")], 3)
        expect_failure("not a disk", variant("chardev", disks=[{"path": "/dev/null"}]),
                       "invalid-data", ["/dev/null", "neither a file nor a block device"], 2)
        expect_failure("relative disk path", variant("relative", disks=[{"path": "disk.img"}]),
                       "invalid-data", ["absolute"], 2)
        expect_failure("unknown format",
                       variant("format", disks=[{"path": disk, "format": "vmdk"}]),
                       "invalid-data", ["vmdk"], 2)
        expect_failure("relative work folder", variant("workdir", workDir="w"),
                       "invalid-data", ['"workDir"'], 2)
        expect_failure("missing LUKS key folder",
                       variant("luks", luksKeyDir=os.path.join(work, "no-keys")),
                       "not-found", ["no-keys", "LUKS Secret"], 3)
        # a good description, but no plugin here converts guests
        empty = os.path.join(work, "no-plugins")
        os.makedirs(empty)
        expect_failure("no converter", variant("good"), "not-supported",
                       ["no loaded transfer method can convert guests", "virt-v2v"], 1,
                       env={"FERRY_PLUGIN_PATH": empty})
        # the lines go to --progress-fd when asked
        read_end, write_end = os.pipe()
        result = subprocess.run([FERRY, "convert", "--description", variant("nodisks2", disks=[]),
                                 "--progress-fd", str(write_end)],
                                capture_output=True, text=True, pass_fds=(write_end,))
        os.close(write_end)
        piped = os.read(read_end, 65536).decode()
        os.close(read_end)
        if result.stdout.strip() or json.loads(piped.splitlines()[-1]).get("result") != "Failed":
            sys.exit("--progress-fd: stdout %r, pipe %r" % (result.stdout, piped))
        print("ok - progress-fd")
        expect_failure("usage", variant("usage"), "usage", ["unexpected argument"], 2,
                       extra=["extra"])


if __name__ == "__main__":
    main()
