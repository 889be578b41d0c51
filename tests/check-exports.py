#!/usr/bin/env python3
# Proves that libferry exports only what its public headers declare: no
# function of a *-private.h header, and no ferry_* symbol that no public
# header names, is in `nm -D` of the shared library.
# Usage: check-exports.py LIBRARY CORE_SOURCE_DIR CORE_BUILD_DIR
import glob
import os
import re
import subprocess
import sys

COMMENT = re.compile(r'/\*.*?\*/|//[^\n]*', re.S)
CALL = re.compile(r'\b(ferry_[a-z0-9_]+)\s*\(')


def declared(paths):
    names = set()
    for path in paths:
        with open(path, encoding='utf-8') as f:
            names.update(CALL.findall(COMMENT.sub(' ', f.read())))
    return names


def main():
    library, srcdir, builddir = sys.argv[1:4]
    headers = [h for h in glob.glob(os.path.join(srcdir, '**', '*.h'), recursive=True)]
    private = declared(h for h in headers if h.endswith('-private.h'))
    public = declared([h for h in headers if not h.endswith('-private.h')] +
                      glob.glob(os.path.join(builddir, '**', '*.h'), recursive=True))
    out = subprocess.run(['nm', '-D', '--defined-only', library], check=True,
                         capture_output=True, text=True).stdout
    exported = {line.split()[2].split('@')[0] for line in out.splitlines()
                if len(line.split()) == 3 and line.split()[1] in 'TDBR'}
    exported = {s for s in exported if s.startswith('ferry_')}
    leaked = sorted((exported & private) - public)
    unknown = sorted(exported - public)
    if not exported:
        print('no ferry_ symbol exported at all: is %s the library?' % library)
        return 1
    for name in leaked:
        print('exported private helper: %s (declared in a *-private.h)' % name)
    for name in unknown:
        if name not in leaked:
            print('exported but in no public header: %s' % name)
    if leaked or unknown:
        return 1
    print('%d symbols exported, all declared in public headers; %d private helpers hidden'
          % (len(exported), len(private - public)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
