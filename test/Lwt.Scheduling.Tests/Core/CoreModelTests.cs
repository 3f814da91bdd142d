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
}
