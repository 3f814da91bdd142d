namespace Lwt.Tests.Core;

/// <summary>
/// The README's table "Lwt_direct ... here": each row written as the README writes it, and
/// the three differences it names, so that the table cannot drift from what the library does.
/// Lwt_direct itself is not provided (OCaml 5 effects); these are its C# forms. Serial: one
/// test replaces the process-wide async exception hook.
/// </summary>
[Collection(SerialCollection.Name)]
public class DirectStyleMappingTests
{
    // Lwt_direct's example: a task that reads until the end and writes each item back.
    private static async Promise<List<string>> Echo(LwtStream<string> input)
    {
        var written = new List<string>();
        while (true)
        {
            var line = await input.Get();           // await (Lwt_io.read_line ...)
            if (!line.HasValue) return written;     // End_of_file -> continue := false
            await Promise.Pause();                  // Lwt_direct.yield ()
            written.Add(line.Value.ToUpperInvariant());
        }
    }

    [Fact]
    public void Run_is_an_async_Promise_method_whose_promise_is_the_task_s_result()
    {
        var result = LwtMain.Run(() =>
        {
            var (stream, push) = LwtStream.Create<string>();
            var task = Echo(stream);
            Assert.True(task.IsPending);
            push(Option.Some("a"));
            push(Option.Some("b"));
            push(Option<string>.None);
            return task;
        });
        Assert.Equal(["A", "B"], result);
    }

    [Fact]
    public void Await_throws_the_rejection_at_the_await()
    {
        var boom = new InvalidOperationException("boom");
        async Promise<string> Task(Promise<int> p)
        {
            try
            {
                await p;
                return "no throw";
            }
            catch (InvalidOperationException e)
            {
                return e == boom ? "caught at the await" : "another exception";
            }
        }
        var (p, r) = Promise.Create<int>();
        var task = Task(p);
        r.Reject(boom);
        Assert.Equal("caught at the await", task.Value);
    }

    [Fact]
    public void Run_in_the_background_is_Async_and_a_throw_goes_to_the_hook()
    {
        using var hook = new HookCapture();
        var boom = new InvalidOperationException("boom");
        var (p, r) = Promise.Create();
        async Promise Background()
        {
            await p;
            throw boom;
        }
        Promise.Async(Background);
        Assert.Empty(hook.Seen);
        r.Resolve();
        Assert.Equal([boom], hook.Seen);
    }

    [Fact]
    public void Storage_set_for_the_rest_of_the_task_is_WithValue_around_the_rest()
    {
        var k = Promise.NewKey<string>();
        var (gate, open) = Promise.Create();
        var seen = new List<string>();
        async Promise Rest()
        {
            seen.Add($"before the await: {Promise.Get(k).Value}");
            await gate;
            seen.Add($"after the await: {Promise.Get(k).Value}");
        }
        async Promise Task()
        {
            seen.Add($"at the start: {Promise.Get(k).HasValue}");
            await Promise.WithValue(k, Option.Some("v"), () => Rest());
            seen.Add($"after the rest: {Promise.Get(k).HasValue}");
        }
        var task = Task();
        Assert.False(Promise.Get(k).HasValue); // the caller's storage is untouched
        open.Resolve();
        Assert.True(task.IsFulfilled);
        Assert.Equal(["at the start: False", "before the await: v", "after the await: v", "after the rest: False"], seen);
    }

    [Fact]
    public void Difference_a_method_runs_at_once_up_to_its_first_await_unless_it_begins_with_Pause()
    {
        var log = new List<string>();
        async Promise AtOnce()
        {
            log.Add("at once");
            await Promise.ReturnUnit;
        }
        async Promise LikeRun()
        {
            await Promise.Pause();
            log.Add("like run");
        }
        LwtMain.Run(() =>
        {
            var a = AtOnce();
            var b = LikeRun();
            log.Add("caller goes on");
            return Promise.Join(a, b);
        });
        Assert.Equal(["at once", "caller goes on", "like run"], log);
    }

    [Fact]
    public void Difference_a_method_sees_its_caller_s_keys()
    {
        var k = Promise.NewKey<string>();
        async Promise<Option<string>> Read()
        {
            await Promise.ReturnUnit;
            return Promise.Get(k);
        }
        var seen = Promise.WithValue(k, Option.Some("caller's"), () => Read());
        Assert.Equal(Option.Some("caller's"), seen.Value);
    }

    [Fact]
    public void Difference_a_method_s_promise_is_cancelable_and_NoCancel_makes_it_as_run_s()
    {
        var (waited1, _) = Promise.CreateCancelable();
        var (waited2, _) = Promise.CreateCancelable();
        async Promise Task(Promise waited) => await waited;

        var method = Task(waited1);
        method.Cancel();
        Assert.True(method.IsCanceled);
        Assert.True(waited1.IsCanceled);

        var inner = Task(waited2);
        var likeRun = inner.NoCancel();
        likeRun.Cancel();
        Assert.True(likeRun.IsPending);
        Assert.True(inner.IsPending);
        Assert.True(waited2.IsPending);
    }
}
