namespace Lwt.Tests.Core;

/// <summary>
/// Differential tests: random programs (fixed seeds) run against the library and against the
/// naive reference model in CoreModel.cs, compared after every step: every promise's state,
/// value and exception (the same object where the spec forwards it), every callback call and
/// its order, and what each top-level call returned or threw. A failure prints the seed and
/// the program, so it can be replayed (RunSeed(seed, steps)).
/// </summary>
[Collection(SerialCollection.Name)]
public class CoreModelTests
{
    internal static void RunSeed(int seed, int steps)
    {
        var prog = ProgramGenerator.Generate(seed, steps);
        using var hook = new HookCapture();
        new CoreModelRunner(prog, seed, hook.Seen).Run();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Random_programs_agree_with_the_model(int block)
    {
        for (int seed = block * 1000; seed < (block + 1) * 1000; seed++)
            RunSeed(seed, 20 + seed % 21);
    }

    [Fact]
    public void Longer_random_programs_agree_with_the_model()
    {
        for (int seed = 100_000; seed < 100_300; seed++)
            RunSeed(seed, 120);
    }

    [Fact]
    public void Random_programs_inside_the_event_loop_agree_with_the_model()
    {
        LwtMain.Run(() =>
        {
            for (int seed = 200_000; seed < 200_300; seed++)
                RunSeed(seed, 30);
            return Promise.ReturnUnit;
        });
    }

    // ---------------------------------------------------------------- deep variants
    // Long chains (thousands of Binds and proxies): the library trampolines and compresses
    // proxy paths; the model recurses plainly, on a thread with a big stack.

    private const int Deep = 3000;

    private static MP[] OnBigStack(Func<MP[]> model)
    {
        MP[]? result = null;
        Threads.Run(() => result = model(), stackSize: 256 * 1024 * 1024);
        return result!;
    }

    private static void AssertSame(Promise<int>[] lib, MP[] model)
    {
        Assert.Equal(model.Length, lib.Length);
        for (int i = 0; i < lib.Length; i++)
        {
            var u = CoreModel.Find(model[i]);
            var expected = u.State switch { MState.Pending => PromiseState.Pending, MState.Fulfilled => PromiseState.Fulfilled, _ => PromiseState.Rejected };
            Assert.True(expected == lib[i].State, $"#{i}: library {lib[i].State}, model {u}");
            if (u.State == MState.Fulfilled) Assert.True((int)u.Value! == lib[i].Value, $"#{i}: library {lib[i].Value}, model {u}");
            if (u.State == MState.Rejected)
            {
                if (u.Exn!.IsCancel) u.Exn.E ??= Assert.IsType<CanceledException>(lib[i].Exception);
                Assert.True(ReferenceEquals(u.Exn.E, lib[i].Exception), $"#{i}: library {lib[i].Exception}, model {u}");
            }
        }
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Deep_bind_map_catch_chain_on_a_pending_input(bool reject)
    {
        // p_i alternates Bind, Map, Catch, TryBind and Finally over p_{i-1}.
        var boom = new Boom();
        Promise<int>[] lib = null!;
        Threads.Run(() =>
        {
            lib = new Promise<int>[Deep + 1];
            var (p0, r0) = Promise.Create<int>();
            lib[0] = p0;
            for (int i = 1; i <= Deep; i++)
            {
                var prev = lib[i - 1];
                lib[i] = (i % 5) switch
                {
                    0 => prev.Bind(x => Promise.Return(x + 1)),
                    1 => prev.Map(x => x + 1),
                    2 => Promise.Catch(() => prev, e => Promise.Return(-1)),
                    3 => Promise.TryBind(() => prev, x => Promise.Return(x + 1), e => Promise.Fail<int>(e)),
                    _ => Promise.Finally(() => prev, () => Promise.ReturnUnit),
                };
            }
            if (reject) r0.Reject(boom); else r0.Resolve(0);
        });
        var model = OnBigStack(() =>
        {
            var m = new CoreModel();
            var ps = new MP[Deep + 1];
            ps[0] = m.Create(false);
            for (int i = 1; i <= Deep; i++)
            {
                var prev = ps[i - 1];
                ps[i] = (i % 5) switch
                {
                    0 => m.Bind(prev, x => m.Return((int)x! + 1)),
                    1 => m.Map(prev, x => (int)x! + 1),
                    2 => m.Catch(() => prev, e => m.Return(-1)),
                    3 => m.TryBind(() => prev, x => m.Return((int)x! + 1), e => m.Fail(e)),
                    _ => m.Finally(() => prev, () => m.Return(null)),
                };
            }
            if (reject) m.Resolve(ps[0], MState.Rejected, null, new MExn(boom)); else m.Resolve(ps[0], MState.Fulfilled, 0, null);
            return ps;
        });
        AssertSame(lib, model);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void Deep_proxy_chain(bool triggersInReverse, bool cancel)
    {
        // X_k = t_k.Bind(_ => X_{k-1}): resolving the triggers makes each X_{k-1} a proxy.
        // Then resolve (or cancel, from the far end) X_0 through the chain.
        Promise<int>[] lib = null!;
        Threads.Run(() =>
        {
            var xs = new Promise<int>[Deep + 1];
            var ts = new Resolver<int>[Deep + 1];
            var (x0, r0) = Promise.CreateCancelable<int>();
            xs[0] = x0;
            for (int k = 1; k <= Deep; k++)
            {
                var (t, rt) = Promise.Create<int>();
                ts[k] = rt;
                var prev = xs[k - 1];
                xs[k] = t.Bind(_ => prev);
            }
            for (int j = 1; j <= Deep; j++) ts[triggersInReverse ? Deep + 1 - j : j].Resolve(j);
            if (cancel) xs[Deep].Cancel(); else r0.Resolve(7);
            lib = xs;
        });
        var model = OnBigStack(() =>
        {
            var m = new CoreModel();
            var xs = new MP[Deep + 1];
            var ts = new MP[Deep + 1];
            xs[0] = m.Create(true);
            for (int k = 1; k <= Deep; k++)
            {
                ts[k] = m.Create(false);
                var prev = xs[k - 1];
                xs[k] = m.Bind(ts[k], _ => prev);
            }
            for (int j = 1; j <= Deep; j++) m.Resolve(ts[triggersInReverse ? Deep + 1 - j : j], MState.Fulfilled, j, null);
            if (cancel) m.Cancel(xs[Deep]); else m.Resolve(xs[0], MState.Fulfilled, 7, null);
            return xs;
        });
        AssertSame(lib, model);
    }

    [Fact]
    public void Deep_recursion_through_resolved_binds_trampolines_like_plain_recursion()
    {
        // f(n) = return n >>= fun x -> f (n-1) >|= (+ x): nested immediate binds, trampolined
        // by the library past its nesting limit. Every intermediate promise is compared.
        var lib = new Promise<int>[Deep + 1];
        Promise<int> F(int n)
        {
            if (n == 0) return lib[0] = Promise.Return(0);
            return lib[n] = Promise.Return(n).Bind(x => F(n - 1).Map(y => y + x));
        }
        Threads.Run(() => F(Deep));
        var model = OnBigStack(() =>
        {
            var m = new CoreModel();
            var ps = new MP[Deep + 1];
            MP G(int n)
            {
                if (n == 0) return ps[0] = m.Return(0);
                return ps[n] = m.Bind(m.Return(n), x => m.Map(G(n - 1), y => (int)y! + (int)x!));
            }
            G(Deep);
            return ps;
        });
        AssertSame(lib, model);
        Assert.Equal(Deep * (Deep + 1) / 2, lib[^1].Value);
    }
}
