using Lwt.Tests.Loop;

namespace Lwt.Tests.IO;

/// <summary>
/// A function run by <see cref="LwtPreemptive.RunInMain{T}"/> that makes an LwtUnix call (a
/// job on the same worker pool) while every worker waits in RunInMain. In Lwt, Lwt_unix's jobs
/// do not run on Lwt_preemptive's threads, so <c>run_in_main (fun () -> Lwt_unix.stat p)</c>
/// returns with every preemptive thread waiting in <c>run_in_main</c> (Lwt 5.6.1, bounds
/// (0, 2), two such detached jobs: both return; diff28 user8 /tmp/diff28/user8/ocaml/dl.ml).
/// </summary>
[Collection(LoopGlobalState.Name)]
public class PreemptiveRunInMainJobTests
{
    [Fact]
    public void RunInMain_of_an_LwtUnix_call_returns_while_every_worker_waits_in_RunInMain()
    {
        var (min, max) = LwtPreemptive.GetBounds();
        try
        {
            LwtPreemptive.SetBounds(0, 2);
            string dir = Path.GetTempPath();
            // The Sleep only ends the run if the jobs never finish (the bug: the stats queued
            // behind the two workers that wait for them), so that the test fails instead of hanging.
            string result = LwtMain.Run(() =>
            {
                var jobs = Enumerable.Range(0, 2).Select(_ => LwtPreemptive.Detach(() =>
                    LwtPreemptive.RunInMain(() => LwtUnix.Stat(dir).Map(st => st.Kind.ToString())))).ToList();
                return Promise.Pick(
                    Promise.All(jobs).Map(kinds => string.Join(",", kinds)),
                    LwtUnix.Sleep(60).Map(() => "stuck"));
            });
            Assert.Equal("Directory,Directory", result);
            Assert.Equal(0, LwtPreemptive.QueuedJobs);
        }
        finally
        {
            LwtPreemptive.SetBounds(min, max);
        }
    }
}
