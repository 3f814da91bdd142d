import sys,re
def split(fn):
    progs={}; cur=None
    for line in open(fn):
        if line.startswith('=== prog'):
            cur=int(line.split()[2]); progs[cur]=[]
        elif cur is not None: progs[cur].append(line.rstrip('\n'))
    return progs
a=split(sys.argv[1]); b=split(sys.argv[2])
bad=[]
for k in sorted(set(a)|set(b)):
    if a.get(k)!=b.get(k): bad.append(k)
print(f"programs: ml={len(a)} cs={len(b)} differing={len(bad)}")
from collections import Counter
c=Counter()
def blocks(lines):
    out=[];cur=[]
    for l in lines:
        if l.startswith('step ') or l.startswith('final'):
            out.append(sorted(cur)); cur=[l]
        else: cur.append(l)
    out.append(sorted(cur)); return out
KNOWN=[('unlock-unlocked','LwtMutex.Unlock: the mutex is not locked')]
real=[]
for k in bad:
    txt="\n".join(b.get(k) or [])
    kn=[n for n,pat in KNOWN if pat in txt]
    if not kn and blocks(a.get(k) or [])==blocks(b.get(k) or []): kn=['order-only']
    if kn: c[kn[0]]+=1; continue
    hdr=(a.get(k) or b.get(k) or ['?'])[0]
    c[hdr.split()[1]]+=1
    real.append(k)
print(dict(c))
print("diffs:", real[:80])
sys.exit(1 if real else 0)  # run.sh: non-zero when an unexplained difference remains
