using System.Text;

namespace Lwt.Tests.Library;

/// <summary>
/// Shared pieces of the model-based (differential) tests: describing a promise's state as a
/// string that a reference model can predict, and a program log that a failure prints with
/// its seed so that it can be replayed.
/// </summary>
internal static class ModelText
{
    public const string Pending = "pending";

    public static string Ok(string value) => "ok:" + value;

    public static string Err<E>() where E : Exception => "err:" + typeof(E).Name;

    public static string Err(Exception e) => "err:" + e.GetType().Name;

    public static string Opt(Option<int> x) => x.HasValue ? $"Some {x.Value}" : "None";

    public static string List(IEnumerable<int> xs) => "[" + string.Join(",", xs) + "]";

    /// <summary>The state of <paramref name="p"/>: pending, ok:value or err:ExceptionType.</summary>
    public static string Describe<T>(Promise<T> p, Func<T, string> show) =>
        p.State switch
        {
            PromiseState.Pending => Pending,
            PromiseState.Fulfilled => Ok(show(p.Value)),
            _ => Err(p.Exception!),
        };

    public static string Describe(Promise p) =>
        p.State switch
        {
            PromiseState.Pending => Pending,
            PromiseState.Fulfilled => Ok("()"),
            _ => Err(p.Exception!),
        };
}

/// <summary>
/// A call on the library whose outcome the model predicts (<see cref="Expected"/>, in
/// <see cref="ModelText"/>'s terms), checked after every step until it has resolved as
/// predicted: a resolved promise cannot change any more.
/// </summary>
internal class ModelRead
{
    public string Label = "";
    public string Expected = ModelText.Pending;
    public Func<string> Actual = null!;
    public Promise Real = null!;
    public bool Verified; // resolved, and found as the model says

    /// <summary>Compares each read not yet verified with the model; a difference fails the program.</summary>
    public static void VerifyAll(IEnumerable<ModelRead> reads, ProgramLog log)
    {
        foreach (var op in reads)
        {
            if (op.Verified) continue;
            var actual = op.Actual();
            if (actual != op.Expected) throw log.Fail($"{op.Label}: model says {op.Expected}, library says {actual}");
            op.Verified = actual != ModelText.Pending;
        }
    }
}

/// <summary>The steps of one random program, for the failure message.</summary>
internal sealed class ProgramLog(string name, int seed)
{
    private readonly List<string> _steps = [];

    public void Add(string step) => _steps.Add(step);

    public int Count => _steps.Count;

    /// <summary>Describes the model's state, for the failure message.</summary>
    public Func<string>? State { get; set; }

    public Exception Fail(string what)
    {
        var sb = new StringBuilder();
        sb.Append(name).Append(": ").Append(what).AppendLine();
        sb.Append("seed ").Append(seed).Append(", after step ").Append(_steps.Count).AppendLine(". Program:");
        for (int i = 0; i < _steps.Count; i++) sb.Append("  ").Append(i + 1).Append(". ").AppendLine(_steps[i]);
        if (State is { } state) sb.Append("Model state: ").AppendLine(state());
        return new Xunit.Sdk.XunitException(sb.ToString());
    }

    public void Check(bool condition, string what)
    {
        if (!condition) throw Fail(what);
    }

    public void Equal<T>(T expected, T actual, string what)
    {
        if (!EqualityComparer<T>.Default.Equals(expected, actual))
            throw Fail($"{what}: model says {expected}, library says {actual}");
    }
}
