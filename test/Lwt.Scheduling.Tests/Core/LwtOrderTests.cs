namespace Lwt.Tests.Core;

/// <summary>
/// Orders that real Lwt 5.6.1 shows and the seeds leave open, found by differential testing
/// against it: each expected log is what the equivalent OCaml program prints.
/// </summary>
public class LwtOrderTests
{
    [Fact]
    public void Both_is_rejected_with_the_first_rejection()
    {
        var (c, rc) = Promise.Create<int>();
        var e5 = new Boom("5");
        var both = Promise.Both(c, Promise.Fail<int>(e5));
        rc.RejectNow(new Boom("1"));
        Assert.Same(e5, both.Exception);

        var (c2, rc2) = Promise.Create<int>();
        var (d2, rd2) = Promise.Create<int>();
        var both2 = Promise.Both(c2, d2);
        var e2 = new Boom("2");
        rd2.RejectNow(e2);
        rc2.RejectNow(new Boom("1"));
        Assert.Same(e2, both2.Exception);
    }

    [Fact]
    public void All_is_rejected_with_the_first_rejection()
    {
        var (c, rc) = Promise.Create<int>();
        var (d, rd) = Promise.Create<int>();
        var all = Promise.All(c, Promise.Return(0), d);
        var e2 = new Boom("2");
        rd.RejectNow(e2);
        rc.RejectNow(new Boom("1"));
        Assert.Same(e2, all.Exception);

        var (c2, rc2) = Promise.Create<int>();
        var e7 = new Boom("7");
        var all2 = Promise.All(c2, Promise.Fail<int>(e7), Promise.Fail<int>(new Boom("8")));
        rc2.RejectNow(new Boom("1"));
        Assert.Same(e7, all2.Exception);
    }

    [Fact]
    public void Cancel_runs_the_last_found_leaf_callbacks_first()
    {
        var log = new List<string>();
        var (t1, _) = Promise.CreateCancelable<int>();
        var (t2, _) = Promise.CreateCancelable<int>();
        t1.OnCancel(() => log.Add("t1"));
        t2.OnCancel(() => log.Add("t2"));
        Promise.Join(t1, t2).Cancel();
        Assert.Equal(new[] { "t2", "t1" }, log);
    }
}
