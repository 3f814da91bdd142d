namespace Lwt.Tests.Library;

public class LwtListTests
{
    private static readonly int[] Xs = [1, 2, 3, 4];

    [Fact]
    public void SequentialFormsWaitForEachCallback()
    {
        var gates = new List<Resolver<Unit>>();
        var started = new List<int>();
        var p = LwtList.IterS(Xs, x =>
        {
            started.Add(x);
            var (q, r) = Promise.Create();
            gates.Add(r);
            return q;
        });
        Assert.Equal([1], started);
        gates[0].Resolve();
        Assert.Equal([1, 2], started);
        gates[1].Resolve(); gates[2].Resolve(); gates[3].Resolve();
        Assert.True(p.IsFulfilled);
    }

    [Fact]
    public void ParallelFormsStartAllBeforeAwaiting()
    {
        var gates = new List<Resolver<int>>();
        var p = LwtList.MapP(Xs, x =>
        {
            var (q, r) = Promise.Create<int>();
            gates.Add(r);
            return q;
        });
        Assert.Equal(4, gates.Count);
        for (int i = 3; i >= 0; i--) gates[i].Resolve(i * 10);
        Assert.Equal([0, 10, 20, 30], p.Value);
    }

    [Fact]
    public void Maps()
    {
        Assert.Equal([2, 4, 6, 8], LwtList.MapS(Xs, x => Promise.Return(x * 2)).Value);
        Assert.Equal([1, 3, 5, 7], LwtList.MapiS(Xs, (i, x) => Promise.Return(x + i)).Value);
        Assert.Equal([1, 3, 5, 7], LwtList.MapiP(Xs, (i, x) => Promise.Return(x + i)).Value);
        Assert.Equal([8, 6, 4, 2], LwtList.RevMapS(Xs, x => Promise.Return(x * 2)).Value);
        Assert.Equal([8, 6, 4, 2], LwtList.RevMapP(Xs, x => Promise.Return(x * 2)).Value);
    }

    [Fact]
    public void Iterations()
    {
        var seen = new List<(int, int)>();
        Assert.True(LwtList.IteriS(Xs, (i, x) => { seen.Add((i, x)); return Promise.ReturnUnit; }).IsFulfilled);
        Assert.True(LwtList.IteriP(Xs, (i, x) => { seen.Add((i, x)); return Promise.ReturnUnit; }).IsFulfilled);
        Assert.Equal(8, seen.Count);
        Assert.Equal((3, 4), seen[7]);
        int sum = 0;
        Assert.True(LwtList.IterP(Xs, x => { sum += x; return Promise.ReturnUnit; }).IsFulfilled);
        Assert.Equal(10, sum);
    }

    [Fact]
    public void Folds()
    {
        Assert.Equal("1234", LwtList.FoldLeftS((acc, x) => Promise.Return(acc + x), "", Xs).Value);
        Assert.Equal("4321", LwtList.FoldRightS((x, acc) => Promise.Return(acc + x), Xs, "").Value);
    }

    [Fact]
    public void FiltersAndPartitions()
    {
        Func<int, Promise<bool>> even = x => Promise.Return(x % 2 == 0);
        Assert.Equal([2, 4], LwtList.FilterS(Xs, even).Value);
        Assert.Equal([2, 4], LwtList.FilterP(Xs, even).Value);
        Func<int, Promise<Option<string>>> fm = x => Promise.Return(x > 2 ? Option.Some(x.ToString()) : Option<string>.None);
        Assert.Equal(["3", "4"], LwtList.FilterMapS(Xs, fm).Value);
        Assert.Equal(["3", "4"], LwtList.FilterMapP(Xs, fm).Value);
        var (yes, no) = LwtList.PartitionS(Xs, even).Value;
        Assert.Equal([2, 4], yes);
        Assert.Equal([1, 3], no);
        (yes, no) = LwtList.PartitionP(Xs, even).Value;
        Assert.Equal([2, 4], yes);
        Assert.Equal([1, 3], no);
    }

    [Fact]
    public void Searches()
    {
        int calls = 0;
        Assert.False(LwtList.ForAllS(Xs, x => { calls++; return Promise.Return(x < 2); }).Value);
        Assert.Equal(2, calls); // stops at the first false
        Assert.True(LwtList.ForAllP(Xs, x => Promise.Return(x > 0)).Value);
        calls = 0;
        Assert.True(LwtList.ExistsS(Xs, x => { calls++; return Promise.Return(x == 2); }).Value);
        Assert.Equal(2, calls);
        Assert.False(LwtList.ExistsP(Xs, x => Promise.Return(x > 9)).Value);
        Assert.Equal(3, LwtList.FindS(Xs, x => Promise.Return(x > 2)).Value);
        Assert.IsType<KeyNotFoundException>(LwtList.FindS(Xs, x => Promise.Return(x > 9)).Exception);
    }

    [Fact]
    public void FailuresAndBadInput()
    {
        int calls = 0;
        var p = LwtList.IterS(Xs, x => { calls++; if (x == 2) throw new FormatException(); return Promise.ReturnUnit; });
        Assert.IsType<FormatException>(p.Exception);
        Assert.Equal(2, calls);
        calls = 0;
        var q = LwtList.IterP(Xs, x => { calls++; if (x == 2) throw new FormatException(); return Promise.ReturnUnit; });
        Assert.IsType<FormatException>(q.Exception);
        Assert.Equal(4, calls);
        Assert.Throws<ArgumentNullException>(() => LwtList.IterS<int>(null!, _ => Promise.ReturnUnit));
        Assert.Throws<ArgumentNullException>(() => LwtList.MapP<int, int>(Xs, null!));
    }

    [Fact]
    public void LongListConstantStack()
    {
        var xs = Enumerable.Range(0, 200_000);
        Assert.Equal(200_000, LwtList.FoldLeftS((acc, _) => Promise.Return(acc + 1), 0, xs).Value);
    }
}
