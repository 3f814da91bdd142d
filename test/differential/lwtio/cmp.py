import sys,re,os
STRIP=os.environ.get('STRIP','1')=='1'
def parse(f):
    d={}; cur=None
    for line in open(f, errors='replace'):
        line=line.rstrip('\n')
        m=re.match(r'=== (\d+)$', line)
        if m: cur=int(m.group(1)); d[cur]=[]; continue
        if cur is not None and not (STRIP and re.match(r'  [RW]\d+=', line)): d[cur].append(line)
    return d
a=parse(sys.argv[1]); b=parse(sys.argv[2])
if os.environ.get('ORDER','1')=='0':
    a={k:sorted(v) for k,v in a.items()}; b={k:sorted(v) for k,v in b.items()}
bad=[]
for k in sorted(set(a)|set(b)):
    if a.get(k)!=b.get(k):
        bad.append(k)
        print(f'##### prog {k}')
        import difflib
        for l in difflib.unified_diff(a.get(k,[]), b.get(k,[]), 'ml','cs', lineterm='', n=50): print(l)
print(f'total {len(set(a)|set(b))} differing {len(bad)}: {bad[:50]}')
sys.exit(1 if bad else 0)  # run.sh: non-zero when a program differs
