#!/usr/bin/env python3
# Differential test generator (see test/differential/README.md), area unixfiles:
# Lwt_unix file-system calls (openfile/read/write/pread/pwrite/lseek/truncate/stat/lstat/fstat,
# mkdir/rmdir/rename/link/symlink/readlink/unlink, opendir/readdir/files_of_directory, chdir/getcwd,
# chmod/access/utimes/lockf/dup/cloexec/blocking, fsync), Lwt_io.open_file/*_of_file streams, and
# Lwt_bytes. Programs run in a scratch tree. Extra args: BYTES_FRACTION (0.15) and MAXSTEPS (12);
# env KNOWN=1 also generates cases known to differ (off by default).
"""Generate N random Lwt_unix file-system programs (+ Lwt_bytes programs) as one .ml and one .cs.
usage: gen.py SEED N OUTDIR [BYTES_FRACTION]"""
import random, sys

R = None
import os
KNOWN = float(os.environ.get('KNOWN', '0'))
PATHS = ['a', 'b', 'x', 'd', 'e', 'd/f', 'la', 'ld', 'dang', 'loop', 'm', 'd/m', 'a/', 'd/', 'ld/', 'e/', '',
         'a/x', 'new', 'd/new', 'n2', 'e/n', 'd/..', '.', '..', 'la/', 'dang/', 'new/', '../e', '../a', 'é', 'd/é', '../d/f']
HOT = ['a', 'b', 'd', 'e', 'new', 'n2', 'la', 'm', 'd/f', 'e/n']

def path():
    if R.random() < 0.55:
        return R.choice(HOT)
    return R.choice(PATHS)

def mls(s):
    return '"' + ''.join(c if c.isalnum() or c in '/._ ' else '\\x%02x' % ord(c) for c in s) + '"'

def css(s):
    return '"' + ''.join(c if c.isalnum() or c in '/._ ' else '\\u%04x' % ord(c) for c in s) + '"'

PERMS = [0o644, 0o600, 0o755, 0o000, 0o777, 0o400, 0o200, 0o4755, 0o1777, 0o2750]

def perm():
    if R.random() < 0.02 * KNOWN:
        return R.choice([0o10000, 0o17777])
    return R.choice(PERMS)

FLAG_ML = {'R': 'Unix.O_RDONLY', 'W': 'Unix.O_WRONLY', 'RW': 'Unix.O_RDWR', 'C': 'Unix.O_CREAT', 'X': 'Unix.O_EXCL',
           'T': 'Unix.O_TRUNC', 'A': 'Unix.O_APPEND', 'N': 'Unix.O_NONBLOCK'}
FLAG_CS = {'R': 'OpenFlags.ReadOnly', 'W': 'OpenFlags.WriteOnly', 'RW': 'OpenFlags.ReadWrite', 'C': 'OpenFlags.Create',
           'X': 'OpenFlags.Exclusive', 'T': 'OpenFlags.Truncate', 'A': 'OpenFlags.Append', 'N': 'OpenFlags.NonBlock'}

def flags():
    acc = R.choice(['R', 'R', 'W', 'RW', 'RW', 'RW'])
    fl = [acc]
    for f, p in [('C', 0.4), ('X', 0.15), ('T', 0.2), ('A', 0.2), ('N', 0.1)]:
        if R.random() < p:
            fl.append(f)
    if R.random() < 0.03:
        fl.append(R.choice(['W', 'RW']))
    R.shuffle(fl)
    return fl

def fl_ml(fl):
    return '[' + '; '.join(FLAG_ML[f] for f in fl) + ']'

def fl_cs(fl):
    return '(' + ' | '.join(FLAG_CS[f] for f in fl) + ')'

def small_ofs():
    return R.choice([-1, 0, 0, 1, 3, 8, 15, 16, 17])

def small_len():
    return R.choice([-1, 0, 1, 4, 5, 8, 16, 17])

def file_off():
    return R.choice([-1, 0, 0, 2, 5, 12, 13, 100])

def slot():
    return R.choice([0, 0, 0, 0, 0, 0, 0, 1, 1, 2])

SEEK = {'SET': ('Unix.SEEK_SET', 'SeekOrigin.Begin'), 'CUR': ('Unix.SEEK_CUR', 'SeekOrigin.Current'),
        'END': ('Unix.SEEK_END', 'SeekOrigin.End')}

ACC = {'R': ('Unix.R_OK', 'AccessPermissions.Read'), 'W': ('Unix.W_OK', 'AccessPermissions.Write'),
       'X': ('Unix.X_OK', 'AccessPermissions.Execute'), 'F': ('Unix.F_OK', 'AccessPermissions.Exists')}

TEXTS = ['', 'hi', 'a\nb', 'line1\nline2\n', 'x\n\ny', '\n', 'abc\r\ndef']
LINESETS = [[], [''], ['one'], ['one', 'two'], ['a b', '', 'c']]

def op():
    """returns (label, ml expr of unit -> string Lwt.t, cs expr of Func<Promise<string>>)"""
    k = R.choices(
        ['open', 'close', 'read', 'write', 'wstr', 'pread', 'pwrite', 'bread', 'bwrite', 'lseek', 'truncate', 'ftruncate',
         'fsync', 'fdatasync', 'fstat', 'stat', 'lstat', 'exists', 'access', 'rename', 'link', 'symlink', 'readlink',
         'unlink', 'mkdir', 'rmdir', 'chmod', 'fchmod', 'chdir', 'getcwd', 'opendir', 'readdir', 'readdir_n',
         'rewinddir', 'closedir', 'fod', 'ioread', 'iowrite', 'lof', 'cof', 'ltf', 'flen', 'openin', 'openout',
         'dup', 'dup2', 'abort', 'blocking', 'set_blocking', 'isatty', 'lockf', 'utimes', 'cloexec',
         'mkstream', 'sget', 'sall', 'delrec'],
        [8, 4, 6, 5, 2, 4, 4, 2, 2, 4, 2, 2,
         1, 1, 3, 3, 3, 2, 2, 3, 2, 2, 2,
         3, 3, 2, 2, 1, 2, 1, 2, 3, 2,
         1, 2, 2, 2, 2, 2, 1, 2, 2, 2, 2,
         1, 1, 1, 1, 1, 1, 2, 1, 1,
         2, 4, 1, 1])[0]
    if k == 'mkstream':
        kk, p = R.choice([0, 1, 1, 2]), path()
        if kk == 1 and R.random() < 0.5: p = R.choice(['d', 'e', '.'])
        return (f'mkstream {kk} {p!r}', f'mkstream {kk} {mls(p)}', f'MkStreamOp({kk}, {css(p)})')
    if k in ('sget', 'sall'):
        return (k, k, 'SGetOp()' if k == 'sget' else 'SAllOp()')
    if k == 'delrec':
        p = R.choice(['d', 'e', 'ld', 'a', 'm', 'd/', 'new', 'n2'])
        return (f'delrec {p!r}', f'delrec {mls(p)}', f'DelRecOp({css(p)})')
    if k in ('dup', 'dup2'):
        i, j = slot(), slot()
        if k == 'dup2' and i == j: j = (i + 1) % 3  # Lwt 5.6.1: dup2 ch ch makes a self-referential lazy (CamlinternalLazy.Undefined)
        n = 'DupOp' if k == 'dup' else 'Dup2Op'
        return (f'{k} {i} {j}', f'{k} {i} {j}', f'{n}({i}, {j})')
    if k in ('abort', 'blocking', 'isatty', 'cloexec'):
        i = slot()
        mln = {'cloexec': 'set_cloexec'}.get(k, k)
        n = {'abort': 'AbortOp', 'blocking': 'BlockingOp', 'isatty': 'IsAttyOp', 'cloexec': 'SetCloExecOp'}[k]
        return (f'{k} {i}', f'{mln} {i}', f'{n}({i})')
    if k == 'set_blocking':
        i, b = slot(), R.choice([True, False])
        return (f'set_blocking {i} {b}', f'set_blocking {i} {str(b).lower()}', f'SetBlockingOp({i}, {str(b).lower()})')
    if k == 'lockf':
        i, c, n = slot(), R.choice(['F_ULOCK', 'F_LOCK', 'F_TLOCK', 'F_TEST', 'F_RLOCK', 'F_TRLOCK']), R.choice([-5, -1, 0, 0, 4, 100])
        csc = {'F_ULOCK': 'Unlock', 'F_LOCK': 'Lock', 'F_TLOCK': 'TryLock', 'F_TEST': 'Test', 'F_RLOCK': 'ReadLock', 'F_TRLOCK': 'TryReadLock'}[c]
        return (f'lockf {i} {c} {n}', f'lockf {i} Unix.{c} ({n})', f'LockFOp({i}, LockCommand.{csc}, {n})')
    if k == 'utimes':
        p, t = path(), R.choice([(0.0, 0.0), (1.0, 2.0), (1000.5, 0.0)])
        return (f'utimes {p!r} {t}', f'utimes {mls(p)} {t[0]} {t[1]}', f'UtimesOp({css(p)}, {t[0]}, {t[1]})')
    if k == 'open':
        i, p, fl, pm = slot(), path(), flags(), perm() if R.random() < 0.7 else 0o644
        return (f'openfile {i} {p!r} {"".join(fl)} {pm:o}', f'openfile {i} {mls(p)} {fl_ml(fl)} 0o{pm:o}',
                f'OpenFileOp({i}, {css(p)}, {fl_cs(fl)}, {pm})')
    if k == 'close':
        i = slot()
        return (f'close {i}', f'close {i}', f'CloseOp({i})')
    if k in ('read', 'write', 'bread', 'bwrite'):
        i, o, l = slot(), small_ofs(), small_len()
        if R.random() < 0.7:
            o = max(0, o); l = max(0, l)
            if o + l > 16: l = 16 - o
        names = {'read': ('read', 'ReadOp'), 'write': ('write', 'WriteOp'), 'bread': ('bread', 'BReadOp'), 'bwrite': ('bwrite', 'BWriteOp')}[k]
        return (f'{k} {i} {o} {l}', f'{names[0]} {i} ({o}) ({l})', f'{names[1]}({i}, {o}, {l})')
    if k == 'wstr':
        i, s = slot(), R.choice(TEXTS)
        return (f'write_string {i} {s!r}', f'write_string {i} {mls(s)}', f'WriteStringOp({i}, {css(s)})')
    if k in ('pread', 'pwrite'):
        i, fo, o, l = slot(), file_off(), small_ofs(), small_len()
        if R.random() < 0.7:
            o = max(0, o); l = max(0, l)
            if o + l > 16: l = 16 - o
        if R.random() < 1 - 0.2 * KNOWN: fo = max(0, fo)
        n = 'PReadOp' if k == 'pread' else 'PWriteOp'
        return (f'{k} {i} {fo} {o} {l}', f'{k} {i} ({fo}) ({o}) ({l})', f'{n}({i}, {fo}, {o}, {l})')
    if k == 'lseek':
        i, off, wh = slot(), R.choice([-20, -5, -1, 0, 0, 3, 12, 100]), R.choice(list(SEEK))
        return (f'lseek {i} {off} {wh}', f'lseek {i} ({off}) {SEEK[wh][0]}', f'LSeekOp({i}, {off}, {SEEK[wh][1]})')
    if k == 'truncate':
        p, n = path(), R.choice([-1, 0, 3, 20]) if R.random() < 0.15 * KNOWN else R.choice([0, 3, 20])
        return (f'truncate {p!r} {n}', f'truncate {mls(p)} ({n})', f'TruncateOp({css(p)}, {n})')
    if k == 'ftruncate':
        i, n = slot(), R.choice([-1, 0, 3, 20]) if R.random() < 0.15 * KNOWN else R.choice([0, 3, 20])
        return (f'ftruncate {i} {n}', f'ftruncate {i} ({n})', f'FTruncateOp({i}, {n})')
    if k in ('fsync', 'fdatasync', 'fstat'):
        i = slot()
        n = {'fsync': 'FSyncOp', 'fdatasync': 'FDataSyncOp', 'fstat': 'FStatOp'}[k]
        return (f'{k} {i}', f'{k} {i}', f'{n}({i})')
    if k in ('stat', 'lstat', 'exists', 'readlink', 'unlink', 'rmdir', 'chdir', 'fod', 'ioread', 'lof', 'cof', 'flen'):
        p = path()
        if k == 'chdir':
            p = R.choice(['d', 'e', '..', '.', 'm', 'a', 'ld', 'd/', '', 'dang', '../e', '../d', 'new'])
        mln = {'exists': 'file_exists', 'fod': 'files_of_directory', 'ioread': 'io_read', 'lof': 'lines_of_file',
               'cof': 'chars_of_file', 'flen': 'file_length'}.get(k, k)
        csn = {'stat': 'StatOp', 'lstat': 'LStatOp', 'exists': 'FileExistsOp', 'readlink': 'ReadlinkOp', 'unlink': 'UnlinkOp',
               'rmdir': 'RmdirOp', 'chdir': 'ChDirOp', 'fod': 'FilesOfDirectoryOp', 'ioread': 'IoReadOp',
               'lof': 'LinesOfFileOp', 'cof': 'CharsOfFileOp', 'flen': 'FileLengthOp'}[k]
        return (f'{mln} {p!r}', f'{mln} {mls(p)}', f'{csn}({css(p)})')
    if k == 'access':
        p = path()
        acc = R.sample(list(ACC), R.randint(0, 3))
        return (f'access {p!r} {"".join(acc)}', 'access ' + mls(p) + ' [' + '; '.join(ACC[a][0] for a in acc) + ']',
                f'AccessOp({css(p)}, ' + ('(' + ' | '.join(ACC[a][1] for a in acc) + ')' if acc else 'AccessPermissions.Exists') + ')')
    if k in ('rename', 'link', 'symlink'):
        a, b = path(), path()
        if k == 'symlink' and R.random() < 0.5:
            a = R.choice(['a', 'nosuch', 'd', '../a', 'x/y'])
        n = {'rename': 'RenameOp', 'link': 'LinkOp', 'symlink': 'SymlinkOp'}[k]
        return (f'{k} {a!r} {b!r}', f'{k} {mls(a)} {mls(b)}', f'{n}({css(a)}, {css(b)})')
    if k in ('mkdir', 'chmod'):
        p, pm = path(), perm()
        n = {'mkdir': 'MkdirOp', 'chmod': 'ChmodOp'}[k]
        return (f'{k} {p!r} {pm:o}', f'{k} {mls(p)} 0o{pm:o}', f'{n}({css(p)}, {pm})')
    if k == 'fchmod':
        i, pm = slot(), perm()
        return (f'fchmod {i} {pm:o}', f'fchmod {i} 0o{pm:o}', f'FChmodOp({i}, {pm})')
    if k == 'getcwd':
        return ('getcwd', 'getcwd', 'GetCwdOp()')
    if k == 'opendir':
        i, p = R.choice([0, 0, 1]), R.choice(['d', 'e', '.', 'a', 'm', 'ld', 'd/', ''] + HOT)
        return (f'opendir {i} {p!r}', f'opendir {i} {mls(p)}', f'OpenDirOp({i}, {css(p)})')
    if k in ('readdir', 'rewinddir', 'closedir'):
        i = R.choice([0, 0, 1])
        n = {'readdir': 'ReadDirOp', 'rewinddir': 'RewindDirOp', 'closedir': 'CloseDirOp'}[k]
        return (f'{k} {i}', f'{k} {i}', f'{n}({i})')
    if k == 'readdir_n':
        i, n = R.choice([0, 0, 1]), R.choice([0, 1, 2, 10])
        return (f'readdir_n {i} {n}', f'readdir_n {i} {n}', f'ReadDirNOp({i}, {n})')
    if k in ('iowrite', 'openout', 'openin'):
        p = path()
        s = R.choice(TEXTS)
        fl = flags() if R.random() < 0.4 else None
        pm = perm() if R.random() < 0.4 else None
        mlopt = (f' ~flags:{fl_ml(fl)}' if fl else '') + (f' ~perm:0o{pm:o}' if pm is not None else '')
        csopt = (f', {fl_cs(fl)}' if fl else ', null') + (f', {pm}' if pm is not None else '')
        lab = f'{k} {p!r}' + (f' fl={"".join(fl)}' if fl else '') + (f' perm={pm:o}' if pm is not None else '')
        if k == 'openin':
            return (lab, f'open_in{mlopt} {mls(p)}', f'OpenInOp({css(p)}{csopt})')
        mln = 'io_write' if k == 'iowrite' else 'open_out'
        csn = 'IoWriteOp' if k == 'iowrite' else 'OpenOutOp'
        return (lab + f' {s!r}', f'{mln}{mlopt} {mls(p)} {mls(s)}', f'{csn}({css(p)}, {css(s)}{csopt})')
    if k == 'ltf':
        p, l = path(), R.choice(LINESETS)
        return (f'lines_to_file {p!r} {l!r}', f'lines_to_file {mls(p)} [' + '; '.join(mls(x) for x in l) + ']',
                f'LinesToFileOp({css(p)}, new string[] {{' + ', '.join(css(x) for x in l) + '})')
    raise Exception(k)

# ---------------- Lwt_bytes programs
def bop():
    k = R.choice(['create', 'of_string', 'to_string', 'blit', 'bfb', 'btb', 'bfs', 'fill', 'extract', 'copy', 'proxy',
                  'get', 'set', 'length'])
    i, j = R.randint(0, 2), R.randint(0, 2)
    def o(): return R.choice([-1, 0, 0, 1, 2, 3, 5, 7, 8, 9])
    def l(): return R.choice([-1, 0, 1, 2, 3, 4, 8, 9])
    if k == 'create':
        n = R.choice([-1, 0, 1, 5, 8])
        return (f'create {i} {n}', f'(fun () -> Lwt_bytes.fill (bs.({i}) <- Lwt_bytes.create ({n}); bs.({i})) 0 ({n}) \'z\'; "ok")',
                f'() => {{ Bs[{i}] = LwtBytes.Create({n}); LwtBytes.Fill(Bs[{i}], 0, {n}, (byte)\'z\'); return "ok"; }}')
    if k == 'of_string':
        s = R.choice(['', 'q', 'hello', 'abcdefghij'])
        return (f'of_string {i} {s!r}', f'(fun () -> bs.({i}) <- Lwt_bytes.of_string {mls(s)}; "ok")',
                f'() => {{ Bs[{i}] = LwtBytes.OfString({css(s)}); return "ok"; }}')
    if k == 'to_string':
        return (f'to_string {i}', f'(fun () -> hexs (Lwt_bytes.to_string bs.({i})))', f'() => Hex(Encoding.UTF8.GetBytes(LwtBytes.ToString(Bs[{i}])))')
    if k == 'blit':
        a, b, n = o(), o(), l()
        return (f'blit {i} {a} {j} {b} {n}', f'(fun () -> Lwt_bytes.blit bs.({i}) ({a}) bs.({j}) ({b}) ({n}); "ok")',
                f'() => {{ LwtBytes.Blit(Bs[{i}], {a}, Bs[{j}], {b}, {n}); return "ok"; }}')
    if k == 'bfb':
        a, b, n = o(), o(), l()
        return (f'blit_from_bytes {a} {j} {b} {n}', f'(fun () -> Lwt_bytes.blit_from_bytes !by ({a}) bs.({j}) ({b}) ({n}); "ok")',
                f'() => {{ LwtBytes.BlitFromBytes(By, {a}, Bs[{j}], {b}, {n}); return "ok"; }}')
    if k == 'btb':
        a, b, n = o(), o(), l()
        return (f'blit_to_bytes {i} {a} {b} {n}', f'(fun () -> Lwt_bytes.blit_to_bytes bs.({i}) ({a}) !by ({b}) ({n}); "ok")',
                f'() => {{ LwtBytes.BlitToBytes(Bs[{i}], {a}, By, {b}, {n}); return "ok"; }}')
    if k == 'bfs':
        a, b, n = o(), o(), l()
        s = R.choice(['', 'xyz', 'stringval'])
        return (f'blit_from_string {s!r} {a} {j} {b} {n}', f'(fun () -> Lwt_bytes.blit_from_string {mls(s)} ({a}) bs.({j}) ({b}) ({n}); "ok")',
                f'() => {{ LwtBytes.BlitFromString({css(s)}, {a}, Bs[{j}], {b}, {n}); return "ok"; }}')
    if k == 'fill':
        a, n = o(), l()
        return (f'fill {i} {a} {n}', f'(fun () -> Lwt_bytes.fill bs.({i}) ({a}) ({n}) \'#\'; "ok")',
                f'() => {{ LwtBytes.Fill(Bs[{i}], {a}, {n}, (byte)\'#\'); return "ok"; }}')
    if k in ('extract', 'proxy'):
        a, n = o(), l()
        fn = 'Extract' if k == 'extract' else 'Proxy'
        return (f'{k} {j} <- {i} {a} {n}', f'(fun () -> bs.({j}) <- Lwt_bytes.{k} bs.({i}) ({a}) ({n}); "ok")',
                f'() => {{ Bs[{j}] = LwtBytes.{fn}(Bs[{i}], {a}, {n}); return "ok"; }}')
    if k == 'copy':
        return (f'copy {j} <- {i}', f'(fun () -> bs.({j}) <- Lwt_bytes.copy bs.({i}); "ok")',
                f'() => {{ Bs[{j}] = LwtBytes.Copy(Bs[{i}]); return "ok"; }}')
    if k == 'get':
        a = o()
        return (f'get {i} {a}', f'(fun () -> Printf.sprintf "%02x" (Char.code (Lwt_bytes.get bs.({i}) ({a}))))',
                f'() => LwtBytes.Get(Bs[{i}], {a}).ToString("x2")')
    if k == 'set':
        a = o()
        return (f'set {i} {a}', f'(fun () -> Lwt_bytes.set bs.({i}) ({a}) \'!\'; "ok")',
                f'() => {{ LwtBytes.Set(Bs[{i}], {a}, (byte)\'!\'); return "ok"; }}')
    if k == 'length':
        return (f'length {i}', f'(fun () -> string_of_int (Lwt_bytes.length bs.({i})))', f'() => LwtBytes.Length(Bs[{i}]).ToString()')

# ---------------- family io2 (FAMILIES io2): Lwt_io temp files, hexdump, chars_to_file, bigstring reads
# and writes on channels, resize_buffer, flush_all, of_unix_fd; Lwt_unix pwrite_string, mkfifo,
# pipe_in/pipe_out, of_unix_file_descr, check_descriptor (ops in prelude.ml / Rt2.cs). Temp files go
# to the program's own 't' (made by start2; no base op lists it) or, for with_temp_file and
# create_temp_dir (which clean up), to the system's; names print with their random part masked.
HDS = ['', 'a', '0123456789abcdef', '0123456789abcdefg', 'hello\nworld\x00\x7f\xff ~', 'x' * 33, '\x1f !\x80']
def ascii(s): return all(ord(c) < 128 for c in s)
def mlb(s):  # bytes 0..255 (Latin-1), unlike mls, which keeps non-ASCII letters as UTF-8 (paths)
    return '"' + ''.join(c if (c.isalnum() and ord(c) < 128) or c in '/._ ' else '\\x%02x' % ord(c) for c in s) + '"'
def mlopt(name, v, conv):
    return '' if v is None else f' ~{name}:{conv(v)}'
def o_or_bad():
    o, l = small_ofs(), small_len()
    if R.random() < 0.6:
        o = max(0, o); l = max(0, l)
        if o + l > 16: l = 16 - o
    return o, l
def cs_str(v): return 'null' if v is None else css(v)
def io2op():
    k = R.choices(['hd', 'hdoc', 'hds', 'ctf', 'otf', 'wtf', 'ctd', 'icopen', 'ocopen', 'icfd', 'ocfd', 'rib', 'riexb',
                   'wfb', 'wfexb', 'icread', 'ocflush', 'flush_all', 'icresize', 'ocresize', 'icclose', 'occlose',
                   'pwstr', 'mkfifo', 'pipein', 'pipeout', 'ofufd', 'checkd'],
                  [2, 2, 1, 2, 4, 4, 3, 4, 4, 2, 2, 5, 4,
                   5, 4, 2, 3, 2, 3, 3, 2, 2,
                   4, 2, 2, 2, 2, 2])[0]
    ci = R.choice([0, 0, 1])
    if k == 'hd':
        s = R.choice(HDS); b = not ascii(s) or R.random() < 0.5
        return (f'hexdump {s!r}', f'hd {mlb(s)}', f'HdOp({css(s)}, {str(b).lower()})')
    if k == 'hdoc':
        s = R.choice(HDS)
        return (f'hexdump oc{ci} {s!r}', f'hdoc {ci} {mlb(s)}', f'HdOcOp({ci}, {css(s)})')
    if k == 'hds':
        p = path()
        return (f'hexdump_stream {p!r}', f'hds {mls(p)}', f'HdsOp({css(p)})')
    if k == 'ctf':
        p, s = path(), R.choice(HDS)
        return (f'chars_to_file {p!r} {s!r}', f'ctf {mls(p)} {mlb(s)}', f'CtfOp({css(p)}, {css(s)})')
    pre = R.choice([None, None, 'p', '', 'x.', 'sub/'])
    suf = R.choice([None, None, '', '.tmp', '/'])
    if k == 'otf':
        d = R.choice(['t', 't', 't/', './t', 'nosuch', 'a'])
        fl = R.choice([None, None, None, ['W', 'C', 'X'], ['RW', 'C'], ['W'], ['R', 'C', 'X']])
        pm = R.choice([None, None, 0o600, 0o644, 0o400, 0o000])
        s = R.choice(TEXTS)
        anchor = '/' + ('lwt_io_temp_file_' if pre is None else pre)
        m = f'otf ~temp_dir:{mls(d)}' + mlopt('prefix', pre, mls) + mlopt('suffix', suf, mls) + mlopt('flags', fl, fl_ml) + mlopt('perm', pm, lambda v: f'0o{v:o}') + f' {mls(s)}'
        c = f'OtfOp({css(d)}, {cs_str(pre)}, {cs_str(suf)}, {fl_cs(fl) if fl else "null"}, {"null" if pm is None else pm}, {css(s)})'
        return (f'open_temp_file {d!r} {pre!r} {suf!r} {fl and "".join(fl)} {pm} {s!r}', f'masked {mls(anchor)} ({m})', f'Masked({css(anchor)}, {c})')
    if k == 'wtf':
        d = R.choice([None, 't', 't', 't/', 'nosuch'])
        mode, s = R.choice([0, 1, 2, 3, 4]), R.choice(TEXTS)
        anchor = '/' + ('lwt_io_temp_file_' if pre is None else pre)
        m = 'wtf' + mlopt('temp_dir', d, mls) + mlopt('prefix', pre, mls) + mlopt('suffix', suf, mls) + f' {mode} {mls(s)}'
        c = f'WtfOp({cs_str(d)}, {cs_str(pre)}, {cs_str(suf)}, {mode}, {css(s)})'
        return (f'with_temp_file {d!r} {pre!r} {suf!r} {mode} {s!r}', f'masked {mls(anchor)} ({m})', f'Masked({css(anchor)}, {c})')
    if k == 'ctd':
        d = R.choice([None, 't', 't', 't/', 'nosuch', 'a'])
        pm = R.choice([None, None, 0o700, 0o755, 0o000, 0o1777, 0o2750])
        anchor = '/' + ('lwt_io_temp_dir_' if pre is None else pre)
        m = 'ctd' + mlopt('perm', pm, lambda v: f'0o{v:o}') + mlopt('parent', d, mls) + mlopt('prefix', pre, mls) + mlopt('suffix', suf, mls) + ' '
        c = f'CtdOp({"null" if pm is None else pm}, {cs_str(d)}, {cs_str(pre)}, {cs_str(suf)})'
        return (f'create_temp_dir {pm} {d!r} {pre!r} {suf!r}', f'masked {mls(anchor)} ({m})', f'Masked({css(anchor)}, {c})')
    if k == 'icopen':
        p, bsz = path(), R.choice([None, None, 16, 17, 100, 15])
        return (f'icopen {ci} {p!r} {bsz}', f'icopen {ci}' + mlopt('buffer_size', bsz, str) + f' {mls(p)}', f'IcOpenOp({ci}, {css(p)}, {"null" if bsz is None else bsz})')
    if k == 'ocopen':
        p, fl = path(), (flags() if R.random() < 0.4 else None)
        return (f'ocopen {ci} {p!r} {fl and "".join(fl)}', f'ocopen {ci}' + mlopt('flags', fl, fl_ml) + f' {mls(p)}', f'OcOpenOp({ci}, {css(p)}, {fl_cs(fl) if fl else "null"})')
    if k in ('icfd', 'ocfd'):
        i = slot()
        return (f'{k} {ci} {i}', f'{k} {ci} {i}', f'{"IcFdOp" if k == "icfd" else "OcFdOp"}({ci}, {i})')
    if k in ('rib', 'riexb', 'wfb', 'wfexb'):
        o, l = o_or_bad()
        return (f'{k} {ci} {o} {l}', f'{k} {ci} ({o}) ({l})', f'{k.capitalize()}Op({ci}, {o}, {l})')
    if k in ('icread', 'ocflush', 'icclose', 'occlose'):
        n = {'icread': 'IcReadOp', 'ocflush': 'OcFlushOp', 'icclose': 'IcCloseOp', 'occlose': 'OcCloseOp'}[k]
        return (f'{k} {ci}', f'{k} {ci}', f'{n}({ci})')
    if k == 'flush_all':
        return ('flush_all', 'flush_all', 'FlushAllOp()')
    if k in ('icresize', 'ocresize'):
        n = R.choice([0, 15, 16, 17, 20, 64, 4096])
        return (f'{k} {ci} {n}', f'{k} {ci} {n}', f'{"IcResizeOp" if k == "icresize" else "OcResizeOp"}({ci}, {n})')
    if k == 'pwstr':
        i, fo, s = slot(), file_off(), R.choice(TEXTS)
        if R.random() < 1 - 0.2 * KNOWN: fo = max(0, fo)
        o, l = R.choice([-1, 0, 0, 1, 2, 5]), R.choice([-1, 0, 1, 2, 5, 12, 13])
        if R.random() < 0.6:
            o = max(0, min(o, len(s))); l = max(0, min(l, len(s) - o))
        return (f'pwrite_string {i} {fo} {s!r} {o} {l}', f'pwstr {i} ({fo}) {mls(s)} ({o}) ({l})', f'PwStrOp({i}, {fo}, {css(s)}, {o}, {l})')
    if k == 'mkfifo':
        p, pm = R.choice(['ff', 'ff', 'd/ff', 'a', 'nosuch/ff']), R.choice([0o600, 0o644, 0o000, 0o777])
        return (f'mkfifo {p!r} {pm:o}', f'mkfifo {mls(p)} 0o{pm:o}', f'MkfifoOp({css(p)}, {pm})')
    if k == 'pipein':
        i, s = slot(), R.choice(TEXTS)
        return (f'pipe_in {i} {s!r}', f'pipein {i} {mls(s)}', f'PipeInOp({i}, {css(s)})')
    if k == 'pipeout':
        s = R.choice(TEXTS)
        return (f'pipe_out {s!r}', f'pipeout {mls(s)}', f'PipeOutOp({css(s)})')
    if k == 'ofufd':
        i, j, b = slot(), slot(), R.choice([None, None, True, False])
        mb = '' if b is None else f' ~blocking:{str(b).lower()}'
        return (f'of_unix_file_descr {i} {j} {b}', f'ofufd {i} {j} {"None" if b is None else f"(Some {str(b).lower()})"}', f'OfUFdOp({i}, {j}, {"null" if b is None else str(b).lower()})')
    if k == 'checkd':
        i = slot()
        return (f'check_descriptor {i}', f'checkd {i}', f'CheckDOp({i})')
    raise Exception(k)

def main():
    global R
    seed, n, out = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    bfrac = float(sys.argv[4]) if len(sys.argv) > 4 else 0.15
    maxsteps = int(sys.argv[5]) if len(sys.argv) > 5 else 12
    fams = (sys.argv[6] if len(sys.argv) > 6 else 'base').split(',')
    R = random.Random(seed)
    ml = [open(os.path.join(os.path.dirname(os.path.abspath(__file__)), 'prelude.ml')).read()]
    cs = ['using System.Text;\nusing Lwt;\nstatic partial class Rt {\n']
    names = []
    for p in range(n):
        if R.random() < bfrac:
            steps = [bop() for _ in range(R.randint(3, maxsteps))]
            ml.append(f'let p{p} () = bstart {p} >>= fun () ->\n' +
                      ''.join(f'  bstep {mls(lab)} {m} >>= fun () ->\n' for lab, m, c in steps) + '  Lwt.return_unit\n')
            cs.append(f'static async Promise P{p}() {{\n  await BStart({p});\n' +
                      ''.join(f'  await BStep({css(lab)}, {c});\n' for lab, m, c in steps) + '}\n')
        elif 'io2' in fams and ('base' not in fams or R.random() < 0.5):
            steps = [io2op() if R.random() < 0.65 else op() for _ in range(R.randint(3, maxsteps))]
            if R.random() < 0.6:
                i, pp, fl = R.choice([0, 0, 1]), R.choice(['a', 'a', 'b', 'new', 'd', 'la', 'x']), flags()
                steps.insert(0, (f'openfile {i} {pp!r} {"".join(fl)} 644', f'openfile {i} {mls(pp)} {fl_ml(fl)} 0o644',
                                 f'OpenFileOp({i}, {css(pp)}, {fl_cs(fl)}, 420)'))
            if R.random() < 0.6:
                ci, pp, bsz = R.choice([0, 0, 1]), R.choice(['a', 'a', 'b', 'new', 'la', 'x']), R.choice([None, 16, 17])
                steps.insert(R.randint(0, 1), (f'icopen {ci} {pp!r} {bsz}', f'icopen {ci}' + mlopt('buffer_size', bsz, str) + f' {mls(pp)}', f'IcOpenOp({ci}, {css(pp)}, {"null" if bsz is None else bsz})'))
            if R.random() < 0.6:
                ci, pp = R.choice([0, 0, 1]), R.choice(['new', 'n2', 'a', 'b'])
                steps.insert(R.randint(0, 2), (f'ocopen {ci} {pp!r} None', f'ocopen {ci} {mls(pp)}', f'OcOpenOp({ci}, {css(pp)}, null)'))
            ml.append(f'let p{p} () = start2 {p} >>= fun () ->\n' +
                      ''.join(f'  step {mls(lab)} ({m}) >>= fun () ->\n' for lab, m, c in steps) + '  finish2 ()\n')
            cs.append(f'static async Promise P{p}() {{\n  await Start2({p});\n' +
                      ''.join(f'  await Step({css(lab)}, {c});\n' for lab, m, c in steps) + '  await Finish2();\n}\n')
        else:
            steps = [op() for _ in range(R.randint(3, maxsteps))]
            if R.random() < 0.3:
                kk, sp = R.choice([0, 1, 1, 2]), R.choice(['a', 'b', 'd', 'e', '.', 'new', 'm', 'ld', 'la'])
                steps.insert(R.randint(0, len(steps) // 2), (f'mkstream {kk} {sp!r}', f'mkstream {kk} {mls(sp)}', f'MkStreamOp({kk}, {css(sp)})'))
            if R.random() < 0.6:
                i, pp, fl = R.choice([0, 0, 1]), R.choice(['a', 'a', 'b', 'new', 'd', 'la', 'x']), flags()
                steps.insert(0, (f'openfile {i} {pp!r} {"".join(fl)} 644', f'openfile {i} {mls(pp)} {fl_ml(fl)} 0o644',
                                 f'OpenFileOp({i}, {css(pp)}, {fl_cs(fl)}, 420)'))
            ml.append(f'let p{p} () = start {p} >>= fun () ->\n' +
                      ''.join(f'  step {mls(lab)} ({m}) >>= fun () ->\n' for lab, m, c in steps) + '  finish ()\n')
            cs.append(f'static async Promise P{p}() {{\n  await Start({p});\n' +
                      ''.join(f'  await Step({css(lab)}, {c});\n' for lab, m, c in steps) + '  await Finish();\n}\n')
        names.append(p)
    ml.append('let () = Lwt_main.run (' + ' >>= fun () -> '.join(f'p{p} ()' for p in names) + ')\n')
    cs.append('public static void Main() => LwtMain.Run(async () => {\n' + ''.join(f'  await P{p}();\n' for p in names) + '});\n}\n')
    open(f'{out}/progs.ml', 'w').write(''.join(ml))
    open(f'{out}/Progs.cs', 'w').write(''.join(cs))

main()
