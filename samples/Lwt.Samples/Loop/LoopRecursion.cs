namespace Lwt.Samples.Loop;

/// <summary>
/// OCaml's recursive loop, <c>let rec loop n = if n = 0 then return () else pause () &gt;&gt;= fun () -&gt; loop (n - 1)</c>,
/// as an <c>async Promise</c> method, twice: ending with <c>await Promise.ReturnFrom(Loop(n - 1))</c>,
/// whose promise becomes the next level's (constant memory, as Lwt's bind), and ending with a
/// plain <c>await Loop(n - 1)</c>, where every level waits for the next one to finish (memory
/// grows with the depth, as with <c>async Task</c>). The heap is measured at the deepest level.
/// <para>Lwt: <c>Lwt.bind</c> (the bind's promise becomes its callback's), <c>Lwt.pause</c></para>
/// </summary>
public sealed class LoopRecursion : ISample
{
    private const int Depth = 1_000_000;

    public string Name => "loop-recursion";

    public string Description => "a recursive async loop through Pause: with Promise.ReturnFrom (flat) and with a plain await (grows)";

    public int Run(string[] args)
    {
        long tail = LwtMain.Run(() => Measure(static (n, heap) => WithReturnFrom(n, heap)));
        long plain = LwtMain.Run(() => Measure(static (n, heap) => WithPlainAwait(n, heap)));
        Console.WriteLine($"  {Depth:N0} levels; the managed heap in use at the deepest one:");
        Console.WriteLine($"    await Promise.ReturnFrom(Loop(n - 1)):  {tail / 1024,8:N0} KB");
        Console.WriteLine($"    await Loop(n - 1):                      {plain / 1024,8:N0} KB");
        return 0;
    }

    private static Promise<long> Measure(Func<int, long[], Promise> loop)
    {
        var heap = new long[1];
        return loop(Depth, heap).Map(() => heap[0]);
    }

    private static async Promise WithReturnFrom(int n, long[] heap)
    {
        if (n == 0)
        {
            heap[0] = GC.GetTotalMemory(forceFullCollection: true);
            return;
        }
        await Promise.Pause();
        await Promise.ReturnFrom(WithReturnFrom(n - 1, heap)); // the method ends here: its promise becomes the next level's
    }

    private static async Promise WithPlainAwait(int n, long[] heap)
    {
        if (n == 0)
        {
            heap[0] = GC.GetTotalMemory(forceFullCollection: true);
            return;
        }
        await Promise.Pause();
        await WithPlainAwait(n - 1, heap); // this level waits for the next one to finish
    }
}
