#!/usr/bin/env python3
# Differential test generator (see test/differential/README.md), area engine: Lwt_engine 5.6.1
# against LwtEngine (EpollEngine, PollEngine, PollBasedEngine, SelectBasedEngine), called
# directly (no Lwt_main). usage: gen.py SEED N WORKDIR [FAMILIES [MAXSTEPS [ENGINES]]]
#   FAMILIES (default io,timer,fake,xfer,close,raise):
#     io     on_readable/on_writable on three pipes the program writes to and drains itself,
#            callbacks that stop themselves or others, register new events, write, drain
#     timer  on_timer with delay 0, -1 (one-shot) or far in the future, repeat or not
#     fake   fake_io on either end of a pipe, from the program and from callbacks
#     xfer   transfer (engine#transfer), Lwt_engine.set ~transfer ~destroy, destroy
#     close  an end closed with its events live, events registered on it afterwards
#     raise  callbacks that raise
#   ENGINES (default ep,po,sb,pb): the engines a program may use (both of its engines are drawn
#     from them): ep = Lwt_engine.libev / EpollEngine, po = Lwt_engine.select / PollEngine,
#     sb = a select_based over Unix.select / a SelectBasedEngine over poll(2), pb = a
#     poll_based over Unix.select / a PollBasedEngine over poll(2).
#
# A program is one line of steps separated by ';', interpreted by prelude.ml and Rt.cs:
#   eng K1 K2               the program's two engines (K1 is made current, Lwt_engine.set)
#   on r|w|x P NAME ACTS    readable on pipe P's read end / writable on its write end /
#                           writable on its read end (never ready); ACTS: '-' or a '+' list:
#       ss (stop self), s:NAME (stop another), on:r|w|x:P:NAME (register, no actions),
#       tm:0|-1:NAME (one-shot timer, no actions), dr:P, wr:P, fk:r|w:P (fake_io), rz (raise),
#       cnt (print the counts)
#   tm 0|-1|far 0|1 NAME ACTS   a timer (delay, repeat)
#   wr P / dr P             write one byte into pipe P / read all there is
#   st NAME                 stop_event
#   fk r|w P                fake_io on an end of P
#   it 0|1                  iter false / iter true (iter true adds a one-shot 0 timer first, so
#                           that something is surely ready, and stops it after)
#   cl r|w P                close an end (its events stay registered)
#   tr                      current#transfer other; other becomes the one the program uses
#   set T D                 Lwt_engine.set ~transfer ~destroy other (only as the first switch)
#   ds                      destroy the engine in use (then only stops follow)
# Every step prints the engine's counts after it; callbacks print `cb NAME own|other` (whether
# the event they received is the one their registration returned) and each action.
#
# Determinism: readiness comes from the pipes only (a write end is writable, a read end readable
# while it holds bytes), timers are due (0, -1) or never (far), iter true only with a due timer.
# fake_io from a callback goes only to a higher pipe than the callback's own (no recursion).
# -1 is never a repeating delay (libev asserts on a negative repeat).
import random, sys, os

HERE = os.path.dirname(os.path.abspath(__file__))
seed, n, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
fams = set((sys.argv[4] if len(sys.argv) > 4 else 'io,timer,fake,xfer,close,raise').split(','))
maxsteps = int(sys.argv[5]) if len(sys.argv) > 5 else 10
engines = (sys.argv[6] if len(sys.argv) > 6 else 'ep,po,sb,pb').split(',')


def prog(r):
    names = []
    cnt = [0]
    def fresh(prefix='e'):
        cnt[0] += 1
        return f"{prefix}{cnt[0]}"
    st = {'switched': False, 'set': False, 'destroyed': False, 'closed': False}
    kinds = (r.choice(engines), r.choice(engines))
    # libev asserts (abort) when epoll_ctl answers EBADF: a watcher reaching the kernel after
    # its fd was closed. So a program with a libev engine closes an fd only if it was drawn as a
    # closing program, and then: an iteration just before each close (libev has then handed the
    # kernel every watcher), no fd registration after the first close, no
    # callback that registers an fd event (nested), no transfer after a close.
    closing = 'close' in fams and ('ep' not in kinds or r.random() < 0.5)
    nested_on = not (closing and 'ep' in kinds)

    def acts(own_pipe):
        """Actions of a callback on pipe own_pipe (None for a timer)."""
        out = []
        for _ in range(r.choice([0, 0, 1, 1, 2, 3])):
            ks = ['ss', 'ss', 's', 'on', 'dr', 'wr', 'cnt']
            if 'timer' in fams: ks.append('tm')
            if 'fake' in fams: ks.append('fk')
            if 'raise' in fams and r.random() < 0.3: ks.append('rz')
            k = r.choice(ks)
            if k == 's' and names: out.append('s:' + r.choice(names))
            elif k == 'on' and nested_on:
                nm = fresh('n'); names.append(nm)
                out.append(f"on:{r.choice('rrwx')}:{r.randrange(3)}:{nm}")
            elif k == 'tm':
                nm = fresh('n'); names.append(nm)
                out.append(f"tm:{r.choice(['0', '-1'])}:{nm}")
            elif k == 'dr': out.append(f"dr:{r.randrange(3)}")
            elif k == 'wr': out.append(f"wr:{r.randrange(3)}")
            elif k == 'fk':
                lo = 0 if own_pipe is None else own_pipe + 1
                if lo < 3: out.append(f"fk:{r.choice('rw')}:{r.randrange(lo, 3)}")
            elif k in ('ss', 'cnt', 'rz'): out.append(k)
        return '+'.join(out) if out else '-'

    steps = [f"eng {kinds[0]} {kinds[1]}"]
    libev_closed = lambda: st['closed'] and 'ep' in kinds
    for _ in range(r.randint(3, maxsteps)):
        if st['destroyed']:
            if names: steps.append(f"st {r.choice(names)}")
            continue
        ks = ['on', 'on', 'on', 'wr', 'wr', 'dr', 'st', 'it', 'it', 'it', 'it']
        if 'timer' in fams: ks += ['tm', 'tm']
        if 'fake' in fams: ks += ['fk', 'fk']
        if 'xfer' in fams and not libev_closed(): ks += ['tr', 'set', 'ds'] if not st['set'] else ['ds']
        if closing: ks += ['cl']
        k = r.choice(ks)
        if k == 'on' and libev_closed():
            continue
        if k == 'on':
            nm = fresh(); names.append(nm)
            p = r.randrange(3)
            steps.append(f"on {r.choice('rrrwwx')} {p} {nm} {acts(p)}")
        elif k == 'tm':
            nm = fresh(); names.append(nm)
            rep = r.random() < 0.4
            d = r.choice(['0', '0', 'far'] + ([] if rep else ['-1']))
            steps.append(f"tm {d} {int(rep)} {nm} {acts(None)}")
        elif k == 'wr': steps.append(f"wr {r.randrange(3)}")
        elif k == 'dr': steps.append(f"dr {r.randrange(3)}")
        elif k == 'st' and names: steps.append(f"st {r.choice(names)}")
        elif k == 'fk': steps.append(f"fk {r.choice('rw')} {r.randrange(3)}")
        elif k == 'it': steps.append(f"it {int(r.random() < 0.3)}")
        elif k == 'cl':
            if 'ep' in kinds: steps.append('it 0')
            steps.append(f"cl {r.choice('rw')} {r.randrange(3)}"); st['closed'] = True
        elif k == 'tr' and not st['set']:
            steps.append('tr'); st['switched'] = True
        elif k == 'set' and not st['switched']:
            t, d = r.choice([(1, 1), (1, 1), (1, 0), (0, 0), (0, 1)])
            steps.append(f"set {t} {d}"); st['switched'] = st['set'] = True
        elif k == 'ds':
            steps.append('ds'); st['destroyed'] = True
    return ';'.join(steps)


r = random.Random(seed)
progs = [prog(r) for _ in range(n)]
with open(os.path.join(work, 'progs.txt'), 'w') as f:
    for p in progs: f.write(p + '\n')
with open(os.path.join(work, 'progs.ml'), 'w') as f:
    f.write(open(os.path.join(HERE, 'prelude.ml')).read())
    f.write('\nlet progs = [|\n' + ''.join(f'  "{p}";\n' for p in progs) + '|]\n')
    f.write('let () = Array.iteri run_prog progs\n')
with open(os.path.join(work, 'Progs.cs'), 'w') as f:
    f.write('static class Progs { public static readonly string[] All = {\n')
    f.write(''.join(f'  "{p}",\n' for p in progs) + '}; }\n')
