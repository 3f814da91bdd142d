using System.Diagnostics;
using System.Diagnostics.Metrics;
using static Lwt.Tests.IO.UnixTest;

namespace Lwt.Tests.Loop;

/// <summary>
/// LwtRuntimeEvents (Lwt_runtime_events): the instruments of the meter "Lwt", collected through
/// a MeterListener on a thread other than the loop's (as dotnet-counters and OpenTelemetry
/// collect), and the run activity through an ActivityListener. Each loop runs on a fresh
/// thread and the measurements are picked by its thread tag; the collection runs alone
/// anyway, because listeners see every loop and the job tests change the pool's bounds.
/// </summary>
[Collection(LoopGlobalState.Name)]
public class RuntimeEventsTests
{
    // Opt-in: the meter and the source exist once enabled (idempotent, any thread).
    public RuntimeEventsTests() => LwtRuntimeEvents.Enable();

    [Fact]
    public void Enable_is_idempotent_and_IsEnabled_says_so()
    {
        Assert.True(LwtRuntimeEvents.IsEnabled);
        using var before = new LwtMeters();
        int instruments = before.Instruments.Count;
        LwtRuntimeEvents.Enable();
        using var after = new LwtMeters();
        Assert.Equal(3, instruments);
        Assert.Equal(instruments, after.Instruments.Count); // no second meter
    }

    [Fact]
    public void The_meter_publishes_the_three_instruments()
    {
        LoopTest.OnFreshThread(() => LwtMain.Run(() => Promise.ReturnUnit));
        using var meters = new LwtMeters();
        var byName = meters.Instruments.ToDictionary(i => i.Name);
        Assert.IsType<ObservableUpDownCounter<int>>(byName[LwtRuntimeEvents.PausedCountInstrument]);
        Assert.IsType<ObservableUpDownCounter<int>>(byName[LwtRuntimeEvents.UnixJobCountInstrument]);
        Assert.IsType<ObservableCounter<long>>(byName[LwtRuntimeEvents.LapsInstrument]);
        Assert.Equal("{promise}", byName[LwtRuntimeEvents.PausedCountInstrument].Unit);
        Assert.Equal("{job}", byName[LwtRuntimeEvents.UnixJobCountInstrument].Unit);
        Assert.Equal("{lap}", byName[LwtRuntimeEvents.LapsInstrument].Unit);
        Assert.All(byName.Values, i => Assert.Equal("Lwt", i.Meter.Name));
    }

    [Fact]
    public void The_paused_count_is_the_number_of_promises_paused_on_the_running_loop()
    {
        using var meters = new LwtMeters();
        const int N = 7;
        var me = LoopTest.OnFreshThread(() =>
        {
            int me = Environment.CurrentManagedThreadId;
            LwtMain.Run(async () =>
            {
                await Promise.Pause(); // inside an iteration, nothing else paused
                Assert.Equal(0, meters.Collect().Of(LwtRuntimeEvents.PausedCountInstrument, me));

                var paused = new Promise[N];
                for (int i = 0; i < N; i++) paused[i] = Promise.Pause();
                // Still in this callback: none of them can have been woken.
                Assert.Equal(N, meters.Collect().Of(LwtRuntimeEvents.PausedCountInstrument, me));

                await Promise.Join(paused);
                Assert.Equal(0, meters.Collect().Of(LwtRuntimeEvents.PausedCountInstrument, me));
            });
            return me;
        });
        // Its run is over, so the loop is not measured (the collection runs alone: no other
        // loop runs meanwhile on a thread that could have been given the same id).
        Assert.Null(meters.Collect().Find(LwtRuntimeEvents.PausedCountInstrument, me));
    }

    [Fact]
    public void The_laps_count_one_per_iteration_and_a_stopped_loop_is_not_measured()
    {
        using var meters = new LwtMeters();
        const int K = 25;
        LoopTest.OnFreshThread(() =>
        {
            int me = Environment.CurrentManagedThreadId;
            long first = 0;
            LwtMain.Run(async () =>
            {
                await Promise.Pause();
                first = meters.Collect().Of(LwtRuntimeEvents.LapsInstrument, me);
                Assert.True(first >= 1, $"laps {first} after an iteration");
                // Each pause is woken by the next iteration, which nothing else can run meanwhile.
                for (int i = 0; i < K; i++) await Promise.Pause();
                Assert.Equal(first + K, meters.Collect().Of(LwtRuntimeEvents.LapsInstrument, me));
            });

            // Between runs (this thread is alive, so its id is this loop's alone): not measured.
            var between = meters.Collect();
            Assert.Null(between.Find(LwtRuntimeEvents.LapsInstrument, me));
            Assert.Null(between.Find(LwtRuntimeEvents.UnixJobCountInstrument, me));

            // The next run counts on: the counter of a loop never goes down.
            LwtMain.Run(async () =>
            {
                await Promise.Pause();
                Assert.True(meters.Collect().Of(LwtRuntimeEvents.LapsInstrument, me) > first + K);
            });
        });
    }

    [SkippableFact]
    public void The_unix_job_count_follows_the_pending_jobs_of_the_loop()
    {
        Skip.IfNot(OperatingSystem.IsLinux(), "Linux pipes");
        using var meters = new LwtMeters();
        var (min, max) = LwtPreemptive.GetBounds();
        try
        {
            LwtPreemptive.SetBounds(min, Math.Max(max, LwtPreemptive.NbThreadsBusy + 4));
            LoopTest.OnFreshThread(() =>
            {
                int me = Environment.CurrentManagedThreadId;
                int Jobs() => (int)meters.Collect().Of(LwtRuntimeEvents.UnixJobCountInstrument, me);
                LwtMain.Run(async () =>
                {
                    var (r, w) = LwtUnix.Pipe();
                    using var _r = r;
                    using var _w = w;
                    LwtUnix.SetBlocking(r, true); // a read of it is a job that blocks its worker until data comes
                    r.AssumeAlwaysReady(); // (without waiting for data first, as a blocking pipe's read does)
                    Assert.Equal(0, Jobs());

                    var buffer = new byte[1];
                    var read = LwtUnix.Read(r, buffer);
                    Assert.Equal(1, LwtUnix.PendingJobCount);
                    Assert.Equal(1, Jobs());
                    var second = LwtUnix.Read(r, buffer);
                    Assert.Equal(2, Jobs());

                    // Completed: the count goes down once the result reaches the loop.
                    await LwtUnix.Write(w, new byte[] { 1, 2 });
                    Assert.Equal(1, await read);
                    Assert.Equal(1, await second);
                    Assert.Equal(0, LwtUnix.PendingJobCount);
                    Assert.Equal(0, Jobs());

                    // Aborted: down at once, and the late completion does not take it below 0.
                    var third = LwtUnix.Read(r, buffer);
                    Assert.Equal(1, Jobs());
                    LwtUnix.CancelJobs();
                    Assert.Equal(0, Jobs());
                    Assert.IsType<CanceledException>(await Record(third));
                    int late = LwtUnix.t_lateJobCompletions;
                    await LwtUnix.Write(w, new byte[] { 3 });
                    var deadline = DateTime.UtcNow.AddSeconds(10);
                    while (LwtUnix.t_lateJobCompletions == late)
                    {
                        Assert.True(DateTime.UtcNow < deadline, "the canceled read's completion never reached the loop");
                        await LwtUnix.Sleep(0.005);
                    }
                    Assert.Equal(0, LwtUnix.PendingJobCount);
                    Assert.Equal(0, Jobs());
                });
            });
        }
        finally
        {
            LwtPreemptive.SetBounds(min, max);
        }
    }

    [Fact]
    public void The_run_activity_spans_the_run_without_becoming_current()
    {
        using var ambientSource = new ActivitySource("Lwt.Tests.RuntimeEvents");
        using var activities = new RunActivities(also: ambientSource.Name);
        var (me, ambient, inside, started, t1, t2) = LoopTest.OnFreshThread(() =>
        {
            using var ambient = ambientSource.StartActivity("caller")!;
            Assert.NotNull(ambient);
            Activity? inside = null;
            int started = -1;
            DateTime t1 = default, t2 = default;
            LwtMain.Run(async () =>
            {
                t1 = DateTime.UtcNow;
                started = activities.Started(Environment.CurrentManagedThreadId).Count;
                inside = Activity.Current;
                await LwtUnix.Sleep(0.01);
                await Promise.Pause();
                t2 = DateTime.UtcNow;
            });
            Assert.Same(ambient, Activity.Current); // the run left the caller's activity current
            return (Environment.CurrentManagedThreadId, ambient, inside, started, t1, t2);
        });

        Assert.Equal(1, started); // started before the start function ran
        Assert.Same(ambient, inside); // not the run's: what the loop runs is not its child
        var run = Assert.Single(activities.Stopped(me));
        Assert.Equal(LwtRuntimeEvents.RunActivityName, run.OperationName);
        Assert.Equal(LwtRuntimeEvents.ActivitySourceName, run.Source.Name);
        Assert.Same(ambient, run.Parent);
        Assert.Equal(ActivityStatusCode.Unset, run.Status);
        Assert.True(run.StartTimeUtc <= t1, $"started at {run.StartTimeUtc:O}, after the start function ran at {t1:O}");
        Assert.True(run.StartTimeUtc + run.Duration >= t2, $"ended at {run.StartTimeUtc + run.Duration:O}, before the run's last callback at {t2:O}");
    }

    [Fact]
    public void A_run_that_throws_ends_its_activity_with_an_error()
    {
        using var activities = new RunActivities();
        int me = LoopTest.OnFreshThread(() =>
        {
            Assert.Throws<TimeoutException>(() => LwtMain.Run(async () =>
            {
                await Promise.Pause();
                throw new TimeoutException("late");
            }));
            Assert.Null(Activity.Current);
            return Environment.CurrentManagedThreadId;
        });

        var run = Assert.Single(activities.Stopped(me));
        Assert.Equal(ActivityStatusCode.Error, run.Status);
        Assert.Equal("late", run.StatusDescription);
        Assert.Equal(typeof(TimeoutException).FullName, run.GetTagItem("error.type"));
        Assert.Equal(me, run.GetTagItem(LwtRuntimeEvents.LoopThreadTag));
    }

    [Fact]
    public void No_activity_is_made_unless_a_listener_samples_the_run()
    {
        LoopTest.OnFreshThread(() =>
        {
            var loop = EventLoop.ForCurrentThread();
            // Nobody listens to the source (the collection runs alone).
            Assert.Null(LwtRuntimeEvents.StartRun(loop));

            // A listener that declines the run: StartActivity makes nothing, nothing is started.
            int callbacks = 0;
            using var declining = new ActivityListener
            {
                ShouldListenTo = s => s.Name == LwtRuntimeEvents.ActivitySourceName,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.None,
                ActivityStarted = _ => Interlocked.Increment(ref callbacks),
                ActivityStopped = _ => Interlocked.Increment(ref callbacks),
            };
            ActivitySource.AddActivityListener(declining);
            Assert.Null(LwtRuntimeEvents.StartRun(loop));
            LwtMain.Run(async () => await Promise.Pause());
            Assert.Equal(0, callbacks);
        });
    }

    // ------------------------------------------------------------------ support

    /// <summary>A MeterListener of the meter "Lwt" that collects on a thread of its own.</summary>
    private sealed class LwtMeters : IDisposable
    {
        private readonly MeterListener _listener = new();
        private readonly List<Instrument> _instruments = new();
        private readonly List<Measured> _measured = new();

        public LwtMeters()
        {
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name != LwtRuntimeEvents.MeterName) return;
                lock (_instruments) _instruments.Add(instrument);
                listener.EnableMeasurementEvents(instrument);
            };
            _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Add(instrument, value, tags));
            _listener.Start();
        }

        public IReadOnlyList<Instrument> Instruments
        {
            get
            {
                lock (_instruments) return _instruments.ToList();
            }
        }

        private void Add(Instrument instrument, long value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        {
            int? thread = null;
            foreach (var tag in tags)
                if (tag.Key == LwtRuntimeEvents.LoopThreadTag) thread = (int)tag.Value!;
            lock (_measured) _measured.Add(new Measured(instrument.Name, value, thread));
        }

        /// <summary>
        /// Runs the observable instruments' callbacks on another thread, as a collector does,
        /// and returns what they measured. When called from a loop's callback, that loop is held
        /// in the callback meanwhile (a spin, not a wait the loop's context would refuse).
        /// </summary>
        public Measurements Collect()
        {
            Exception? error = null;
            int done = 0;
            lock (_measured) _measured.Clear();
            var collector = new Thread(() =>
            {
                try
                {
                    _listener.RecordObservableInstruments();
                }
                catch (Exception e)
                {
                    error = e;
                }
                Volatile.Write(ref done, 1);
            }) { IsBackground = true, Name = "metrics collector" };
            collector.Start();
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (Volatile.Read(ref done) == 0)
            {
                if (DateTime.UtcNow > deadline) throw new TimeoutException("the collection did not finish");
                Thread.Sleep(1);
            }
            if (error is not null) throw new InvalidOperationException("an instrument's callback threw", error);
            lock (_measured) return new Measurements(_measured.ToList());
        }

        public void Dispose() => _listener.Dispose();
    }

    private sealed record Measured(string Instrument, long Value, int? Thread);

    private sealed class Measurements(List<Measured> all)
    {
        /// <summary>The measurement of <paramref name="instrument"/> for the loop of thread <paramref name="thread"/>, or null.</summary>
        public long? Find(string instrument, int thread)
        {
            var mine = all.Where(m => m.Instrument == instrument && m.Thread == thread).ToList();
            Assert.True(mine.Count <= 1, $"{mine.Count} measurements of {instrument} for thread {thread}");
            Assert.All(all.Where(m => m.Instrument == instrument), m => Assert.NotNull(m.Thread));
            return mine.Count == 0 ? null : mine[0].Value;
        }

        /// <summary>The measurement, which must be there.</summary>
        public long Of(string instrument, int thread) =>
            Find(instrument, thread) ?? throw new Xunit.Sdk.XunitException($"no measurement of {instrument} for the running loop of thread {thread}");
    }

    /// <summary>An ActivityListener that records every activity of the source "Lwt" (and of <c>also</c>), all data sampled.</summary>
    private sealed class RunActivities : IDisposable
    {
        private readonly ActivityListener _listener;
        private readonly List<Activity> _started = new();
        private readonly List<Activity> _stopped = new();

        public RunActivities(string? also = null)
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = s => s.Name == LwtRuntimeEvents.ActivitySourceName || s.Name == also,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStarted = a =>
                {
                    if (a.Source.Name != LwtRuntimeEvents.ActivitySourceName) return;
                    lock (_started) _started.Add(a);
                },
                ActivityStopped = a =>
                {
                    if (a.Source.Name != LwtRuntimeEvents.ActivitySourceName) return;
                    lock (_stopped) _stopped.Add(a);
                },
            };
            ActivitySource.AddActivityListener(_listener);
        }

        /// <summary>The run activities started so far for the loop of <paramref name="thread"/> (tagged once started).</summary>
        public List<Activity> Started(int thread)
        {
            lock (_started) return _started.Where(a => Equals(a.GetTagItem(LwtRuntimeEvents.LoopThreadTag), thread)).ToList();
        }

        public List<Activity> Stopped(int thread)
        {
            lock (_stopped) return _stopped.Where(a => Equals(a.GetTagItem(LwtRuntimeEvents.LoopThreadTag), thread)).ToList();
        }

        public void Dispose() => _listener.Dispose();
    }
}
