using Lwt.Tests.Core;

namespace Lwt.Tests.Library;

/*
 * The stream transformers against the list semantics, over scripted From sources whose
 * answers come at once or later (a later answer is given when the reader is stuck), and for
 * the one-source transformers also fail. Reading goes on after a failure (the next read asks
 * the source again), so the expected output of a one-source transformer is the list function
 * applied entry by entry, with each failure of the source as one "!" in the output.
 */
public class LwtStreamTransformModelTests
{
    private const int Programs = 400;

    /// <summary>A From source: items at once or later, failures (one-source cases), then the end.</summary>
    private sealed class Source
    {
        public readonly List<int?> Entries = []; // null: a failure
        public readonly List<Action> Pending = []; // the later answers not given yet, oldest first
        private int _calls;
        public readonly LwtStream<int> Stream;

        public Source(Random rng, int first, bool failures)
        {
            int n = rng.Next(0, 12);
            var later = new List<bool>();
            for (int i = 0; i < n; i++)
            {
                Entries.Add(failures && rng.Next(6) == 0 ? null : first + i);
                later.Add(rng.Next(2) == 0);
            }
            bool endLater = rng.Next(2) == 0;
            Stream = LwtStream.From(() =>
            {
                int call = _calls++;
                bool isLater = call < n ? later[call] : endLater;
                Option<int> value = call < n && Entries[call] is int x ? Option.Some(x) : Option<int>.None;
                bool fail = call < n && Entries[call] is null;
                if (!isLater) return fail ? Promise.Fail<Option<int>>(new Boom()) : Promise.Return(value);
                var (p, r) = Promise.Create<Option<int>>();
                Pending.Add(fail ? () => r.Reject(new Boom()) : () => r.Resolve(value));
                return p;
            });
        }

        public IEnumerable<int> Items => Entries.Where(e => e is not null).Select(e => e!.Value);

        public string Describe() => "[" + string.Join(",", Entries.Select(e => e?.ToString() ?? "!")) + "]";
    }

    /// <summary>Reads <paramref name="s"/> to its end with Get, giving the sources' later answers when stuck.</summary>
    private static List<string> ReadAll<T>(LwtStream<T> s, Source[] sources, Func<T, string> show, ProgramLog log)
    {
        var output = new List<string>();
        for (int guard = 0; guard < 1000; guard++)
        {
            var p = s.Get();
            while (p.IsPending)
            {
                // Give the oldest later answer of the first source that has one.
                var src = sources.FirstOrDefault(x => x.Pending.Count != 0);
                log.Check(src is not null, "a read is pending but no source has a pending answer: " + string.Join(" ", output));
                var give = src!.Pending[0];
                src.Pending.RemoveAt(0);
                give();
            }
            if (p.IsRejected)
            {
                log.Check(p.Exception is Boom, "read rejected with " + p.Exception);
                output.Add("!");
                continue;
            }
            if (!p.Value.HasValue) return output;
            output.Add(show(p.Value.Value));
        }
        throw log.Fail("the stream did not end: " + string.Join(" ", output));
    }

    [Fact]
    public void OneSourceTransformersFollowTheListSemantics()
    {
        for (int seed = 1; seed <= Programs; seed++)
        {
            var rng = new Random(seed);
            int which = rng.Next(7);
            var src = new Source(rng, 0, failures: true);
            var log = new ProgramLog(nameof(OneSourceTransformersFollowTheListSemantics), seed);
            var entries = src.Entries;
            List<string> expected = [];
            List<string> actual;
            var sources = new[] { src };
            switch (which)
            {
                case 0:
                    log.Add($"Map(x*10) over {src.Describe()}");
                    foreach (var e in entries) expected.Add(e is int x ? $"{x * 10}" : "!");
                    actual = ReadAll(src.Stream.Map(x => x * 10), sources, x => $"{x}", log);
                    break;
                case 1:
                    log.Add($"Filter(even) over {src.Describe()}");
                    foreach (var e in entries) if (e is not int x) expected.Add("!"); else if (x % 2 == 0) expected.Add($"{x}");
                    actual = ReadAll(src.Stream.Filter(x => x % 2 == 0), sources, x => $"{x}", log);
                    break;
                case 2:
                    log.Add($"FilterMap(x%3==0 ? Some -x : None) over {src.Describe()}");
                    foreach (var e in entries) if (e is not int x) expected.Add("!"); else if (x % 3 == 0) expected.Add($"{-x}");
                    actual = ReadAll(src.Stream.FilterMap(x => x % 3 == 0 ? Option.Some(-x) : Option<int>.None), sources, x => $"{x}", log);
                    break;
                case 3:
                    log.Add($"MapList(x -> x%3 copies) over {src.Describe()}");
                    foreach (var e in entries) if (e is not int x) expected.Add("!"); else for (int i = 0; i < x % 3; i++) expected.Add($"{x}");
                    actual = ReadAll(src.Stream.MapList(x => Enumerable.Repeat(x, x % 3)), sources, x => $"{x}", log);
                    break;
                case 4:
                    log.Add($"Flatten(Map(x -> x%3 copies)) over {src.Describe()}");
                    foreach (var e in entries) if (e is not int x) expected.Add("!"); else for (int i = 0; i < x % 3; i++) expected.Add($"{x}");
                    actual = ReadAll(LwtStream.Flatten(src.Stream.Map(x => Enumerable.Repeat(x, x % 3))), sources, x => $"{x}", log);
                    break;
                case 5:
                    log.Add($"WrapExn over {src.Describe()}");
                    foreach (var e in entries) expected.Add(e is int x ? $"Ok {x}" : "Error Boom");
                    actual = ReadAll(src.Stream.WrapExn(), sources, r => r.IsOk ? $"Ok {r.Value}" : "Error " + r.ErrorValue.GetType().Name, log);
                    break;
                default:
                    log.Add($"MapS(later x+1) over {src.Describe()}");
                    foreach (var e in entries) expected.Add(e is int x ? $"{x + 1}" : "!");
                    actual = ReadAll(src.Stream.MapS(x => Promise.Return(x + 1)), sources, x => $"{x}", log);
                    break;
            }
            log.Equal(string.Join(" ", expected), string.Join(" ", actual), "output");
        }
    }

    [Fact]
    public void SeveralSourceTransformersFollowTheListSemantics()
    {
        for (int seed = 1; seed <= Programs; seed++)
        {
            var rng = new Random(seed);
            int which = rng.Next(4);
            var log = new ProgramLog(nameof(SeveralSourceTransformersFollowTheListSemantics), seed);
            var a = new Source(rng, 0, failures: false);
            var b = new Source(rng, 100, failures: false);
            var c = new Source(rng, 200, failures: false);
            var sources = new[] { a, b, c };
            log.Add($"sources {a.Describe()} {b.Describe()} {c.Describe()}");
            switch (which)
            {
                case 0:
                    {
                        log.Add("Append(a, b)");
                        var actual = ReadAll(LwtStream.Append(a.Stream, b.Stream), sources, x => $"{x}", log);
                        log.Equal(string.Join(" ", a.Items.Concat(b.Items)), string.Join(" ", actual), "output");
                        break;
                    }
                case 1:
                    {
                        log.Add("Concat(OfList [a, b, c])");
                        var actual = ReadAll(LwtStream.Concat(LwtStream.OfList([a.Stream, b.Stream, c.Stream])), sources, x => $"{x}", log);
                        log.Equal(string.Join(" ", a.Items.Concat(b.Items).Concat(c.Items)), string.Join(" ", actual), "output");
                        break;
                    }
                case 2:
                    {
                        log.Add("Combine(a, b)");
                        var actual = ReadAll(LwtStream.Combine(a.Stream, b.Stream), sources, x => $"{x.Item1}/{x.Item2}", log);
                        log.Equal(string.Join(" ", a.Items.Zip(b.Items, (x, y) => $"{x}/{y}")), string.Join(" ", actual), "output");
                        break;
                    }
                default:
                    {
                        log.Add("Choose(a, b, c)");
                        var actual = ReadAll(LwtStream.Choose(a.Stream, b.Stream, c.Stream), sources, x => $"{x}", log).Select(int.Parse).ToList();
                        // Order between the sources is unspecified; each source's own order is kept.
                        log.Equal(string.Join(" ", a.Items.Concat(b.Items).Concat(c.Items).Order()), string.Join(" ", actual.Order()), "items (sorted)");
                        foreach (var (src, lo) in new[] { (a, 0), (b, 100), (c, 200) })
                            log.Equal(string.Join(" ", src.Items), string.Join(" ", actual.Where(x => x >= lo && x < lo + 100)), $"order of the items from {lo}");
                        break;
                    }
            }
        }
    }
}
