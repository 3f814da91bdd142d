"""What several areas' cmp.py share: reading a trace file into its programs' blocks.

A trace is a sequence of blocks, each headed `== N` (N the program's number) and followed by
that program's lines; lines before the first header are ignored. The areas whose headers
look different (mainsys `PN`, syncstream `=== prog N`, ...) keep their own reader.
"""


def split(fn):
    """{program number: [its lines, without the newline]} for the trace file `fn`."""
    progs, cur = {}, None
    for line in open(fn):
        line = line.rstrip('\n')
        if line.startswith('== '):
            cur = int(line.split()[1]); progs[cur] = []
        elif cur is not None:
            progs[cur].append(line)
    return progs
