// The default command: a tour of the samples. Each part is an async Promise
// method run on one LwtMain.Run loop; the I/O part (IO/IoTour.cs) starts its
// own local servers, so the tour needs no network.

namespace Lwt.Samples;

/// <summary>The <c>tour</c> command.</summary>
internal static class TourSample
{
    internal static int Run(string[] args)
    {
        if (args.Length != 0) throw new UsageException($"unexpected '{args[0]}'.");
        LwtMain.Run(async () =>
        {
            await IO.IoTour.Run();
            await Cli.Say("tour: done");
        });
        return 0;
    }
}
